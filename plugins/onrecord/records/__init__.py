"""Records: the files of an archive, read, checked and turned into the model.

One idea per module:

- `layout`: where each kind of record lives under an archive's root, and the files there;
- `schemas`: the JSON Schema of each kind, found as package data;
- `validate`: whether a record is valid against its schema (fastjsonschema decides, jsonschema
  finds every problem of a record it refuses);
- `explain`: a schema error as an editor reads it, at its line, with a hint;
- `read`: one file parsed, checked against its schema, its problems explained;
- `build`: model objects from records that passed their schema;
- `check`: what one file's own checks find (records or problems; a statement salvaged);
- `cache`: the records of unchanged files, kept between loads;
- `parallel`: many files checked at once, in forked processes;
- `archive`: every file, the cross-record rules, and the `Archive` (or every problem);
- `resident`: records kept loaded between loads, checked again where they changed.
"""

from __future__ import annotations

from .archive import collector_paused, load_archive, load_archive_and_changes
from .build import build_record, nested_statements
from .cache import FILE_NAME as CACHE_FILE
from .layout import Layout, holds_any
from .read import read_record
from .resident import Resident, Update
from .schemas import DATE_FIELDS, KINDS, SCHEMA_DIR, claim_kinds, schema
from .validate import is_partial_date

__all__ = [
    "CACHE_FILE",
    "DATE_FIELDS",
    "KINDS",
    "SCHEMA_DIR",
    "Layout",
    "Resident",
    "Update",
    "build_record",
    "claim_kinds",
    "collector_paused",
    "holds_any",
    "is_partial_date",
    "load_archive",
    "load_archive_and_changes",
    "nested_statements",
    "read_record",
    "schema",
]
