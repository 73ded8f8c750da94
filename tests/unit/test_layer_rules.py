"""The layer rules of pyproject.toml [tool.importlinter] hold, and really fail on a wrong import.

`make lint` runs lint-imports on the tree; this test proves the contracts are not toothless: a copy of the
package with one deliberately wrong arrow (the pure domain importing the database adapter; a service importing
an adapter; one adapter importing another) must be refused, naming the broken contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_tree_keeps_every_layer_rule() -> None:
    result = lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "wrong_import", "contract"), [
    ("domain/tickets.py", "import ec112.db.tickets", "domain is pure"),
    ("domain/presence.py", "import sqlalchemy", "domain is pure"),
    ("services/intake.py", "import ec112.db.engine", "services use the domain and routing"),
    ("routing/no_answer.py", "import ec112.services.presence", "routing is pure"),
    ("agi/server.py", "import ec112.web.app", "adapters do not import each other"),
    ("web/live.py", "import ec112.db.audit", "the web does not touch the database"),
])
def test_a_wrong_arrow_breaks_its_contract(tmp_path: Path, module: str, wrong_import: str, contract: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "ec112", src / "ec112", ignore=shutil.ignore_patterns("__pycache__"))
    target = src / "ec112" / module
    target.write_text(target.read_text() + f"\n{wrong_import}  # deliberately wrong\n")
    result = lint(src)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
