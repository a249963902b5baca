"""Spellings of one name: a query word the archive does not hold finds the words it does.

Names transliterated from Persian and Arabic are spelled a different way by every source
(Hezbollah, Hizbullah; Soleimani, Suleimani, Soleymani; Qods, Quds; Baqeri, Bagheri;
Sha'bi, Shaabi). A word's *skeleton* sets those differences aside: which vowels stand
where a vowel is (e/i, o/u, ou, ei/ey/ai, ee, oo: each run of them one vowel), doubled
letters, the marks of ayn and hamza and apostrophes (gone already: the index's analyzer
drops them), q, gh, c and k for qaf and kaf, w and v, and the article (al-, el-, ad-,
as-, …) written joined. Words with the same skeleton are spellings of one another.

It is built from the index's own vocabulary (the spellings file every build writes), so
it works for names the archive will gain; no list of names is kept anywhere. A query
word is expanded only when the archive does not hold it as typed: a word it holds is
searched for as it is, so ordinary words never blur (`Iran` does not find `Iraq`: their
skeletons differ, `aran` and `arak`).
"""

from __future__ import annotations

import re
from collections import defaultdict

MIN_WORD = 4  # shorter words have too few letters left to tell names apart
MIN_SKELETON = 3
MOST = 5  # variants offered for one word, the most used first

# al-/el- before a consonant, or the article assimilated (ad-Din, as-Sadr, ash-Sharq).
_ARTICLE = re.compile(r"^(?:[ae]l(?=[b-df-hj-np-tv-z][a-z]{2,})|a([dstznr])(?=\1[a-z]{2,}))")
_SOUNDS = [("ou", "u"), ("gh", "k"), ("q", "k"), ("c", "k"), ("w", "v"), ("ph", "f")]
_VOWELS = re.compile(r"[aeiouy]+")
_DOUBLED = re.compile(r"(.)\1+")


def skeleton(word: str) -> str:
    """What is left of an analysed (lower-case, accent-free) word once spelling is set aside."""
    if not word.isalpha() or not word.isascii():
        return word
    for written, said in _SOUNDS:
        word = word.replace(written, said)
    word = _ARTICLE.sub("", word) if len(word) > 6 else word
    # Every run of vowels is one vowel: which one is the spelling's, that there is one is the
    # name's ("Suleimani" is "Soleimani", not "Salman").
    return _DOUBLED.sub(r"\1", _VOWELS.sub("a", word))


def by_skeleton(vocabulary: dict[str, int]) -> dict[str, list[str]]:
    """Each skeleton of the vocabulary's words with its words, the most used first."""
    found: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        if len(word) >= MIN_WORD:
            shape = skeleton(word)
            if len(shape) >= MIN_SKELETON:
                found[shape].append(word)
    for words in found.values():
        words.sort(key=lambda w: (-vocabulary[w], w))
    return dict(found)


def variants(word: str, vocabulary: dict[str, int], table: dict[str, list[str]]) -> list[str]:
    """The archive's spellings of `word` (an analysed query word it does not hold)."""
    if word in vocabulary or len(word) < MIN_WORD:
        return []
    return [w for w in table.get(skeleton(word), ()) if w != word][:MOST]
