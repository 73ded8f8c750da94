"""packaging/ec112.logrotate, run for real by logrotate on a copy pointed at temporary directories: ec112's own
log (held open, O_APPEND, as a redirected stderr is) keeps being written after copytruncate, and the CDR file the
backfill reads is renamed and recreated, which ec112's tail reader notices."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from ec112.records.tail import read_chunk

SHIPPED = Path(__file__).resolve().parents[2] / "packaging" / "ec112.logrotate"
LOGROTATE = shutil.which("logrotate") or ("/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None)

@pytest.fixture(autouse=True)
def _logrotate_is_installed() -> None:
    # scripts/install.sh installs it: a missing logrotate fails here, it is not a skip counted as a pass
    assert LOGROTATE is not None, "logrotate is not installed (make install installs it)"


def _config(tmp_path: Path) -> Path:
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in (("/var/lib/ec112/log", str(tmp_path / "log")),
                     ("/var/log/asterisk/cdr-custom", str(tmp_path / "cdr")),
                     ("su ec112 ec112", f"su {user} {group}"), ("asterisk asterisk", f"{user} {group}")):
        assert old in text, old
        text = text.replace(old, new)
    conf = tmp_path / "ec112.logrotate"
    conf.write_text(text, encoding="utf-8")
    return conf


def test_the_shipped_file_rotates_the_log_in_place_and_the_records_by_rename(tmp_path: Path) -> None:
    conf = _config(tmp_path)
    (tmp_path / "log").mkdir(mode=0o755)
    (tmp_path / "cdr").mkdir(mode=0o755)
    log, cdr = tmp_path / "log" / "ec112.log", tmp_path / "cdr" / "ec112-cdr.csv"
    cdr.write_text('"112","+62811","2026-12-02 10:00:00"\n', encoding="utf-8")
    before = read_chunk(cdr, None, 1 << 16).position
    with log.open("a", encoding="utf-8") as stderr:  # how a daemon's redirected stderr holds its log
        stderr.write("sebelum / before\n")
        stderr.flush()
        done = subprocess.run([str(LOGROTATE), "--force", "--state", str(tmp_path / "state"), str(conf)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        stderr.write("sesudah / after\n")
        stderr.flush()
    assert log.read_bytes() == b"sesudah / after\n"  # the same file goes on, from its start (no hole of NULs)
    assert (tmp_path / "log" / "ec112.log.1").read_text(encoding="utf-8") == "sebelum / before\n"
    assert (tmp_path / "cdr" / "ec112-cdr.csv.1").read_text(encoding="utf-8").startswith('"112"')
    assert cdr.read_bytes() == b""
    assert cdr.stat().st_mode & 0o777 == 0o640
    cdr.write_text('"112","+62812","2026-12-02 10:05:00"\n', encoding="utf-8")  # Asterisk's next CDR
    after = read_chunk(cdr, before, 1 << 16)
    assert after.restarted  # the backfill reads the new file from its start
    assert [text for _, text in after.lines] == ['"112","+62812","2026-12-02 10:05:00"']
