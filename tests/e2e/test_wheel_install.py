"""The wheel is the whole product: built from this checkout, installed into a fresh venv, it serves a console whose
scripts run in headless Chromium, and it carries asterisk-conf/, sounds/ and drills/ for whoever installs it.

The wheel is built once (`pip wheel --no-deps .`). The fresh venv gets it with `pip install --no-deps` and borrows
the project venv's site-packages for the dependencies through a .pth file written AFTER the install (so pip never
sees, let alone touches, the project's editable ec112); the borrowed path comes after the venv's own
site-packages, so `import ec112` is the installed wheel, not the checkout — asserted, with PYTHONPATH cleared.
`ec112 serve` runs from the venv in lab mode on SQLite with no Asterisk: AMI stays "down" and retries, while the
panel serves (what /healthz answers; /readyz says 503 until AMI is up).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from ec112.lab.render import free_port

from .browser import REPO_DIR, GuardedContext, screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "sandi-roda-112-lengkap"
PACKAGE_DIRS = ("web/static", "web/templates", "web/locale", "data")  # inside src/ec112
TOP_LEVEL_DIRS = ("asterisk-conf", "sounds", "drills")  # the wheel's ec112/_shipped/<dir>
SKIP = ("__pycache__", ".pyc")


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not any(s in p.as_posix() for s in SKIP)}


@dataclass(frozen=True)
class Venv:
    directory: Path
    env: dict[str, str]  # no PYTHONPATH, no EC112_* of the caller: only what the venv itself provides

    @property
    def python(self) -> str:
        return str(self.directory / "bin" / "python")

    def run(self, *args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
        result = subprocess.run(list(args), env=self.env, input=stdin, capture_output=True, text=True, timeout=60,
                                cwd=cwd or self.directory, check=False)
        assert result.returncode == 0, f"{args} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
                             str(REPO_DIR)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("ec112-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    directory = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(directory)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("EC112_")}
    env.update(VIRTUAL_ENV=str(directory), PATH=f"{directory / 'bin'}:{env.get('PATH', '')}")
    made = Venv(directory, env)
    made.run(sys.executable, "-m", "pip", "--python", made.python, "install", "--no-deps", "--no-index", "--quiet",
             str(wheel))
    site_packages = Path(made.run(made.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                         .strip())
    project_site = Path(sys.modules["httpx"].__file__ or "").resolve().parents[1]  # the project's .venv deps
    (site_packages / "zz_ec112_test_deps.pth").write_text(f"{project_site}\n")
    return made


@pytest.fixture(scope="module")
def served(fresh_venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ec112 serve` of the venv (lab mode, SQLite, AMI pointed at a port where nothing listens)."""
    work = tmp_path_factory.mktemp("serve")
    web = free_port()
    fresh_venv.env.update({
        "EC112_LAB_MODE": "1", "EC112_VAR_DIR": str(work / "var"), "EC112_WEB__PORT": str(web),
        "EC112_DATABASE__URL": f"sqlite+aiosqlite:///{work / 'ec112.sqlite3'}",
        "EC112_AMI__PORT": str(free_port()), "EC112_AMI__SECRET": secrets.token_urlsafe(16),
        "EC112_AGI__PORT": str(free_port()), "EC112_API_URL": f"http://127.0.0.1:{web}",
    })
    log = work / "ec112.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen([str(fresh_venv.directory / "bin" / "ec112"), "serve"], env=fresh_venv.env,
                                  cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{web}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert daemon.poll() is None, f"ec112 serve exited {daemon.returncode}\n{log.read_text()[-4000:]}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"ec112 serve not up in 30 s\n{log.read_text()[-4000:]}"
            time.sleep(0.1)
        yield base
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()


def test_the_wheel_carries_every_runtime_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO_DIR / "src" / "ec112"
    # exactly the tree's files: none missing, none left over from an older build
    for sub, inside in [*((s, s) for s in PACKAGE_DIRS), *((s, f"_shipped/{s}") for s in TOP_LEVEL_DIRS)]:
        source = package / sub if sub in PACKAGE_DIRS else REPO_DIR / sub
        expected = {f"ec112/{inside}/{f}" for f in _files(source)}
        shipped = {n for n in names if n.startswith(f"ec112/{inside}/")}
        assert expected, sub
        assert shipped == expected, f"{sub}: missing {sorted(expected - shipped)}, extra {sorted(shipped - expected)}"
    # what a user would miss first: the JS, the vendored libraries with their licences, the dialplan, a prompt
    for name in ("web/static/js/console.js", "web/static/vendor/htmx.min.js", "web/static/vendor/leaflet.js",
                 "web/static/vendor/images/marker-icon.png", "web/static/vendor/licenses/leaflet.LICENSE",
                 "web/static/vendor/licenses/htmx.org.LICENSE", "data/boundaries/LICENSE",
                 "_shipped/asterisk-conf/extensions.conf", "_shipped/asterisk-conf/ec112/pjsip_ec112.conf",
                 "_shipped/sounds/id/connected.wav",
                 "_shipped/drills/penajam-house-fire.toml"):
        assert f"ec112/{name}" in names


def test_the_venv_runs_the_installed_package_and_renders_asterisk_conf_from_it(fresh_venv: Venv) -> None:
    lab = fresh_venv.directory / "lab"
    script = (
        "import json, ec112, ec112.resources as r\n"
        "from ec112.lab.render import new_lab_config, render\n"
        f"config = new_lab_config(__import__('pathlib').Path({str(lab)!r}))\n"
        "conf = render(config)\n"
        "print(json.dumps({'ec112': ec112.__file__, 'conf': str(conf), 'agi': config.ports.agi,"
        " 'dirs': {n: str(r.shipped_dir(n)) for n in r.TOP_LEVEL_DIRS}}))\n"
    )
    seen = json.loads(fresh_venv.run(fresh_venv.python, "-c", script))
    assert Path(seen["ec112"]).is_relative_to(fresh_venv.directory), seen["ec112"]
    for name, where in seen["dirs"].items():
        assert Path(where).is_relative_to(fresh_venv.directory / "lib"), (name, where)
        assert Path(where).parts[-2:] == ("_shipped", name)
    extensions = (lab / "etc" / "ec112" / "extensions_ec112.conf").read_text()
    assert f"AGI(agi://127.0.0.1:{seen['agi']}/" in extensions  # the template, with this lab's values in it
    assert Path(seen["conf"]) == lab / "etc" / "asterisk.conf"
    assert (lab / "sounds" / "id" / "connected.wav").stat().st_size > 10_000  # the prompts came along
    assert "ec112 " in fresh_venv.run(str(fresh_venv.directory / "bin" / "ec112"), "--help")


def test_the_console_served_from_the_wheel_runs_its_scripts(
    fresh_venv: Venv, served: str, browser_context: GuardedContext, page: Page,
) -> None:
    fresh_venv.run(str(fresh_venv.directory / "bin" / "ec112"), "user", "add", "siti", "--role", "call_taker",
                   "--name", "Siti", "--endpoint", "taker01", "--password-stdin", stdin=PASSWORD + "\n")
    page.goto(f"{served}/login?next=/console")
    page.fill("#username", "siti")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{served}/console")
    # htmx ran: the callers panel is filled by its hx-trigger="load" request
    page.wait_for_function("() => window.htmx && document.querySelector('.cs-callers').children.length > 0")
    # the console's own scripts ran, and the vendored Leaflet draws the console's map (console_map.js) with the
    # shipped regency boundaries and agency posts, as it does on a located call's card
    page.evaluate("""() => {
      const box = document.createElement('div');
      box.id = 'wheel-map';
      box.style.cssText = 'width: 640px; height: 420px';
      document.getElementById('tickets').appendChild(box);
      window.ec112Map.create(box, {texts: {}, age: () => ''});
    }""")
    page.wait_for_function("() => document.querySelectorAll('#wheel-map path.cs-map-area').length > 3"
                           " && document.querySelectorAll('#wheel-map .cs-map-post').length > 0")
    assert page.evaluate("() => typeof window.ec112Console") == "object"
    assert page.evaluate("() => getComputedStyle(document.querySelector('#wheel-map')).position") == "relative"
    screenshot(page, "wheel-install-console")
    assert browser_context.problems == []
