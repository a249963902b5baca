"""Measuring one subprocess of the benchmark: its wall and CPU time and its memory.

Every measured step is its own subprocess, waited for with `os.wait4`, so wall time, CPU
time and peak memory belong to that step alone; CPU time includes any worker processes it
waited for. `peak_rss_mb` is the largest single process of the tree (ru_maxrss);
`main_rss_mb` is the started process's own high-water mark (VmHWM, read until it exits);
`tree_rss_mb` sums the tree, polled.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000  # output sizes in MB (10^6 bytes), memory in MiB as the kernel counts it


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and shows its error output."""


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # ru_maxrss: the largest single process of the tree
    main_rss_mb: float  # the started process's own high-water mark (VmHWM), polled
    tree_rss_mb: float  # the largest polled sum of RSS over the process and its descendants
    stdout: str


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(child) for child in children)
        todo.extend(int(child) for child in children)
    return found


def status_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _poll_memory(pid: int, done: threading.Event, peak: dict[str, int]) -> None:
    while not done.wait(0.05):
        tree = sum(status_kib(p) for p in (pid, *_descendants(pid)))
        peak["tree"] = max(peak["tree"], tree)
        # VmHWM only grows: the last reading before the process ends is its peak.
        peak["main"] = max(peak["main"], status_kib(pid, "VmHWM"))


def measured(command: Sequence[str], *, cwd: Path | None = None, what: str = "") -> Run:
    """Run `command` to its end; its wall and CPU time and memory. BenchError when it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # Output goes to files, not pipes: nobody reads a pipe while wait4 blocks.
        process = subprocess.Popen(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        done, peak = threading.Event(), {"tree": 0, "main": 0}
        poller = threading.Thread(target=_poll_memory, args=(process.pid, done, peak))
        poller.start()
        # wait4, not getrusage(RUSAGE_CHILDREN): the figures of this one child, not a running sum.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        poller.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise BenchError(
            f"{what or command[0]} failed (exit {process.returncode}): "
            f"{' '.join(map(str, command))}\n{stderr[-3000:]}"
        )
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        main_rss_mb=peak["main"] / 1024,
        tree_rss_mb=peak["tree"] / 1024,
        stdout=stdout,
    )


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) under `folder`, symlinks not followed."""
    total = count = 0
    for base, _, names in os.walk(folder):
        for name in names:
            stat = os.lstat(os.path.join(base, name))
            total += stat.st_size
            count += 1
    return total, count
