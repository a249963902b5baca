"""Dates as precise as the source: a year, a month, or a day, shown, sorted and emitted as such.

The seed fixture is copied with one statement dated only by month (`2017-11`), one only by
year (`2017`) and the source's publication dated by month, then built for real.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import SEED, build_records, copy_records

from onrecord import cite, cli
from onrecord.model import PartialDate
from onrecord.records import load_archive

MONTH_ONLY, YEAR_ONLY = "salami-martyrs-conference", "mohammadi-javan-article"
STATEMENTS = Path("content/statements/2017")
ATOM = "{http://www.w3.org/2005/Atom}"


def set_field(path: Path, field: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(rf"^{field}: .*$", f'{field}: "{value}"', text, count=1, flags=re.M)
    assert count == 1
    path.write_text(changed, encoding="utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = copy_records(tmp_path_factory.mktemp("partial") / "archive")
    (root / "permalinks.txt").write_bytes((SEED / "permalinks.txt").read_bytes())
    set_field(root / STATEMENTS / f"{MONTH_ONLY}.yaml", "date", "2017-11")
    set_field(root / STATEMENTS / f"{YEAR_ONLY}.yaml", "date", "2017")
    set_field(root / "content/sources/sochi-triumph-report.yaml", "published", "2017-11")
    return root


@pytest.fixture(scope="module")
def archive(root: Path):
    return load_archive(root)


@pytest.fixture(scope="module")
def output(root: Path, tmp_path_factory) -> Path:
    return build_records(root, tmp_path_factory.mktemp("partial-site")) / "output"


def soup(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path / "index.html").read_bytes(), "html.parser")


@pytest.mark.parametrize(
    ("text", "shown"), [("2017-11-23", "2017-11-23"), ("2017-11", "2017-11"), ("2017", "2017")]
)
def test_reduced_precision_reads_and_writes_as_iso(text, shown):
    assert PartialDate.parse(text).isoformat() == shown


@pytest.mark.parametrize("text", ["2017-13", "2017-02-30", "17", "2017-1", "Nov 2017", "2017-11-"])
def test_what_is_no_date_is_refused(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_a_month_sorts_after_its_days_and_a_year_after_its_months(archive):
    order = [s.id for s in archive.chronological if s.date]
    dated = [s for s in archive.chronological if s.date and s.date.day]
    assert order.index(MONTH_ONLY) > max(order.index(s.id) for s in dated)
    assert order[-1] == YEAR_ONLY


def test_pages_show_the_date_as_written(output):
    page = soup(output, f"statements/{MONTH_ONLY}")
    time = page.select_one("dl.attribution time")
    assert (time["datetime"], time.get_text()) == ("2017-11", "November 2017")
    assert soup(output, f"statements/{YEAR_ONLY}").select_one("dl.attribution time").get_text() == (
        "2017"
    )
    source = soup(output, "sources/sochi-triumph-report").select_one("dl.attribution time")
    assert source.get_text() == "November 2017"


def test_the_timeline_places_a_year_only_statement_under_month_not_stated(output):
    page = soup(output, "timeline")
    headings = [h.get_text() for h in page.find_all("h3")]
    assert headings[-1] == "2017, month not stated"
    assert "November 2017" in headings


def test_jsonld_csl_and_exports_carry_the_reduced_date(output, archive):
    page = soup(output, f"statements/{MONTH_ONLY}")
    data = json.loads(page.find("script", type="application/ld+json").string)
    created = [
        node.get("dateCreated")
        for node in ([data] + data.get("@graph", []) if isinstance(data, dict) else data)
    ]
    assert "2017-11" in json.dumps(data) and created
    item = cite.csl_item(archive.statements[MONTH_ONLY], archive, "https://x.test/")
    assert item["issued"] == {"date-parts": [[2017, 11]]}
    year_item = cite.csl_item(archive.statements[YEAR_ONLY], archive, "https://x.test/")
    assert year_item["issued"] == {"date-parts": [[2017]]}
    exported = json.loads((output / "statements" / f"{MONTH_ONLY}.json").read_text("utf-8"))
    assert exported["date"] == "2017-11"


def test_citations_of_a_month_dated_statement_name_the_month(archive):
    item = cite.csl_item(archive.statements[MONTH_ONLY], archive, "https://x.test/")
    text = {style: plain for style, (_, plain) in cite.citations(item).items()}
    assert "(2017, November)" in text["apa"]
    assert "Nov. 2017" in text["mla"] or "November 2017" in text["mla"]


def test_atom_gives_no_invented_published_day(output):
    root = ET.parse(output / "feeds" / "all.atom.xml").getroot()
    for entry in root.findall(f"{ATOM}entry"):
        if entry.find(f"{ATOM}id").text.endswith(f"/{MONTH_ONLY}/"):
            assert entry.find(f"{ATOM}published") is None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", entry.find(f"{ATOM}updated").text)
            break
    else:
        pytest.fail("the month-dated statement is not in the feed")


def test_check_refuses_an_impossible_month_with_the_forms_it_takes(root, tmp_path, capsys):
    import shutil

    copy = Path(shutil.copytree(root, tmp_path / "copy"))
    set_field(copy / STATEMENTS / f"{MONTH_ONLY}.yaml", "date", "2017-13")
    assert cli.main(["--root", str(copy), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{MONTH_ONLY}.yaml:5:7: `date` is not a real date: '2017-13'" in err
    assert "YYYY-MM or YYYY" in err


def test_reduced_dates_make_valid_html_and_feeds(output):
    from content_checks import feed_problems, html_errors

    assert html_errors(output) == []
    assert feed_problems(output) == []
