"""The rendered manager.conf gives ec112's AMI account no class that reads or changes Asterisk's files.

GetConfig is allowed with the `system` OR the `config` write class (main/manager.c: an action runs when ANY of
its classes is granted) and returns manager.conf with every AMI secret; `command` runs any CLI command.
tests/integration/test_logging_privacy.py checks what a running Asterisk enforces; this one needs none.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from ec112.ami.events import ASTERISK_EVENTS
from ec112.lab.render import new_lab_config, render


def test_the_account_can_neither_read_config_files_nor_run_cli_commands(tmp_path: Path) -> None:
    etc = render(new_lab_config(tmp_path / "lab")).parent
    conf = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    conf.read_string((etc / "ec112" / "manager_ec112.conf").read_text())
    write = {c.strip() for c in conf["ec112"]["write"].split(",")}
    assert write == {"call", "agent", "reporting", "originate", "message"}  # message: MessageSend (text to 112)
    assert not write & {"system", "config", "command", "all"}


def test_asterisk_sends_exactly_the_events_ec112_reads(tmp_path: Path) -> None:
    """The account's eventfilter (a POSIX regex over the event's text) lets through every event events.py
    translates, and none of the bulk of a call's events that ec112 would only drop."""
    etc = render(new_lab_config(tmp_path / "lab")).parent
    conf = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    conf.read_string((etc / "ec112" / "manager_ec112.conf").read_text())
    pattern = re.compile(conf["ec112"]["eventfilter"].replace("[[:space:]]", r"\s"))
    read = set(ASTERISK_EVENTS)
    assert read, "events.py translates no Asterisk event?"
    for name in read | {"FullyBooted"}:
        assert pattern.search(f"Event: {name}\r\nPrivilege: call,all\r\n"), f"{name} is filtered out"
    for name in ("Newstate", "HangupRequest", "SoftHangupRequest", "DialBegin", "BridgeEnter", "VarSet", "Newexten",
                 "NewConnectedLine", "RTCPSent", "QueueCallerJoinX"):
        assert not pattern.search(f"Event: {name}\r\nPrivilege: call,all\r\n"), f"{name} is let through"
    # anchored at the event's name: a header's value naming a wanted event lets nothing through
    assert not pattern.search("Event: Newstate\r\nChannelStateDesc: Hangup\r\nUserEvent: Hangup \r\n")
