"""Time `history.with_history` on a synthetic archive with a synthetic git history.

    PYTHONPATH=plugins python scripts/history_bench.py [--n 10000] [--commits 300] [--keep DIR]

Writes `--n` synthetic statements (`onrecord synth`) into a new git repository, commits
them, then makes `--commits` commits each editing 3 statement files: a paragraph's words,
the role, the themes, the date, or (one edit in six) the layout only, and packs the
repository as a clone is. Prints the seconds of `with_history` with a cold and a warm blob
cache (the best of 3 each).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from onrecord import history, synth
from onrecord.records import load_archive


def git(root: Path, *args: str, day: int = 0) -> None:
    stamp = f"@{1704110400 + day * 86400} +0000"
    env = dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def edit(text: str, rng: random.Random) -> str:
    kind = rng.choice(["words", "words", "role", "themes", "date", "layout"])
    if kind == "words":
        lines = text.splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith('- "'))
        lines[at] = lines[at].replace('- "', '- "Corrected: ', 1)
        return "".join(lines)
    if kind == "role":
        return re.sub(r"^role: .*$", f'role: "role {rng.randrange(10**6)}"', text, flags=re.M)
    if kind == "themes":
        return re.sub(r"^themes:\n(- .*\n)+", "themes: []\n", text, flags=re.M)
    if kind == "date":
        # The year stays (it names the statement's folder): the precision changes.
        year = re.search(r'^date: "(\d{4})', text, flags=re.M)
        if year is None:
            return text.replace("\nsource: ", "\n# a layout-only change\nsource: ", 1)
        month = "" if re.search(r'^date: "\d{4}"', text, flags=re.M) else "-06"
        return re.sub(r"^date: .*$", f'date: "{year[1]}{month}"', text, count=1, flags=re.M)
    return text.replace("\nsource: ", "\n# a layout-only change\nsource: ", 1)


def make(root: Path, n: int, commits: int) -> None:
    synth.write(n, root)
    git(root, "init", "-q")
    git(root, "config", "user.email", "bench@example.org")
    git(root, "config", "user.name", "bench")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "synthetic archive")
    files = sorted((root / "content" / "statements").rglob("*.yaml"))
    rng = random.Random(19)
    for number in range(1, commits + 1):
        changed = rng.sample(files, 3)
        for path in changed:
            path.write_text(edit(path.read_text(encoding="utf-8"), rng), encoding="utf-8")
        git(root, "add", *[str(p) for p in changed])
        git(root, "commit", "-q", "-m", f"edit {number}", day=number)
    git(root, "gc", "-q")  # packed, as a clone is (loose trees make `git log` 2-3 times slower)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="history-bench-"))
    try:
        if not (root / ".git").exists():
            started = time.perf_counter()
            make(root, args.n, args.commits)
            print(f"made the repository in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        archive = load_archive(root)
        cache = root / "var" / "cache"
        cold, warm = [], []
        for _ in range(3):
            shutil.rmtree(cache, ignore_errors=True)
            started = time.perf_counter()
            history.with_history(archive, root, cache)
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = history.with_history(archive, root, cache)
            warm.append(time.perf_counter() - started)
        started = time.perf_counter()
        history.read_log(root)
        log_s = time.perf_counter() - started
        changes = sum(len(s.history or ()) for s in result.statements.values())
        corrected = len(history.corrections(result.statements.values()))
        print(
            f"{len(archive.statements)} statements, {args.commits + 1} commits: "
            f"with_history cold {min(cold):.2f} s, warm {min(warm):.2f} s "
            f"(git log {log_s:.2f} s); {changes} changes, {corrected} corrections"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
