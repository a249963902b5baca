"""The feeds' entries (feeds.newest) against heapq.nlargest over each feed's list."""

from __future__ import annotations

import heapq
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from onrecord.feeds import feed_order, newest
from onrecord.model import Archive, PartialDate, Statement

SPEAKERS = ("ana", "bo", "cy")
THEMES = ("oil", "gas", "law", "war")
DAYS = (None, date(2020, 1, 1), date(2020, 1, 2), date(2021, 6, 30))
DATES = (None, PartialDate(2019), PartialDate(2019, 5), PartialDate(2019, 5, 2))


@st.composite
def statements(draw) -> dict[str, Statement]:
    found = {}
    for number in range(draw(st.integers(0, 40))):
        found[f"s{number:02d}"] = Statement(
            id=f"s{number:02d}",
            speaker_id=draw(st.sampled_from(SPEAKERS)),
            source_id="src",
            paragraphs=("Words.",),
            attribution="primary",
            date=draw(st.sampled_from(DATES)),
            theme_ids=tuple(draw(st.lists(st.sampled_from(THEMES), unique=True, max_size=3))),
            withdrawn_on=draw(st.sampled_from((None, None, None, date(2022, 1, 1)))),
            last_changed=draw(st.sampled_from(DAYS)),
        )
    return found


def feeds_of(statement: Statement) -> list:
    return ["all", ("speaker", statement.speaker_id), *(("theme", t) for t in statement.theme_ids)]


@settings(max_examples=200, deadline=None)
@given(statements(), st.integers(1, 12))
def test_each_feed_lists_what_nlargest_picks(records: dict, count: int) -> None:
    archive = Archive.of({}, {}, {}, {}, records)
    lists = {"all": archive.chronological}
    lists |= {("speaker", s): archive.by_speaker.get(s, []) for s in SPEAKERS}
    lists |= {("theme", t): archive.by_theme.get(t, []) for t in THEMES}
    picked = newest(archive.chronological, feeds_of, {f: len(m) for f, m in lists.items()}, count)
    assert picked.keys() == lists.keys()
    for feed, members in lists.items():
        assert picked[feed] == heapq.nlargest(count, members, key=feed_order), feed


def test_a_feed_it_is_not_told_of_is_passed_by() -> None:
    one = Statement("s1", "ana", "src", ("Words.",), "primary", theme_ids=("oil",))
    assert newest([one], feeds_of, {"all": 1}, 5) == {"all": [one]}
    assert newest([one], feeds_of, {"all": 0, ("theme", "oil"): 0}, 5) == {
        "all": [],
        ("theme", "oil"): [],
    }
