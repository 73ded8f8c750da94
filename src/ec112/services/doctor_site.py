"""`ec112 doctor` against a site file: is the running Asterisk the one `ec112 site render` described? (issue 17)

Four rows, added when ``[site] file`` is set: ``includes`` (ec112's dialplan contexts are loaded, i.e. the
``#include`` of extensions_ec112.conf was added and reloaded), ``endpoints`` (every call taker, supervisor and the
drill account exists, and is ec112's: its ``context`` is ec112's), ``trunks`` (an IP trunk's endpoint exists, a
registering trunk is ``Registered``) and ``members`` (every member of the 112 queue is one of the site's people).

Why these AMI actions: ec112's account has no ``system`` write class (it would allow GetConfig of every file,
manager.conf's secrets included), so PJSIPShowEndpoint(s) is refused. ``Getvar`` (write ``call``) of the dialplan
function ``PJSIP_ENDPOINT(<name>,context)`` without a channel runs on a dummy channel (main/manager.c
``action_getvar``, Asterisk 16 and 22) and answers an empty value for an unknown endpoint
(funcs/func_pjsip_endpoint.c); PJSIPShowRegistrationsOutbound is allowed by ``reporting``. ShowDialPlan and
QueueStatus are the doctor's own. No I/O here: the adapter implements ``SiteProbe``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ec112.services.doctor import Check, ProbeRefused, QueueInfo, Status

SITE_CHECKS: tuple[str, ...] = ("includes", "endpoints", "trunks", "members")
INTERFACE_PREFIX = "PJSIP/"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SiteTrunk:
    name: str
    registers: bool  # True: a ``<name>-reg`` registration must be Registered


@dataclass(frozen=True, slots=True)
class SiteExpectation:
    """What the site file says Asterisk must have (built by the CLI from ``ec112.site.model.Site``)."""

    site_file: str
    rendered_dir: str  # where the include files are (named in the fixes)
    contexts: tuple[str, ...]  # ec112's dialplan contexts
    endpoints: Mapping[str, str]  # person/drill endpoint → the context ec112 gives it
    trunks: tuple[SiteTrunk, ...]
    trunk_context: str

    def include_line(self, file: str) -> str:
        return f'#include "{self.rendered_dir}/{file}"'


class SiteProbe(Protocol):
    async def dialplan_contexts(self, contexts: tuple[str, ...]) -> list[str]:
        """The contexts of ``contexts`` Asterisk does not have. May raise ``ProbeRefused``."""

    async def endpoint_context(self, name: str) -> str | None:
        """The endpoint's ``context``; None when Asterisk has no such endpoint. May raise ``ProbeRefused``."""

    async def registrations(self) -> dict[str, str]:
        """Outbound registration name → status (Registered, Unregistered, Rejected…). May raise ``ProbeRefused``."""

    async def queue(self, name: str) -> QueueInfo | None: ...


Guard = Callable[[str, Callable[[], Awaitable[Check]]], Awaitable[Check]]


async def site_checks(expect: SiteExpectation, probe: SiteProbe, queue: str, guard: Guard) -> list[Check]:
    """The four rows, each under ``guard`` (the doctor's per-check deadline: a probe error becomes a FAIL row)."""

    async def includes() -> Check:
        return includes_check(expect, await _refusable("includes", probe.dialplan_contexts(expect.contexts)))

    async def endpoints() -> Check:
        found = {name: await _refusable("endpoints", probe.endpoint_context(name)) for name in expect.endpoints}
        return endpoints_check(expect, found)

    async def trunks() -> Check:
        found = {t.name: await _refusable("trunks", probe.endpoint_context(t.name)) for t in expect.trunks}
        registrations = await _refusable("trunks", probe.registrations()) if any(
            t.registers for t in expect.trunks) else {}
        return trunks_check(expect, found, registrations)

    async def members() -> Check:
        return members_check(expect, queue, await probe.queue(queue))

    return [await guard("includes", includes), await guard("endpoints", endpoints),
            await guard("trunks", trunks), await guard("members", members)]


class SiteVerdict(Exception):
    """A refused action, as a ready-made FAIL row (caught by the doctor's guard)."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.detail)
        self.check = check


async def _refusable(name: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except ProbeRefused as exc:
        grant = {"ShowDialPlan": "reporting", "Getvar": "call", "PJSIPShowRegistrationsOutbound": "reporting"}
        raise SiteVerdict(Check(
            name, Status.FAIL, f"Asterisk menolak / refused {exc.action}: {exc.message}",
            f"Akun [ec112] di manager_ec112.conf butuh write `{grant.get(exc.action, '?')}` (jangan tambah `system`), "
            f"lalu `asterisk -rx 'manager reload'` / the [ec112] AMI account needs that write class")) from exc


def includes_check(expect: SiteExpectation, missing: list[str]) -> Check:
    if not missing:
        return Check("includes", Status.OK, f"{len(expect.contexts)} konteks ec112 dimuat / ec112 contexts loaded")
    line = expect.include_line("extensions_ec112.conf")
    return Check("includes", Status.FAIL, f"konteks tidak ada / contexts missing: {', '.join(missing)}",
                 f"Tambahkan `{line}` di akhir extensions.conf lalu `asterisk -rx 'dialplan reload'` / add that line "
                 f"to extensions.conf (ec112 site render printed it) and reload the dialplan")


def _pjsip_fix(expect: SiteExpectation) -> str:
    line = expect.include_line("pjsip_ec112.conf")
    return (f"Tambahkan `{line}` di pjsip.conf, jalankan ulang `ec112 site render` bila {expect.site_file} berubah, "
            f"lalu `asterisk -rx 'module reload res_pjsip.so'`; nama endpoint ec112 tidak boleh dipakai endpoint lain "
            f"/ add that line to pjsip.conf, render again after editing the site file, reload res_pjsip; ec112's "
            f"endpoint names must not be used by the admin's own endpoints")


def _endpoint_problems(expected: Mapping[str, str], found: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    missing = [name for name in expected if found.get(name) is None]
    foreign = [f"{name} (context {found[name]})" for name in expected
               if found.get(name) is not None and found[name] != expected[name]]
    return missing, foreign


def endpoints_check(expect: SiteExpectation, found: Mapping[str, str | None]) -> Check:
    missing, foreign = _endpoint_problems(expect.endpoints, found)
    if not missing and not foreign:
        return Check("endpoints", Status.OK, f"{len(expect.endpoints)} endpoint ada / present ({expect.site_file})")
    detail = "; ".join(part for part in (
        f"tidak ada / missing: {', '.join(missing)}" if missing else "",
        f"bukan milik ec112 / not ec112's: {', '.join(foreign)}" if foreign else "") if part)
    if missing and len(missing) == len(expect.endpoints):
        detail += " (semua / all: atau / or func_pjsip_endpoint.so tidak dimuat / not loaded)"
    return Check("endpoints", Status.FAIL, detail, _pjsip_fix(expect))


def trunks_check(expect: SiteExpectation, found: Mapping[str, str | None], registrations: Mapping[str, str]) -> Check:
    wanted = {t.name: expect.trunk_context for t in expect.trunks}
    missing, foreign = _endpoint_problems(wanted, found)
    unregistered = [f"{t.name} ({registrations.get(f'{t.name}-reg', 'tidak ada / none')})" for t in expect.trunks
                    if t.registers and t.name not in missing and registrations.get(f"{t.name}-reg") != "Registered"]
    summary = ", ".join(f"{t.name} ({'register' if t.registers else 'ip'})" for t in expect.trunks)
    if not missing and not foreign and not unregistered:
        return Check("trunks", Status.OK, f"trunk OK: {summary}")
    if missing or foreign:
        problems = [*(f"{name} tidak ada / missing" for name in missing), *foreign]
        return Check("trunks", Status.FAIL, "; ".join(problems), _pjsip_fix(expect))
    names = ", ".join(unregistered)
    return Check("trunks", Status.FAIL, f"belum terdaftar / not registered: {names}",
                 f"Periksa password trunk di secrets situs (site.secrets.toml [trunks]), server/username di "
                 f"{expect.site_file} dan `asterisk -rx 'pjsip show registrations'` / check the trunk's password in "
                 f"the site's secrets file, its server/username in the site file and Asterisk's registrations")


def members_check(expect: SiteExpectation, queue: str, info: QueueInfo | None) -> Check:
    if info is None:
        line = expect.include_line("queues_ec112.conf")
        return Check("members", Status.FAIL, f"antrean / queue {queue} tidak ada / not found",
                     f"Tambahkan `{line}` di queues.conf lalu `asterisk -rx 'queue reload all'` / add that line to "
                     f"queues.conf and reload the queues")
    people = {f"{INTERFACE_PREFIX}{name}".lower() for name in expect.endpoints}
    strangers = sorted(i for i in info.interfaces if i.lower() not in people)
    if not strangers:
        return Check("members", Status.OK, f"{len(info.interfaces)} anggota, semua dari / members, all in "
                     f"{expect.site_file}")
    names = ", ".join(strangers)
    return Check("members", Status.WARN, f"bukan petugas situs / not in the site file: {names}",
                 f"Keluarkan dari antrean: `asterisk -rx 'queue remove member {strangers[0]} from {queue}'` (petugas "
                 f"yang dihapus dari {expect.site_file}) / remove the member(s) left over from a removed call taker "
                 f"from queue {queue}")
