"""Integration tests against a real, private Asterisk and SIPp phones (fixtures: harness/lab_fixtures.py).

EC112_TEST_ASTERISK picks the Asterisk flavor ("16" host package, default; "22" sid chroot).
"""

from __future__ import annotations

import pytest
from harness import lab_fixtures
from harness.lab_fixtures import Lab

__all__ = ["Lab"]


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(lab_fixtures):
        config.pluginmanager.register(lab_fixtures, "ec112-lab")
