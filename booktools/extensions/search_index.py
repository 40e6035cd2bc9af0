"""Keep every page's index entries in the site's search across incremental builds.

Before the pages are written, the index entries of each page that is not written again are read
back from the previous ``searchindex.js`` (:mod:`booktools.core.search_index` says why Sphinx
loses them); a page that is written again gives its own entries, as usual. While the pages are written, the
site is marked so that a build stopped halfway (Ctrl-C) has the next one write every page, and their
text in the search is never older than the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from booktools.core.search_index import entries_by_page, mark_writing, read_frozen, was_interrupted

logger = logging.getLogger(__name__)


def say_if_interrupted(app: Sphinx) -> None:
    """builder-inited: say that every page is written again after a build stopped while writing them."""
    if app.builder.format == "html" and was_interrupted(Path(app.outdir)):
        logger.info(
            "[booktools] the last build stopped while it wrote the pages: every page is written again, "
            "so that the site's search holds their current text",
            color="darkred",
        )


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


def mark_site(app: Sphinx, builder: Any) -> None:
    """write-started: until the build finishes, a stopped build leaves every page out of date."""
    if builder.format == "html":
        mark_writing(Path(builder.outdir))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", say_if_interrupted)
    app.connect("env-updated", restore_entries)
    app.connect("write-started", mark_site)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
