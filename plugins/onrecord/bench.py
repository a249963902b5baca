"""`python -m onrecord.bench` (`make bench`): how build, index and search scale, against Pelican.

For each size, in one run, in `bench/work/n<N>/`: write a synthetic archive (`synth`),
build it cold, rebuild it unchanged, after editing one statement, after adding one,
after renaming a speaker; build the index on its own; time `onrecord search` from process
start to answer and the search service's warm latency over 200 fixed queries; and build
the same statements as plain Markdown with its peers, stock Pelican and Hugo
(`benchpeers.py`).

Every measured build is its own subprocess (`benchmeasure.py`): wall time, CPU time and
peak memory belong to that build alone (with Pagefind on, `peak_rss_mb` is Pagefind's).
The results go to `bench/results.json` (a list, one object per size) and a table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from . import benchpeers, synth
from .benchmeasure import MB, BenchError, Run, measured, status_kib, tree_size
from .records import CACHE_FILE
from .search.index import SPELLINGS, read_spellings
from .search.variants import by_skeleton, skeleton

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "bench" / "results.json"
DEFAULT_WORK = REPO / "bench" / "work"
DEFAULT_SIZES = (1000, 10_000)
LARGE_SIZE = 100_000
# Stock Pelican takes a quarter of an hour at 100,000 statements (#20 allows skipping it there).
BASELINE_UP_TO = 10_000
QUERY_COUNT, CLI_RUNS, WARM_UP = 200, 5, 20
CLI_WORD = "resistance"
# Every key each size's object holds; None only where a part was switched off (--no-baseline).
KEYS = (
    "n",
    "statement_files",
    "synth_s",
    "cold_s",
    "cold_cpu_s",
    "cold_load_s",
    "cold_render_s",
    "cold_index_s",
    "noop_s",
    "edit_one_s",
    "edit_one_rss_mb",
    "edit_one_tree_rss_mb",
    "edit_date_s",
    "add_one_s",
    "rename_speaker_s",
    "edit_one_pagefind_s",
    "devserver_edit_s",
    "pagefind_s",
    "pagefind_wall_s",
    "pagefind_cpu_s",
    "pagefind_peak_rss_mb",
    "pagefind_mb",
    "pagefind_files",
    "index_s",
    "index_wall_s",
    "cli_query_ms",
    "query_p50_ms",
    "query_p99_ms",
    "variant_p50_ms",
    "variant_p99_ms",
    "listing_p50_ms",
    "listing_p99_ms",
    "skeleton_table_ms",
    "spellings_kb",
    "serve_rss_mb",
    "peak_rss_mb",
    "main_rss_mb",
    "tree_rss_mb",
    "output_mb",
    "files",
    "index_mb",
    "baseline_pelican_s",
    "baseline_cpu_s",
    "baseline_rss_mb",
    "baseline_output_mb",
    "baseline_files",
    "ratio_vs_pelican",
    "baseline_hugo_s",
    "baseline_hugo_cpu_s",
    "baseline_hugo_rss_mb",
    "baseline_hugo_output_mb",
    "baseline_hugo_files",
    "ratio_vs_hugo",
    "cpu_count",
    "commit",
    "python",
    "measured_at",
)


def onrecord_command() -> list[str]:
    """The `onrecord` console script beside this Python (the module when it is missing)."""
    script = Path(sys.executable).with_name("onrecord")
    return [str(script)] if script.exists() else [sys.executable, "-m", "onrecord.cli"]


# -- the archive's builds ------------------------------------------------------------------------

# `onrecord build` ends with "built N statements in T s (load a, render b, index c, ...)".
BUILT_PART = re.compile(r"\b(load|render|index) ([\d.]+)\b")
BUILD_SPLIT = ("cold_load_s", "cold_render_s", "cold_index_s")


def timed_build(settings: Path, what: str, *, pagefind: bool = False) -> Run:
    """`onrecord build`; without Pagefind unless asked (it is measured on its own)."""
    settled(settings.parent)
    flags = [] if pagefind else ["--no-pagefind"]
    return measured([*onrecord_command(), "build", *flags, "--settings", str(settings)], what=what)


def settled(root: Path, longest: float = 900) -> None:
    """Wait until the trees earlier builds retired under `root` are removed (build._swap
    leaves that to a detached `rm`): each step is measured on a quiet machine. At 100,000
    statements a retired output/ is 512,000 files, whose removal took minutes and ran
    under the next steps' figures."""
    deadline = time.monotonic() + longest
    while any(root.glob(".*.old-*")) and time.monotonic() < deadline:
        time.sleep(1)


def build_split(run: Run) -> dict[str, float | None]:
    """The split `onrecord build` prints (None for a part it does not print)."""
    lines = [line for line in run.stdout.splitlines() if line.startswith("built ")]
    found = BUILT_PART.findall(lines[-1]) if lines else []
    parts = {f"cold_{name}_s": float(value) for name, value in found}
    return {key: parts.get(key) for key in BUILD_SPLIT}


def pagefind_alone(site: Path, into: Path, root: Path | None = None) -> dict[str, float]:
    """Pagefind over the built site, as `onrecord build` runs it (staticindex.py, every
    shard): its time with the archive loaded (as a build has it) and the whole run's, the
    archive loaded from the build's records cache; size; the peak memory of the largest
    process (the archive's or a shard's Pagefind run: wait4 counts the runs it waited for)."""
    shutil.rmtree(into, ignore_errors=True)
    root = root or site.parent
    # Its newest shard in into/pagefind/, the others beside it (staticindex.SHARDS_DIR).
    command = [sys.executable, "-m", "onrecord.staticindex", str(site), str(into / "pagefind")]
    cache = root / "var" / "cache" / CACHE_FILE
    run = measured([*command, "--root", str(root), "--records-cache", str(cache)], what="Pagefind")
    size, files = tree_size(into)
    return {
        "pagefind_s": float(run.stdout.strip().splitlines()[-1]),
        "pagefind_wall_s": run.wall_s,
        "pagefind_cpu_s": run.cpu_s,
        "pagefind_peak_rss_mb": run.peak_rss_mb,
        "pagefind_mb": size / MB,
        "pagefind_files": files,
    }


EDIT_MARK = "Edited for the benchmark."


def _first_statement(root: Path) -> Path:
    """The first published statement's file (a withdrawn one's page does not show its text)."""
    for path in sorted((root / "content" / "statements").glob("*/*.yaml")):
        if 'attribution: "withdrawn"' not in path.read_text(encoding="utf-8"):
            return path
    raise BenchError(f"{root}: no published statement to edit")


def edit_one(root: Path) -> Path:
    """Change the first paragraph of one published statement (a stable choice)."""
    path = _first_statement(root)
    text = path.read_text(encoding="utf-8")
    # Prepending keeps any nested record's words verbatim inside the paragraph.
    edited = text.replace('\ntext:\n- "', f'\ntext:\n- "{EDIT_MARK} ', 1)
    if edited == text:
        raise BenchError(f"{path}: no top-level `text:` to edit")
    path.write_text(edited, encoding="utf-8")
    return path


def edit_date(root: Path) -> Path:
    """Date the statement `edit_one` edits on the first of January of its year: an edit
    beyond the words, which moves it in every list it is in (reach.py)."""
    path = _first_statement(root)
    text = path.read_text(encoding="utf-8")
    year = path.parent.name  # the statement's folder is its year
    found = re.search(r'^date: "[^"\n]*"$', text, flags=re.M)
    if found is None:
        raise BenchError(f"{path}: no top-level `date:` to edit")
    day = f'date: "{year}-01-01"'
    if found.group() == day:
        day = f'date: "{year}-01-02"'
    path.write_text(text[: found.start()] + day + text[found.end() :], encoding="utf-8")
    return path


def add_one(root: Path, plan: synth.Blueprint) -> Path:
    """Write one more statement, the one synth would write next."""
    the_cast = synth.cast(plan)
    return synth.write_record(root, "statement", synth.statement(plan, the_cast, plan.files))


def rename_speaker(root: Path, plan: synth.Blueprint) -> Path:
    """Change the display name (not the id) of the first speaker."""
    path = root / "speakers" / f"{synth.cast(plan).speakers[0]}.yaml"
    text = path.read_text(encoding="utf-8")
    renamed = re.sub(r'^name: ".*"$', 'name: "Renamed Spëaker D\'Ñame"', text, count=1, flags=re.M)
    if renamed == text:
        raise BenchError(f"{path}: no `name:` line to change")
    path.write_text(renamed, encoding="utf-8")
    return path


def index_only(root: str, index_root: str) -> None:
    """Load the archive and build its index; print the index build's own seconds.

    Run in a subprocess by the benchmark (`python -c`), so its memory and imports are its own.
    """
    from .records import load_archive
    from .search.index import build_index

    archive = load_archive(root)
    started = time.perf_counter()
    build_index(archive, Path(index_root))
    print(f"{time.perf_counter() - started:.6f}")


def index_alone(root: Path, index_root: Path) -> tuple[float, Run]:
    code = "import sys; from onrecord.bench import index_only; index_only(*sys.argv[1:])"
    run = measured([sys.executable, "-c", code, str(root), str(index_root)], what="index build")
    return float(run.stdout.strip().splitlines()[-1]), run


# -- search ----------------------------------------------------------------------------------------


def cli_query_ms(index_root: Path, runs: int = CLI_RUNS) -> float:
    """Median wall time of `onrecord search WORD --index DIR`, from process start to answer."""
    command = [*onrecord_command(), "search", CLI_WORD, "--index", str(index_root)]
    return statistics.median(
        measured(command, what="onrecord search").wall_s * 1000 for _ in range(runs)
    )


def queries(plan: synth.Blueprint, count: int = QUERY_COUNT) -> list[dict[str, str]]:
    """A fixed list of query parameters: words, phrases, OR, NOT, accents, filters, pages."""
    rng = random.Random(f"bench-queries:{plan.seed}")
    # Content words past the function words, most from the vocabulary's tail: a realistic
    # query matches a share of the statements, not most of them.
    words = [w for w in synth.VOCABULARY[40:2000] if len(w) > 3]
    the_cast = synth.cast(plan)
    special = ["régime", "regime", "Sha'bi", "shabi", "vis-à-vis", "Ñúñez", "nunez", "Qur’an"]
    made: list[dict[str, str]] = []
    for number in range(count):
        kind = number % 8
        word, other = rng.choice(words), rng.choice(words)
        if kind == 0:
            made.append({"q": word})
        elif kind == 1:
            made.append({"q": f"{word} {other}"})
        elif kind == 2:
            made.append({"q": f'"{word} {other}"'})
        elif kind == 3:
            made.append({"q": f"{word} OR {other}", "page": str(rng.randint(1, 3))})
        elif kind == 4:
            made.append({"q": f"{word} -{other}"})
        elif kind == 5:
            made.append({"q": rng.choice(special)})
        elif kind == 6:
            made.append({"q": word, "speaker": rng.choice(the_cast.speakers)})
        else:
            made.append(
                {
                    "q": word,
                    "theme": rng.choice(the_cast.themes),
                    "year": str(rng.randint(2015, 2024)),
                }
            )
    return made


# What transliteration changes and a name's skeleton keeps (variants.py): a vowel for
# another, a letter doubled, qaf written q, gh or k.
_VOWEL_SWAPS = {"a": "e", "e": "i", "i": "e", "o": "u", "u": "o"}


def respelled(word: str, rng: random.Random) -> str:
    """`word` spelled another way a transliteration might: the same skeleton, other letters."""
    lower = word.lower()
    for _ in range(20):
        rule, at = rng.randrange(3), rng.randrange(1, len(lower))
        letter = lower[at]
        if rule == 0 and letter in _VOWEL_SWAPS:
            made = lower[:at] + _VOWEL_SWAPS[letter] + lower[at + 1 :]
        elif rule == 1 and letter.isalpha() and letter not in "aeiouy" and letter != lower[at - 1]:
            made = lower[:at] + letter + lower[at:]
        elif rule == 2 and "q" in lower:
            made = lower.replace("q", rng.choice(("gh", "k")), 1)
        else:
            continue
        if made != lower and skeleton(made) == skeleton(lower):
            return made.capitalize()
    return word


def variant_queries(plan: synth.Blueprint, count: int = QUERY_COUNT // 2) -> list[dict[str, str]]:
    """Names of the cast as another source spells them, alone or with a word, fixed."""
    rng = random.Random(f"bench-variants:{plan.seed}")
    names = [w for name in synth.cast(plan).names.values() for w in name.split() if len(w) > 4]
    words = [w for w in synth.VOCABULARY[40:2000] if len(w) > 3]
    made = []
    for number in range(count):
        name = respelled(rng.choice(names), rng)
        made.append({"q": name if number % 2 else f"{name} {rng.choice(words)}"})
    return made


def listing_queries(plan: synth.Blueprint, count: int = QUERY_COUNT // 2) -> list[dict[str, str]]:
    """Searches without words, fixed: a speaker's, an outlet's, a theme's, a year's, a date
    range's statements, or every statement, newest first, on one of the first pages."""
    rng = random.Random(f"bench-listings:{plan.seed}")
    the_cast = synth.cast(plan)
    made: list[dict[str, str]] = []
    for number in range(count):
        kind = number % 6
        if kind == 0:
            params = {"speaker": rng.choice(the_cast.speakers)}
        elif kind == 1:
            params = {"outlet": rng.choice(the_cast.outlets)}
        elif kind == 2:
            params = {"theme": rng.choice(the_cast.themes)}
        elif kind == 3:
            params = {"year": str(rng.randint(2015, 2024))}
        elif kind == 4:
            start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3400))
            end = start + timedelta(days=rng.randint(7, 365))
            params = {"from": start.isoformat(), "to": end.isoformat()}
        else:
            params = {}
        made.append(params | {"page": str(rng.randint(1, 3))})
    return made


def skeleton_table(index_root: Path) -> dict[str, float]:
    """What the spellings cost the service: the vocabulary's size, its skeleton table's time.

    The index holds no variant data: the table is made from the word list every build
    writes (spellings.txt, for "did you mean" already), once, at the first query needing it.
    """
    spellings_file = Path(os.path.realpath(index_root / "current")) / SPELLINGS
    spellings = read_spellings(spellings_file.parent)
    started = time.perf_counter()
    by_skeleton(spellings)
    return {
        "skeleton_table_ms": (time.perf_counter() - started) * 1000,
        "spellings_kb": spellings_file.stat().st_size / 1024,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(connection: http.client.HTTPConnection, params: dict[str, str]) -> float:
    started = time.perf_counter()
    connection.request("GET", "/api/search.json?" + urlencode(params))
    response = connection.getresponse()
    body = response.read()  # read to the end, or keep-alive cannot reuse the connection
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise BenchError(f"/api/search.json?{urlencode(params)}: {response.status} {body[:300]!r}")
    return elapsed


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"onrecord serve exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"onrecord serve did not listen on port {port} within {timeout} s")


@contextmanager
def _running(
    subcommand: str, settings: Path, timeout: float = 120
) -> Iterator[tuple[int, subprocess.Popen]]:
    """`onrecord <subcommand>` serving on a free port until the block ends; port and process.

    If the block fails, the server's last output is shown with the error.
    """
    port = free_port()
    command = [*onrecord_command(), subcommand, "--settings", str(settings), "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            _wait_until_up(port, server, timeout)
            yield port, server
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace")[-3000:])
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)


def service_latency(settings: Path, plan: synth.Blueprint) -> dict[str, float]:
    """p50/p99 of /api/search.json over the fixed queries, warm, on one keep-alive connection."""
    with _running("serve", settings) as (port, server):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        fixed = queries(plan)
        for params in fixed[:WARM_UP]:  # open the index, fill the caches
            _get(connection, params)
        times = sorted(_get(connection, params) * 1000 for params in fixed)
        respellings = variant_queries(plan)
        for params in respellings[:WARM_UP]:  # the skeleton table is made at the first
            _get(connection, params)
        varied = sorted(_get(connection, params) * 1000 for params in respellings)
        listings = listing_queries(plan)
        for params in listings[:WARM_UP]:  # the order is made at the first
            _get(connection, params)
        listed = sorted(_get(connection, params) * 1000 for params in listings)
        connection.close()
        memory = status_kib(server.pid, "VmHWM") / 1024
    return {
        "query_p50_ms": statistics.median(times),
        "query_p99_ms": percentile_99(times),
        "variant_p50_ms": statistics.median(varied),
        "variant_p99_ms": percentile_99(varied),
        "listing_p50_ms": statistics.median(listed),
        "listing_p99_ms": percentile_99(listed),
        "serve_rss_mb": memory,
    }


def percentile_99(times: list[float]) -> float:
    """The 99th percentile of sorted `times` (the nearest rank)."""
    return times[min(len(times) - 1, round(0.99 * len(times)) - 1)]


def devserver_edit_s(root: Path, settings: Path) -> float:
    """Seconds from saving an edited statement to `make devserver` serving the new text."""
    page = f"/statements/{_first_statement(root).stem}/"
    with _running("devserver", settings, timeout=600) as (port, _):
        time.sleep(2)  # the watcher's first look at the files comes after it listens
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        before = _page_text(connection, page).count(EDIT_MARK)
        edit_one(root)
        started = time.perf_counter()
        while time.perf_counter() - started < 300:
            if _page_text(connection, page).count(EDIT_MARK) > before:
                return time.perf_counter() - started
            time.sleep(0.05)
        raise BenchError(f"the devserver did not show the edit to {page} within 300 s")


def _page_text(connection: http.client.HTTPConnection, path: str) -> str:
    connection.request("GET", path)
    return connection.getresponse().read().decode("utf-8", "replace")


# -- one size, all sizes ---------------------------------------------------------------------------


def commit() -> str | None:
    try:
        answer = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return answer.stdout.strip() or None


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_size(n: int, work: Path, *, with_baseline: bool = True, seed: int = 0) -> dict:
    """Every figure for an archive of `n` statements, measured in `work/n<n>/`."""
    folder = work / f"n{n}"
    shutil.rmtree(folder, ignore_errors=True)
    root, settings = folder / "archive", folder / "archive" / "pelicanconf.py"
    started = time.perf_counter()
    plan = synth.write(n, root, seed)
    result: dict = {"n": n, "statement_files": plan.files}
    result["synth_s"] = time.perf_counter() - started
    progress(f"n={n}: synthesised in {result['synth_s']:.1f} s; cold build")
    cold = timed_build(settings, "cold build")
    result.update(
        cold_s=cold.wall_s,
        cold_cpu_s=cold.cpu_s,
        peak_rss_mb=cold.peak_rss_mb,
        main_rss_mb=cold.main_rss_mb,
        tree_rss_mb=cold.tree_rss_mb,
        **build_split(cold),
    )
    size, files = tree_size(root / "output")
    index_bytes, _ = tree_size(Path(os.path.realpath(root / "var" / "index" / "current")))
    result.update(output_mb=size / MB, files=files, index_mb=index_bytes / MB)
    progress(f"n={n}: cold {cold.wall_s:.1f} s; rebuilds")
    result["noop_s"] = timed_build(settings, "no-op rebuild").wall_s
    edit_one(root)
    edited = timed_build(settings, "rebuild after one edit")
    result.update(
        edit_one_s=edited.wall_s,
        edit_one_rss_mb=edited.peak_rss_mb,
        edit_one_tree_rss_mb=edited.tree_rss_mb,
    )
    edit_date(root)
    result["edit_date_s"] = timed_build(settings, "rebuild after one date edited").wall_s
    add_one(root, plan)
    result["add_one_s"] = timed_build(settings, "rebuild after one added").wall_s
    rename_speaker(root, plan)
    result["rename_speaker_s"] = timed_build(settings, "rebuild after a rename").wall_s
    progress(f"n={n}: Pagefind")
    settled(root)
    result.update(pagefind_alone(root / "output", folder / "pagefind-only"))
    timed_build(settings, "rebuild with Pagefind", pagefind=True)  # its index, now current
    edit_one(root)
    edited = timed_build(settings, "rebuild after one edit, Pagefind on", pagefind=True)
    result["edit_one_pagefind_s"] = edited.wall_s
    settled(root)
    result["devserver_edit_s"] = devserver_edit_s(root, settings)
    progress(f"n={n}: index alone, queries")
    settled(root)
    result["index_s"], index_run = index_alone(root, folder / "index-only")
    result["index_wall_s"] = index_run.wall_s
    result["cli_query_ms"] = cli_query_ms(root / "var" / "index")
    settled(root)
    result.update(service_latency(settings, plan))
    result.update(skeleton_table(root / "var" / "index"))
    empty = dict.fromkeys(
        ("baseline_pelican_s", "baseline_cpu_s", "baseline_rss_mb", "baseline_output_mb")
    )
    result.update({**empty, "baseline_files": None, "ratio_vs_pelican": None})
    if with_baseline:
        progress(f"n={n}: stock Pelican baseline")
        result.update(benchpeers.pelican(folder / "baseline", plan))
        result["ratio_vs_pelican"] = result["cold_s"] / result["baseline_pelican_s"]
    # Hugo always runs (a minute at 100,000, where stock Pelican takes a quarter of an hour).
    progress(f"n={n}: Hugo baseline")
    result.update(benchpeers.hugo(folder / "hugo", plan))
    result["ratio_vs_hugo"] = result["cold_s"] / result["baseline_hugo_s"]
    result.update(
        cpu_count=os.cpu_count(),
        commit=commit(),
        python=sys.version.split()[0],
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return {key: result[key] for key in KEYS}


COLUMNS = (
    ("n", "n", "{:d}"),
    ("cold_s", "cold s", "{:.1f}"),
    ("cold_cpu_s", "cpu s", "{:.1f}"),
    ("noop_s", "noop s", "{:.1f}"),
    ("edit_one_s", "edit s", "{:.1f}"),
    ("edit_date_s", "date s", "{:.1f}"),
    ("add_one_s", "add s", "{:.1f}"),
    ("rename_speaker_s", "rename s", "{:.1f}"),
    ("devserver_edit_s", "dev s", "{:.1f}"),
    ("pagefind_s", "pagefind s", "{:.1f}"),
    ("pagefind_peak_rss_mb", "pf MiB", "{:.0f}"),
    ("index_s", "index s", "{:.1f}"),
    ("cli_query_ms", "cli ms", "{:.0f}"),
    ("query_p50_ms", "p50 ms", "{:.1f}"),
    ("query_p99_ms", "p99 ms", "{:.1f}"),
    ("variant_p99_ms", "var p99", "{:.1f}"),
    ("listing_p99_ms", "list p99", "{:.1f}"),
    ("peak_rss_mb", "rss MiB", "{:.0f}"),
    ("main_rss_mb", "py MiB", "{:.0f}"),
    ("output_mb", "out MB", "{:.0f}"),
    ("files", "files", "{:d}"),
    ("baseline_pelican_s", "pelican s", "{:.1f}"),
    ("ratio_vs_pelican", "ratio", "{:.2f}"),
    ("baseline_hugo_s", "hugo s", "{:.1f}"),
    ("ratio_vs_hugo", "ratio", "{:.1f}"),
)


def table(results: list[dict]) -> str:
    rows = [[title for _, title, _ in COLUMNS]]
    for result in results:
        rows.append(
            [
                "-" if result.get(key) is None else form.format(result[key])
                for key, _, form in COLUMNS
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


# The README's Performance table is made from bench/results.json, never typed.
README = REPO / "README.md"
TABLE_START, TABLE_END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


def _figure(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def _memory(mib: float | None) -> str:
    if mib is None:
        return "-"
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def markdown_table(results: list[dict]) -> str:
    """The README's table of `results`: one row per size, with the commit it measured."""
    head = (
        "| statements | commit | cold build (site + index) | stock Pelican | ratio | Hugo | ratio "
        "| no-op rebuild | edit one | edit a date | add one | rename a speaker "
        "| devserver: edit to page "
        "| index alone | search p50 / p99 (service) | listing p50 / p99 | peak RSS | Pagefind "
        "| output |"
    )
    rows = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in results:
        seconds = {key: _figure(r.get(key), "{:.1f} s") for key in KEYS if key.endswith("_s")}
        cells = [
            f"{r['n']:,}",
            f"`{(r.get('commit') or '-')[:7]}`",
            seconds["cold_s"],
            seconds["baseline_pelican_s"],
            _figure(r.get("ratio_vs_pelican"), "{:.2f}"),
            seconds["baseline_hugo_s"],
            _figure(r.get("ratio_vs_hugo"), "{:.1f}"),
            seconds["noop_s"],
            seconds["edit_one_s"],
            seconds["edit_date_s"],
            seconds["add_one_s"],
            seconds["rename_speaker_s"],
            seconds["devserver_edit_s"],
            seconds["index_s"],
            f"{_figure(r.get('query_p50_ms'), '{:.1f}')} / "
            f"{_figure(r.get('query_p99_ms'), '{:.1f}')} ms",
            f"{_figure(r.get('listing_p50_ms'), '{:.1f}')} / "
            f"{_figure(r.get('listing_p99_ms'), '{:.1f}')} ms",
            _memory(r.get("peak_rss_mb")),
            f"{seconds['pagefind_s']}, {_memory(r.get('pagefind_peak_rss_mb'))}",
            f"{_figure(r.get('output_mb'), '{:,.0f}')} MB, {_figure(r.get('files'), '{:,}')} files",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def with_table(readme: str, results: list[dict]) -> str:
    """`readme` with the text between the table's markers made from `results`."""
    before, start, rest = readme.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not (start and end):
        raise BenchError(f"README.md has no {TABLE_START} … {TABLE_END} markers")
    return f"{before}{start}\n{markdown_table(results)}\n{end}{after}"


def write_readme_table(results_file: Path, readme: Path = README) -> None:
    results = json.loads(results_file.read_text(encoding="utf-8"))
    readme.write_text(with_table(readme.read_text(encoding="utf-8"), results), encoding="utf-8")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are whole numbers, e.g. 1000,10000: {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"at least one size, each 1 or more: {text!r}")
    return sizes


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m onrecord.bench", description=__doc__.split("\n")[0]
    )
    top.add_argument(
        "--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="e.g. 1000,10000"
    )
    top.add_argument("--large", action="store_true", help=f"add {LARGE_SIZE:,} statements")
    top.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the results file (JSON)")
    top.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the corpora go")
    top.add_argument(
        "--no-baseline", action="store_true", help="skip the stock Pelican build (Hugo still runs)"
    )
    top.add_argument(
        "--baseline-up-to",
        type=int,
        default=BASELINE_UP_TO,
        help=f"stock Pelican only up to this size (default {BASELINE_UP_TO:,}; Hugo always)",
    )
    top.add_argument("--seed", type=int, default=0, help="the synthetic archive's seed")
    top.add_argument(
        "--readme-only",
        action="store_true",
        help="measure nothing: remake README.md's Performance table from the results file",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.readme_only:
        write_readme_table(args.out)
        return 0
    sizes = sorted(set(args.sizes + ([LARGE_SIZE] if args.large else [])))
    results: list[dict] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        for n in sizes:
            results.append(
                measure_size(
                    n,
                    args.work.resolve(),
                    with_baseline=not args.no_baseline and n <= args.baseline_up_to,
                    seed=args.seed,
                )
            )
            # Written after each size: a long --large run keeps what it measured so far.
            args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(table(results))
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
