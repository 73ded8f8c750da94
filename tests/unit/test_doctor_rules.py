"""`ec112 doctor`'s verdicts and exit code: facts in, what the admin reads out (pure)."""

from __future__ import annotations

import pytest

from ec112.services import doctor_rules as rules
from ec112.services.doctor import (
    AgiProbe,
    AmiLogin,
    Check,
    DaemonHealth,
    DialplanStep,
    DoctorTarget,
    ProbeRefused,
    QueueInfo,
    QueueWrapup,
    SchemaState,
    Status,
    exit_code,
)

TARGET = DoctorTarget(ami="127.0.0.1:5038", agi_host="127.0.0.1", agi_port=4573, queue="112",
                      api_url="http://127.0.0.1:8112")


def emergency(agi: str = "agi://127.0.0.1:4573/intake", queue: str = "112,r") -> list[DialplanStep]:
    return [
        DialplanStep("112", "1", "NoOp", "ec112: emergency call on ${CHANNEL}"),
        DialplanStep("112", "5", "AGI", agi),
        DialplanStep("112", "9", "Queue", queue),
    ]


def doctor_context(agi: str = "agi://127.0.0.1:4573/ping") -> list[DialplanStep]:
    return [DialplanStep("s", "1", "AGI", agi), DialplanStep("s", "2", "UserEvent", "EC112Doctor,...")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("agi://127.0.0.1:4573/intake", ("127.0.0.1", 4573, "intake")),
        ("agi://10.1.2.3/intake,arg1,arg2", ("10.1.2.3", 4573, "intake")),
        ("AGI://ec112.local:4600/ping", ("ec112.local", 4600, "ping")),
        ("agi://${EC112_HOST}:4573/intake", None),  # a variable: nothing to compare
        ("/var/lib/asterisk/agi-bin/x.agi", None),
        ("agi://:4573/intake", None),
        ("agi://host:notaport/intake", None),
    ],
)
def test_agi_url_parses_only_literal_fastagi_targets(data: str, expected: tuple[str, int, str] | None) -> None:
    url = rules.agi_url(data)
    assert (None if url is None else (url.host, url.port, url.route)) == expected


def test_ami_refused_and_unreachable_get_different_fixes() -> None:
    refused = rules.ami_check(TARGET, AmiLogin("refused", "Authentication failed"))
    unreachable = rules.ami_check(TARGET, AmiLogin("unreachable", "[Errno 111] Connect call failed"))
    assert refused.status is Status.FAIL
    assert unreachable.status is Status.FAIL
    assert "secret" in refused.fix
    assert "manager.conf" in refused.fix
    assert "Authentication failed" in refused.detail
    assert "Asterisk" in unreachable.fix
    assert "bindaddr" in unreachable.fix
    assert "127.0.0.1:5038" in unreachable.detail
    ok = rules.ami_check(TARGET, AmiLogin("ok", ami_version="5.0.4", asterisk_version="16.28.0"))
    assert ok.status is Status.OK
    assert "Asterisk 16.28.0" in ok.detail
    assert ok.fix == ""


def test_dialplan_ok_names_the_agi_url_and_queue() -> None:
    check = rules.dialplan_check(TARGET, emergency())
    assert check.status is Status.OK
    assert check.detail == "ec112-emergency: AGI agi://127.0.0.1:4573/intake, Queue(112)"


@pytest.mark.parametrize(
    ("steps", "status", "in_fix"),
    [
        (None, Status.FAIL, "dialplan reload"),
        (emergency(agi="agi://127.0.0.1:4999/intake"), Status.FAIL, "[agi] port"),
        (emergency(agi="agi://192.0.2.7:4573/intake"), Status.WARN, "[agi] host"),
        (emergency(queue="113,r"), Status.FAIL, "[callcenter] queue"),
        ([DialplanStep("112", "1", "Queue", "112")], Status.FAIL, "intake"),
    ],
)
def test_dialplan_mismatches_say_which_setting_to_align(
    steps: list[DialplanStep] | None, status: Status, in_fix: str
) -> None:
    check = rules.dialplan_check(TARGET, steps)
    assert check.status is status
    assert in_fix in check.fix


def test_dialplan_host_is_not_compared_when_ec112_listens_everywhere() -> None:
    anywhere = DoctorTarget(ami="a:1", agi_host="0.0.0.0", agi_port=4573, queue="112", api_url="u")
    assert rules.dialplan_check(anywhere, emergency(agi="agi://10.0.0.5:4573/intake")).status is Status.OK


def test_queue_missing_fails_and_empty_queue_warns() -> None:
    missing = rules.queue_check(TARGET, None)
    assert missing.status is Status.FAIL
    assert "queues.conf" in missing.fix
    empty = rules.queue_check(TARGET, QueueInfo(members=0, paused=0))
    assert empty.status is Status.WARN
    assert empty.ok
    assert "ec112 agent login" in empty.fix
    staffed = rules.queue_check(TARGET, QueueInfo(members=3, paused=1))
    assert staffed.status is Status.OK
    assert "3 anggota / members, 1 dijeda / paused" in staffed.detail


def test_members_whose_phones_are_unreachable_warn_and_all_of_them_fail() -> None:
    some = rules.queue_check(TARGET, QueueInfo(members=3, paused=0, unreachable=("taker02",)))
    assert some.status is Status.WARN
    assert some.ok
    assert "phones unreachable: taker02" in some.detail
    assert "pjsip show contacts" in some.fix
    every = rules.queue_check(TARGET, QueueInfo(members=2, paused=0, unreachable=("taker01", "taker02")))
    assert every.status is Status.FAIL  # no 112 call can ring anywhere
    assert "taker01, taker02" in every.detail


def test_wrapup_same_as_ec112_is_ok() -> None:
    check = rules.wrapup_check(TARGET, QueueWrapup("/etc/asterisk/queues.conf", 5))
    assert check.status is Status.OK
    assert check.detail == ("queues.conf [112] wrapuptime = 5 (/etc/asterisk/queues.conf) = "
                            "[callcenter] wrapup_seconds = 5")
    assert check.fix == ""


def test_wrapup_different_from_ec112_warns_with_both_values_and_the_fix() -> None:
    check = rules.wrapup_check(TARGET, QueueWrapup("/etc/asterisk/queues.conf", 15))
    assert check.status is Status.WARN
    assert "wrapuptime = 15" in check.detail
    assert "[callcenter] wrapup_seconds = 5" in check.detail
    assert "queue reload parameters" in check.fix
    assert "wrapuptime (15) and wrapup_seconds (5)" in check.fix
    assert check.ok  # a warning: 112 calls still reach the takers
    assert exit_code([check]) == 0


def test_unknown_wrapup_is_not_a_failure() -> None:
    check = rules.wrapup_check(TARGET, QueueWrapup("/etc/asterisk/queues.conf", None,
                                                   "cannot read /etc/asterisk/queues.conf: Permission denied"))
    assert check.status is Status.SKIP
    assert "Permission denied" in check.detail
    assert "[callcenter] queues_conf" in check.fix
    assert not check.required
    assert exit_code([check]) == 0


def test_probe_needs_the_doctor_context_on_the_intake_host_and_port() -> None:
    assert rules.probe_blocker(TARGET, emergency(), doctor_context()) is None
    missing = rules.probe_blocker(TARGET, emergency(), None)
    assert missing is not None
    assert missing.status is Status.FAIL
    assert "ec112-doctor" in missing.detail
    elsewhere = rules.probe_blocker(TARGET, emergency(), doctor_context("agi://127.0.0.1:5000/ping"))
    assert elsewhere is not None
    assert elsewhere.status is Status.FAIL
    assert "agi://127.0.0.1:5000/ping" in elsewhere.detail
    assert "agi://127.0.0.1:4573/intake" in elsewhere.detail
    no_ping = rules.probe_blocker(TARGET, emergency(), [DialplanStep("s", "1", "Hangup", "")])
    assert no_ping is not None
    assert "ping" in no_ping.detail


def test_a_recorder_row_only_when_asterisk_cannot_record() -> None:
    assert rules.recorder_check(AgiProbe("SUCCESS", pong=True, recorder=True)) is None
    assert rules.recorder_check(AgiProbe("SUCCESS", pong=True)) is None  # a dialplan that does not say
    assert rules.recorder_check(None) is None
    row = rules.recorder_check(AgiProbe("SUCCESS", pong=True, recorder=False))
    assert row is not None
    assert row.status is Status.WARN
    assert "not recorded" in row.detail
    assert "load => app_mixmonitor.so" in row.fix


def test_fastagi_verdicts() -> None:
    assert rules.fastagi_check(TARGET, AgiProbe("SUCCESS", pong=True)).status is Status.OK
    down = rules.fastagi_check(TARGET, AgiProbe("FAILURE", pong=False))
    assert down.status is Status.FAIL
    assert "is ec112 running?" in down.detail
    assert "agi://127.0.0.1:4573" in down.detail
    assert "ec112 serve" in down.fix
    stranger = rules.fastagi_check(TARGET, AgiProbe("SUCCESS", pong=False))
    assert stranger.status is Status.FAIL
    assert "AGISTATUS=SUCCESS" in stranger.detail
    assert "ss -ltnp" in stranger.fix
    silent = rules.fastagi_check(TARGET, None)
    assert silent.status is Status.FAIL
    assert "app_userevent" in silent.fix


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (SchemaState("at_head", "db", "0002", "0002"), Status.OK),
        (SchemaState("missing", "db", head="0002"), Status.WARN),
        (SchemaState("empty", "db", head="0002"), Status.WARN),
        (SchemaState("behind", "db", "0001", "0002"), Status.WARN),
        (SchemaState("unknown_revision", "db", "0099", "0002"), Status.FAIL),
        (SchemaState("unreachable", "db: OperationalError: refused"), Status.FAIL),
    ],
)
def test_database_verdicts(state: SchemaState, status: Status) -> None:
    check = rules.database_check(state)
    assert check.status is status
    assert (check.fix == "") == (status is Status.OK)


def test_daemon_check_is_informational() -> None:
    down = rules.daemon_check(TARGET, DaemonHealth(False, "ConnectError"))
    assert down.status is Status.WARN
    assert not down.required
    assert "ec112 serve" in down.fix
    assert exit_code([down]) == 0


def test_refused_action_names_the_manager_conf_class() -> None:
    check = rules.refused_check("fastagi", ProbeRefused("Originate", "Permission denied"))
    assert check.status is Status.FAIL
    assert "Permission denied" in check.detail
    assert "`originate`" in check.fix
    assert "manager.conf" in check.fix


def test_exit_code_and_json() -> None:
    ok = Check("ami", Status.OK, "fine")
    warn = Check("queue", Status.WARN, "nobody", "log in")
    failed_optional = Check("daemon", Status.FAIL, "x", "y", required=False)
    assert exit_code([ok, warn, failed_optional]) == 0
    assert exit_code([ok, Check("fastagi", Status.FAIL, "down", "start it")]) == 1
    assert exit_code([ok, rules.skipped("dialplan")]) == 1  # not verified is not passed
    assert warn.as_json() == {"name": "queue", "status": "warn", "ok": True, "required": True,
                              "detail": "nobody", "fix": "log in"}


def test_a_refused_login_names_the_settings_key_and_manager_conf() -> None:
    target = DoctorTarget(ami="127.0.0.1:5038", agi_host="127.0.0.1", agi_port=4573, queue="112", api_url="u",
                          secret_source="[ami] secret di / in var/ec112.toml", manager_conf="/lab/etc/manager.conf")
    check = rules.ami_check(target, AmiLogin("refused", "Authentication failed"))
    assert check.status is Status.FAIL
    assert check.fix.startswith("Samakan [ami] secret di / in var/ec112.toml dengan secret akun [ec112] di "
                                "/lab/etc/manager.conf")
    assert "make [ami] secret di / in var/ec112.toml and the secret of the [ec112] account in /lab/etc/manager.conf" \
        in check.fix
    assert exit_code([check]) == 1
