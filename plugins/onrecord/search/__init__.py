"""Full-text search over the archive; the only package that knows Whoosh is the engine.

`index` turns an `Archive` into an index on disk and swaps it in atomically; `query`
answers queries against it with plain dicts, so the CLI and the search service never
touch Whoosh objects and the engine could change behind these functions.
"""

from .index import (
    DEFAULT_INDEX_DIR,
    IndexBuildError,
    IndexMissing,
    activate,
    build_index,
    open_index,
)
from .opened import prepare
from .query import search

__all__ = [
    "DEFAULT_INDEX_DIR",
    "IndexBuildError",
    "IndexMissing",
    "activate",
    "build_index",
    "open_index",
    "prepare",
    "search",
]
