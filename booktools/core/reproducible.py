"""Whether a chapter gives the same outputs each time it is executed (every random draw seeded).

The chapter is executed in a fresh kernel (:mod:`booktools.core.execute`, as the build executes it)
and its text outputs are compared (:mod:`booktools.core.outputs`) with another execution: the one the
build cached for the chapter's current code and dependencies when there is one, found by the build's
own look-up (`booktools.core.cache.cached_record`), or else a second fresh one.
The command line is :mod:`booktools.commands.reproducible`; inside a build, :mod:`booktools.extensions.reproducible`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from booktools.core import cache, execute
from booktools.core.execute import chapter_timeout, execute_notebook, read_markdown
from booktools.core.outputs import first_difference, message, same_text, text_outputs
from booktools.core.settings import ExecutionSettings

__all__ = ["cached", "check", "first_difference", "message", "read", "same_text", "text_outputs"]

DEFAULT_TIMEOUT = 300  # seconds, for a chapter checked without the book's settings


def read(path: Path, settings: ExecutionSettings | None = None) -> Any:
    """The notebook of the MyST chapter at ``path``, with the book's MyST ``settings`` if given.

    Any MyST file is read, notebook front matter or not: a chapter given to the check is checked.
    """
    return read_markdown(path, None if settings is None else settings.md_config)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def cached(root: Path, path: Path, settings: ExecutionSettings | None = None, say: cache.Say = _stderr) -> Any | None:
    """The execution the build cached for the chapter at ``path``, if made from its current code and dependencies.

    ``settings`` say where the cache is and what the fingerprint covers; by default those of the
    book at ``root`` (its ``_config.yml``). As in the build, a cached execution made with other
    dependencies (an edited ``lesson_code`` module, another lock file) is no execution of this
    chapter: it is removed, and ``None`` returned.
    """
    settings = ExecutionSettings.from_book(root) if settings is None else settings
    if not settings.cache_path.is_dir():
        return None
    notebook = execute.read(path, settings.md_config, settings.nb_config)
    if notebook is None:
        return None
    store = cache.open_cache(settings.cache_path)
    record, _ = cache.cached_record(store, notebook, settings, str(path), say)
    return None if record is None else cache.executed_notebook(store, record)


def _execute(notebook: Any, cwd: Path, timeout: int | None) -> Any:
    """``notebook`` executed top to bottom in a fresh kernel; raises `RuntimeError` if it fails."""
    execution = execute_notebook(notebook, cwd, timeout, allow_errors=False)
    if execution.error is not None:
        raise RuntimeError(f"execution failed: {execution.error}")
    return execution.notebook


def check(path: Path, previous: Any | None = None, settings: ExecutionSettings | None = None) -> tuple[int, str] | None:
    """Execute the chapter at ``path`` (twice without a ``previous`` execution); where its outputs first differ.

    Read and timed out with ``settings`` (by default, myst-nb's parser and a timeout of 300 s);
    a chapter's front matter may shorten the timeout, as in the build. Raises `RuntimeError` if a cell fails.
    Returns ``(line, message)`` for the first difference (`booktools.core.outputs.message`), else ``None``.
    """
    notebook = read(path, settings)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    configured = DEFAULT_TIMEOUT if settings is None else settings.nb_config.execution_timeout
    timeout, _ = chapter_timeout(notebook, configured)
    first = previous if previous is not None else _execute(notebook, path.parent, timeout)
    second = _execute(notebook, path.parent, timeout)
    difference = first_difference(first, second)
    return None if difference is None else message(notebook, difference)
