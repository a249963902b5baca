"""`onrecord synth N --out DIR`: a deterministic synthetic archive, for benchmarks and scale tests.

The records are in the real format (laid out as the committed records are) and pass
`onrecord check`: about 200 speakers, 30 outlets, 40 themes and one source
with footnotes, statements of 1–6 paragraphs spread over ten past years, some quoting
an earlier statement and some with a nested record whose words sit verbatim in the
paragraph that quotes them. Names and words carry apostrophes and accents ("Sha'bi",
"Vis-À-Vis", "José Ñúñez", "Al-Ḥasan") because those are what the analyzer and the
templates get wrong first.

Every statement draws from its own seeded `random.Random` (seed, plan, its number), so
one more statement can be written without generating all the others (the benchmark's
"add one"). Same N and seed → same bytes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from itertools import accumulate
from pathlib import Path

from .records import SCHEMA_DIR, Layout
from .scaffold import record_path, slug

# A fixed window, not "the last ten years from today": the bytes must not depend on the day
# they are written, and every date must stay in the past for `check`.
FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2024, 12, 31)
SOURCE_ID = "synthetic-monitoring-report"
REPO_SETTINGS = Path(__file__).resolve().parents[2] / "pelicanconf.py"

# Where the caps are reached: speakers at N=1000, outlets at 900, themes at 1000.
MAX_SPEAKERS, MAX_OUTLETS, MAX_THEMES, MAX_FOOTNOTES = 200, 30, 40, 400

# -- word lists (made up here: nothing is downloaded) ------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    # Word lists are written as running text: one word per line would be 800 lines.
    return tuple(text.split())


# The head of the vocabulary, most frequent first: function words, then the words with
# apostrophes and accents (frequent enough that even 50 statements hold each), then the rest.
WORDS = _words(
    "the of and to in a that is for on with as by it this from at be are was we our they "
    "their not all will have has which but who its an or one people nation region front "
    "vis-à-vis Sha'bi régime Qur’an people's d'état naïve détente café José Ñúñez Al-Ḥasan "
    "resistance forces government council conference victory defeat threat enemy allies "
    "security support policy plan talks agreement border war peace army command leader "
    "leadership revolution movement struggle unity strength might capability pressure "
    "sanctions negotiations delegation parliament ministry minister commander general "
    "president spokesman statement declaration interview editorial communiqué press "
    "façade rapprochement coup élite protégé nation's region's world's doesn't won't "
    "cannot must should today tomorrow yesterday future past years decades century history "
    "moment time east west north south capital city province village mountains river coast "
    "desert economy trade oil gas reconstruction aid assistance humanitarian refugees "
    "families martyrs youth students workers farmers merchants clerics scholars soldiers "
    "volunteers declared announced warned stressed insisted affirmed denied rejected "
    "welcomed condemned continue prepared ready determined committed responsible legitimate "
    "illegal great small new old strong weak true false clear open secret public private "
    "arrogance hegemony occupation liberation sovereignty independence dignity honour "
    "justice oppression terrorism extremism sectarian popular revolutionary historic "
    "Damascus Baghdad Beirut Sana’a Tehran Ankara Moscow Geneva Astana Doha Muscat Cairo "
    "Ḥalab Ḥomṣ Mosul Kirkuk Idlib Raqqa Deir ez-Zor Tal Afar Ñuñoa São Kraków Zürich "
    "Müller Çelik Øster Ångström"
)
SYLLABLES = _words(
    "ba da fa ga ha ka la ma na ra sa ta za ri mo nu shi qe dor van tel kor mir zan bek dun "
    "lis ṭa ḥa é ü ro ne si gu ya wa jo ul am ir ek os"
)
TAIL_WORDS = 4000


def _pseudo_words(count: int) -> tuple[str, ...]:
    # The long tail, made up: real text is Zipf-distributed, so a query word usually matches
    # a small share of the statements. With a few hundred words drawn evenly, every word
    # would be in most statements and every search and posting list would be unrealistic.
    rng = random.Random("onrecord-synth-vocabulary")
    known, made = set(WORDS), []
    while len(made) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in known:
            known.add(word)
            made.append(word)
    return tuple(made)


VOCABULARY = WORDS + _pseudo_words(TAIL_WORDS)
# Zipf's law: the word of rank r is drawn with weight 1/r.
CUMULATIVE_WEIGHTS = tuple(accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))
INSERTIONS = ("[i.e. the region]", "[of the talks]", "[sic]", "[in Geneva]", "[the council]")
VENUES = (
    "press conference",
    "speech",
    "interview",
    "editorial",
    "communiqué",
    "parliamentary session",
    "television address",
    "Friday sermon",
    "rally",
    "conference",
)
GIVEN = _words(
    "Ali Hassan Mohammad Reza Ahmad Yusuf Omar Karim Samir Nabil Fatima Zeynab Maryam Leila "
    "Nour Huda Salma Rania Dina Amal Ibrahim Khalid Tariq Walid Jamal Hadi Mahdi Qassem "
    "Hossein Abbas"
)
FAMILY = _words(
    "Jafari Salami Mohammadi Haddad Khoury Nasser Aziz Rahimi Tehrani Baghdadi Hakim Sadr "
    "Amiri Kazemi Hashemi Musawi Qaderi Najafi Karimi Bakri Darwish Mansour Saleh Farah Zaidi "
    "Kabbani Habib Rashid Sharif Hamdan Tabatabai Larijani Velayati Shamkhani Rouhani Baqeri"
)
# The names the analyzer and templates get wrong first come first, so even N=50 has them.
SPECIAL_SPEAKERS = (
    "José Ñúñez",
    "Al-Ḥasan Sha'bi",
    "Zoë D'Arcy",
    "Ömer Çelik-Ürgüp",
    "Hashd Al-Sha'bi Media Office",
    "Jean-Baptiste Lefèvre",
)
ROLES = (
    "spokesman",
    "commander",
    "member of parliament",
    "foreign minister",
    "deputy leader",
    "editor-in-chief",
    "advisor to the president",
    "head of the political bureau",
)
OUTLET_NAMES = (
    "Vis-À-Vis Weekly",
    "Al-Ḥayat al-Jadida",
    "Le Monde d'Orient",
    "Sha'bi Daily",
    "Kayhan-e Ñow",
    "Tasnim Wire",
    "Fars Bulletin",
    "Al-Akhbar Review",
    "The Morning Herald",
    "Javan Online",
    "Al-Manar Television",
    "Press Dispatch",
    "Mehr Report",
    "Al-Mayadeen Digest",
    "Resalat Evening",
    "Ettela'at Observer",
    "The Gulf Courier",
    "Levant Monitor",
    "Sana’a Chronicle",
    "Mosul Gazette",
    "Beirut Ledger",
    "Ankara Times",
    "Damascus Standard",
    "Baghdad Post",
    "Tehran Tribune",
    "Eastern Affairs",
    "Frontline Magazine",
    "Crescent Radio",
    "Zürich Zeitung",
    "São Paulo Correio",
)
OUTLET_KINDS = ("newspaper", "news agency", "broadcaster", "magazine", "website", "other", None)
THEME_NAMES = (
    "Hashd Al-Sha'bi",
    "Vis-À-Vis the West",
    "Syria",
    "Iraq",
    "Lebanon",
    "Yemen",
    "Palestine",
    "Saudi Arabia",
    "United States",
    "Israel",
    "ISIS",
    "Basij",
    "Hizbullah",
    "Afghanistan",
    "Resistance Axis",
    "Sacred Defense",
    "Sanctions",
    "Nuclear Talks",
    "Reconstruction",
    "Refugees",
    "Elections",
    "Oil and Gas",
    "Sochi Talks",
    "Astana Process",
    "Geneva Track",
    "Kurdish Question",
    "Gulf Security",
    "Red Sea",
    "Caspian Sea",
    "Turkey",
    "Russia",
    "Qatar",
    "Bahrain",
    "Jordan",
    "Egypt",
    "Ḥalab",
    "Ḥomṣ",
    "Coup d'État",
    "Détente",
    "Media",
)
ORIGINAL_WORDS = _words("المقاومة الجبهة النصر الشعب الحشد الشعبي الأمة الوحدة القوة السلام")


# -- the plan: how many of each kind --------------------------------------------------------------


@dataclass(frozen=True)
class Blueprint:
    """How many records of each kind a synthetic archive of `n` statements has.

    `n` counts every statement, nested ones included (what `onrecord check` reports);
    `files` is the number of statement files. One in about 21 statements is nested.
    """

    n: int
    seed: int
    files: int
    speakers: int
    outlets: int
    themes: int
    footnotes: int

    @property
    def nested(self) -> int:
        return self.n - self.files


def plan(n: int, seed: int = 0) -> Blueprint:
    if n < 1:
        raise ValueError("a synthetic archive needs at least one statement")
    nested = n // 21
    return Blueprint(
        n=n,
        seed=seed,
        files=n - nested,
        speakers=min(MAX_SPEAKERS, max(len(SPECIAL_SPEAKERS), n // 5)),
        outlets=min(MAX_OUTLETS, max(3, n // 30)),
        themes=min(MAX_THEMES, max(5, n // 25)),
        footnotes=min(MAX_FOOTNOTES, max(10, n // 20)),
    )


def has_nested(the_plan: Blueprint, index: int) -> bool:
    """Statement file `index` holds a nested record: one in every 20 files, `nested` in all."""
    return index % 20 == 7 and index // 20 < the_plan.nested


def _rng(the_plan: Blueprint, *part: object) -> random.Random:
    # A string seed is hashed with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(":".join(map(str, (the_plan.seed, *part))))


# -- the small records -------------------------------------------------------------------------


def _unique_ids(names: list[str]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for name in names:
        candidate, number = slug(name), 1
        while candidate in seen:
            number += 1
            candidate = f"{slug(name)}-{number}"
        seen.add(candidate)
        ids.append(candidate)
    return ids


def speaker_names(the_plan: Blueprint) -> list[str]:
    rng = _rng(the_plan, "speakers")
    names = list(SPECIAL_SPEAKERS)
    while len(names) < the_plan.speakers:
        names.append(f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}")
    return names[: the_plan.speakers]


def speakers(the_plan: Blueprint) -> list[dict]:
    rng = _rng(the_plan, "speaker-details")
    names = speaker_names(the_plan)
    records = []
    for index, (record_id, name) in enumerate(zip(_unique_ids(names), names, strict=True)):
        kind = "organisation" if index % 15 == 4 else "publication" if index % 25 == 9 else "person"
        folded = slug(name).replace("-", " ").title()
        records.append(
            {
                "id": record_id,
                "name": name,
                # The plain-ASCII spelling, as sources often print it: searchable too.
                "other_names": [folded] if folded != name else [],
                "name_original": (
                    {"text": " ".join(rng.sample(ORIGINAL_WORDS, 2)), "language": "ar"}
                    if index % 10 == 3
                    else None
                ),
                "kind": kind,
                "roles": sorted(rng.sample(ROLES, rng.randint(0, 2))) if kind == "person" else [],
                "description": f"A synthetic speaker, number {index + 1}." if index % 3 else None,
                "notes": None,
            }
        )
    return records


def outlets(the_plan: Blueprint) -> list[dict]:
    names = list(OUTLET_NAMES[: the_plan.outlets])
    return [
        {
            "id": record_id,
            "name": name,
            "kind": OUTLET_KINDS[index % len(OUTLET_KINDS)],
            "described_as": [f"the {name.split()[0]} mouthpiece"] if index % 4 == 1 else [],
            "notes": None,
        }
        for index, (record_id, name) in enumerate(zip(_unique_ids(names), names, strict=True))
    ]


def themes(the_plan: Blueprint) -> list[dict]:
    names = list(THEME_NAMES[: the_plan.themes])
    return [
        {"id": record_id, "name": name, "description": f"Statements that mention {name}."}
        for record_id, name in zip(_unique_ids(names), names, strict=True)
    ]


def source(the_plan: Blueprint) -> dict:
    return {
        "id": SOURCE_ID,
        "title": "A Synthetic Press-Monitoring Report: Statements On The Region, 2015–2024",
        "publisher": None,
        "url": None,
        "published": None,
        "summary": "Made up by `onrecord synth` for benchmarks; nothing in it was ever said.",
        "footnotes": [
            {"number": number, "text": f"Synthetic footnote {number}." if number % 2 else None}
            for number in range(1, the_plan.footnotes + 1)
        ],
        "notes": None,
    }


# -- statements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """The ids statements refer to, drawn from once per statement."""

    speakers: list[str]
    names: dict[str, str]
    roles: dict[str, list[str]]
    outlets: list[str]
    themes: list[str]


def cast(the_plan: Blueprint) -> Cast:
    people = speakers(the_plan)
    return Cast(
        speakers=[s["id"] for s in people],
        names={s["id"]: s["name"] for s in people},
        roles={s["id"]: s["roles"] for s in people},
        outlets=[o["id"] for o in outlets(the_plan)],
        themes=[t["id"] for t in themes(the_plan)],
    )


def _sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(words)
    if rng.random() < 0.15:
        cut = rng.randrange(len(text) // 2, len(text))
        cut = text.rfind(" ", 0, cut)
        if cut > 0:
            text = f"{text[:cut]} {rng.choice(INSERTIONS)}{text[cut:]}"
    ending = "..." if rng.random() < 0.08 else "."
    return text[0].upper() + text[1:] + ending


def paragraph(rng: random.Random, low: int = 40, high: int = 150) -> str:
    """A paragraph of `low`–`high` words in sentences of 6–18 words."""
    words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=rng.randint(low, high))
    sentences, start = [], 0
    while start < len(words):
        end = min(len(words), start + rng.randint(6, 18))
        if len(words) - end < 4:  # no stub of a last sentence
            end = len(words)
        sentences.append(_sentence(rng, words[start:end]))
        start = end
    return " ".join(sentences)


def _day(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def _headline(rng: random.Random, who: str, text: str) -> str | None:
    if rng.random() < 0.2:
        return None
    words = text.split()[: rng.randint(5, 14)]
    return f'{who}: "{" ".join(w[:1].upper() + w[1:] for w in words).rstrip(".")}"'


def statement_id(the_plan: Blueprint, the_cast: Cast, index: int) -> str:
    """The id of statement file `index`: its speaker (its first draw) and its number."""
    speaker = _rng(the_plan, "statement", index).choice(the_cast.speakers)
    return f"{speaker}-{index + 1:06d}"


def _attribution(index: int, day: date | None) -> dict:
    if index % 100 == 42 and day is not None:
        return {
            "attribution": "withdrawn",
            "attribution_note": "Withdrawn: the synthetic source retracted it.",
            "withdrawn_on": min(LAST_DAY, day + timedelta(days=30)).isoformat(),
        }
    if index % 50 == 11:
        return {"attribution": "disputed", "attribution_note": "The outlet denies the wording."}
    return {"attribution": "primary" if index % 10 == 0 else "secondary", "attribution_note": None}


def _nested(rng: random.Random, the_cast: Cast, parent_id: str, day: date | None) -> dict:
    speaker = rng.choice(the_cast.speakers)
    return {
        "id": f"{parent_id}-quoted",
        "speaker": speaker,
        "role": None,
        "date": None,
        "venue": "interview",
        "outlet": rng.choice(the_cast.outlets) if rng.random() < 0.5 else None,
        "source": SOURCE_ID,
        "footnote": None,
        "headline": None,
        "language": "en",
        "text": [paragraph(rng, 20, 60)],
        "original": None,
        "themes": rng.sample(the_cast.themes, min(2, len(the_cast.themes))),
        "quotes": [],
        "attribution": "secondary",
        "attribution_note": None,
        "notes": f"Known only through {parent_id}, which quotes it.",
    }


def statement(the_plan: Blueprint, the_cast: Cast, index: int) -> dict:
    """Statement file `index` (0-based) as a record mapping, in the schema's field order."""
    rng = _rng(the_plan, "statement", index)
    speaker = rng.choice(the_cast.speakers)  # first draw: `statement_id` repeats it
    record_id = f"{speaker}-{index + 1:06d}"
    day = None if index % 97 == 50 else _day(rng)
    paragraphs = [paragraph(rng) for _ in range(rng.randint(1, 6))]
    quotes: list[dict] = []
    if has_nested(the_plan, index):
        nested = _nested(rng, the_cast, record_id, day)
        at = rng.randrange(len(paragraphs))
        # The nested words sit verbatim inside the quoting paragraph, as the rules demand.
        paragraphs[at] += f" As one of them put it: '{nested['text'][0]}' {paragraph(rng, 8, 20)}"
        quotes.append({"paragraph": at + 1, "nested": nested})
    if index % 10 == 3:
        quotes.append(
            {
                "paragraph": rng.randint(1, len(paragraphs)),
                "statement": statement_id(the_plan, the_cast, rng.randrange(index)),
            }
        )
    roles = the_cast.roles[speaker]
    original = None
    if index % 40 == 9:
        original = {"language": "ar", "text": [" ".join(rng.choices(ORIGINAL_WORDS, k=12))]}
    return {
        "id": record_id,
        "speaker": speaker,
        "role": rng.choice(roles) if roles and rng.random() < 0.7 else None,
        "date": day.isoformat() if day else None,
        "venue": rng.choice(VENUES) if rng.random() < 0.9 else None,
        "outlet": rng.choice(the_cast.outlets) if index % 13 != 5 else None,
        "source": SOURCE_ID,
        "footnote": rng.randint(1, the_plan.footnotes) if rng.random() < 0.8 else None,
        "headline": _headline(rng, the_cast.names[speaker], paragraphs[0]),
        "language": "en",
        "text": paragraphs,
        "original": original,
        "themes": rng.sample(the_cast.themes, rng.randint(1, min(5, len(the_cast.themes)))),
        "quotes": quotes,
        **_attribution(index, day),
        "notes": None if index % 7 else "Synthetic: the date and wording are made up.",
    }


def statements(the_plan: Blueprint, the_cast: Cast | None = None) -> Iterator[dict]:
    the_cast = the_cast or cast(the_plan)
    for index in range(the_plan.files):
        yield statement(the_plan, the_cast, index)


def flattened(record: dict) -> Iterator[dict]:
    """A statement and every record nested in it, depth first."""
    yield record
    for quote in record.get("quotes") or ():
        if "nested" in quote:
            yield from flattened(quote["nested"])


# -- writing -----------------------------------------------------------------------------------


def _scalar(value: object) -> str:
    # Strings double-quoted as JSON, as the committed records are: JSON's escapes are valid
    # YAML, and nothing can read back as a number, a date or a boolean. (Safe for the text
    # made here, which has no U+2028/U+2029 or other characters YAML treats specially.)
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def yaml_lines(mapping: dict, pad: str = "") -> list[str]:
    """A record mapping as block YAML lines, in the layout of the committed records.

    Plain string formatting: PyYAML's representer (Python, even with the C emitter) made
    writing 100k records take half a minute.
    """
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(yaml_lines(value, pad + "  "))
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{key}:")
            for item in value:
                if isinstance(item, dict):
                    inner = yaml_lines(item, pad + "  ")
                    lines.append(f"{pad}- {inner[0][len(pad) + 2 :]}")
                    lines.extend(inner[1:])
                else:
                    lines.append(f"{pad}- {_scalar(item)}")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: []")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


class Writer:
    """Writes records under an archive root, creating each folder once."""

    def __init__(self, root: Path):
        self.layout = Layout(Path(root))
        self.headers: dict[tuple[str, Path], str] = {}  # (kind, folder) → the schema comment

    def write(self, kind: str, record: dict) -> Path:
        year = record["date"][:4] if kind == "statement" and record.get("date") else None
        path = record_path(self.layout, kind, record["id"], year)
        folder = path.parent
        header = self.headers.get((kind, folder))
        if header is None:
            folder.mkdir(parents=True, exist_ok=True)
            # The schema comment as in the real records; schema/ is copied beside them.
            comment = os.path.relpath(self.layout.root / "schema", folder)
            header = f"# yaml-language-server: $schema={comment}/{kind}.schema.json"
            self.headers[(kind, folder)] = header
        text = "\n".join([header, *yaml_lines(record)]) + "\n"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path


def write_record(root: Path, kind: str, record: dict) -> Path:
    """Write one record (e.g. the benchmark's added statement) into the archive at `root`."""
    return Writer(root).write(kind, record)


def settings_text() -> str:
    """The archive's `pelicanconf.py`: the repository's settings, pointed at this folder."""
    return f'''"""Synthetic archive (`onrecord synth`): the repository's settings, made local."""

import importlib.util
import os

here = os.path.dirname(os.path.abspath(__file__))

# Pelican registers this file as the module `pelicanconf`: a plain `from pelicanconf import *`
# would find this file again, so the repository's settings are loaded under their own name.
_spec = importlib.util.spec_from_file_location("onrecord_repo_settings", {str(REPO_SETTINGS)!r})
_repo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_repo)
globals().update({{key: value for key, value in vars(_repo).items() if key.isupper()}})

PATH = os.path.join(here, "content")
OUTPUT_PATH = os.path.join(here, "output")
ONRECORD_ROOT = here
ONRECORD_INDEX_DIR = os.path.join(here, "var", "index")
'''


def write(n: int, out: Path, seed: int = 0) -> Blueprint:
    """Write the synthetic archive of `n` statements into `out` (which must be empty or new)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: synth writes into a new or empty folder")
    the_plan = plan(n, seed)
    writer = Writer(out)
    with resources.as_file(SCHEMA_DIR) as schemas:
        shutil.copytree(schemas, out / "schema", dirs_exist_ok=True)
    for kind, records in (
        ("speaker", speakers(the_plan)),
        ("outlet", outlets(the_plan)),
        ("theme", themes(the_plan)),
        ("source", [source(the_plan)]),
    ):
        for record in records:
            writer.write(kind, record)
    for record in statements(the_plan):
        writer.write("statement", record)
    (out / "pelicanconf.py").write_text(settings_text(), encoding="utf-8")
    return the_plan


def main(n: int, out: Path, seed: int = 0) -> int:
    started = time.perf_counter()
    try:
        the_plan = write(n, out, seed)
    except (FileExistsError, ValueError) as error:
        print(f"onrecord synth: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {the_plan.n} statements ({the_plan.files} files, {the_plan.nested} nested), "
        f"{the_plan.speakers} speakers, {the_plan.outlets} outlets, {the_plan.themes} themes "
        f"to {out} in {time.perf_counter() - started:.1f} s; "
        f"build with: onrecord build --settings {out / 'pelicanconf.py'}"
    )
    return 0
