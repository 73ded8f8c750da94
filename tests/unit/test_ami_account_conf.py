"""The rendered manager.conf gives ec112's AMI account no class that reads or changes Asterisk's files.

GetConfig is allowed with the `system` OR the `config` write class (main/manager.c: an action runs when ANY of
its classes is granted) and returns manager.conf with every AMI secret; `command` runs any CLI command.
tests/integration/test_logging_privacy.py checks what a running Asterisk enforces; this one needs none.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from ec112.lab.render import new_lab_config, render


def test_the_account_can_neither_read_config_files_nor_run_cli_commands(tmp_path: Path) -> None:
    etc = render(new_lab_config(tmp_path / "lab")).parent
    conf = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    conf.read_string((etc / "manager.conf").read_text())
    write = {c.strip() for c in conf["ec112"]["write"].split(",")}
    assert write == {"call", "agent", "reporting", "originate", "message"}  # message: MessageSend (text to 112)
    assert not write & {"system", "config", "command", "all"}
