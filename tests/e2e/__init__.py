"""Browser tests (real headless Chromium); a package so its modules never shadow tests/integration's."""
