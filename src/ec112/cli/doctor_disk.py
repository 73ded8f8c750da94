"""`ec112 doctor`'s disk checks: free space where the recordings and the SQLite database are written.

Measured with ``shutil.disk_usage`` on the directory, or on its nearest existing parent when it is not made yet
(it will be made on that disk). The verdict is ``services.doctor_disk``'s.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ec112.config.settings import Settings
from ec112.services.doctor import Check
from ec112.services.doctor_disk import DiskSpace, disk_check, not_local


def disk_checks(settings: Settings) -> list[Check]:
    from sqlalchemy.engine import make_url  # here: other commands do not pay for SQLAlchemy

    from ec112.recording_wiring import recordings_directory

    minimum = settings.operations.min_free_disk_mb
    checks = [disk_check(measure("recordings", recordings_directory(settings)), minimum)]
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        checks.append(not_local("database", f"{url.get_backend_name()} @ {url.host or 'localhost'}: "
                                            "disk server basis data / the database server's own disk"))
    elif not url.database or url.database == ":memory:":
        checks.append(not_local("database", "SQLite di memori / in memory"))
    else:
        checks.append(disk_check(measure("database", Path(url.database).parent), minimum))
    return checks


def measure(what: str, directory: Path) -> DiskSpace:
    path = directory.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return DiskSpace(what, str(path), free_bytes=shutil.disk_usage(path).free)
    except OSError as exc:
        return DiskSpace(what, str(path), error=exc.strerror or type(exc).__name__)
