"""A bibliography that assistive technology can read: the entries of a list are list items.

Sphinx writes a bibliography as ``<div role="list" class="citation-list">`` holding entries with
``role="doc-biblioentry"``; a list may only hold list items, so screen readers (and axe-core, as a
critical violation) find a list without items. Each entry becomes ``role="listitem"``: the page reads
as a list of references, which it is.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx

ENTRY = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def entries_as_list_items(body: str) -> str:
    """``body`` with every bibliography entry of a citation list marked as a list item."""
    if 'class="citation-list"' not in body:
        return body
    return ENTRY.sub(r'\1 role="listitem"', body)


def fix_body(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:  # noqa: ARG001
    if "body" in context:
        context["body"] = entries_as_list_items(context["body"])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
