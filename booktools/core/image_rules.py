"""The images of a page as Sphinx read it, after execution: alt text on each, a caption on each plot.

The chapter rules (:mod:`booktools.core.chapter_rules`) read the source; these read the doctree, where
a cell's plots are images too. The extension :mod:`booktools.extensions.lint` runs them on every page.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

NO_ALT = (
    "{what} has no alt text: give the cell `:mystnb:` metadata with `:  image:` and "
    "`:    alt: <what it shows>`, or the image an `:alt:`"
)
NO_CAPTION = (
    "a plot drawn by a code cell has no caption: give the cell `:mystnb:` metadata with "
    "`:  figure:`, `:    caption: <one or two sentences>` and `:    name: fig-<name>`"
)


def _in_cell_output(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.get("nb_element") in ("cell_code_output",):
            return True
        parent = parent.parent
    return False


def _line(node: Any) -> int:
    while node is not None:
        if getattr(node, "line", None):
            return node.line
        node = node.parent
    return 1


def _has_caption(image: nodes.image) -> bool:
    figure = image.parent
    while figure is not None and not isinstance(figure, nodes.figure):
        figure = figure.parent
    return figure is not None and any(isinstance(child, nodes.caption) for child in figure.children)


def image_problems(doctree: nodes.document) -> list[tuple[int, str]]:
    """``(line, message)`` for each image (a cell's plots too) without alt text, and each plot without a caption."""
    found = []
    for image in doctree.findall(nodes.image):
        in_cell = _in_cell_output(image)
        if not str(image.get("alt", "")).strip():
            what = "a plot drawn by a code cell" if in_cell else f"the image {image.get('uri')!r}"
            found.append((_line(image), NO_ALT.format(what=what)))
        if in_cell and not _has_caption(image):
            found.append((_line(image), NO_CAPTION))
    return found
