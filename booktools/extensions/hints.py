"""Say what to do about the build's well-known warnings: the hints of :mod:`booktools.core.hints`.

A missing glue key, an undefined label, a term not in the glossary, an unknown citation and a cell
that raised each get a sentence on what to fix, in the warning itself, before ``-W`` makes it an error.
"""

from __future__ import annotations

import logging as std_logging
from typing import Any

from sphinx.util import logging

from booktools.core.hints import HintFilter


def add_hints() -> None:
    """Put a HintFilter first on Sphinx's warning handlers (before -W turns a warning into an error)."""
    for handler in std_logging.getLogger(logging.NAMESPACE).handlers:
        if isinstance(handler, logging.WarningStreamHandler) and not any(
            isinstance(f, HintFilter) for f in handler.filters
        ):
            handler.filters.insert(0, HintFilter())


def setup(app: Any) -> dict[str, Any]:
    # Sphinx sets up its logging before it loads the extensions: the handlers are there now.
    add_hints()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
