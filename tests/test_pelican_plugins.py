"""The archive's pages reach ordinary Pelican plugins through Pelican's own signals."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, SEED

from onrecord.build import build

PLUGINS = REPO / "tests" / "fixtures" / "plugins"
STAMP = "<!-- seen by stamp_pages -->\n"  # what the plugin appends to each page it sees


def test_a_plugin_listening_to_content_written_sees_every_page(tmp_path: Path):
    output = tmp_path / "output"
    build(
        REPO / "pelicanconf.py",
        output=output,
        index_dir=tmp_path / "index",
        ONRECORD_ROOT=str(SEED),
        PLUGIN_PATHS=[str(REPO / "plugins"), str(PLUGINS)],
        PLUGINS=["onrecord", "stamp_pages"],
        ONRECORD_PAGEFIND=False,
    )
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 20
    unseen = [p for p in pages if not p.read_text(encoding="utf-8").endswith(STAMP)]
    assert unseen == []
    feed = next(output.rglob("*.atom.xml"))
    assert STAMP not in feed.read_text(encoding="utf-8")
