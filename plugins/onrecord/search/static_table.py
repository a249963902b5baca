"""What the static page needs to answer as the service does: spellings, other names, typos.

On a static host Pagefind runs the query in the browser (theme/static/js/static-search.js),
and the service's three helps with a query word need what only the service's index knows:
the archive's vocabulary. `onrecord build` writes it beside the Pagefind index as one small
JSON file (`urls.search_table()`, `search/spellings.json`), made here from the same word
list the service reads (the index build's spellings) and by the same code:

- `skeletons`: each skeleton with the archive's words of that skeleton, most used first,
  each followed by the number of statements using it (`variants.by_skeleton`). The page
  expands a query word the archive does not hold into the words of its skeleton, as
  `query.with_variants` does; static-search.js has `skeleton()` ported line for line (a test
  runs both on the vocabulary of the seed archive).
- `words`: the archive's other words with their counts (those too short to have a
  skeleton): with `skeletons`, the whole vocabulary, for "is this word in the archive" and
  for corrections ("did you mean"), which the page makes by the service's rule (`rule`).
- `other_names`: a theme's or an outlet's other names (analysed, words joined by a space)
  → `[kind, id]`, so the page can say which record a synonym stands for. The statement
  pages carry those names (hidden, as a speaker's other spellings), so Pagefind finds by them
  exactly the statements the service finds.
- `stop`: the analyzer's stop words and shortest word, which are never looked up.

Every word is in the file once. Sizes are in the commit that made it (seed, 10,000).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from whoosh.analysis import StopFilter

from .index import name_analyzer, other_names
from .variants import MIN_SKELETON, MIN_WORD, MOST, by_skeleton

# The service's correction rule (query.py): Whoosh's SimpleQueryCorrector with prefix=1 and
# its default maxdist=2 over the spellings, ranked by _RankedCorrector, offered when a
# query finds fewer than SUGGEST_BELOW statements, for words up to MAX_SUGGESTED_WORD.
SUGGEST_PREFIX = 1
SUGGEST_MAXDIST = 2
SUGGEST_LIMIT = 5  # Whoosh's Corrector.suggest keeps this many before picking the first


def analysed(text: str) -> list[str]:
    """The words of `text` as the index and the service's query words have them."""
    return [token.text for token in name_analyzer()(text)]


def table(vocabulary: dict[str, int], archive) -> dict:
    """The static page's table for an archive whose index holds `vocabulary`."""
    from . import query  # the service's constants, read, not changed

    grouped = by_skeleton(vocabulary)
    in_groups = {word for words in grouped.values() for word in words}
    stops = next(f for f in name_analyzer().items if isinstance(f, StopFilter))
    return {
        "rule": {
            "min_word": MIN_WORD,
            "min_skeleton": MIN_SKELETON,
            "most": MOST,
            "suggest_prefix": SUGGEST_PREFIX,
            "suggest_maxdist": SUGGEST_MAXDIST,
            "suggest_limit": SUGGEST_LIMIT,
            "suggest_below": query.SUGGEST_BELOW,
            "max_suggested_word": query.MAX_SUGGESTED_WORD,
        },
        "stop": {"words": sorted(stops.stops), "min": stops.min},
        "skeletons": {
            shape: [item for word in words for item in (word, vocabulary[word])]
            for shape, words in sorted(grouped.items())
        },
        "words": {word: n for word, n in sorted(vocabulary.items()) if word not in in_groups},
        "other_names": dict(sorted(other_names(archive).items())),
    }


def write_table(site: Path, vocabulary: dict[str, int], archive) -> bool:
    """Write the table into the site at `urls.search_table()`; False when it was current."""
    from .. import urls

    text = json.dumps(table(vocabulary, archive), ensure_ascii=False, separators=(",", ":"))
    path = site / urls.search_table()
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(f".{path.name}.new")
    written.write_text(text, encoding="utf-8")
    os.replace(written, path)
    return True
