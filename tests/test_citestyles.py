"""`citestyles.render`: the APA, Chicago and MLA entries of cite.py's citeproc, without citeproc.

The specification is citeproc itself: for every item `cite.csl_item` can make, `render`
gives the (HTML, text) pairs `cite.citation_html` and `cite.citation_text` give, byte for
byte; and it refuses any other item (another shape, or a field it does not match citeproc
on) rather than guess.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import SEED

from onrecord import cite, citestyles, synth, urls
from onrecord.citestyles import UnsupportedItem
from onrecord.records import load_archive

SITE = "https://onrecord.example"
SYNTHETIC_STATEMENTS = 300


def citeproc(item: dict) -> dict[str, tuple[str, str]]:
    """What cite.py renders through citeproc: the reference."""
    return {
        style: (cite.citation_html(item, style), cite.citation_text(item, style))
        for style in cite.STYLES
    }


def archive_items(root: Path) -> list[dict]:
    """The CSL-JSON item of every statement of the archive at `root`, as the generator makes it."""
    archive = load_archive(root)
    return [
        cite.csl_item(statement, archive, urls.absolute(SITE, urls.record("statement", id_)))
        for id_, statement in archive.statements.items()
    ]


def differences(items: list[dict]) -> list[tuple[str, str, tuple, tuple]]:
    """(item id, style, citeproc's pair, render's pair) wherever the two differ."""
    found = []
    for item in items:
        expected, rendered = citeproc(item), citestyles.render(item)
        found += [
            (item["id"], style, expected[style], rendered[style])
            for style in expected
            if rendered[style] != expected[style]
        ]
    return found


def item(**changes: object) -> dict:
    """A dated speech by a person at an occasion, with `changes` made.

    `event_title` stands for `event-title` and so on; a field changed to None is left out.
    """
    fields: dict = {
        "id": "edge-case",
        "type": "speech",
        "author": [{"family": "Jafari", "given": "Mohammad Ali"}],
        "title": 'IRGC Commander Jafari: "The Global Basij Has Already Been Formed"',
        "issued": {"date-parts": [[2017, 11, 26]]},
        "event-title": "Basij conference",
        "language": "en",
        "URL": f"{SITE}/statements/edge-case/",
        "note": "Quoted in At Sochi Conference, footnote 5",
    }
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def dated(year: int, month: int, day: int) -> dict:
    return {"date-parts": [[year, month, day]]}


def statement_on_day(day: int) -> dict:
    """A speech, an interview or an article in turn, on `day` of a month that turns with it."""
    kind = ("speech", "interview", "article-newspaper")[day % 3]
    return item(
        type=kind,
        issued=dated(2020, (day - 1) % 12 + 1, day),
        event_title="rally" if kind == "speech" else None,
        container_title=None if kind == "speech" else "Al-Arabiya",
    )


# Every combination of fields csl_item can write: a speech may have an occasion and an
# outlet, an interview and a newspaper article only an outlet; any of them may be undated.
AUTHORS = {
    "person": {"family": "Jafari", "given": "Mohammad Ali"},
    "one-word-name": {"family": "Khamenei"},
    "organisation": {"literal": "Fatemiyoun Division"},
}
SHAPES = {
    f"{kind}-{'dated' if issued else 'undated'}-{'event' if event else 'no-event'}-"
    f"{'outlet' if outlet else 'no-outlet'}-{author}": item(
        type=kind,
        author=[AUTHORS[author]],
        issued=dated(2017, 3, 4) if issued else None,
        event_title="press conference" if event else None,
        container_title="Kayhan" if outlet else None,
    )
    for kind, issued, event, outlet, author in itertools.product(
        ("speech", "interview", "article-newspaper"),
        (True, False),
        (True, False),
        (True, False),
        AUTHORS,
    )
    if kind == "speech" or not event
}

EDGE_CASES = {
    # names
    "name-with-particle": item(author=[{"family": "bin Salman", "given": "Mohammed"}]),
    "name-with-two-particles": item(author=[{"family": "van der Berg", "given": "Jan"}]),
    "hyphenated-given-name": item(author=[{"family": "Sartre", "given": "Jean-Paul"}]),
    "given-name-in-lower-case": item(author=[{"family": "Hassan", "given": "ʿAli al-Sayyid"}]),
    "given-name-of-initials": item(author=[{"family": "Jafari", "given": "M. A."}]),
    "apostrophes-and-accents": item(author=[{"family": "O'Ñúñez", "given": "José Sha'bi"}]),
    "organisation-ending-in-a-period": item(author=[{"literal": "Hezbollah Media Inc."}]),
    "persian-name-and-title": item(
        author=[{"family": "خامنه‌ای", "given": "علی"}],
        title="بیانات در دیدار شرکت‌کنندگان در کنفرانس",
        event_title="کنفرانس اهل بیت",
        language="fa",
    ),
    "arabic-organisation-and-outlet": item(
        type="article-newspaper",
        author=[{"literal": "حزب الله"}],
        title="بيان صادر عن العلاقات الإعلامية",
        event_title=None,
        container_title="الأخبار",
        language="ar",
    ),
    # titles
    "title-with-markup": item(title='Q&A: <script>alert("x")</script> & <b>more</b>'),
    "title-with-entities": item(title="&amp; &lt;i&gt; &#39; &nbsp;"),
    "title-with-nested-quotes": item(title="Jafari: \"We Are Ready To 'Obey' [Him]\" ‘and’ “more”"),
    "title-in-lower-case-with-stop-words": item(title="the end of the war: a view. and the rest"),
    "title-with-mixed-case-words": item(title="iPhone, al-Assad and the U.S. in al-Quds"),
    "title-with-runs-of-spaces": item(title="the  war\tand\n the  peace"),
    "title-ending-in-a-period": item(title="He said so."),
    "title-ending-in-a-question-mark": item(title="Who won?"),
    "title-ending-in-a-period-in-an-outlet": item(container_title="Kayhan", title="He said."),
    "english-dialect-title": item(title="the end of the war", language="en-GB"),
    "non-english-latin-title": item(title="la fin de la guerre", language="fr"),
    "persian-title-tagged-english": item(title="بیانات  در دیدار", language="en"),
    "stand-in-characters-in-a-title": item(title="the \ue000war\ue001 of \ue002words"),
    # occasions, outlets, permalinks
    "occasion-ending-in-a-period": item(event_title="Conference of the Supporters of Ahl al-Bayt."),
    "occasion-starting-with-an-accent": item(event_title="élite gathering"),
    "occasion-starting-with-sharp-s": item(event_title="ßtraße rally"),
    "outlet-with-ampersand-and-period": item(container_title="al-Quds & Co."),
    "interview-in-lower-case-outlet": item(
        type="interview", event_title=None, container_title="the daily star: online"
    ),
    "trailing-spaces": item(
        author=[{"family": "Jafari ", "given": "Ali  "}],
        title="the war ",
        event_title="rally\t ",
        URL=f"{SITE}/statements/edge-case/ ",
    ),
    "permalink-ending-in-a-period": item(URL=f"{SITE}/statements/edge-case."),
    # dates
    "first-year": item(issued=dated(1, 1, 1)),
    "last-three-digit-year": item(issued=dated(999, 12, 31)),
    "first-four-digit-year": item(issued=dated(1000, 6, 15)),
    "last-year": item(issued=dated(9999, 12, 31)),
    "undated-interview-in-an-outlet": item(type="interview", event_title=None, issued=None),
    **{f"day-{day}": statement_on_day(day) for day in range(1, 32)},
}

UNSUPPORTED = {
    "two-authors": item(author=[{"family": "A", "given": "B"}, {"family": "C", "given": "D"}]),
    "no-author": item(author=[]),
    "name-with-a-suffix": item(author=[{"family": "A", "given": "B", "suffix": "Jr."}]),
    "a-book": item(type="book"),
    "interview-at-an-occasion": item(type="interview"),
    "empty-title": item(title=""),
    "blank-outlet": item(container_title="\xa0"),
    "title-starting-with-a-space": item(title=" The war"),
    "name-starting-with-a-space": item(author=[{"literal": " Kayhan"}]),
    "year-only": item(issued={"date-parts": [[2017]]}),
    "day-zero": item(issued=dated(2017, 1, 0)),
    "year-zero": item(issued=dated(0, 1, 1)),
    "month-thirteen": item(issued=dated(2017, 13, 1)),
    "a-date-as-text": item(issued={"date-parts": [["2017", "1", "1"]]}),
    "a-date-range": item(issued={"date-parts": [[2017, 1, 1], [2017, 1, 2]]}),
    "a-publisher": item(publisher="Example Press"),
    "no-permalink": item(URL=None),
}


@pytest.fixture(scope="module")
def synthetic_items(tmp_path_factory) -> list[dict]:
    root = tmp_path_factory.mktemp("citestyles") / "archive"
    synth.write(SYNTHETIC_STATEMENTS, root)
    return archive_items(root)


def test_render_gives_the_styles_of_cite_in_their_order():
    assert tuple(cite.STYLES) == citestyles.STYLE_KEYS
    assert tuple(citestyles.render(item())) == tuple(cite.STYLES)


def test_every_committed_statement_renders_as_citeproc_renders_it():
    items = archive_items(SEED)
    assert items
    assert differences(items) == []


def test_every_synthetic_statement_renders_as_citeproc_renders_it(synthetic_items):
    assert len(synthetic_items) >= SYNTHETIC_STATEMENTS
    assert differences(synthetic_items) == []


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_every_item_shape_renders_as_citeproc_renders_it(shape):
    assert citestyles.render(shape) == citeproc(shape)


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_case_renders_as_citeproc_renders_it(case):
    assert citestyles.render(case) == citeproc(case)


def test_record_markup_is_escaped_in_html_and_kept_in_text():
    html, text = citestyles.render(item(title="Q&A <b>", event_title=None))["apa"]
    assert "<i>Q&amp;A &lt;b&gt;</i>" in html
    assert "Q&A <b>." in text


def test_a_doubled_period_is_dropped_between_plain_words_but_not_after_italics():
    html, text = citestyles.render(item(title="He said so.", event_title="Rally."))["apa"]
    assert "<i>He said so.</i>. Rally. https://" in html
    assert "He said so.. Rally. https://" in text


def test_only_english_titles_are_title_cased():
    english = citestyles.render(item(title="the end of the war"))["chicago"][1]
    french = citestyles.render(item(title="la fin de la guerre", language="fr"))["chicago"][1]
    assert "“The End of the War”" in english
    assert "“la fin de la guerre”" in french


def test_mla_gives_an_interview_its_date_once():
    interview = item(type="interview", event_title=None, issued=dated(2017, 9, 3))
    mla = citestyles.render(interview)["mla"][1]
    assert "3 Sept. 2017, https://" in mla
    assert mla.count("3 Sept. 2017") == 1


def test_apa_retrieves_an_undated_statement_from_its_permalink():
    assert citestyles.render(item(issued=None))["apa"][1].endswith(
        f"(n.d.). {item()['title']}. Basij conference. Retrieved {SITE}/statements/edge-case/"
    )


@pytest.mark.parametrize("case", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_an_item_render_cannot_match_is_refused(case):
    with pytest.raises(UnsupportedItem):
        citestyles.render(case)
