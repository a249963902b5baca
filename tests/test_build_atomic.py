"""A failing `onrecord build` leaves the published site and index exactly as they were.

The good archive (tests/fixtures/good/) is built once into a shared `output/` and
`var/index/`; each malformed-record case of tests/fixtures/bad/ is then laid over a fresh
copy of the good archive and built, for real, through the `onrecord build` command (in
process, for speed) pointed at those same folders. Loading fails before anything is
rendered, so every case must exit non-zero with `path:line:col:` messages and leave both
trees byte-for-byte unchanged. A broken template fails later, during rendering, and must
leave them unchanged too.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from test_bad_fixtures import CASES, GOOD, archive_with

from onrecord import cli

WHERE = re.compile(r"^\S+:\d+:\d+: ", re.MULTILINE)


def settings_file(folder: Path, root: Path, output: Path, index_dir: Path, **extra) -> Path:
    """A settings file: the repository's pelicanconf.py with the archive and folders changed.

    `onrecord build` takes nothing but a settings file, so this is how a test points it
    at a copy of the records and at its own output and index folders.
    """
    values = {
        "PATH": str(root / "content"),  # Pelican wants it to exist
        "ONRECORD_ROOT": str(root),
        "OUTPUT_PATH": str(output),
        "ONRECORD_INDEX_DIR": str(index_dir),
        **extra,
    }
    base = str(REPO / "pelicanconf.py")
    lines = [
        "import importlib.util",
        f"_spec = importlib.util.spec_from_file_location('_base', {base!r})",
        "_base = importlib.util.module_from_spec(_spec)",
        "_spec.loader.exec_module(_base)",
        "globals().update({k: v for k, v in vars(_base).items() if k.isupper()})",
        *(f"{name} = {value!r}" for name, value in values.items()),
    ]
    path = folder / "settings.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (symbolic links not followed): its bytes' or target's hash."""
    digest = {}
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(parent, name)
            key = str(path.relative_to(folder))
            if path.is_symlink():
                digest[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                digest[key] = "dir"
            else:
                digest[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def run_build(settings: Path) -> tuple[int, str, str]:
    """`onrecord build --settings <settings>`, in process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["build", "--settings", str(settings)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """The good archive built once: its output and index folders, and their digests."""
    base = tmp_path_factory.mktemp("published")
    root = base / "archive"
    shutil.copytree(GOOD, root)
    output, index_dir = base / "output", base / "var" / "index"
    from onrecord.build import build

    build(REPO / "pelicanconf.py", output=output, index_dir=index_dir, ONRECORD_ROOT=str(root))
    assert (output / "index.html").is_file() and (index_dir / "current").exists()
    return {
        "output": output,
        "index_dir": index_dir,
        "before": (tree_digest(output), tree_digest(index_dir)),
    }


def test_the_good_archive_builds_through_the_command(tmp_path):
    # The same command and settings file the bad cases use succeed on the good archive, so
    # their failures come from the records; it builds into fresh folders of its own.
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    output, index_dir = tmp_path / "output", tmp_path / "var" / "index"
    code, out, err = run_build(settings_file(tmp_path, root, output, index_dir))
    assert (code, err) == (0, "")
    assert "built 3 statements" in out
    assert (output / "statements" / "khamenei-ahl-al-bayt-speech" / "index.html").is_file()


@pytest.mark.parametrize("case", CASES)
def test_bad_record_stops_the_build_and_leaves_output_and_index_unchanged(
    case, published, tmp_path
):
    root = archive_with(tmp_path, case)
    settings = settings_file(tmp_path, root, published["output"], published["index_dir"])
    code, out, err = run_build(settings)
    assert code != 0
    assert "Traceback" not in out + err
    assert WHERE.search(err), err
    assert "output/ and the index are unchanged" in err
    after = (tree_digest(published["output"]), tree_digest(published["index_dir"]))
    assert after == published["before"]


# -- a template error, found only while rendering ----------------------------------------------

BROKEN_LINE = 3  # of statement.html; each kind of mistake replaces it
BROKEN_TEMPLATES = {
    "syntax error": "{% if statement.date %}{{ statement.date( }}",
    "undefined name": "{% block title %}{{ no_such_record.name }}{% endblock %}",
    "failing expression": "{% block title %}{{ (statement.id|length) // 0 }}{% endblock %}",
}


@pytest.fixture(scope="module", params=BROKEN_TEMPLATES.values(), ids=BROKEN_TEMPLATES.keys())
def template_failure(request, published, tmp_path_factory) -> dict:
    """A build of the good archive with a broken copy of the theme, over the published site."""
    base = tmp_path_factory.mktemp("broken-theme")
    theme = base / "theme"
    shutil.copytree(REPO / "theme", theme)
    template = theme / "templates" / "statement.html"
    lines = template.read_text(encoding="utf-8").splitlines()
    lines[BROKEN_LINE - 1] = request.param
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    root = base / "archive"
    shutil.copytree(GOOD, root)
    parent = published["output"].parent
    entries_before = sorted(p.name for p in parent.iterdir())
    settings = settings_file(
        base, root, published["output"], published["index_dir"], THEME=str(theme)
    )
    code, out, err = run_build(settings)
    return {
        "code": code,
        "out": out,
        "err": err,
        "after": (tree_digest(published["output"]), tree_digest(published["index_dir"])),
        "entries": (entries_before, sorted(p.name for p in parent.iterdir())),
    }


def test_template_error_stops_the_build_with_its_file_and_line(template_failure):
    assert template_failure["code"] == 1
    assert "Traceback" not in template_failure["out"] + template_failure["err"]
    assert re.search(
        rf"templates/statement\.html:{BROKEN_LINE}: template error", template_failure["err"]
    ), template_failure["err"]


def test_template_error_leaves_output_and_index_unchanged(template_failure, published):
    assert template_failure["after"] == published["before"]


def test_template_error_leaves_no_half_built_folder_behind(template_failure):
    before, after = template_failure["entries"]
    assert after == before


def test_a_build_after_a_failed_one_in_the_same_process_is_complete(template_failure, tmp_path):
    # pelican-sitemap keeps state across builds in one process: a failed build must not
    # leave the next one without its sitemap.
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    output, index_dir = tmp_path / "output", tmp_path / "var" / "index"
    assert run_build(settings_file(tmp_path, root, output, index_dir))[0] == 0
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert "/statements/khamenei-ahl-al-bayt-speech/" in sitemap
