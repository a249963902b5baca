"""The package as a user installs it: a wheel in a fresh venv checks records on its own.

The schemas are package data (found through `importlib.resources`), so an installed
`onrecord` needs no repository beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO, SEED


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # Without PYTHONPATH: a checkout on it would stand in for the installed package.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel built from a copy of the project; its folder."""
    base = tmp_path_factory.mktemp("wheel")
    project = base / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    for folder in ("plugins", "schema"):
        shutil.copytree(
            REPO / folder,
            project / folder,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base, project)
    assert built.returncode == 0, built.stderr
    venv = base / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    (wheel,) = base.glob("onrecord-*.whl")
    target = run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "install",
        "--no-deps",
        "-q",
        wheel,
    )
    assert target.returncode == 0, target.stderr
    # The dependencies come from the test's own environment (no network needed); a path
    # listed in a .pth file is not scanned for .pth files, so the editable install of this
    # repository stays out of sight.
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_the_wheel_carries_the_schemas_as_files(installed: Path):
    (schema,) = installed.glob("lib/python3*/site-packages/onrecord/schema/statement.schema.json")
    assert schema.is_file() and not schema.is_symlink()
    assert schema.read_bytes() == (REPO / "schema" / "statement.schema.json").read_bytes()


def test_the_installed_command_checks_an_archive_with_no_repository_beside_it(
    installed: Path, tmp_path: Path
):
    archive = tmp_path / "archive"
    for folder in ("content", "speakers"):
        shutil.copytree(SEED / folder, archive / folder)
    where = run(installed / "bin" / "python", "-c", "import onrecord; print(onrecord.__file__)")
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr
    result = run(installed / "bin" / "onrecord", "check", cwd=archive)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("ok: ")
    broken = archive / "content" / "themes"
    (broken / "broken.yaml").write_text("id: broken\nnmae: x\n", encoding="utf-8")
    result = run(installed / "bin" / "onrecord", "check", cwd=archive)
    assert result.returncode == 1
    assert "broken.yaml:2:1" in result.stderr
