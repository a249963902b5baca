"""The search index: what goes in, and the atomic swap of whole builds under `current`."""

from __future__ import annotations

import dataclasses
import os
import pickle
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEED
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

from onrecord.model import Archive
from onrecord.records import load_archive
from onrecord.search import (
    DEFAULT_INDEX_DIR,
    IndexBuildError,
    IndexMissing,
    activate,
    build_index,
    open_index,
    search,
)
from onrecord.search import index as search_index
from onrecord.search.index import (
    SPELLINGS,
    current_build,
    document,
    index_schema,
    open_build,
    read_spellings,
)


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


def with_statements(archive: Archive, statements: dict) -> Archive:
    return Archive.of(
        archive.speakers, archive.outlets, archive.themes, archive.sources, statements
    )


def ids(answer: dict) -> set[str]:
    return {hit["id"] for hit in answer["hits"]}


def test_index_holds_every_published_statement(archive, tmp_path):
    build_index(archive, tmp_path)
    assert open_index(tmp_path).doc_count() == len(archive.chronological)
    everything = search(tmp_path, "", per_page=100)
    assert ids(everything) == {s.id for s in archive.chronological}


def test_withdrawn_statements_stay_out(archive, tmp_path):
    withdrawn = dataclasses.replace(
        archive.statements["javan-basij-editorial"], attribution="withdrawn"
    )
    statements = {**archive.statements, withdrawn.id: withdrawn}
    build_index(with_statements(archive, statements), tmp_path)
    assert open_index(tmp_path).doc_count() == len(archive.chronological) - 1
    assert "javan-basij-editorial" not in ids(search(tmp_path, "Javan"))


def test_nested_quotes_speakers_find_the_quoting_statement(archive, tmp_path):
    build_index(archive, tmp_path)
    # Kayhan's editorial quotes Ahmad Ramadan; his name appears nowhere in its own text.
    assert "kayhan-sochi-editorial" in ids(search(tmp_path, "Ahmad Ramadan"))


def test_build_points_current_at_the_new_build(archive, tmp_path):
    build = build_index(archive, tmp_path)
    assert (tmp_path / "current").is_symlink()
    assert current_build(tmp_path) == build.resolve()
    assert build.parent == tmp_path / "builds"


def test_builds_older_than_the_previous_are_deleted(archive, tmp_path):
    first = build_index(archive, tmp_path)
    second = build_index(archive, tmp_path)
    third = build_index(archive, tmp_path)
    assert not first.exists()
    assert sorted((tmp_path / "builds").iterdir()) == [second, third]


def test_previous_index_stays_usable_after_the_swap(archive, tmp_path):
    old = build_index(archive, tmp_path)
    old_index = open_build(old)
    build_index(archive, tmp_path)
    with old_index.searcher() as searcher:
        assert searcher.doc_count() == len(archive.chronological)


def test_build_without_activate_leaves_current_alone(archive, tmp_path):
    old = build_index(archive, tmp_path)
    new = build_index(archive, tmp_path, activate=False)
    assert current_build(tmp_path) == old.resolve()
    activate(tmp_path, new)
    assert current_build(tmp_path) == new.resolve()


def test_failed_build_raises_and_leaves_current_untouched(archive, tmp_path):
    good = build_index(archive, tmp_path)
    statement = archive.statements["javan-basij-editorial"]
    # A lone surrogate cannot be encoded as UTF-8: Whoosh fails while writing the id.
    broken = dataclasses.replace(statement, id="javan\ud800")
    statements = {**archive.statements, statement.id: broken}
    with pytest.raises(IndexBuildError, match="the current index is unchanged"):
        build_index(with_statements(archive, statements), tmp_path)
    assert current_build(tmp_path) == good.resolve()
    assert sorted((tmp_path / "builds").iterdir()) == [good]
    assert search(tmp_path, "Basij")["total"] == 3


def test_missing_index_says_to_run_make_html(tmp_path):
    with pytest.raises(IndexMissing, match="make html"):
        open_index(tmp_path)


def test_current_is_a_relative_symlink(archive, tmp_path):
    build = build_index(archive, tmp_path)
    assert os.readlink(tmp_path / "current") == os.path.join("builds", build.name)


def test_default_index_dir_is_outside_output():
    assert Path("var", "index") == DEFAULT_INDEX_DIR


def test_two_process_build_counts_like_one_process(archive, tmp_path):
    # Over 100 statements make the two writer processes write separate segments.
    seed = [s for s in archive.chronological if s.date]
    copies = [dataclasses.replace(s, id=f"{s.id}-{n}") for n in range(30) for s in seed]
    bigger = with_statements(archive, {s.id: s for s in copies})
    build_index(bigger, tmp_path / "one", procs=1)
    build_index(bigger, tmp_path / "two", procs=2)
    one = search(tmp_path / "one", "", per_page=1)
    two = search(tmp_path / "two", "", per_page=1)
    assert two["total"] == one["total"] == len(copies)
    assert two["facets"] == one["facets"]


def index_contents(build: Path) -> dict:
    """All a reader sees of an index: postings, term statistics, lengths, columns, stored."""
    with open_build(build).reader() as reader:
        docs = range(reader.doc_count_all())
        fields = reader.schema.items()
        return {
            "postings": list(reader.iter_postings()),
            "terms": [term_stats(reader, name, term) for name, term in reader.all_terms()],
            "lengths": {
                name: (reader.field_length(name), [reader.doc_field_length(d, name) for d in docs])
                for name, field in fields
                if field.scorable
            },
            "columns": {
                name: list(reader.column_reader(name))
                for name, field in fields
                if field.column_type and reader.has_column(name)
            },
            "stored": [reader.stored_fields(d) for d in docs],
        }


def term_stats(reader, name: str, term: bytes) -> tuple:
    info = reader.term_info(name, term)
    return (
        name,
        term,
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def bigger(archive: Archive) -> Archive:
    """Copies of the seed statements, and odd words: terms whose postings span many blocks."""
    statement = archive.statements["jafari-press-conference"]
    odd = dataclasses.replace(
        statement,
        id="odd-words",
        headline="The THE a Régime’s régime",
        paragraphs=(
            "A the of Sha'bi Sha’bi Shabi vis-à-vis 2017 under_score x y z triumphs " * 3,
            "Élan élan ELAN, the end.",
        ),
    )
    # Copies make the common terms' postings span several of Whoosh's blocks (128 each).
    copies = [
        dataclasses.replace(s, id=f"{s.id}-{n}")
        for n in range(20)
        for s in [*archive.chronological, odd]
    ]
    return with_statements(archive, {s.id: s for s in copies})


def whoosh_build(archive: Archive, folder: Path, **codec) -> Path:
    """The index Whoosh's own writer makes of the archive (with its codec's `codec` options)."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), index_schema())
    with ix.writer(codec=W3Codec(**codec)) as writer:
        for s in archive.chronological:
            writer.add_document(**document(archive, s))
    return folder


# The default holds every posting in memory here; 5,000 writes six run files, with
# terms whose postings span several runs and blocks that straddle them.
@pytest.mark.parametrize("spill_postings", [search_index.SPILL_POSTINGS, 5000])
def test_index_is_what_whoosh_own_writer_writes(archive, tmp_path, monkeypatch, spill_postings):
    monkeypatch.setattr(search_index, "SPILL_POSTINGS", spill_postings)
    monkeypatch.setattr(search_index, "BLOCK_POSTINGS", 32)  # many blocks to a term
    built = build_index(bigger(archive), tmp_path / "ours")
    whoosh_built = whoosh_build(bigger(archive), tmp_path / "whoosh")
    assert index_contents(built) == index_contents(whoosh_built)


def block_headers(build: Path) -> list[tuple]:
    """Every block's header as a reader sees it: postings, last id, best weight, lengths.

    What Whoosh's top-N search skips blocks by (block_quality): they must be exact.
    """
    found = []
    with open_build(build).reader() as reader:
        for name, term in reader.all_terms():
            matcher = reader.postings(name, term)
            while True:
                header = (matcher._blocklength, matcher._maxid, matcher._maxweight)
                found.append((name, term, *header, matcher._minlength, matcher._maxlength))
                if matcher._lastblock:
                    break
                matcher._next_block()
    return found


def block_data(build: Path) -> Iterator[tuple[bytes, bool]]:
    """Every block's stored data, and whether it is compressed."""
    with open_build(build).reader() as reader:
        for name, term in reader.all_terms():
            matcher = reader.postings(name, term)
            while True:
                size = matcher._nextoffset - matcher._dataoffset
                yield matcher._postfile.get(matcher._dataoffset, size), bool(matcher._compression)
                if matcher._lastblock:
                    break
                matcher._next_block()


@pytest.mark.parametrize("block_postings", [32, search_index.BLOCK_POSTINGS])
def test_blocks_carry_the_statistics_whoosh_writes(archive, tmp_path, monkeypatch, block_postings):
    monkeypatch.setattr(search_index, "BLOCK_POSTINGS", block_postings)
    built = build_index(bigger(archive), tmp_path / "ours")
    # Whoosh's own writer, with blocks as big.
    whoosh_built = whoosh_build(bigger(archive), tmp_path / "whoosh", blocklimit=block_postings)
    assert block_headers(built) == block_headers(whoosh_built)


def test_block_ids_and_weights_read_without_positions(archive, tmp_path):
    blocks = list(block_data(build_index(bigger(archive), tmp_path)))
    assert len(blocks) > 1000
    for data, compressed in blocks:
        whole = pickle.loads(zlib.decompress(data) if compressed else data)
        assert search_index.ids_and_weights(data, compressed) == whole[:2]


def test_blocks_whoosh_writes_are_read_whole(archive, tmp_path):
    for data, compressed in block_data(whoosh_build(bigger(archive), tmp_path / "whoosh")):
        assert search_index.ids_and_weights(data, compressed) is None


def test_block_of_many_positions_is_read_whole():
    # A pickle past one frame (64 KB) carries no note: the search reads it whole.
    ids, weights, values = tuple(range(128)), None, tuple(bytes([n]) * 1000 for n in range(128))
    data = search_index.block_pickle(ids, weights, values)
    assert pickle.loads(data) == (ids, weights, values)
    assert search_index.ids_and_weights(data, compressed=False) is None


def test_rebuild_after_changes_counts_words_like_a_full_build(archive, tmp_path, monkeypatch):
    build_index(archive, tmp_path / "changed")
    edited = dataclasses.replace(
        archive.statements["javan-basij-editorial"], paragraphs=("Brand-new Zyxwords Shabi.",)
    )
    added = dataclasses.replace(edited, id="javan-copy", paragraphs=("Qwertyish Sha'bi.",))
    statements = {**archive.statements, edited.id: edited, added.id: added}
    del statements["kayhan-sochi-editorial"]
    speaker = archive.speakers["mohammad-ali-jafari"]
    speakers = {**archive.speakers, speaker.id: dataclasses.replace(speaker, name="Renamed Jäfari")}
    changed = Archive.of(speakers, archive.outlets, archive.themes, archive.sources, statements)
    full = build_index(changed, tmp_path / "full")

    def start_over(*args):
        raise AssertionError("the rebuild should correct the previous build, not start over")

    monkeypatch.setattr(search_index, "_write_all", start_over)
    rebuilt = build_index(changed, tmp_path / "changed")
    assert read_spellings(rebuilt) == read_spellings(full)
    assert read_spellings(rebuilt)["zyxwords"] == 1
    assert "kayhan-sochi-editorial" not in ids(search(tmp_path / "changed", "Sochi"))


def test_an_update_links_the_segments_it_keeps_and_leaves_the_old_build_as_it_was(
    archive, tmp_path
):
    old = build_index(with_statements(archive, archive.statements), tmp_path)
    old_segments = {path.name: path.stat() for path in old.glob("*.seg")}
    edited = dataclasses.replace(
        archive.statements["javan-basij-editorial"], paragraphs=("Zyxlinked words only.",)
    )
    new = build_index(with_statements(archive, {**archive.statements, edited.id: edited}), tmp_path)
    kept = [path for path in new.glob("*.seg") if path.name in old_segments]
    assert kept, "the update kept no segment of the previous build"
    for path in kept:  # one file in both builds, not a copy
        assert path.stat().st_ino == old_segments[path.name].st_ino
    assert (new / SPELLINGS).stat().st_ino != (old / SPELLINGS).stat().st_ino
    assert ids(search(tmp_path, "Zyxlinked")) == {"javan-basij-editorial"}
    with open_build(old).searcher() as searcher:  # the old build still reads as it was
        assert searcher.document(id="javan-basij-editorial")["text"] != "Zyxlinked words only."
        assert searcher.doc_count() == len(archive.chronological)


def test_an_update_told_of_some_statements_makes_every_document_when_one_is_new(archive, tmp_path):
    build_index(with_statements(archive, archive.statements), tmp_path)
    edited = dataclasses.replace(
        archive.statements["javan-basij-editorial"], paragraphs=("Zyxtold words.",)
    )
    added = dataclasses.replace(edited, id="javan-copy", paragraphs=("Qwertyish Sha'bi.",))
    statements = {**archive.statements, edited.id: edited, added.id: added}
    build_index(with_statements(archive, statements), tmp_path, only=frozenset({edited.id}))
    assert ids(search(tmp_path, "Qwertyish")) == {"javan-copy"}
    assert ids(search(tmp_path, "Zyxtold")) == {"javan-basij-editorial"}


def segments(index_root: Path) -> list[int]:
    """The number of documents in each segment of the current build, deleted ones included."""
    with open_index(index_root).reader() as reader:
        return [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]


def test_edits_leave_the_large_segment_and_one_small_one(archive, tmp_path, monkeypatch):
    # Segments under half the largest's size count as small here (the seed is small).
    monkeypatch.setattr(search_index, "SMALL_SEGMENT_SHARE", 0.5)
    root = tmp_path / "edited"
    build_index(archive, root)
    first = segments(root)
    statements = dict(archive.statements)
    for number, key in enumerate(["javan-basij-editorial", "jafari-press-conference"] * 3):
        words = (f"Edit number {number} of Zyxword{number}.",)
        statements[key] = dataclasses.replace(statements[key], paragraphs=words)
        build_index(with_statements(archive, statements), root)
        found = segments(root)
        assert len(found) <= 2 and found[0] == first[0], found  # the large one left as it is
    fresh = build_index(with_statements(archive, statements), tmp_path / "fresh")
    assert len(segments(tmp_path / "fresh")) == 1 and fresh.exists()
    # The same statements found (scores differ: Whoosh counts the deleted documents).
    for query in ["Zyxword5", "Zyxword4", "Zyxword0", "edit", "Basij", "Sochi"]:
        assert ids(search(root, query)) == ids(search(tmp_path / "fresh", query)), query
    assert ids(search(root, "Zyxword5")) == {"jafari-press-conference"}
