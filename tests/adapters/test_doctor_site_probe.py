"""`ec112 doctor` against a site file: AmiDoctorProbe over the fake Asterisk manager (real loopback socket),
answering as Asterisk 16/22 do (channel-less Getvar of PJSIP_ENDPOINT() is "" for an unknown endpoint), through
``diagnose`` to the four rows a user reads. The real Asterisk: tests/integration/test_site_render.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fake_ami import FakeAmiServer, Fields, list_reply

from ec112.ami.doctor_probe import AmiDoctorProbe
from ec112.services.doctor import Check, DaemonHealth, DoctorTarget, SchemaState, Status, exit_code
from ec112.services.doctor_run import diagnose
from ec112.services.doctor_site import SITE_CHECKS, SiteExpectation, SiteTrunk

EXPECT = SiteExpectation(
    site_file="/etc/ec112/site.toml", rendered_dir="/etc/asterisk/ec112",
    contexts=("ec112-from-trunk", "ec112-emergency", "ec112-doctor"),
    endpoints={"taker01": "ec112-from-takers", "taker02": "ec112-from-takers", "drill": "ec112-drill"},
    trunks=(SiteTrunk("telkom", registers=False), SiteTrunk("opsel", registers=True)),
    trunk_context="ec112-from-trunk")


@dataclass
class Asterisk:
    """What the fake Asterisk has loaded; the handlers answer from it."""

    contexts: set[str] = field(default_factory=lambda: {"ec112-from-trunk", "ec112-emergency", "ec112-doctor"})
    endpoints: dict[str, str] = field(default_factory=lambda: {
        "taker01": "ec112-from-takers", "taker02": "ec112-from-takers", "drill": "ec112-drill",
        "telkom": "ec112-from-trunk", "opsel": "ec112-from-trunk"})
    registration: str = "Registered"
    members: list[str] = field(default_factory=lambda: ["PJSIP/taker01"])
    refuse_getvar: bool = False

    def dialplan(self, action: Fields) -> list[Fields]:
        context = action["Context"]
        if context not in self.contexts:
            return [{"Response": "Error", "Message": f"Did not find context {context}"}]
        step = {"Event": "ListDialplan", "Context": context, "Extension": "112", "Priority": "1",
                "Application": "AGI", "AppData": "agi://127.0.0.1:4573/intake"}
        if context == "ec112-emergency":
            return list_reply([step, {**step, "Priority": "2", "Application": "Queue", "AppData": "112"}],
                              "ShowDialPlanComplete")
        return list_reply([step], "ShowDialPlanComplete")

    def getvar(self, action: Fields) -> list[Fields]:
        if self.refuse_getvar:
            return [{"Response": "Error", "Message": "Permission denied"}]
        name = action["Variable"].removeprefix("PJSIP_ENDPOINT(").split(",")[0]
        return [{"Response": "Success", "Variable": action["Variable"], "Value": self.endpoints.get(name, "")}]

    def registrations(self, _action: Fields) -> list[Fields]:
        detail = {"Event": "OutboundRegistrationDetail", "ObjectType": "registration", "ObjectName": "opsel-reg",
                  "Status": self.registration}
        return list_reply([detail, {"Event": "AuthDetail", "ObjectName": "opsel-auth"}],
                          "OutboundRegistrationDetailComplete")

    def queue(self, _action: Fields) -> list[Fields]:
        members = [{"Event": "QueueMember", "Queue": "112", "Name": m, "Location": m, "Status": "1", "Paused": "0"}
                   for m in self.members]
        return list_reply([{"Event": "QueueParams", "Queue": "112"}, *members], "QueueStatusComplete")


@pytest.fixture
async def ami() -> AsyncIterator[tuple[FakeAmiServer, Asterisk]]:
    server, asterisk = FakeAmiServer(), Asterisk()
    server.handlers.update({"showdialplan": asterisk.dialplan, "getvar": asterisk.getvar,
                            "pjsipshowregistrationsoutbound": asterisk.registrations, "queuestatus": asterisk.queue})
    await server.start()
    yield server, asterisk
    await server.stop()


class Schema:
    async def schema(self) -> SchemaState:
        return SchemaState("at_head", "sqlite", "1", "1")


class Daemon:
    async def health(self) -> DaemonHealth:
        return DaemonHealth(True, "running")


async def doctor(server: FakeAmiServer, expect: SiteExpectation | None = EXPECT) -> dict[str, Check]:
    probe = AmiDoctorProbe(host="127.0.0.1", port=server.port, username="ec112", secret="s3cret",
                           connect_timeout=1, login_timeout=1, action_timeout=1)
    target = DoctorTarget(ami=f"127.0.0.1:{server.port}", agi_host="127.0.0.1", agi_port=4573, queue="112",
                          api_url="http://127.0.0.1:1", probe_timeout=0.2, check_timeout=3)
    try:
        checks = await diagnose(target, probe, Schema(), Daemon(), None, None if expect is None else (expect, probe))
    finally:
        await probe.close()
    return {c.name: c for c in checks}


async def test_a_site_asterisk_that_matches_its_site_file_passes_all_four_rows(
        ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, _ = ami
    rows = await doctor(server)
    assert {n: rows[n].status for n in ("includes", "endpoints", "trunks", "members")} == dict.fromkeys(
        ("includes", "endpoints", "trunks", "members"), Status.OK)
    assert rows["trunks"].detail == "trunk OK: telkom (ip), opsel (register)"
    [(_conn, getvar), *_] = server.actions("Getvar")
    assert getvar == {**getvar, "Variable": "PJSIP_ENDPOINT(taker01,context)"}
    assert "Channel" not in getvar  # channel-less: ec112 has no channel to read it on
    assert exit_code([rows[n] for n in SITE_CHECKS]) == 0  # (the FastAGI probe is not faked here)


async def test_without_a_site_file_no_site_row_and_no_site_action(ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, _ = ami
    rows = await doctor(server, expect=None)
    assert not {"includes", "endpoints", "trunks", "members"} & rows.keys()
    assert server.actions("Getvar") == []
    assert server.actions("PJSIPShowRegistrationsOutbound") == []


async def test_missing_include_endpoint_registration_and_a_leftover_member_say_what_to_fix(
        ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, asterisk = ami
    asterisk.contexts.discard("ec112-from-trunk")
    del asterisk.endpoints["taker02"]
    asterisk.endpoints["drill"] = "office"  # the admin's own endpoint of that name
    asterisk.registration = "Rejected"
    asterisk.members = ["PJSIP/taker01", "PJSIP/taker18"]
    rows = await doctor(server)
    assert rows["includes"].status is Status.FAIL
    assert "ec112-from-trunk" in rows["includes"].detail
    assert '#include "/etc/asterisk/ec112/extensions_ec112.conf"' in rows["includes"].fix
    assert rows["endpoints"].status is Status.FAIL
    assert "taker02" in rows["endpoints"].detail
    assert "drill (context office)" in rows["endpoints"].detail
    assert '#include "/etc/asterisk/ec112/pjsip_ec112.conf"' in rows["endpoints"].fix
    assert rows["trunks"].status is Status.FAIL
    assert rows["trunks"].detail == "belum terdaftar / not registered: opsel (Rejected)"
    assert "site.secrets.toml" in rows["trunks"].fix
    assert rows["members"].status is Status.WARN
    assert "PJSIP/taker18" in rows["members"].detail
    assert "queue remove member PJSIP/taker18 from 112" in rows["members"].fix
    assert exit_code([rows[n] for n in SITE_CHECKS]) == 1


async def test_an_ip_trunk_missing_fails_the_trunk_row(ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, asterisk = ami
    del asterisk.endpoints["telkom"]
    rows = await doctor(server)
    assert rows["trunks"].status is Status.FAIL
    assert rows["trunks"].detail == "telkom tidak ada / missing"
    assert rows["endpoints"].status is Status.OK


async def test_a_refused_getvar_names_the_write_class_not_system(ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, asterisk = ami
    asterisk.refuse_getvar = True
    rows = await doctor(server)
    assert rows["endpoints"].status is Status.FAIL
    assert rows["endpoints"].detail == "Asterisk menolak / refused Getvar: Permission denied"
    assert "write `call`" in rows["endpoints"].fix
    assert "jangan tambah `system`" in rows["endpoints"].fix


async def test_a_refused_login_skips_the_site_rows(ami: tuple[FakeAmiServer, Asterisk]) -> None:
    server, _ = ami
    server.secret = "other"
    rows = await doctor(server)
    assert {rows[n].status for n in ("includes", "endpoints", "trunks", "members")} == {Status.SKIP}
