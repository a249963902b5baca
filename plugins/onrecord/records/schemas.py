"""The JSON Schemas, one per kind of record: found as package data, read once.

The schemas live at the repository root, beside the records editors point them at, and ship
inside the package (`onrecord/schema` links to them; setuptools copies the files into the
wheel), so an installed `onrecord` checks records with no repository beside it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

SCHEMA_DIR = resources.files("onrecord").joinpath("schema")
KINDS = ("statement", "speaker", "outlet", "theme", "source", "claim")
DATE_FIELDS = frozenset({"date", "published", "withdrawn_on", "archived_on"})


@cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def claim_kinds() -> tuple[str, ...]:
    """The kinds a claim can be, in the schema's order (the list lives in the schema)."""
    return tuple(schema("claim")["properties"]["kind"]["enum"])
