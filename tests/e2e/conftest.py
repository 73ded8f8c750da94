"""tests/e2e: real headless Chromium. The harness lives in browser.py; this makes its fixtures and
its failure-capture hook active for every test in this directory.

To combine with the real stack later (Asterisk, SIPp phones, the ec112 daemon), the integration
fixtures are to be shared as a plugin module rather than copied (see tests/e2e/README.md).
"""

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
