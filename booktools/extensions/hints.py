"""Say what to do about the build's well-known warnings: the hints of :mod:`booktools.core.hints`.

A missing glue key, an undefined label, a term not in the glossary, an unknown citation and a cell
that raised each get a sentence on what to fix, in the warning itself, before ``-W`` makes it an error.
A cell that writes to stderr is named by its line, with the first line it wrote.
"""

from __future__ import annotations

import logging as std_logging
from pathlib import Path
from typing import Any

from sphinx.util import logging

from booktools.core.hints import HintFilter, StderrLookup, stderr_cell


def stderr_lookup(app: Any) -> StderrLookup:
    """Find a cell of a chapter of ``app``'s book, and its stderr in the execution cache (see `stderr_cell`)."""

    def lookup(docname: str, number: int) -> tuple[int | None, str | None]:
        env = app.env
        path = Path(env.doc2path(docname))
        return stderr_cell(
            path, env.myst_config, env.mystnb_config, Path(env.mystnb_config.execution_cache_path), number
        )

    return lookup


def add_hints(stderr: StderrLookup | None = None) -> None:
    """Put a HintFilter first on Sphinx's warning handlers (before -W turns a warning into an error)."""
    for handler in std_logging.getLogger(logging.NAMESPACE).handlers:
        if isinstance(handler, logging.WarningStreamHandler) and not any(
            isinstance(f, HintFilter) for f in handler.filters
        ):
            handler.filters.insert(0, HintFilter(stderr))


def setup(app: Any) -> dict[str, Any]:
    # Sphinx sets up its logging before it loads the extensions: the handlers are there now.
    add_hints(stderr_lookup(app))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
