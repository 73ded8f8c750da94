"""The wheel's build step: the project's top-level runtime directories go into ``ec112/_shipped/``.

Everything else about the package is in pyproject.toml; setuptools reads both. ``asterisk-conf/``, ``sounds/``
and ``drills/`` stay at the top of the repository (telephony admins edit ``asterisk-conf/`` there, scripts and
docs name those paths), so they are not inside ``src/ec112`` where package data is found. This ``build_py``
copies them into the build tree as ``ec112/_shipped/<dir>``; ``ec112.resources.shipped_dir`` finds them there in
an installed wheel and at the top of a checkout.

Why a build step and not symlinks in ``src/ec112``: checked, setuptools follows a symlinked directory under the
package and puts the files it points to in the wheel, so links would work on Linux. But git on Windows (and any
checkout with ``core.symlinks=false``) turns a link into a small text file, and a wheel built there would lack
the files without a word; and a link inside the package shows every file twice in a checkout (greps, ``rglob``,
editable installs). An explicit copy at build time keeps one copy in the repository and a plain directory in the
wheel, and fails the build when a directory is missing. MANIFEST.in grafts the same directories into the sdist,
so a wheel built from the sdist has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
TOP_LEVEL_DIRS = ("asterisk-conf", "sounds", "drills")  # = ec112.resources.TOP_LEVEL_DIRS
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildWithShippedDirs(build_py):
    """``build_py`` plus a copy of each top-level runtime directory into ``<build>/ec112/_shipped/``."""

    def run(self) -> None:
        editable = getattr(self, "editable_mode", False)
        if not editable:
            # pip builds in the tree: without this, a file deleted from src/ec112 would stay in build/lib and ship
            shutil.rmtree(Path(self.build_lib) / "ec112", ignore_errors=True)
        super().run()
        if editable:
            return  # an editable install reads them from the checkout itself
        target = Path(self.build_lib) / "ec112" / "_shipped"
        for name in TOP_LEVEL_DIRS:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source}: a runtime directory the wheel must carry is missing")
            shutil.copytree(source, target / name, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithShippedDirs})
