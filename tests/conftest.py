"""Shared fixtures: the seed archive built once, for real, into a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEED_REPORT = REPO.parent / "shared" / "seed" / "000_cb427fd12526e9cd.txt"


def copy_records(target: Path) -> Path:
    """A copy of the committed records (content/ and speakers/) under `target`."""
    shutil.copytree(REPO / "content", target / "content")
    shutil.copytree(REPO / "speakers", target / "speakers")
    return target


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The seed archive built by `onrecord build` into a temporary output folder.

    Returns the folder holding `output/` and `var/index/`.
    """
    from onrecord.build import build

    base = tmp_path_factory.mktemp("site")
    build(REPO / "pelicanconf.py", output=base / "output", index_dir=base / "var" / "index")
    return base


@pytest.fixture(scope="session")
def output(built_site: Path) -> Path:
    return built_site / "output"


@pytest.fixture(scope="session")
def index_dir(built_site: Path) -> Path:
    return built_site / "var" / "index"
