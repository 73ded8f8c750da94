"""The SIP domain of the softphone accounts from ``[softphones] server`` (host, host:port, IPv6 with or without)."""

from __future__ import annotations

import pytest

from ec112.domain.softphones import SoftphoneSite


@pytest.mark.parametrize(("server", "domain"), [
    ("192.168.1.10:5060", "192.168.1.10"), ("pbx.ppu.example", "pbx.ppu.example"), ("[fd00::10]:5061", "[fd00::10]"),
    ("fd00::10", "fd00::10"), ("", ""),
])
def test_the_domain_is_the_server_without_its_port(server: str, domain: str) -> None:
    assert SoftphoneSite(server).domain == domain
