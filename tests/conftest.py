"""The whole suite: no settings file is discovered (ec112.config.settings_file), so a developer's var/ec112.toml
from `make run` never leaks into a test's daemon or CLI; a test that wants discovery sets EC112_CONFIG itself."""

import os

os.environ["EC112_CONFIG"] = ""
