"""What every export's fields are read with: the archive, page URLs, shared record links."""

from __future__ import annotations

from datetime import date

from .. import urls
from ..model import Archive

PARAGRAPH_BREAK = "\n\n"
LIST_SEPARATOR = "; "


class References:
    """The archive and site being exported, and the `{id, name, url}` of each record.

    Made once per export. Every statement by one speaker shares the same dict, which keeps
    100,000 statements' data small; the dicts are only ever read.
    """

    def __init__(self, archive: Archive, site_url: str) -> None:
        self.archive = archive
        self.site_url = site_url
        # Looked up lazily, so one statement's data costs no pass over the whole archive.
        self.records: dict[str, dict] = {
            "speaker": archive.speakers,
            "outlet": archive.outlets,
            "theme": archive.themes,
            "source": archive.sources,
        }
        self.made: dict[tuple[str, str], dict] = {}

    def to(self, kind: str, record_id: str) -> dict:
        """`{id, name, url}` of a record (a source's adds its publisher and addresses), once."""
        key = (kind, record_id)
        if key not in self.made:
            record = self.records[kind][record_id]
            self.made[key] = (
                {"id": record_id, "title": record.title}
                if kind == "source"
                else {"id": record_id, "name": record.name}
            )
            self.made[key]["url"] = page_url(self.site_url, kind, record_id)
            if kind == "source":
                self.made[key].update(
                    publisher=record.publisher,
                    address=record.url,
                    archived_address=record.archived_url,
                    archived_on=iso(record.archived_on),
                )
        return self.made[key]

    def page(self, kind: str, record_id: str) -> str:
        """The absolute URL of a record's page."""
        return page_url(self.site_url, kind, record_id)

    def listed(self, statement_id: str | None) -> bool:
        """Whether the lists hold this statement (it exists and is not withdrawn)."""
        statement = self.archive.statements.get(statement_id) if statement_id else None
        return statement is not None and not statement.withdrawn


def page_url(site_url: str, kind: str, record_id: str) -> str:
    """The absolute URL of a record's page (`/<kind>s/<id>/` without a site URL)."""
    return urls.absolute(site_url, urls.record(kind, record_id))


def iso(day: date | None) -> str | None:
    """`YYYY-MM-DD`, or None."""
    return day.isoformat() if day else None


def joined(items: list[str] | tuple[str, ...] | None) -> str:
    """A list as one cell: its items joined with "; "."""
    return LIST_SEPARATOR.join(items or ())
