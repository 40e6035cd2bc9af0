"""The book's checks inside the build: every problem becomes a warning at its file, so ``-W`` fails on it.

* ``config-inited``: the chapter rules of :mod:`booktools.core.chapter_rules` (the shape of each
  chapter, alt text and captions in the source, a toc with no gaps), before Sphinx reads anything;
* after each page is read (and executed): alt text on every image, a cell's plots included, and a
  caption on every plot; every build that reads a page reports them all.

The same chapter rules run without a build: ``python -m booktools.commands.lint``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.util import logging

from booktools.core import toc
from booktools.core.chapter_rules import DEFAULT_EXEMPT, Problem, lint_page, toc_problems

logger = logging.getLogger(__name__)


def _warn(problem: Problem) -> None:
    logger.warning(problem.message, location=f"{problem.path}:{problem.line}", type="booktools", subtype="lint")


def check_sources(app: Any, config: Any) -> None:
    """config-inited: lint the toc and every page, before Sphinx reads anything."""
    root = Path(app.srcdir)
    exempt = set(config.booktools_lint_exempt)
    for problem in toc_problems(root):
        _warn(problem)
    for docname in toc.docnames(root):
        path = toc.source_file(root, docname)
        if path is not None:
            for problem in lint_page(path, exempt=docname in exempt):
                _warn(problem)


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


def collect_image_problems(app: Any, doctree: Any) -> None:
    """doctree-read: images (a cell's plots too) without alt text, and plots without a caption."""
    from docutils import nodes

    env = app.env
    store = env.__dict__.setdefault("booktools_image_problems", {})
    found = []
    for image in doctree.findall(nodes.image):
        if not str(image.get("alt", "")).strip():
            what = "a plot drawn by a code cell" if _in_cell_output(image) else f"the image {image.get('uri')!r}"
            found.append(
                (
                    _line(image),
                    (
                        f"{what} has no alt text: give the cell `:mystnb:` metadata with `:  image:` and "
                        "`:    alt: <what it shows>`, or the image an `:alt:`"
                    ),
                )
            )
        if _in_cell_output(image):
            figure = image.parent
            while figure is not None and not isinstance(figure, nodes.figure):
                figure = figure.parent
            if figure is None or not any(isinstance(child, nodes.caption) for child in figure.children):
                found.append(
                    (
                        _line(image),
                        (
                            "a plot drawn by a code cell has no caption: give the cell `:mystnb:` metadata "
                            "with "
                            "`:  figure:`, `:    caption: <one or two sentences>` and `:    name: fig-<name>`"
                        ),
                    )
                )
    store[env.docname] = found


def report_image_problems(app: Any, env: Any) -> None:
    """env-check-consistency: report every stored problem, on every build (also incremental ones)."""
    store = env.__dict__.get("booktools_image_problems", {})
    for docname in sorted(store):
        if docname not in env.found_docs:
            continue
        for line, message in store[docname]:
            logger.warning(message, location=(docname, line), type="booktools", subtype="alt")


def purge(app: Any, env: Any, docname: str) -> None:
    env.__dict__.get("booktools_image_problems", {}).pop(docname, None)


def merge(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    store = env.__dict__.setdefault("booktools_image_problems", {})
    for docname in docnames:
        if docname in other.__dict__.get("booktools_image_problems", {}):
            store[docname] = other.booktools_image_problems[docname]


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("booktools_lint_exempt", list(DEFAULT_EXEMPT), "env")
    app.connect("config-inited", check_sources, priority=100)
    app.connect("doctree-read", collect_image_problems)
    app.connect("env-check-consistency", report_image_problems)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
