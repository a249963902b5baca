"""Writers: a job's files from its view (pages.Job), with the renderer's templates and settings.

Each job names its writer (`WRITERS`): a template's page, a statement's page with its
citation files and JSON, a plain file, a data file. A writer reads the job's view and the
renderer (Pelican's Jinja environment and context), never the archive: the job's
fingerprint covers everything it may read (fingerprints.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import jinja2
from markupsafe import Markup
from pelican import signals
from pelican.generators import PelicanTemplateNotFound
from pelican.utils import get_relative_path, path_to_url

from . import cite, exports, jsonld, pages, urls, views
from .model import Claim, ClaimSpan


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a paragraph's text and, when it is a claim's words, the claim to link to.

    Templates render `text` escaped, like any record text, and wrap a claim's words in a
    `<mark>` linking to `claim`; no HTML is ever built here.
    """

    text: str
    claim: Claim | None = None  # the narrowest claim whose words include these
    claims: tuple[Claim, ...] = ()  # every claim whose words include these


def paragraph_segments(text: str, spans: Sequence[ClaimSpan]) -> list[Segment]:
    """`text` cut where claims' words begin and end, in order; the pieces join back to `text`.

    Claims' words may overlap (two claims made in one sentence): each piece then belongs
    to every claim covering it and links to the narrowest of them.
    """
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = sorted(
            (s for s in spans if s.start <= start and end <= s.end),
            key=lambda s: (s.end - s.start, s.start, s.claim.id),
        )
        claims = tuple(dict.fromkeys(s.claim for s in covering))
        segments.append(Segment(text[start:end], claims[0] if claims else None, claims))
    return segments


@dataclass(frozen=True, slots=True)
class ExportHint:
    """How to update a data file rather than write it anew: the previous build's output
    folder ("" to write anew), the statements whose pages changed, and the folder where
    the lists' spans are kept ("" for none: `exports.files.remember_spans`)."""

    previous: str
    changed: frozenset[str]
    spans: str = ""


class Renderer(pages.Site):
    """Pelican's Jinja environment and context (the settings, Pelican's own pages): all that
    a job reads besides its view. The site digest covers them (templates, code, settings)."""

    def __init__(self, env, context: dict, settings: dict) -> None:
        self.env = env
        self.context = context
        self.site_url = settings["SITEURL"].rstrip("/")
        self.extensions = settings["TEMPLATE_EXTENSIONS"]
        self.templates: dict = {}

    def write(self, job: pages.Job, folder: Path) -> list[str]:
        return WRITERS[job.writer](self, job.view, job.hint, folder)

    def template(self, name: str):
        """Pelican's lookup (`Generator.get_template`: each of TEMPLATE_EXTENSIONS); the
        feed templates name their own extension."""
        found = self.templates.get(name)
        if found is None:
            if "." in name:
                found = self.env.get_template(name)
            else:
                for extension in self.extensions:
                    try:
                        found = self.env.get_template(name + extension)
                        break
                    except jinja2.TemplateNotFound:
                        continue
                else:
                    raise PelicanTemplateNotFound(f"[templates] unable to load {name}")
            self.templates[name] = found
        return found

    def render(self, page: views.PageView, variables: dict) -> str:
        save_as = urls.save_as(page.path)
        context = dict(self.context)
        if page.relative:
            context["SITEURL"] = path_to_url(get_relative_path(save_as))
        context["output_file"] = save_as
        context.update(variables)
        return self.template(page.template).render(context)

    def written(self, page: Path, variables: dict) -> None:
        """Pelican's own writer sends `content_written` for each page it writes; so do we, so
        that any Pelican plugin that post-processes pages sees the archive's too. (With no
        receiver, nothing is made: the merged context would cost a few µs a page.)"""
        if page.suffix == ".html" and signals.content_written.receivers:
            signals.content_written.send(str(page), context={**self.context, **variables})


def write_page(renderer: Renderer, view: views.PageView, _hint, folder: Path) -> list[str]:
    save_as = urls.save_as(view.path)
    write_text(folder / save_as, renderer.render(view, view.variables))
    renderer.written(folder / save_as, view.variables)
    return [save_as]


def write_statement(
    renderer: Renderer, view: views.StatementView, _hint, folder: Path
) -> list[str]:
    """A statement's page, citation files and JSON. Its citation is made from the statement,
    its speaker, outlet and source, and the statement quoting it: all in its view's slice."""
    statement, page, site_url = view.statement, view.page, renderer.site_url
    item = cite.csl_item(statement, view.slice, view.permalink)
    variables = dict(page.variables, **statement_extras(view, item, site_url))
    files = {
        urls.save_as(page.path): renderer.render(page, variables),
        urls.citation_file(statement.id, "cite.bib"): cite.bibtex(item),
        urls.citation_file(statement.id, "cite.ris"): cite.ris(item),
        urls.citation_file(statement.id, "cite.json"): cite.csl_json(item),
        urls.statement_json(statement.id): exports.statement_json(statement, view.slice, site_url),
    }
    for name, text in files.items():
        write_text(folder / name, text)
    renderer.written(folder / urls.save_as(page.path), variables)
    return list(files)


def statement_extras(view: views.StatementView, item: dict, site_url: str) -> dict:
    """What the statement page derives from its view, made only when it is rendered."""
    statement = view.statement
    rendered = cite.citations(item, secondary=statement.attribution != "primary")
    spans_at: dict[int, list[ClaimSpan]] = {}
    for span in view.page.variables["spans"]:
        spans_at.setdefault(span.paragraph, []).append(span)
    return {
        # citeproc escapes the record's text itself; its output is markup to keep as is.
        "citations": {style: Markup(html) for style, (html, _) in rendered.items()},
        "citations_plain": {style: text for style, (_, text) in rendered.items()},
        "jsonld": jsonld.script_json(
            jsonld.statement_jsonld(statement, view.slice, view.permalink, site_url)
        ),
        "statement_json": urls.statement_json(statement.id),
        "claim_segments": {
            n: paragraph_segments(statement.paragraphs[n - 1], spans)
            for n, spans in spans_at.items()
        },
    }


def write_plain(_renderer: Renderer, view: views.TextView, _hint, folder: Path) -> list[str]:
    write_text(folder / view.save_as, view.text)
    return [view.save_as]


# Each whole-archive list: written anew, or updated from the previous build's copy.
class Export(NamedTuple):
    write: Callable  # (archive, path, site_url)
    update: Callable  # (archive, previous, path, site_url, changed[, spans]) -> done?
    spans_of: Callable | None = None  # a list's entries' spans, for its next update


EXPORTS = {
    exports.DATABASE: Export(exports.write_sqlite, exports.update_sqlite),
    exports.STATEMENTS_JSON: Export(exports.write_json, exports.update_json, exports.json_spans),
    exports.STATEMENTS_CSV: Export(exports.write_csv, exports.update_csv, exports.csv_spans),
}
CLAIM_EXPORTS = "data/claims"


def write_export(
    _renderer: Renderer, view: views.ExportView, hint: ExportHint | None, folder: Path
) -> list[str]:
    """A data file: after an edit, the previous build's copy with the changed rows remade."""
    name, archive, site_url = view.name, view.archive, view.site_url
    if name == CLAIM_EXPORTS:
        written = exports.write_claim_exports(archive, folder, site_url)
        return [str(path.relative_to(folder)) for path in written]
    export, target = EXPORTS[name], folder / name
    previous = Path(hint.previous, name) if hint and hint.previous else None
    spans = Path(hint.spans) if hint and hint.spans else None
    kept = {} if export.spans_of is None else {"spans": spans}
    updated = (
        previous is not None
        and previous.is_file()
        and export.update(archive, previous, target, site_url, set(hint.changed), **kept)
    )
    if not updated:
        export.write(archive, target, site_url)
        found = export.spans_of(target) if export.spans_of and spans else None
        if found is not None:
            exports.remember_spans(target, found, spans)
    return [name]


WRITERS: dict[str, Callable] = {
    "page": write_page,
    "statement": write_statement,
    "text": write_plain,
    "export": write_export,
}


def write_text(path: Path, text: str) -> None:
    """`path.write_text(text, encoding="utf-8")`, its folder made if need be.

    Through the file descriptor, without Python's file objects: 23 µs a new 3 KB file
    where `Path.write_text` took 31-71 µs, on this machine; a cold build at 100,000
    statements writes 500,000 files.
    """
    data = text.encode()
    try:
        descriptor = os.open(path, _NEW_FILE, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC  # os.open makes it non-inheritable
