"""tests/e2e: real headless Chromium. The harness lives in browser.py; this makes its fixtures and
its failure-capture hook active for every test in this directory.

The real stack (Asterisk, SIPp phones, the ec112 daemon) comes from the same plugin module as the
integration tests' (tests/integration/harness/lab_fixtures.py), registered here too.
"""

import pytest
from harness import lab_fixtures

from .browser import (  # noqa: F401  (pytest finds fixtures and hooks by name in this module)
    browser,
    browser_context,
    chromium_path,
    mobile_context,
    mobile_page,
    new_context,
    page,
    playwright_driver,
    pytest_runtest_makereport,
)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(lab_fixtures):
        config.pluginmanager.register(lab_fixtures, "ec112-lab")
