"""A bounded load check of the search service: 2,000 requests, 16 at a time, no errors.

Latencies are printed (run with -s to see them), never asserted: they depend on the machine.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import SEED
from test_serve import archive_with, fetch, running_server

from onrecord.model import Archive
from onrecord.records import load_archive
from onrecord.search import build_index

REQUESTS = 2_000
CONCURRENCY = 16
# A fixed mix: every kind of search answer (hits, facets, filters, suggestion, listing, API)
# and the static files a page view fetches.
MIX = [
    "/search/?q=Basij",
    "/search/?q=resistance+axis",
    "/search/?q=basj",
    "/search/?q=Jafari&theme=syria",
    "/search/?speaker=mohammad-ali-jafari",
    "/search/",
    "/api/search.json?q=Israel",
    "/api/search.json?q=%22resistance+axis%22&year=2017",
    "/",
    "/theme/css/site.css",
    "/theme/js/site.js",
    "/statements/jafari-basij-conference/",
    "/speakers/",
    "/feeds/all.atom.xml",
]


class Progress:
    """The number of requests answered so far, for a thread waiting for the load to get there."""

    def __init__(self) -> None:
        self.answered = 0
        self.changed = threading.Condition()

    def tick(self) -> None:
        with self.changed:
            self.answered += 1
            self.changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self.changed:
            # Bounded: a load that died early must not hang the waiting thread.
            self.changed.wait_for(lambda: self.answered >= count, timeout=60)


def worker(port: int, paths: list[str], progress: Progress) -> tuple[list[float], list[str]]:
    """Request `paths` in order over one keep-alive connection: latencies and failures."""
    latencies, failures = [], []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for path in paths:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{path}: {error!r}")
                connection.close()  # the next request opens a new connection
                continue
            finally:
                progress.tick()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
    finally:
        connection.close()
    return latencies, failures


def load(port: int, progress: Progress) -> tuple[list[float], list[str]]:
    """REQUESTS requests over MIX, CONCURRENCY connections at once."""
    paths = [MIX[n % len(MIX)] for n in range(REQUESTS)]
    shares = [paths[n::CONCURRENCY] for n in range(CONCURRENCY)]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda share: worker(port, share, progress), shares))
    return [t for latencies, _ in results for t in latencies], [f for _, fs in results for f in fs]


def report(title: str, latencies: list[float], seconds: float) -> None:
    percentiles = statistics.quantiles(latencies, n=100)
    print(
        f"\n{title}: {len(latencies)} requests in {seconds:.1f} s "
        f"({len(latencies) / seconds:.0f}/s), p50 {percentiles[49] * 1000:.1f} ms, "
        f"p99 {percentiles[98] * 1000:.1f} ms"
    )


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture
def port(archive, output, tmp_path) -> Iterator[int]:
    """The service over the seed site and an index of this test's own."""
    build_index(archive, tmp_path / "index")
    with running_server(output, tmp_path / "index", tmp_path / "log") as port:
        yield port


def test_load_of_searches_and_pages_has_no_errors(port):
    started = time.perf_counter()
    latencies, failures = load(port, Progress())
    report("load", latencies, time.perf_counter() - started)
    assert failures == []


def test_load_while_the_index_is_swapped_twice_has_no_errors(port, archive, tmp_path):
    rebuilt = archive_with(archive, {"okapi-statement": "The okapi spoke."})
    progress = Progress()

    def rebuild_twice() -> None:
        # At a third and two thirds of the load, so both swaps land among the requests.
        progress.wait_for(REQUESTS // 3)
        build_index(archive, tmp_path / "index")
        progress.wait_for(2 * REQUESTS // 3)
        build_index(rebuilt, tmp_path / "index")  # "okapi" is only in this build

    swapper = threading.Thread(target=rebuild_twice)
    started = time.perf_counter()
    swapper.start()
    latencies, failures = load(port, progress)
    swapper.join()
    report("load during two index swaps", latencies, time.perf_counter() - started)
    assert failures == []
    found = fetch(port, "/api/search.json?q=okapi").json
    assert [hit["id"] for hit in found["hits"]] == ["okapi-statement"]
