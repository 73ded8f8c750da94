"""Where ec112's shipped runtime directories are, in a source checkout and in an installed wheel: one resolver.

Two kinds of directory ship with ec112:

- inside the package (``web/static``, ``web/templates``, ``web/locale``): next to the code in both a checkout
  and a wheel (pyproject.toml's package-data puts them in the wheel). ``data/`` is read as package data through
  ``importlib.resources`` (config/agencies_file.py, boundaries_file.py), which works the same in both;
- at the top of the repository (``asterisk-conf``, ``sounds``, ``drills``): telephony admins edit
  ``asterisk-conf/`` there and scripts and docs name those paths, so they stay out of ``src/``. The wheel's build
  step (setup.py) copies them to ``ec112/_shipped/<name>``: a copy rather than symlinks because a link becomes a
  plain text file in a checkout without symlink support and the wheel built from it would silently lack the files.

A checkout (``<root>/src/ec112`` next to ``<root>/pyproject.toml``) wins over a ``_shipped`` copy, so an edit at
the top is what a developer's lab renders even if an old build left a copy behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED = "_shipped"  # the wheel's copy of the top-level directories (setup.py)
TopLevelDir = Literal["asterisk-conf", "sounds", "drills"]
PackageDir = Literal["web/static", "web/templates", "web/locale"]
TOP_LEVEL_DIRS: tuple[TopLevelDir, ...] = ("asterisk-conf", "sounds", "drills")  # = setup.py's


class ShippedDirMissingError(FileNotFoundError):
    """Neither the checkout nor the installed package has the directory: a broken install or build."""


def checkout_root(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The repository root when ec112 runs from a source checkout (src layout), else None."""
    root = package_dir.parent.parent
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def shipped_dir(name: TopLevelDir | PackageDir, package_dir: Path = PACKAGE_DIR) -> Path:
    """The directory ``name`` as this ec112 sees it: in the checkout, or inside the installed package."""
    if name not in TOP_LEVEL_DIRS:
        return package_dir / name  # always beside the code: no lookup, safe at import time
    root = checkout_root(package_dir)
    candidates = ([root / name] if root is not None else []) + [package_dir / SHIPPED / name]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ShippedDirMissingError(f"{name}/ tidak ditemukan / not found ({tried}): pasang ulang / reinstall ec112")
