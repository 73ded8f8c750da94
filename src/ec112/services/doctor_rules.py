"""`ec112 doctor`'s verdicts: facts in, a ``Check`` with a one-line detail and a fix out (pure).

Every fix names the file, setting or command to change: Bahasa Indonesia first, then English.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ec112.routing.dialplan import DOCTOR_CONTEXT, EMERGENCY_CONTEXT, INTAKE_ROUTE, PING_ROUTE
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
)

DEFAULT_AGI_PORT = 4573  # agi:// without a port
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_RELOAD = "`asterisk -rx 'dialplan reload'`"


@dataclass(frozen=True, slots=True)
class AgiUrl:
    host: str
    port: int
    route: str

    def __str__(self) -> str:
        return f"agi://{self.host}:{self.port}/{self.route}"


def agi_url(app_data: str) -> AgiUrl | None:
    """The FastAGI target of an ``AGI()`` step's data; None when it is not a literal agi:// URL."""
    url = app_data.split(",", 1)[0].strip()
    if not url.lower().startswith("agi://") or "$" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_AGI_PORT
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return AgiUrl(parts.hostname, port, parts.path.strip("/"))


def _agi_step(steps: list[DialplanStep], route: str) -> AgiUrl | None:
    for step in steps:
        if step.application.lower() == "agi":
            url = agi_url(step.data)
            if url is not None and url.route == route:
                return url
    return None


def settings_check(loaded: bool, detail: str) -> Check:
    if loaded:
        return Check("settings", Status.OK, detail)
    return Check("settings", Status.FAIL, detail,
                 "Perbaiki file config (--config / EC112_CONFIG) atau variabel EC112_… yang disebut / "
                 "fix the config file (--config / EC112_CONFIG) or the EC112_… variable named above")


def ami_check(target: DoctorTarget, login: AmiLogin) -> Check:
    if login.outcome == "ok":
        version = f"Asterisk {login.asterisk_version}, " if login.asterisk_version else ""
        return Check("ami", Status.OK, f"login OK on {target.ami} ({version}AMI {login.ami_version})")
    if login.outcome == "refused":
        src, conf = target.secret_source, target.manager_conf
        return Check("ami", Status.FAIL, f"Asterisk menolak login / refused the login: {login.error}",
                     f"Samakan {src} dengan secret akun [ec112] di {conf} (periksa juga username dan permit), "
                     f"lalu `asterisk -rx 'manager reload'` / make {src} and the secret of the [ec112] account in "
                     f"{conf} the same (check the username and permit too), then reload the manager")
    return Check("ami", Status.FAIL, f"AMI tidak terjangkau / unreachable at {target.ami}: {login.error}",
                 "Pastikan Asterisk berjalan dan manager.conf [general] enabled=yes, bindaddr/port sama dengan "
                 "[ami] host/port ec112 / make sure Asterisk runs and manager.conf [general] enabled, "
                 "bindaddr and port match ec112's [ami] host/port")


def dialplan_check(target: DoctorTarget, steps: list[DialplanStep] | None) -> Check:
    if steps is None:
        return Check("dialplan", Status.FAIL, f"konteks / context {EMERGENCY_CONTEXT} tidak ada / not found",
                     f"Pasang asterisk-conf/extensions.conf ec112 lalu {_RELOAD} / install ec112's "
                     f"extensions.conf ({EMERGENCY_CONTEXT}) and reload the dialplan")
    intake = _agi_step(steps, INTAKE_ROUTE)
    queues = [s.data.split(",", 1)[0].strip() for s in steps if s.application.lower() == "queue"]
    found = f"{EMERGENCY_CONTEXT}: AGI {intake or '-'}, Queue({', '.join(queues) or '-'})"
    if intake is None:
        return Check("dialplan", Status.FAIL, found + f" — tanpa / no AGI(agi://…/{INTAKE_ROUTE})",
                     f"Baris AGI(agi://host:port/{INTAKE_ROUTE}) di {EMERGENCY_CONTEXT} hilang: pasang extensions.conf "
                     f"ec112 lalu {_RELOAD} / the intake AGI step is missing: reinstall extensions.conf")
    if target.queue not in queues:
        return Check("dialplan", Status.FAIL, f"{found} — [callcenter] queue = {target.queue}",
                     f"Samakan Queue() di {EMERGENCY_CONTEXT} dengan [callcenter] queue ({target.queue}) / make "
                     f"the dialplan's Queue() and [callcenter] queue the same")
    if intake.port != target.agi_port:
        return Check("dialplan", Status.FAIL, f"{found} — [agi] port = {target.agi_port}",
                     f"Samakan port agi:// di extensions.conf dengan [agi] port ec112 ({target.agi_port}), lalu "
                     f"{_RELOAD} / make the dialplan's agi:// port equal ec112's [agi] port")
    if target.agi_host not in _WILDCARD_HOSTS and intake.host != target.agi_host:
        return Check("dialplan", Status.WARN, f"{found} — [agi] host = {target.agi_host}",
                     f"Host agi:// ({intake.host}) berbeda dengan [agi] host ({target.agi_host}); pastikan "
                     f"keduanya alamat yang sama / the agi:// host differs from [agi] host: make sure they "
                     f"name the same address")
    return Check("dialplan", Status.OK, found)


def queue_check(target: DoctorTarget, info: QueueInfo | None) -> Check:
    if info is None:
        return Check("queue", Status.FAIL, f"antrean / queue {target.queue} tidak ada di Asterisk / not found",
                     f"Tambahkan [{target.queue}] di queues.conf (lihat asterisk-conf/) atau samakan "
                     f"[callcenter] queue, lalu `asterisk -rx 'queue reload all'` / add queue {target.queue} "
                     f"to queues.conf or fix [callcenter] queue, then reload queues")
    detail = f"queue {target.queue}: {info.members} anggota / members, {info.paused} dijeda / paused"
    if info.members == 0:
        return Check("queue", Status.WARN, detail,
                     "Belum ada petugas di antrean; panggilan 112 akan menunggu: `ec112 agent login <endpoint>` / "
                     "no call taker is logged in; 112 calls would wait: `ec112 agent login <endpoint>`")
    if info.unreachable:
        names = ", ".join(info.unreachable)
        detail += f", telepon tidak terjangkau / phones unreachable: {names}"
        all_gone = len(info.unreachable) == info.members
        return Check("queue", Status.FAIL if all_gone else Status.WARN, detail,
                     f"Telepon {names} tidak terdaftar atau tidak menjawab OPTIONS: nyalakan softphone-nya atau "
                     f"`ec112 agent logout <endpoint>`; periksa `asterisk -rx 'pjsip show contacts'` / the phones "
                     f"of {names} are not registered or do not answer qualify OPTIONS: start the softphone or log "
                     f"the taker out; check `pjsip show contacts`")
    return Check("queue", Status.OK, detail)


def wrapup_check(target: DoctorTarget, found: QueueWrapup) -> Check:
    """Asterisk's wrapuptime against ec112's wrap-up: informational (an unknown one is not a failure)."""
    ours = f"[callcenter] wrapup_seconds = {target.wrapup_seconds}"
    if found.seconds is None:
        return Check("wrapup", Status.SKIP, f"wrapuptime Asterisk tidak diketahui / unknown: {found.reason}",
                     "Tidak ada aksi AMI yang melaporkan wrapuptime: beri ec112 hak baca atas queues.conf Asterisk "
                     "dan sebutkan di [callcenter] queues_conf, atau samakan sendiri dengan wrapup_seconds / no AMI "
                     "action reports wrapuptime: let ec112 read Asterisk's queues.conf ([callcenter] queues_conf), "
                     "or compare it with wrapup_seconds by hand", required=False)
    theirs = f"queues.conf [{target.queue}] wrapuptime = {found.seconds} ({found.source})"
    if found.seconds == target.wrapup_seconds:
        return Check("wrapup", Status.OK, f"{theirs} = {ours}", required=False)
    return Check("wrapup", Status.WARN, f"{theirs} ≠ {ours}",
                 f"Samakan wrapuptime di [{target.queue}] queues.conf dan [callcenter] wrapup_seconds, lalu "
                 f"`asterisk -rx 'queue reload parameters'` (atau mulai ulang ec112): kalau tidak, konsol menampilkan "
                 f"petugas siap padahal Asterisk belum memanggilnya, atau sebaliknya / make wrapuptime "
                 f"({found.seconds}) and wrapup_seconds ({target.wrapup_seconds}) the same, then reload the queue "
                 f"parameters (or restart ec112): otherwise the console shows a taker available while Asterisk does "
                 f"not ring her yet, or the other way round", required=False)


def probe_blocker(
    target: DoctorTarget, emergency: list[DialplanStep] | None, doctor: list[DialplanStep] | None
) -> Check | None:
    """Why the FastAGI probe cannot prove anything about the intake path; None when it can run."""
    if doctor is None:
        return Check("fastagi", Status.FAIL, f"konteks / context {DOCTOR_CONTEXT} tidak ada / not found",
                     f"Pasang extensions.conf ec112 (konteks {DOCTOR_CONTEXT}) lalu {_RELOAD} / install ec112's "
                     f"extensions.conf ({DOCTOR_CONTEXT} context) and reload the dialplan")
    ping = _agi_step(doctor, PING_ROUTE)
    if ping is None:
        return Check("fastagi", Status.FAIL, f"{DOCTOR_CONTEXT}: tanpa / no AGI(agi://…/{PING_ROUTE})",
                     f"Pasang ulang konteks {DOCTOR_CONTEXT} dari asterisk-conf/extensions.conf lalu {_RELOAD} / "
                     f"reinstall the {DOCTOR_CONTEXT} context and reload the dialplan")
    intake = _agi_step(emergency or [], INTAKE_ROUTE)
    if intake is not None and (intake.host, intake.port) != (ping.host, ping.port):
        return Check("fastagi", Status.FAIL, f"{DOCTOR_CONTEXT} memakai / uses {ping}, intake memakai / uses {intake}",
                     f"Samakan host:port agi:// di {DOCTOR_CONTEXT} dan {EMERGENCY_CONTEXT} / give both contexts "
                     f"the same agi:// host:port")
    return None


def recorder_check(probe: AgiProbe | None) -> Check | None:
    """A row only when the probe said this Asterisk cannot record (its 112 calls go on unrecorded, not dropped)."""
    if probe is None or probe.recorder is not False:
        return None
    return Check("recorder", Status.WARN, "app_mixmonitor tidak dimuat: panggilan 112 tidak direkam / not loaded: "
                 "112 calls are not recorded",
                 "Muat modulnya / load it: `load => app_mixmonitor.so` (dan / and `load => func_module.so`) di / in "
                 "modules.conf, lalu / then `asterisk -rx 'module load app_mixmonitor.so'`")


def fastagi_check(target: DoctorTarget, probe: AgiProbe | None) -> Check:
    where = f"agi://{target.agi_host}:{target.agi_port}"
    if probe is None:
        return Check("fastagi", Status.FAIL, f"tidak ada hasil probe dalam / no probe result within "
                     f"{target.probe_timeout:g} s",
                     f"Pastikan app_userevent.so dimuat (modules.conf), akun AMI membaca kelas user, dan konteks "
                     f"{DOCTOR_CONTEXT} sesuai asterisk-conf/; ec112 yang macet juga tampak begini / load "
                     f"app_userevent.so, give the AMI account read=user, install {DOCTOR_CONTEXT}; a frozen "
                     f"ec112 looks the same")
    if probe.pong:
        return Check("fastagi", Status.OK, f"Asterisk → {where}: ec112 menjawab / answered ({PING_ROUTE})")
    if probe.agi_status.upper() == "FAILURE":
        return Check("fastagi", Status.FAIL, f"tidak ada yang menjawab / nothing answers on {where} — apakah "
                     f"ec112 berjalan? / is ec112 running?",
                     f"Tidak ada yang menjawab di {where}: jalankan ec112 (`systemctl start ec112` atau "
                     f"`ec112 serve`) dan periksa firewall antara Asterisk dan ec112 / nothing answers on {where} "
                     f"— is ec112 running? Start it and check the firewall between Asterisk and ec112")
    return Check("fastagi", Status.FAIL, f"{where} menjawab tanpa pong / answered without a pong "
                 f"(AGISTATUS={probe.agi_status or '-'})",
                 f"Program lain memakai {where}, atau ec112 versi lama tanpa rute ping: periksa `ss -ltnp` dan "
                 f"mulai ulang ec112 / another program holds {where}, or an older ec112 without the ping route "
                 f"runs: check `ss -ltnp` and restart ec112")


def database_check(state: SchemaState) -> Check:
    if state.state == "at_head":
        return Check("database", Status.OK, f"{state.detail}: skema / schema {state.current} (head)")
    if state.state == "unreachable":
        return Check("database", Status.FAIL, state.detail,
                     "Periksa [database] url (EC112_DATABASE__URL), server basis data dan hak aksesnya / "
                     "check [database] url, that the database server runs and ec112 may connect")
    if state.state in ("missing", "empty"):
        return Check("database", Status.WARN, f"{state.detail}: belum dibuat / not created yet",
                     "`ec112 serve` membuat dan memigrasi basis data saat mulai / `ec112 serve` creates and "
                     "migrates the database when it starts")
    if state.state == "behind":
        return Check("database", Status.WARN, f"{state.detail}: skema / schema {state.current}, kode / code "
                     f"{state.head}",
                     "Mulai ulang ec112: migrasi berjalan otomatis saat mulai / restart ec112: it migrates at start")
    return Check("database", Status.FAIL, f"{state.detail}: revisi / revision {state.current} tidak dikenal / "
                 f"unknown (head {state.head})",
                 "Basis data dari versi ec112 yang lebih baru: pasang versi itu atau pulihkan cadangan / the "
                 "database comes from a newer ec112: install that version or restore a backup")


def daemon_check(target: DoctorTarget, health: DaemonHealth) -> Check:
    if health.reachable:
        return Check("daemon", Status.OK, f"{target.api_url}: {health.detail}", required=False)
    return Check("daemon", Status.WARN, f"API {target.api_url} tidak terjangkau / unreachable: {health.detail}",
                 "Jalankan `ec112 serve` (atau `systemctl start ec112`); periksa [web] host/port atau --api / "
                 "start `ec112 serve`; check [web] host/port or --api", required=False)


def skipped(name: str, because: str = "ami") -> Check:
    return Check(name, Status.SKIP, f"tidak diperiksa: {because} gagal / not checked: {because} failed",
                 f"Perbaiki pemeriksaan {because} dulu / fix the {because} check first")


def refused_check(name: str, exc: ProbeRefused) -> Check:
    grant = {"ShowDialPlan": "reporting", "Originate": "originate"}.get(exc.action, "")
    hint = f"tambahkan `{grant}` pada write= / add `{grant}` to write= " if grant else ""
    return Check(name, Status.FAIL, f"Asterisk menolak / refused {exc.action}: {exc.message}",
                 f"Hak akun [ec112] di manager.conf kurang: {hint}(lihat / see asterisk-conf/manager.conf), lalu "
                 f"`asterisk -rx 'manager reload'` / the AMI account lacks a permission")


def unexpected_check(name: str, detail: str) -> Check:
    return Check(name, Status.FAIL, f"galat tak terduga / unexpected error: {detail}",
                 "Jalankan lagi dengan --verbose dan laporkan lognya / run again with --verbose and report the log")
