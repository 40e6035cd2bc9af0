"""Keep every page's index entries in the site's search across incremental builds.

Before the pages are written, the index entries of each page that is not written again are read
back from the previous ``searchindex.js`` (:mod:`booktools.core.search_index` says why Sphinx
loses them); a page that is written again gives its own entries, as usual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from booktools.core.search_index import entries_by_page, read_frozen


def restore_entries(app: Sphinx, env: Any) -> None:
    """env-updated: the entries of pages the environment has no entries for, from the last search index."""
    if app.builder.format != "html" or not getattr(app.builder, "search", False):
        return
    frozen = read_frozen(Path(app.outdir) / app.builder.searchindex_filename)
    if frozen is None or frozen.get("envversion") != env.version:
        return
    kept = env._search_index_index_entries  # what Sphinx's IndexBuilder reads and extends
    for docname, entries in entries_by_page(frozen).items():
        if docname in env.all_docs and docname not in kept:
            kept[docname] = entries


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-updated", restore_entries)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
