"""The book's checks inside the build: every problem becomes a warning at its file, so ``-W`` fails on it.

* ``config-inited``: the chapter rules of :mod:`booktools.core.chapter_rules` (the shape of each
  chapter, alt text and captions in the source, a toc with no gaps), before Sphinx reads anything;
* after each page is read (and executed): the rules of :mod:`booktools.core.image_rules` (alt text on
  every image, a cell's plots included, and a caption on every plot), kept per page by an
  environment collector, which Sphinx clears when a page is read again and merges from the
  processes of a parallel build; every build that reads a page reports them all, also those of
  the pages it did not read again.

The same chapter rules run without a build: ``python -m booktools.commands.lint``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.environment.collectors import EnvironmentCollector
from sphinx.util import logging

from booktools.core import toc
from booktools.core.chapter_rules import DEFAULT_EXEMPT, Problem, lint_page, toc_problems
from booktools.core.image_rules import image_problems

logger = logging.getLogger(__name__)

STORE = "booktools_image_problems"  # the environment's attribute: docname -> [(line, message)]


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


def stored(env: Any) -> dict[str, list[tuple[int, str]]]:
    """The image problems found so far, by docname (kept in the pickled environment between builds)."""
    if not hasattr(env, STORE):
        setattr(env, STORE, {})
    return getattr(env, STORE)


class ImageProblems(EnvironmentCollector):
    """The image problems of each page, kept in the environment per docname."""

    def clear_doc(self, app: Any, env: Any, docname: str) -> None:
        stored(env).pop(docname, None)

    def merge_other(self, app: Any, env: Any, docnames: set[str], other: Any) -> None:
        theirs = stored(other)
        stored(env).update({docname: theirs[docname] for docname in docnames if docname in theirs})

    def process_doc(self, app: Any, doctree: Any) -> None:
        stored(app.env)[app.env.docname] = image_problems(doctree)


def report_image_problems(app: Any, env: Any) -> None:
    """env-check-consistency (after a build read pages): report every stored problem, of every page."""
    problems = stored(env)
    for docname in sorted(problems):
        if docname not in env.found_docs:
            continue
        for line, message in problems[docname]:
            logger.warning(message, location=(docname, line), type="booktools", subtype="alt")


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("booktools_lint_exempt", list(DEFAULT_EXEMPT), "env")
    app.connect("config-inited", check_sources, priority=100)
    app.add_env_collector(ImageProblems)
    app.connect("env-check-consistency", report_image_problems)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
