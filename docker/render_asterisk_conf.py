"""Render asterisk-conf/ for the Asterisk container (run inside Dockerfile.asterisk's build stage).

Why a build-time render with tokens: the lab renderer (ec112.lab.render) is the one way the templates become
a working config, but it writes secrets into the files. Here the AMI secret and the SIP passwords are rendered
as ``@@NAME@@`` tokens; docker/asterisk-entrypoint.sh replaces them from the environment (or from passwords it
generated once and keeps in a volume) at every start, so no secret is baked into an image. The ports are the
build's arguments: with ``--network host`` every container shares the host's loopback, so they must be distinct.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ec112.lab.render import ENDPOINT_NAMES, LabConfig, LabPorts, render

AMI_SECRET_TOKEN = "@@EC112_AMI_SECRET@@"  # noqa: S105  (a token the entrypoint replaces, not a secret)


def password_token(endpoint: str) -> str:
    return f"@@SIP_PASSWORD_{endpoint}@@"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--directory", type=Path, default=Path("/srv/asterisk"))
    parser.add_argument("--templates", type=Path, required=True)
    parser.add_argument("--sounds", type=Path, required=True)
    parser.add_argument("--modules-dir", default="/usr/lib/asterisk/modules")
    for name, default in (("sip", 5060), ("ami", 5038), ("agi", 4573), ("web", 8112), ("rtp-start", 10000),
                          ("rtp-end", 10999), ("carrier", 5070)):
        parser.add_argument(f"--{name}-port", type=int, default=default)
    parser.add_argument("--agi-host", default="127.0.0.1")
    parser.add_argument("--trunk-match", default="127.0.0.1")
    parser.add_argument("--carrier-host", default="127.0.0.1")
    parser.add_argument("--system-name", default="ec112")
    parser.add_argument("--recording-start", default="arrival", choices=("arrival", "answer", "off"))
    args = parser.parse_args()
    config = LabConfig(
        directory=args.directory,
        ports=LabPorts(sip=args.sip_port, ami=args.ami_port, agi=args.agi_port, web=args.web_port,
                       rtp_start=args.rtp_start_port, rtp_end=args.rtp_end_port, carrier=args.carrier_port),
        ami_secret=AMI_SECRET_TOKEN,
        endpoint_passwords={name: password_token(name) for name in ENDPOINT_NAMES},
        modules_dir=args.modules_dir,
        trunk_match=args.trunk_match,
        carrier_host=args.carrier_host,
        agi_host=args.agi_host,
        system_name=args.system_name,
        recording_start=args.recording_start,
        asterisk_major=16,
    )
    print(render(config, args.templates, sounds=args.sounds))
    # the entrypoint needs the list of endpoints whose passwords it must fill in
    (args.directory / "endpoints").write_text("\n".join(ENDPOINT_NAMES) + "\n")


if __name__ == "__main__":
    main()
