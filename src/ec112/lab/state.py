"""The persistent lab of ``make run``: fixed well-known ports, secrets generated once, kept in JSON.

Tests use throwaway labs on free ports (``render.new_lab_config``); a person at a softphone needs the
same addresses and passwords every time, so this lab is created once under ``var/lab`` and reused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from ec112.lab.asterisk import AsteriskFlavor
from ec112.lab.render import LabConfig, LabPorts, new_lab_config
from ec112.routing.dialplan import INTAKE_ROUTE

LAB_PORTS = LabPorts(sip=5060, ami=5038, agi=4573, web=8112, rtp_start=10000, rtp_end=10999)
STATE_FILE = "lab.json"


def load_or_create(directory: Path, flavor: AsteriskFlavor) -> LabConfig:
    """The lab in ``directory``: the saved one (same secrets), or a new one saved for next time."""
    state = directory / STATE_FILE
    if state.is_file():
        saved: dict[str, Any] = json.loads(state.read_text())
        return replace(
            new_lab_config(directory, LabPorts(**saved["ports"]), flavor=flavor),
            ami_secret=saved["ami_secret"],
            endpoint_passwords=saved["endpoint_passwords"],
        )
    config = new_lab_config(directory, LAB_PORTS, flavor=flavor)
    directory.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps(
            {
                "ports": asdict(config.ports),
                "ami_secret": config.ami_secret,
                "endpoint_passwords": dict(config.endpoint_passwords),
            },
            indent=2,
        )
    )
    state.chmod(0o600)
    return config


def describe(config: LabConfig, host: str = "127.0.0.1") -> dict[str, Any]:
    """What `ec112 lab info --json` prints: every address and credential a person needs."""
    p = config.ports
    return {
        "sip": {"host": host, "port": p.sip, "transport": "udp", "uri": f"sip:{host}:{p.sip}"},
        "ami": {"host": host, "port": p.ami, "username": "ec112", "secret": config.ami_secret},
        "fastagi": {"host": config.agi_host, "port": p.agi, "url": f"agi://{config.agi_host}:{p.agi}/{INTAKE_ROUTE}"},
        "web": {"url": f"http://{host}:{p.web}", "api": f"http://{host}:{p.web}/api/tickets"},
        "trunk": {
            "endpoint": "trunk",
            "source_address": config.trunk_match,
            "dial": "112",
            "note": "SIP from this address that is not a registered endpoint enters the 112 context",
        },
        "queue": config.queue,
        "rtp": {"start": p.rtp_start, "end": p.rtp_end},
        "endpoints": [
            {"username": name, "password": password, "role": "supervisor" if name.startswith("spv") else "call_taker"}
            for name, password in config.endpoint_passwords.items()
        ],
        "asterisk_config": str(config.directory / "etc"),
    }
