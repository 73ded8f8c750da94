"""`ec112 doctor`: is there room left on the disks ec112 writes to (no I/O here)?

A full disk stops recordings (MixMonitor writes nothing) and, for SQLite, every ticket insert: a 112 call would
then ring with no ticket. The CLI measures (``shutil.disk_usage`` of the recordings directory and of the SQLite
database's directory); this module turns the numbers into a verdict against ``[operations] min_free_disk_mb``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec112.services.doctor import Check, Status

MB = 1024 * 1024
WHAT = {"recordings": ("rekaman", "recordings"), "database": ("basis data SQLite", "the SQLite database")}


@dataclass(frozen=True, slots=True)
class DiskSpace:
    """What was measured for one directory: its free bytes, or why it could not be measured."""

    what: str  # "recordings" | "database"
    path: str  # the directory measured (the nearest existing one)
    free_bytes: int | None = None
    error: str = ""


def disk_check(space: DiskSpace, min_free_mb: int) -> Check:
    """FAIL below ``min_free_mb`` MiB free on the disk of ``space.path``."""
    name = f"disk-{space.what}"
    id_, en = WHAT.get(space.what, (space.what, space.what))
    if space.free_bytes is None:
        return Check(name, Status.FAIL, f"{space.path}: {space.error}",
                     f"Periksa direktori {id_} / check the {en} directory: {space.path}")
    free_mb = space.free_bytes // MB
    detail = f"{free_mb} MB bebas / free di / on {space.path} (minimum {min_free_mb} MB)"
    if free_mb >= min_free_mb:
        return Check(name, Status.OK, detail)
    return Check(name, Status.FAIL, detail,
                 f"Kosongkan disk {id_} (rekaman lama, cadangan, log) atau tambah kapasitas / free space on the disk "
                 f"of {en} (old recordings, backups, logs) or add capacity; [operations] min_free_disk_mb sets the "
                 "minimum")


def not_local(what: str, detail: str) -> Check:
    """A database on a server: its disk is that server's to watch (not a failure of this host)."""
    return Check(f"disk-{what}", Status.SKIP, detail, required=False)
