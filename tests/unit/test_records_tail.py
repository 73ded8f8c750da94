"""Reading record files in bounded chunks: whole lines only, rotation, truncation, overlong lines; and the
reader that reads both files (CDR first) and logs and skips malformed lines."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from test_records_parsers import ABANDONED_CDR, ANSWERED_CDR, QUEUE_LOG

from ec112.domain.recorded_calls import FilePosition
from ec112.records import AsteriskRecords
from ec112.records.tail import read_chunk


def test_reads_only_whole_lines_and_goes_on_where_it_stopped(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"1|a\n2|b\n3|c-half")
    first = read_chunk(log, None, 1 << 20)
    assert [text for _, text in first.lines] == ["1|a", "2|b"]
    assert first.position.offset == 8
    assert first.at_end
    assert not first.restarted
    with log.open("ab") as f:
        f.write(b"-done\n4|d\n")
    second = read_chunk(log, first.position, 1 << 20)
    assert second.lines == [(8, "3|c-half-done"), (22, "4|d")]
    assert read_chunk(log, second.position, 1 << 20).lines == []


def test_bounded_chunks(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"".join(f"{n:04d}|line\n".encode() for n in range(100)))  # 10 bytes a line
    position, seen, reads = None, [], 0
    while True:
        chunk = read_chunk(log, position, 64)
        seen += [text for _, text in chunk.lines]
        position, reads = chunk.position, reads + 1
        if chunk.at_end:
            break
    assert seen == [f"{n:04d}|line" for n in range(100)]
    assert reads >= 100 * 10 // 64


def test_a_line_longer_than_a_chunk_is_skipped(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"x" * 100 + b"\n1|ok\n")
    position, seen, skipped = None, [], 0
    for _ in range(10):
        chunk = read_chunk(log, position, 64)
        seen += [text for _, text in chunk.lines]
        skipped += chunk.skipped_bytes
        position = chunk.position
        if chunk.at_end:
            break
    assert skipped == 64
    assert seen[-1] == "1|ok"  # the overlong line's tail comes out as one (malformed) line, then the rest


def test_rotation_to_a_new_file_starts_over(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"100|first file\n101|more\n")
    done = read_chunk(log, None, 1 << 20)
    os.rename(log, tmp_path / "queue_log.0")  # `logger rotate`
    log.write_bytes(b"200|second file\n")
    again = read_chunk(log, done.position, 1 << 20)
    assert again.restarted
    assert [text for _, text in again.lines] == ["200|second file"]


def test_truncation_in_place_starts_over(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"100|first\n101|second\n102|third\n")
    done = read_chunk(log, None, 1 << 20)
    log.write_bytes(b"300|x\n")  # copytruncate: same inode, shorter
    shorter = read_chunk(log, done.position, 1 << 20)
    assert shorter.restarted
    assert [t for _, t in shorter.lines] == ["300|x"]
    # truncated and then written past the old offset before we looked: the first line tells
    log.write_bytes(b"400|a much longer first line than before\n401|y\n")
    grown = read_chunk(log, shorter.position, 1 << 20)
    assert grown.restarted
    assert next(t for _, t in grown.lines).startswith("400|")


def test_a_file_whose_first_line_is_still_being_written_is_not_a_rotation(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_bytes(b"100|fir")
    early = read_chunk(log, None, 1 << 20)
    assert early.lines == []
    assert early.position.offset == 0
    with log.open("ab") as f:
        f.write(b"st\n")
    later = read_chunk(log, early.position, 1 << 20)
    assert [t for _, t in later.lines] == ["100|first"]
    assert not later.restarted


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_chunk(tmp_path / "nope", FilePosition("x", 10), 1024)


def _records(tmp_path: Path, **kw: object) -> AsteriskRecords:
    return AsteriskRecords(cdr_csv=tmp_path / "cdr.csv", queue_log=tmp_path / "queue_log", queue="112",
                           emergency_contexts=("ec112-emergency",), **kw)  # type: ignore[arg-type]


def test_reader_reads_both_files_and_skips_malformed_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    (tmp_path / "cdr.csv").write_text(f"{ANSWERED_CDR}\nnot,a,cdr\n{ABANDONED_CDR}\n")
    (tmp_path / "queue_log").write_text("\n".join(QUEUE_LOG) + "\n1795828074|broken\n")
    records = _records(tmp_path)
    with caplog.at_level(logging.WARNING):
        batch = records.read({})
    assert batch.drained
    assert batch.malformed == 2
    assert [p.linkedid for p in batch.calls][:2] == ["ec112lab-1795828068.0", "ec112lab-1795828071.3"]  # CDR first
    assert len(batch.calls) == 5
    assert set(batch.positions) == {"cdr", "queue_log"}
    warned = [r.getMessage() for r in caplog.records]
    assert any("malformed line at byte" in m and "cdr" in m for m in warned)
    assert not any("081222222222" in m or "+6281111111111" in m for m in warned)  # no caller numbers in logs
    again = records.read(batch.positions)
    assert again.calls == []
    assert again.drained
    assert again.positions == batch.positions


def test_reader_with_missing_files_reports_them(tmp_path: Path) -> None:
    records = _records(tmp_path)
    batch = records.read({})
    assert batch.calls == []
    assert batch.drained
    assert batch.positions == {}
    assert [(s.name, s.ok, s.detail) for s in records.status()] == [
        ("cdr", False, "missing"), ("queue_log", False, "missing")]
    off = AsteriskRecords(cdr_csv=None, queue_log=None, queue="112", emergency_contexts=())
    assert [(s.ok, s.detail) for s in off.status()] == [(True, "not configured")] * 2


def test_reader_is_not_drained_while_a_file_has_more_than_a_chunk(tmp_path: Path) -> None:
    (tmp_path / "cdr.csv").write_text(f"{ANSWERED_CDR}\n{ABANDONED_CDR}\n")
    (tmp_path / "queue_log").write_text("\n".join(QUEUE_LOG) + "\n")
    records = _records(tmp_path, chunk_bytes=4096)
    assert records.read({}).drained
    small = _records(tmp_path, chunk_bytes=300)
    first = small.read({})
    assert not first.drained
