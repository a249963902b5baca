"""`onrecord links --check`: do the sources' live pages still answer, and still hold the words?

Each source with a `url` is fetched (urllib, a timeout, a few at once). A source is broken
when its page does not answer (an HTTP error, a refused connection, a timeout) or no longer
holds the words of a statement the archive quotes from it: the page's text, tags stripped,
is compared with each paragraph as `onrecord check` compares a source's own text
(`sourcetext`: quotation marks and white space set aside). A broken source's archived copy
(`archived_url`) is suggested when it has one. This is the only command that goes online:
`onrecord check` and the build never do.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser

from . import sourcetext
from .model import Archive, Source, Statement

TIMEOUT = 15.0  # seconds for each page
WORKERS = 4
LARGEST = 20 * 1024 * 1024  # bytes read of one page
USER_AGENT = "onrecord-links/1 (checks that a quoted source is still online)"

# Elements whose end is a break between words (text on either side is not one word).
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
        *("hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr"),
        "ul",
    }
)
_HIDDEN = frozenset({"script", "style", "template", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The words of an HTML page: tags stripped (a block's end is a break), entities read,
    scripts and styles left out."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Finding:
    """What the check found at one source's live page."""

    source: Source
    error: str | None = None  # the page did not answer: why
    missing: list[Statement] = field(default_factory=list)  # statements whose words it lacks

    @property
    def broken(self) -> bool:
        return self.error is not None or bool(self.missing)

    def describe(self) -> str:
        source = self.source
        if not self.broken:
            return f"ok: {source.id}: {source.url}"
        if self.error is not None:
            said = f"{source.id}: {source.url} {self.error}"
        else:
            ids = ", ".join(s.id for s in self.missing)
            count = len(self.missing)
            said = (
                f"{source.id}: {source.url} no longer holds the words of {count} "
                f"statement{'s' if count != 1 else ''} ({ids})"
            )
        if source.archived_url:
            copy = f"of {source.archived_on.isoformat()} " if source.archived_on else ""
            return f"{said}; the archived copy {copy}is at {source.archived_url}"
        return f"{said}; no archived copy is recorded (add `archived_url` to {source.path})"


def fetch(url: str, timeout: float) -> str:
    """The page at `url` as text; raises OSError (urllib's errors are) when it does not answer."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http[s] only)
        raw = response.read(LARGEST)
        charset = response.headers.get_content_charset() or "utf-8"
        kind = response.headers.get_content_type()
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        text = raw.decode("utf-8", errors="replace")
    return page_text(text) if kind in ("text/html", "application/xhtml+xml") else text


def check_source(source: Source, statements: list[Statement], timeout: float) -> Finding:
    try:
        text = fetch(source.url or "", timeout)
    except urllib.error.HTTPError as error:
        return Finding(source, f"answers {error.code} {error.reason}")
    except urllib.error.URLError as error:
        reason = error.reason
        said = "timed out" if isinstance(reason, TimeoutError) else reason
        return Finding(source, f"does not answer ({said})")
    except TimeoutError:
        return Finding(source, f"does not answer (timed out after {timeout:g} s)")
    except (OSError, ValueError) as error:  # a reset connection, a malformed answer
        return Finding(source, f"does not answer ({error})")
    words = sourcetext.normalised(text)
    missing = [
        statement
        for statement in statements
        if any(sourcetext.difference(p, words) is not None for p in statement.paragraphs)
    ]
    return Finding(source, missing=missing)


def check(archive: Archive, timeout: float = TIMEOUT, workers: int = WORKERS) -> list[Finding]:
    """Every source with a live address, checked (a few at once), in id order."""
    sources = sorted((s for s in archive.sources.values() if s.url), key=lambda s: s.id)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(
            pool.map(
                lambda source: check_source(source, archive.by_source.get(source.id, []), timeout),
                sources,
            )
        )


def listing(archive: Archive) -> list[str]:
    """Each source's web addresses, offline: `id  url  [archived copy]`."""
    lines = []
    for source in sorted(archive.sources.values(), key=lambda s: s.id):
        if not (source.url or source.archived_url):
            lines.append(f"{source.id}: no web address recorded")
            continue
        copy = ""
        if source.archived_url:
            day = f" of {source.archived_on.isoformat()}" if source.archived_on else ""
            copy = f"; archived copy{day}: {source.archived_url}"
        lines.append(f"{source.id}: {source.url or 'no live address'}{copy}")
    return lines
