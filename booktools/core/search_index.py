"""Read back the index entries that a built site's ``searchindex.js`` holds, page by page.

A second way to lose the search's text: a build stopped (Ctrl-C) while it writes the pages leaves
the pages it wrote newer than their sources, so the next build does not write them again, and the
search index, written last, keeps their old text; `mark_writing` makes that next build write every page.

Sphinx (7.4) keeps the search index's entries in the build environment, but pickles the environment
before it writes the pages, which is when the entries are collected; and when it loads the previous
``searchindex.js`` it reads back the words and titles, not the index entries. So after a build that
re-read every page (a changed configuration), the next incremental build drops the index entries
of every page it does not write again: the glossary's terms vanish from the site's search.
"""

from __future__ import annotations

import json
from pathlib import Path

BUILD_INFO = ".buildinfo"  # where Sphinx's HTML builder keeps the hash of the configuration the pages were built with
WRITING = "writing"  # a configuration hash no build has: every page is out of date

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


def mark_writing(outdir: Path) -> None:
    """Mark the site in ``outdir`` as being written: until the build finishes, every page counts as out of date.

    Sphinx writes the pages, then the search index, then ``.buildinfo`` with the configuration's hash.
    Replacing that hash now means that a build stopped before the end leaves a site whose pages the
    next build all writes again (as after a change of configuration), and so indexes their current text.
    """
    Path(outdir).mkdir(parents=True, exist_ok=True)
    (Path(outdir) / BUILD_INFO).write_text(
        "# Sphinx build info version 1\n"
        "# The pages were being written: a build that stops before it finishes leaves this, "
        "and the next one writes every page again.\n"
        f"config: {WRITING}\ntags: {WRITING}\n",
        encoding="utf-8",
    )


def was_interrupted(outdir: Path) -> bool:
    """Whether the last build of the site in ``outdir`` stopped while it wrote the pages (see `mark_writing`)."""
    try:
        return f"config: {WRITING}\n" in (Path(outdir) / BUILD_INFO).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return False
