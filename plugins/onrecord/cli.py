"""The `onrecord` command: check, new, and (with their issues) search, serve and friends.

Every subcommand exits 0 on success, 1 on bad records or bad input, with messages and
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import scaffold
from .load import KINDS, Layout, load_archive
from .problems import RecordError


def _report(error: RecordError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    try:
        archive = load_archive(args.root)
    except RecordError as error:
        return _report(error)
    counts = archive.counts()
    print("ok: " + ", ".join(f"{n} {kind if n != 1 else kind[:-1]}" for kind, n in counts.items()))
    return 0


def _value(spec: dict, raw: str | list[str]) -> object:
    if isinstance(raw, list):
        return raw
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "integer" in types:
        try:
            return int(raw)
        except ValueError:
            raise SystemExit(f"onrecord new: {raw!r} is not a whole number") from None
    return raw


def cmd_new(args: argparse.Namespace) -> int:
    layout = Layout(Path(args.root))
    fields = scaffold.fields(args.record_kind)
    values: dict[str, object] = {}
    for name, spec in fields.items():
        raw = getattr(args, name, None)
        if raw not in (None, []):
            values[name] = _value(spec, raw)
    for name in scaffold.required(args.record_kind):
        if name in values or name in ("id", "attribution"):
            continue
        if not sys.stdin.isatty():
            flag = "--" + name.replace("_", "-")
            print(
                f"onrecord new {args.record_kind}: {flag} is required (or run it in a terminal)",
                file=sys.stderr,
            )
            return 1
        answer = input(f"{name}: ").strip()
        if not answer:
            print(f"onrecord new {args.record_kind}: {name} cannot be empty", file=sys.stderr)
            return 1
        values[name] = _value(
            fields[name], [answer] if fields[name].get("type") == "array" else answer
        )
    path = scaffold.scaffold(layout, args.record_kind, values)
    print(path)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import main as build_main

    return build_main(args.settings)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="onrecord", description="On the Record: an archive of quoted statements."
    )
    top.add_argument("--root", default=".", help="the archive's folder (default: the current one)")
    commands = top.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="load every record and report every problem")
    check.set_defaults(run=cmd_check)

    build = commands.add_parser("build", help="build the site and the search index (make html)")
    build.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file")
    build.set_defaults(run=cmd_build)

    new = commands.add_parser("new", help="scaffold a new record with a free id")
    new.add_argument("record_kind", metavar="KIND", choices=KINDS)
    flags: dict[str, dict] = {}
    for kind in KINDS:
        flags.update(scaffold.fields(kind))
    for name, spec in flags.items():
        flag, shape = "--" + name.replace("_", "-"), scaffold.flag_shape(spec)
        if shape == "list":
            new.add_argument(
                flag, dest=name, action="append", default=[], help="repeat for several"
            )
        elif shape == "value":
            new.add_argument(flag, dest=name)
    new.set_defaults(run=cmd_new)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
