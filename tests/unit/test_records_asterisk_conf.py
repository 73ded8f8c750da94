"""The rendered Asterisk config writes the records the backfill reads: CDRs at once to the CSV ec112 parses,
the queue_log on, and the modules each Asterisk has (res_cdrel_custom exists in 22 only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ec112.lab.render import new_lab_config, render


def _render(tmp_path: Path, modules: list[str]) -> Path:
    modules_dir = tmp_path / "modules"
    modules_dir.mkdir()
    for name in modules:
        (modules_dir / name).write_bytes(b"")
    config = dataclasses.replace(new_lab_config(tmp_path / "lab", flavor="16"), modules_dir=str(modules_dir))
    render(config)
    return config.directory / "etc"


def test_records_are_on_and_written_at_once(tmp_path: Path) -> None:
    etc = _render(tmp_path, ["cdr_custom.so"])
    cdr = etc.joinpath("cdr.conf").read_text()
    assert "enable = yes" in cdr
    assert "batch = no" in cdr
    mapping = next(line for line in etc.joinpath("cdr_custom.conf").read_text().splitlines()
                   if line.startswith("ec112-cdr.csv =>"))
    assert "$$" not in mapping  # Asterisk's own ${…} after rendering
    assert "${CSV_QUOTE(${CDR(start,u)})}" in mapping  # raw epoch with microseconds
    assert "queue_log = yes" in etc.joinpath("logger.conf").read_text()
    assert (tmp_path / "lab" / "log" / "cdr-custom").is_dir()  # cdr_custom does not create it


def test_a_module_this_asterisk_lacks_is_not_loaded(tmp_path: Path) -> None:
    etc = _render(tmp_path, ["cdr_custom.so"])  # Asterisk 16: no res_cdrel_custom.so
    lines = etc.joinpath("modules.conf").read_text().splitlines()
    assert "load => cdr_custom.so" in lines
    assert not any(line.startswith("load => res_cdrel_custom.so") for line in lines)


def test_a_module_this_asterisk_has_is_loaded(tmp_path: Path) -> None:
    etc = _render(tmp_path, ["cdr_custom.so", "res_cdrel_custom.so"])  # Asterisk 22
    lines = etc.joinpath("modules.conf").read_text().splitlines()
    assert any(line.startswith("load => res_cdrel_custom.so") for line in lines)
