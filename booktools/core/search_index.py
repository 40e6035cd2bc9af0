"""Read back the index entries that a built site's ``searchindex.js`` holds, page by page.

Sphinx (7.4) keeps the search index's entries in the build environment, but pickles the environment
before it writes the pages, which is when the entries are collected; and when it loads the previous
``searchindex.js`` it reads back the words and titles, not the index entries. So after a build that
re-read every page (a changed configuration), the next incremental build drops the index entries
of every page it does not write again: the glossary's terms vanish from the site's search.
"""

from __future__ import annotations

import json
from pathlib import Path

Entry = tuple[str, str, str]  # (entry, target id, "main" or ""), as Sphinx's IndexBuilder keeps them


def read_frozen(searchindex: Path) -> dict | None:
    """The data of ``searchindex.js`` (``Search.setIndex({...})``), or ``None`` if absent or unreadable."""
    try:
        text = searchindex.read_text(encoding="utf-8")
        return json.loads(text[text.index("(") + 1 : text.rindex(")")])
    except (OSError, ValueError):
        return None


def entries_by_page(frozen: dict) -> dict[str, list[Entry]]:
    """Each page's index entries, from the ``indexentries`` of a frozen search index.

    Sphinx freezes ``{entry.lower(): [(page number, target id, is main), ...]}``; this is its inverse,
    up to the entry's case, which the frozen index has already lost.
    """
    docnames = frozen.get("docnames", [])
    pages: dict[str, set[Entry]] = {}
    for entry, places in frozen.get("indexentries", {}).items():
        for number, target, main in places:
            pages.setdefault(docnames[number], set()).add((entry, target, "main" if main else ""))
    return {docname: sorted(entries) for docname, entries in pages.items()}
