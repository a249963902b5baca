"""README.md's table of export fields, made from the registry (`python -m onrecord.exports.docs`).

Datasette-style: every field of every table has one line of documentation, and the README
shows exactly what the registry declares (a test fails when they differ).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from .columns import STATEMENTS, Table
from .tables import TABLES

START, END = "<!-- export-fields:start -->", "<!-- export-fields:end -->"
README = Path(__file__).resolve().parents[3] / "README.md"
# Statements first: the table most readers come for.
DOCUMENTED = (STATEMENTS, *(table for table in TABLES if table is not STATEMENTS))


def fields_markdown(tables: tuple[Table, ...] = DOCUMENTED) -> str:
    """README's table of export fields: one row per field of each table, from the registry."""
    missing = list(undocumented(tables))
    if missing:
        raise ValueError(f"fields without documentation: {', '.join(missing)}")
    lines: list[str] = []
    for table in tables:
        lines += [f"`{table.name}`: {table.doc}.", ""]
        lines += ["| field | JSON | CSV | SQLite | meaning |", "|---|---|---|---|---|"]
        for f in table.fields:
            cells = ", ".join(f"`{c.name}`" for c in f.csv) or "–"
            sql = (
                ", ".join(f"`{c.name}` {'TEXT' if c.type is str else 'INTEGER'}" for c in f.sql)
                or "–"
            )
            json_key = f"`{f.name}`" if f.json else "–"
            meaning = f.doc.replace("|", "\\|")  # "primary | secondary" is not two cells
            lines.append(f"| {f.name} | {json_key} | {cells} | {sql} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def undocumented(tables: tuple[Table, ...] = DOCUMENTED) -> Iterator[str]:
    """`<table>.<field>` of each field without a line of documentation."""
    for table in tables:
        for f in table.fields:
            if not f.doc.strip() or "\n" in f.doc:
                yield f"{table.name}.{f.name}"


def with_fields_table(readme: str, tables: tuple[Table, ...] = DOCUMENTED) -> str:
    """`readme` with the text between the markers replaced by `fields_markdown()`."""
    if START not in readme or END not in readme.partition(START)[2]:
        raise ValueError(f"README.md has no {START} … {END} markers")
    head, _, rest = readme.partition(START)
    tail = rest.partition(END)[2]
    return f"{head}{START}\n{fields_markdown(tables)}{END}{tail}"


def main(readme: Path = README) -> int:
    """Rewrite README.md's table of export fields; fail if a field has no documentation."""
    try:
        updated = with_fields_table(readme.read_text(encoding="utf-8"))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
