"""`ec112 doctor` reads a queue's wrapuptime from Asterisk's queues.conf as app_queue would (no AMI action has it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ec112.config.asterisk_queues import QueuesConfFile, read_sections, wrapuptime
from ec112.lab.render import new_lab_config, render


def _wrapup(tmp_path: Path, text: str, queue: str = "112", **files: str) -> int | None:
    (tmp_path / "queues.conf").write_text(text)
    for name, content in files.items():
        (tmp_path / name.replace("__", ".")).write_text(content)
    return wrapuptime(read_sections(tmp_path / "queues.conf"), queue)


def test_the_rendered_lab_file_says_the_plans_wrapup(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "lab")
    render(config)
    found = asyncio.run(QueuesConfFile(config.queues_conf).wrapup(config.queue))
    assert (found.seconds, found.source) == (config.wrapup_seconds, str(config.queues_conf))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[general]\nwrapuptime = 9\n[112]\nstrategy = rrmemory\n", 0),  # unset: app_queue's default
        ("[112]\nwrapuptime = 7 ; seconds\n", 7),
        ("[112]\nWrapUpTime => 8\n", 8),
        ("[112]\nwrapuptime = 3\nwrapuptime = 4\n", 4),  # the last one wins
        ("[112]\nwrapuptime = 12s\n", 12),  # atoi()
        ("[112]\nwrapuptime = soon\n", 0),
        ("[112]\n;wrapuptime = 30\n;--\nwrapuptime = 40\n--;\nwrapuptime = 2\n", 2),
        ("[base](!)\nwrapuptime = 11\n[112](base)\nstrategy = rrmemory\n", 11),  # from the template
        ("[base](!)\nwrapuptime = 11\n[112](base)\nwrapuptime = 6\n", 6),  # its own value over the template's
        ("[a](!)\nwrapuptime = 1\n[b](!)\nwrapuptime = 2\n[112](a,b)\n", 2),  # the last template listed
        ("[112]\nwrapuptime = 5\n[112]\nwrapuptime = 50\n", 5),  # "already defined! Skipping!"
        ("[112]\nwrapuptime = 5\n[112](+)\nwrapuptime = 50\n", 50),  # (+) adds to it
    ],
)
def test_wrapuptime_as_app_queue_reads_it(tmp_path: Path, text: str, expected: int) -> None:
    assert _wrapup(tmp_path, text) == expected


def test_a_queue_the_file_does_not_define_is_unknown(tmp_path: Path) -> None:
    assert _wrapup(tmp_path, "[112]\nwrapuptime = 5\n", queue="999") is None
    assert _wrapup(tmp_path, "[tmpl](!)\nwrapuptime = 5\n", queue="tmpl") is None  # a template is no queue


def test_includes_are_followed_relative_to_the_config_directory(tmp_path: Path) -> None:
    text = '[general]\n#include "queues_112.conf"\n#tryinclude "absent.conf"\n'
    assert _wrapup(tmp_path, text, queues_112__conf="[112]\nwrapuptime = 9\n") == 9


async def test_what_cannot_be_read_is_unknown_with_the_reason(tmp_path: Path) -> None:
    missing = await QueuesConfFile(tmp_path / "nope.conf").wrapup("112")
    assert missing.seconds is None
    assert "cannot read" in missing.reason

    (tmp_path / "queues.conf").write_text('#include "gone.conf"\n[112]\nwrapuptime = 5\n')
    broken = await QueuesConfFile(tmp_path / "queues.conf").wrapup("112")
    assert broken.seconds is None
    assert "gone.conf" in broken.reason

    off = await QueuesConfFile(None).wrapup("112")
    assert off.seconds is None
    assert "queues_conf" in off.reason

    (tmp_path / "queues.conf").write_text("[112]\nwrapuptime = 5\n")
    absent = await QueuesConfFile(tmp_path / "queues.conf").wrapup("999")
    assert absent.seconds is None
    assert "no [999]" in absent.reason
