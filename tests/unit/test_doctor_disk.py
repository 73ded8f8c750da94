"""`ec112 doctor` checks the free disk where recordings and the SQLite database are written, against
``[operations] min_free_disk_mb`` (measured for real on this machine's disk)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ec112.cli.doctor_disk import disk_checks, measure
from ec112.config.settings import Settings
from ec112.services.doctor import Status, exit_code
from ec112.services.doctor_disk import MB, DiskSpace, disk_check


def _settings(tmp_path: Path, min_free_mb: int, url: str = "sqlite+aiosqlite:///db/ec112.sqlite3") -> Settings:
    return Settings(lab_mode=True, var_dir=tmp_path, database={"url": url},
                    recording={"directory": str(tmp_path / "rec")}, operations={"min_free_disk_mb": min_free_mb})


def test_enough_room_passes_and_names_the_directories(tmp_path: Path) -> None:
    (tmp_path / "rec").mkdir()
    recordings, database = disk_checks(_settings(tmp_path, 1))
    assert (recordings.name, recordings.status) == ("disk-recordings", Status.OK)
    assert str(tmp_path / "rec") in recordings.detail
    assert (database.name, database.status) == ("disk-database", Status.OK)
    assert str(tmp_path) in database.detail  # db/ is not made yet: its nearest parent's disk is measured
    assert "(minimum 1 MB)" in database.detail
    assert exit_code([recordings, database]) == 0


def test_too_little_room_fails_the_doctor_with_what_to_do(tmp_path: Path) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // MB
    checks = disk_checks(_settings(tmp_path, free_mb + 1024))  # more than this disk has
    assert [c.status for c in checks] == [Status.FAIL, Status.FAIL]
    assert all(f"(minimum {free_mb + 1024} MB)" in c.detail and "min_free_disk_mb" in c.fix for c in checks)
    assert "Kosongkan disk rekaman" in checks[0].fix
    assert exit_code(checks) == 1


def test_a_database_server_is_not_this_hosts_disk(tmp_path: Path) -> None:
    _recordings, database = disk_checks(
        _settings(tmp_path, 1, "postgresql+asyncpg://ec112:pw@db.example:5432/ec112"))
    assert (database.status, database.required) == (Status.SKIP, False)
    assert "pw" not in database.detail
    assert exit_code([database]) == 0


def test_the_limit_is_inclusive_and_an_unmeasurable_directory_fails() -> None:
    assert disk_check(DiskSpace("recordings", "/x", free_bytes=2048 * MB), 2048).status is Status.OK
    assert disk_check(DiskSpace("recordings", "/x", free_bytes=2048 * MB - 1), 2048).status is Status.FAIL
    failed = disk_check(DiskSpace("database", "/x", error="Permission denied"), 2048)
    assert (failed.status, failed.detail) == (Status.FAIL, "/x: Permission denied")
    assert measure("recordings", Path("/nonexistent/ec112/rec")).path == "/"
