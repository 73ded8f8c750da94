"""The dialplan contract (ec112.routing.dialplan) is what the rendered asterisk-conf/ really says.

The templates stay plain Asterisk for a telephony admin; this test is what keeps them and the Python
constants from drifting apart: every context, AGI route, channel variable and the doctor's UserEvent.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ec112.lab.render import new_lab_config, render
from ec112.routing import dialplan


def _sections(text: str) -> dict[str, list[str]]:
    """``[context]`` → its lines, comments and blank lines dropped (Asterisk's own ``;`` comments); a section
    ``[name](template)`` starts with its template's lines, as Asterisk reads it."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        header = re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line)
        if header:
            current = sections.setdefault(header.group(1), [])
            for template in filter(None, (header.group(2) or "").split(",")):
                current.extend(sections.get(template.strip(), []))
        elif current is not None:
            current.append(line)
    return sections


@pytest.fixture(scope="module")
def etc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = new_lab_config(tmp_path_factory.mktemp("contract") / "lab")
    return render(config).parent


@pytest.fixture(scope="module")
def extensions(etc: Path) -> dict[str, list[str]]:
    return _sections((etc / "ec112" / "extensions_ec112.conf").read_text())


def _agi_routes(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines for m in [re.search(r"AGI\(agi://[^/)]+/([A-Za-z0-9_-]+)[,)]", line)] if m]


def test_every_context_of_the_contract_exists(extensions: dict[str, list[str]]) -> None:
    for context in (dialplan.TRUNK_CONTEXT, dialplan.EMERGENCY_CONTEXT, dialplan.DOCTOR_CONTEXT,
                    *dialplan.CALL_CONTEXTS):
        assert context in extensions, f"[{context}] missing from the rendered extensions.conf"


def test_the_trunk_enters_the_emergency_context(etc: Path, extensions: dict[str, list[str]]) -> None:
    assert any(f"Goto({dialplan.EMERGENCY_CONTEXT},112,1)" in line for line in extensions[dialplan.TRUNK_CONTEXT])
    pjsip = _sections((etc / "ec112" / "pjsip_ec112.conf").read_text())
    assert f"context = {dialplan.TRUNK_CONTEXT}" in pjsip["trunk"]


def test_the_emergency_context_calls_the_intake_route_and_honours_the_ticket_variable(
    extensions: dict[str, list[str]],
) -> None:
    lines = extensions[dialplan.EMERGENCY_CONTEXT]
    assert _agi_routes(lines) == [dialplan.INTAKE_ROUTE]
    text = "\n".join(lines)
    assert f"Set({dialplan.TICKET_VARIABLE}=)" in text  # cleared before the AGI: only ec112 sets it
    assert f'GotoIf($["${{{dialplan.TICKET_VARIABLE}}}" != ""]?announce)' in text
    assert f"Set({dialplan.FALLBACK_VARIABLE}=1)" in text
    # Without a ticket the call skips what ec112 chose and goes to the queue; with one, ec112's prompts first.
    assert "Goto(queue)" in text
    for variable in (dialplan.ANNOUNCE_VARIABLE, dialplan.PRIORITY_VARIABLE):
        assert f"Set({variable}=)" in text  # cleared before the AGI: only ec112 sets them
    assert f'GotoIf($["${{{dialplan.ANNOUNCE_VARIABLE}}}" = ""]?queue)' in text  # core: no module to miss
    assert f"n,Playback(${{{dialplan.ANNOUNCE_VARIABLE}}})" in text
    assert f"Set(CHANNEL(musicclass)={dialplan.WAITING_MUSIC_CLASS})" in text


def test_ec112_can_only_lower_the_queue_priority_of_an_ordinary_call(extensions: dict[str, list[str]]) -> None:
    from ec112.domain.call_handling import NORMAL_PRIORITY

    text = "\n".join(extensions[dialplan.EMERGENCY_CONTEXT])
    assert f'?${{{dialplan.PRIORITY_VARIABLE}}}:{NORMAL_PRIORITY})' in text


def test_the_doctor_context_calls_the_ping_route_and_reports_the_contract_event(
    extensions: dict[str, list[str]],
) -> None:
    lines = extensions[dialplan.DOCTOR_CONTEXT]
    assert _agi_routes(lines) == [dialplan.PING_ROUTE]
    assert lines[0].startswith("exten => s,")  # the extension dialplan.probe_channel() originates
    assert dialplan.probe_channel() == f"Local/s@{dialplan.DOCTOR_CONTEXT}"
    event = next(line for line in lines if "UserEvent(" in line)
    token, status, pong, recorder = dialplan.PROBE_EVENT_FIELDS
    assert (f"UserEvent({dialplan.PROBE_EVENT},{token}: ${{{dialplan.PROBE_VARIABLE}}},{status}: ${{AGISTATUS}},"
            f"{pong}: ${{{dialplan.PONG_VARIABLE}}},{recorder}: ${{IFMODULE(app_mixmonitor.so)}})") in event


def test_every_mixmonitor_is_skipped_rather_than_hang_up_without_the_module(extensions: dict[str, list[str]]) -> None:
    """An unknown application hangs the call up: a 112 call goes on unrecorded when app_mixmonitor is absent."""
    for context, lines in extensions.items():
        for index, line in enumerate(lines):
            if "MixMonitor(" in line and not line.lstrip().startswith(";"):
                guard = next(x for x in reversed(lines[:index]) if not x.lstrip().startswith(";"))
                assert '$["${IFMODULE(app_mixmonitor.so)}" != "1"]' in guard, (context, line)


def test_both_agi_steps_use_the_same_fastagi_address(extensions: dict[str, list[str]]) -> None:
    def address(context: str) -> set[str]:
        return set(re.findall(r"AGI\(agi://([^/)]+)/", "\n".join(extensions[context])))

    assert address(dialplan.EMERGENCY_CONTEXT) == address(dialplan.DOCTOR_CONTEXT)
    assert len(address(dialplan.DOCTOR_CONTEXT)) == 1


def test_the_geolocation_read_names_the_dialplan_function_of_res_geolocation() -> None:
    assert dialplan.GEOLOC_READ.split("|") == [
        "${GEOLOC_PROFILE(format)}", "${GEOLOC_PROFILE(method)}", "${GEOLOC_PROFILE(confidence)}",
        "${GEOLOC_PROFILE(location_info)}"]


def test_no_other_python_module_restates_a_contract_name() -> None:
    """Contexts, variables and the doctor's event are spelled once, in routing/dialplan.py (routes are
    left out: "intake" and "ping" are also ordinary words elsewhere)."""
    names = {dialplan.TRUNK_CONTEXT, dialplan.EMERGENCY_CONTEXT, dialplan.DOCTOR_CONTEXT, dialplan.TICKET_VARIABLE,
             dialplan.FALLBACK_VARIABLE, dialplan.PROBE_VARIABLE, dialplan.PONG_VARIABLE, dialplan.PROBE_EVENT,
             dialplan.GEOLOC_READ}
    package = Path(dialplan.__file__).resolve().parents[1]
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "dialplan.py" and path.parent.name == "routing":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(package)}:{node.lineno}: {node.value!r}")
    assert not found, "use ec112.routing.dialplan instead:\n" + "\n".join(found)


def test_text_to_112_is_the_trunks_message_context_and_fails_open(etc: Path,
                                                                   extensions: dict[str, list[str]]) -> None:
    pjsip = _sections((etc / "ec112" / "pjsip_ec112.conf").read_text())
    assert f"message_context = {dialplan.TEXT_CONTEXT}" in pjsip[dialplan.TRUNK_ENDPOINT]
    text = extensions[dialplan.TEXT_CONTEXT]
    assert _agi_routes(text) == [dialplan.TEXT_ROUTE]
    joined = "\n".join(text)
    for name in dialplan.TEXT_READ.replace("${", "").replace("}", "").split("|"):
        assert f"Set({name}=" in joined
    assert f'GotoIf($["${{{dialplan.TEXT_TICKET_VARIABLE}}}" != ""]?done)' in joined
    assert f"Set(FILE(${{ASTSPOOLDIR}}/{dialplan.TEXT_SPOOL_FILE},,,a)=v1|" in joined
    assert f"MessageSend(pjsip:{dialplan.TRUNK_ENDPOINT}/sip:" in joined
    manager = (etc / "ec112" / "manager_ec112.conf").read_text()
    assert re.search(r"^write = .*\bmessage\b", manager, re.M)


def test_the_callback_context_checks_what_ec112_sends_and_reports_the_contract_event(
    etc: Path, extensions: dict[str, list[str]]
) -> None:
    callback = extensions[dialplan.CALLBACK_CONTEXT]
    text = "\n".join(callback)
    for variable in (dialplan.CALLBACK_NUMBER_VARIABLE, dialplan.CALLBACK_TRUNK_VARIABLE,
                     dialplan.CALLBACK_RING_VARIABLE):
        assert re.search(r'REGEX\("\^[^"]+\$" \$\{' + variable + r"\}\)", text), variable  # each one checked
    assert any(line.startswith("exten => _X!,1,") for line in callback)  # the extension is the task's id
    [dial] = [line for line in callback if "Dial(" in line]
    assert f"PJSIP/${{{dialplan.CALLBACK_NUMBER_VARIABLE}}}@${{{dialplan.CALLBACK_TRUNK_VARIABLE}}}" in dial
    assert "U(ec112-callback-greeting)" in dial
    assert any(f"UserEvent({dialplan.CALLBACK_EVENT},Task: " in line and "DialStatus: " in line
               for line in callback if line.startswith("exten => h,"))
    assert any("/id/callback-greeting&" in line and "/en/callback-greeting" in line
               for line in extensions["ec112-callback-greeting"])
    pjsip = _sections((etc / "ec112" / "pjsip_ec112.conf").read_text())
    assert "aors = trunk" in pjsip["trunk"]
    assert any(line.startswith("contact = sip:127.0.0.1:") for line in pjsip["trunk"])
