"""The `onrecord` command: check, new, and (with their issues) search, serve and friends.

Every subcommand exits 0 on success, 1 on bad records or bad input, with messages and
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import permalinks, scaffold
from .model import shared_names
from .problems import RecordError
from .records import KINDS, Layout, claim_kinds, load_archive


def _report(error: RecordError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    # A mistyped --root would otherwise be "ok: 0 statements": an empty archive is a mistake.
    if not any(Layout(Path(args.root)).files()):
        print(
            f"onrecord check: no records under {args.root!r} "
            "(expected content/statements/, content/sources/, speakers/ ...)",
            file=sys.stderr,
        )
        return 1
    try:
        archive = load_archive(args.root)
    except RecordError as error:
        return _report(error)
    # A URL once published must keep answering: the build refuses one that would not, and
    # so does the check, so that `make check` and pre-commit catch it before the build.
    listed_file = Path(args.root) / permalinks.FILE_NAME
    lost = permalinks.problems(listed_file, archive)
    if lost:
        return _report(RecordError(lost))
    new = permalinks.unlisted(permalinks.read(listed_file), archive)
    if new and listed_file.exists():
        print(
            f"note: {len(new)} new URL{'s are' if len(new) != 1 else ' is'} not in "
            f"{permalinks.FILE_NAME} yet (run onrecord permalinks --update before publishing)",
            file=sys.stderr,
        )
    for key, speakers in shared_names(archive):
        files = ", ".join(speaker.path for speaker in speakers)
        print(
            f"warning: {len(speakers)} speakers share the name or spelling {key!r} ({files}): "
            "if they are one person, keep one record and list the other's id in `aliases`",
            file=sys.stderr,
        )
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
        # Fields with no flag (a source's `footnotes`) are written empty, which is valid.
        if name in values or name in ("id", "attribution") or not scaffold.flag_shape(fields[name]):
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
    if args.record_kind == "speaker" and not args.force:
        for name in [values.get("name"), *(values.get("other_names") or [])]:
            holder = scaffold.speaker_named(layout, str(name or ""))
            if holder is not None:
                print(
                    f"onrecord new speaker: {name!r} is already a name or spelling of speaker "
                    f"{holder.id!r} ({holder.path}): to record another spelling, add it to "
                    "that file's `other_names`; for a different person of the same name, "
                    "run again with --force",
                    file=sys.stderr,
                )
                return 1
    try:
        path = scaffold.scaffold(layout, args.record_kind, values)
    except FileExistsError as error:
        print(
            f"onrecord new {args.record_kind}: {Path(error.filename).stem!r} is already a "
            f"{args.record_kind}'s id or former id ({error.filename}); "
            "leave out --id to get a free one",
            file=sys.stderr,
        )
        return 1
    except RecordError as error:
        for problem in error.problems:
            hint = f" ({problem.hint})" if problem.hint else ""
            print(f"onrecord new {args.record_kind}: {problem.message}{hint}", file=sys.stderr)
        return 1
    print(path)
    return 0


def cmd_fmt(args: argparse.Namespace) -> int:
    from . import fmt

    return fmt.run(Path(args.root), args.paths, check=args.check, force=args.force)


def cmd_stats(args: argparse.Namespace) -> int:
    from . import stats

    return stats.run(Path(args.root), as_json=args.json)


def cmd_build(args: argparse.Namespace) -> int:
    from .build import main as build_main

    return build_main(args.settings, pagefind=args.pagefind)


def cmd_serve(args: argparse.Namespace) -> int:
    from pelican.settings import read_settings

    from .serve import serve

    settings = read_settings(args.settings)
    output = Path(args.output or settings["OUTPUT_PATH"])
    if not (output / "index.html").exists():
        print(f"onrecord serve: {output}/ has no site yet: run `make html` first", file=sys.stderr)
        return 1
    serve(
        output,
        Path(args.index or settings["ONRECORD_INDEX_DIR"]),
        Path(settings["THEME"]) / "templates",
        settings,
        host=args.host,
        port=args.port,
    )
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from .synth import main as synth_main

    return synth_main(args.n, Path(args.out), args.seed)


def cmd_search(args: argparse.Namespace) -> int:
    from .search import DEFAULT_INDEX_DIR, IndexMissing
    from .search.query import search, snippet_as_text

    index_dir = Path(args.index) if args.index else Path(args.root) / DEFAULT_INDEX_DIR
    per_page = 20
    try:
        answer = search(
            index_dir,
            " ".join(args.query),
            speaker=args.speaker,
            outlet=args.outlet,
            source=args.source,
            theme=args.theme,
            year=args.year,
            date_from=args.date_from,
            date_to=args.date_to,
            claim=args.claim,
            page=args.page,
            per_page=per_page,
            exact=args.exact,
        )
    except IndexMissing as error:
        print(f"onrecord search: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 1 if "error" in answer else 0
    if "error" in answer:
        print(f"onrecord search: {answer['error']}", file=sys.stderr)
        return 1
    if answer["corrected"]:
        print(f"Showing results for {answer['corrected']}. Search instead for: --exact")
    total, shown = answer["total"], f" for “{answer['query']}”" if answer["query"] else ""
    print(f"{total} statement{'s' if total != 1 else ''}{shown}", end="")
    print(f" (page {answer['page']} of {answer['pages']})" if answer["pages"] > 1 else "")
    for typed, kind, record_id in answer["synonyms"]:
        print(f"(“{typed}” is another name for the {kind} {record_id}: its statements were found)")
    for word, found in answer.get("expanded", {}).items():
        print(f"(also searched for {' or '.join(found)}: the archive's spelling of {word!r})")
    first = (answer["page"] - 1) * per_page + 1
    for number, hit in enumerate(answer["hits"], start=first):
        print(f"\n{number}. {hit['date'] or 'undated'}  {hit['title'] or hit['speaker']}")
        print(f"   {snippet_as_text(hit['snippet'])}")
        print(f"   {hit['url']}")
    facets = [
        f"{name}: " + ", ".join(f"{key} ({n})" for key, n in counts.items())
        for name, counts in answer["facets"].items()
        if counts
    ]
    if facets:
        print("\n" + "\n".join(facets))
    if answer["suggestion"]:
        print(f"\nDid you mean: {answer['suggestion']}")
    return 0


def cmd_permalinks(args: argparse.Namespace) -> int:
    from . import permalinks

    try:
        archive = load_archive(args.root)
    except RecordError as error:
        return _report(error)
    path = Path(args.root) / permalinks.FILE_NAME
    listed = permalinks.read(path)
    lost = permalinks.broken(listed, archive)
    for url in lost:
        print(permalinks.explain(url), file=sys.stderr)
    if args.update:
        added = permalinks.update(path, archive)
        print(f"{path}: {len(added)} new URL{'s' if len(added) != 1 else ''} added")
        return 1 if lost else 0
    new = permalinks.unlisted(listed, archive)
    for url in new:
        print(
            f"{path}: {url} is published but not listed (run onrecord permalinks --update)",
            file=sys.stderr,
        )
    if not lost and not new:
        print(f"ok: {len(listed)} permalinks, all answered")
    return 1 if lost or new else 0


def cmd_links(args: argparse.Namespace) -> int:
    from . import links

    try:
        archive = load_archive(args.root)
    except RecordError as error:
        return _report(error)
    if not args.check:
        for line in links.listing(archive):
            print(line)
        return 0
    findings = links.check(archive, timeout=args.timeout, workers=args.workers)
    broken = [finding for finding in findings if finding.broken]
    for finding in findings:
        print(finding.describe(), file=sys.stderr if finding.broken else sys.stdout)
    count = len(findings)
    print(
        f"{len(broken)} of {count} source{'s' if count != 1 else ''} with a live address "
        f"{'is' if len(broken) == 1 else 'are'} broken"
        if broken
        else f"ok: {count} source{'s' if count != 1 else ''} with a live address, all answering",
        file=sys.stderr if broken else sys.stdout,
    )
    return 1 if broken else 0


def cmd_devserver(args: argparse.Namespace) -> int:
    from .devserver import run

    return run(Path(args.settings), args.host, args.port)


def _server_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=8000)
    command.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="onrecord", description="On the Record: an archive of quoted statements."
    )
    top.add_argument("--root", default=".", help="the archive's folder (default: the current one)")
    commands = top.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="load every record and report every problem")
    check.set_defaults(run=cmd_check)

    fmt = commands.add_parser("fmt", help="rewrite records into the canonical layout")
    fmt.add_argument("paths", metavar="PATH", nargs="*", help="files or folders (default: all)")
    fmt.add_argument("--check", action="store_true", help="write nothing; exit 1 if any is untidy")
    fmt.add_argument("--force", action="store_true", help="drop editors' comments (else refused)")
    fmt.set_defaults(run=cmd_fmt)

    stats = commands.add_parser("stats", help="what the archive holds, and incomplete records")
    stats.add_argument("--json", action="store_true", help="print the report as JSON")
    stats.set_defaults(run=cmd_stats)

    build = commands.add_parser("build", help="build the site and the search index (make html)")
    build.add_argument("--settings", default="pelicanconf.py", help="Pelican settings file")
    build.add_argument(
        "--no-pagefind",
        dest="pagefind",
        action="store_false",
        help="skip the static-host search index (the search service does not need it)",
    )
    build.set_defaults(run=cmd_build)

    serve = commands.add_parser("serve", help="serve the built site and search (make serve)")
    _server_options(serve)
    serve.add_argument("--output", metavar="DIR", help="the built site (default: OUTPUT_PATH)")
    serve.add_argument(
        "--index", metavar="DIR", help="the index folder (default: ONRECORD_INDEX_DIR)"
    )
    serve.set_defaults(run=cmd_serve)

    links = commands.add_parser(
        "permalinks", help="check that every published URL still resolves (permalinks.txt)"
    )
    links.add_argument("--update", action="store_true", help="add new URLs to permalinks.txt")
    links.set_defaults(run=cmd_permalinks)

    web = commands.add_parser(
        "links", help="the sources' web addresses; --check fetches each live page (online)"
    )
    web.add_argument(
        "--check",
        action="store_true",
        help="fetch each source's live page: exit 1 when one does not answer or no longer "
        "holds a quote of its statements (and name its archived copy)",
    )
    web.add_argument("--timeout", type=float, default=15.0, help="seconds per page (15)")
    web.add_argument("--workers", type=int, default=4, help="pages fetched at once (4)")
    web.set_defaults(run=cmd_links)

    dev = commands.add_parser("devserver", help="serve, and rebuild when records or theme change")
    _server_options(dev)
    dev.set_defaults(run=cmd_devserver)

    new = commands.add_parser(
        "new",
        help="scaffold a new record with a free id",
        description="Write a new record with every field of its kind; `onrecord new KIND "
        "--help` lists that kind's flags.",
    )
    kinds = new.add_subparsers(dest="record_kind", metavar="KIND", required=True)
    for kind in KINDS:
        one = kinds.add_parser(kind, help=f"a new {kind} record")
        # Each kind's flags only, with the schema's own description of the field.
        for name, spec in scaffold.fields(kind).items():
            flag, shape = "--" + name.replace("_", "-"), scaffold.flag_shape(spec)
            described = spec.get("description", "")
            if shape == "list":
                more = f"{described} (repeat for several)".strip()
                one.add_argument(flag, dest=name, action="append", default=[], help=more)
            elif shape == "value":
                one.add_argument(flag, dest=name, help=described or None)
        if kind == "speaker":
            one.add_argument(
                "--force",
                action="store_true",
                help="add the speaker though another already has this name or spelling",
            )
        one.set_defaults(run=cmd_new)

    synth = commands.add_parser("synth", help="write a synthetic archive of N statements")
    synth.add_argument("n", type=int, metavar="N", help="statements, nested ones included")
    synth.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    synth.add_argument("--seed", type=int, default=0, help="same N and seed, same bytes")
    synth.set_defaults(run=cmd_synth)

    search = commands.add_parser("search", help="search the built index (make html builds it)")
    search.add_argument("query", metavar="QUERY", nargs="*", help='words, "a phrase", OR, -word')
    search.add_argument("--speaker", metavar="ID", help="only this speaker's statements")
    search.add_argument("--outlet", metavar="ID", help="only statements in this outlet")
    search.add_argument("--theme", metavar="ID", help="only statements on this theme")
    search.add_argument(
        "--year",
        metavar="YEAR",
        help="only statements of this year (undated: those whose source gives no date)",
    )
    search.add_argument("--source", metavar="ID", help="only statements this source quotes")
    search.add_argument(
        "--exact",
        action="store_true",
        help="search the words as typed, never their correction when they find nothing",
    )
    search.add_argument("--from", dest="date_from", metavar="DATE", help="on or after YYYY-MM-DD")
    search.add_argument("--to", dest="date_to", metavar="DATE", help="on or before YYYY-MM-DD")
    search.add_argument(
        "--claim",
        metavar="KIND",
        choices=claim_kinds(),
        help="only statements making a claim of this kind: " + ", ".join(claim_kinds()),
    )
    search.add_argument("--page", type=int, default=1, metavar="N", help="page of 20 results")
    search.add_argument("--json", action="store_true", help="print the result object as JSON")
    search.add_argument("--index", metavar="DIR", help="the index folder (default: var/index)")
    search.set_defaults(run=cmd_search)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; `argv` None means this process's own command line."""
    args = parser().parse_args(argv)
    try:
        code = args.run(args)
        if argv is None and args.run is cmd_build:
            sys.stdout.flush()
            sys.stderr.flush()
            # build() has written and activated everything: tearing down its objects would
            # cost 0.3 s at 10,000 statements for nothing.
            os._exit(code)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` that stopped reading: end quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
