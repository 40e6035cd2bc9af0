"""Executing a chapter: read it as myst-nb does, run it once in a fresh kernel, and say how it ended.

* `read`: the notebook myst-nb builds from a chapter's file, each cell's line in ``metadata.source_map``;
* `chapter_timeout`: a chapter's front matter may shorten the execution timeout of ``_config.yml``
  (``execution: timeout:`` or ``mystnb: execution_timeout:``) but not lengthen or remove it;
* `execute_notebook`: one execution in a fresh kernel, which never raises; a cell that raises, runs
  past the timeout, kills its kernel or shows an error among its outputs ends it as a failure;
  what a cell printed is joined into one output per run of prints (:mod:`booktools.core.streams`);
* `failure_message`: what happened, at which line, and what to do.

Kernels run one per core (`KERNEL_ENVIRONMENT`), so each computes on one thread: no
oversubscription, and no summation order that depends on how many threads a BLAS call got.
The incremental build (:mod:`booktools.extensions.execution`) and the reproducibility check
(:mod:`booktools.core.reproducible`) both execute chapters here.
"""

from __future__ import annotations

import copy
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booktools.core.streams import merge_notebook_streams

KERNEL_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


def use_kernel_environment() -> None:
    """Set `KERNEL_ENVIRONMENT` in this process (where not set), for every kernel it starts to inherit."""
    for name, value in KERNEL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


# -- reading chapters as myst-nb does ----------------------------------------------------


def read_markdown(path: Path, md_config: Any = None) -> Any:
    """The notebook of the MyST markdown file at ``path``, read as myst-nb reads a MyST notebook.

    Each cell's line (from 1) is in ``metadata.source_map``. ``md_config``: the book's MyST settings,
    by default MyST's own. The file need not have a notebook's front matter (see `read`).
    """
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    text = Path(path).read_text(encoding="utf-8")
    config = MdParserConfig() if md_config is None else md_config
    return read_myst_markdown_notebook(text, config=config, add_source_map=True, path=str(path))


def read(path: Path, md_config: Any = None, nb_config: Any = None) -> Any | None:
    """The notebook myst-nb builds from the chapter at ``path``, or ``None`` for a page with no code.

    A page is a notebook if myst-nb reads it as one: an ``.ipynb`` file, or a MyST file whose front
    matter says so (``jupytext: text_representation: format_name: myst``), read as by `read_markdown`.

    ``md_config`` and ``nb_config`` are the book's MyST and myst-nb settings
    (`booktools.core.settings.ExecutionSettings`); by default, myst-nb's own.
    """
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader
    from myst_parser.config.main import MdParserConfig

    text = Path(path).read_text(encoding="utf-8")
    md_config = MdParserConfig() if md_config is None else md_config
    nb_config = NbParserConfig() if nb_config is None else nb_config
    reader = create_nb_reader(str(path), md_config, nb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    return notebook


# -- the timeout: _config.yml's, or shorter -----------------------------------------------


def _timeout_settings(notebook: Any) -> list[tuple[str, Any]]:
    """The chapter's own timeout settings, from its front matter: ``(key, value)``."""
    found = []
    for section, key in (("execution", "timeout"), ("mystnb", "execution_timeout")):
        settings = notebook.metadata.get(section)
        if isinstance(settings, dict) and key in settings:
            found.append((f"{section}: {key}", settings[key]))
    return found


def chapter_timeout(notebook: Any, configured: Any) -> tuple[int | None, list[str]]:
    """The timeout the chapter runs with (``None``: none), and why each refused setting is refused.

    The front matter may shorten the timeout of ``_config.yml`` (a whole number of seconds, more
    than 0 and at most the configured one); it may not lengthen it, nor remove it with 0, -1 or null
    (nbclient reads any of those as "no limit").
    """
    limit = configured if isinstance(configured, int) and configured > 0 else None
    timeout, refused = limit, []
    for key, value in _timeout_settings(notebook):
        if not isinstance(value, int) or isinstance(value, bool):
            refused.append(f"`{key}: {value}` is not a whole number of seconds")
        elif value <= 0:
            refused.append(f"`{key}: {value}` would remove the timeout")
        elif limit is not None and value > limit:
            refused.append(f"`{key}: {value}` would lengthen the timeout")
        else:
            timeout = value if timeout is None else min(timeout, value)
    return timeout, refused


def front_matter_line(path: Path, words: str) -> int:
    """The line (from 1) of the front matter that mentions ``words``; 1 if none does."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        return 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        if words in line:
            return number
    return 1


# -- executing, once ---------------------------------------------------------------------


@dataclass
class Execution:
    """One execution of a chapter: the notebook as far as it ran, and how it ended."""

    notebook: Any
    seconds: float
    error: BaseException | None  # None: every cell ran
    trace: str | None
    cell: int | None  # index in notebook.cells of the last cell started


class ErrorOutput(RuntimeError):
    """A cell ran to the end but shows an error among its outputs (a figure that failed to draw, a display hook)."""


def allows_errors(notebook: Any, configured: bool) -> bool:
    """Whether a cell may raise: the chapter's ``execution: allow_errors:``, else ``configured`` (_config.yml's)."""
    settings = notebook.metadata.get("execution")
    return bool(settings["allow_errors"]) if isinstance(settings, dict) and "allow_errors" in settings else configured


def execute_notebook(notebook: Any, cwd: Path, timeout: int | None, allow_errors: bool) -> Execution:
    """Execute a copy of ``notebook`` once, in a fresh kernel; how it ended is returned, never raised.

    Unless ``allow_errors``, an execution whose cells all ran but whose outputs show an error
    (see `error_output`) ends with an `ErrorOutput` at that cell. Each cell's consecutive stream
    messages are joined as sent (`booktools.core.streams`).
    """
    from jupyter_cache.executors.utils import single_nb_execution

    executed = copy.deepcopy(notebook)
    started: list[int] = []
    start = time.perf_counter()
    try:
        result = single_nb_execution(
            executed,
            cwd=str(cwd),
            allow_errors=allow_errors,
            timeout=timeout,
            meta_override=False,  # the timeout comes from chapter_timeout
            # ipykernel logs a warning about TCP transport at every start: keep kernel chatter to errors
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            # a kernel stopped by a timeout cannot shut down gracefully: it would print a traceback
            shutdown_kernel="immediate",
            on_cell_execute=lambda cell, cell_index: started.append(cell_index),
        )
        error, trace = result.err, result.exc_string
    except Exception as caught:  # a dead kernel, a kernel that never starts: nbclient raises past jupyter-cache
        error, trace = caught, traceback.format_exc()
    merge_notebook_streams(executed)  # one block per run of prints, byte for byte as printed
    execution = Execution(executed, time.perf_counter() - start, error, trace, started[-1] if started else None)
    shown = None if allow_errors or error is not None else error_output(executed)
    if shown is not None:
        execution.error, execution.cell = ErrorOutput(shown[1]), shown[0]
    return execution


def error_output(notebook: Any) -> tuple[int, str] | None:
    """The index of the first cell whose outputs hold an error, and that error in one line; ``None`` if none does.

    nbclient fails a chapter only when a cell raises; an exception inside IPython's display machinery,
    such as matplotlib failing to draw a figure at ``plt.show()``, is caught there and shown as an error
    output of a cell that succeeded, which would otherwise reach the page as a traceback.
    """
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                value = (str(output.get("evalue", "")).splitlines() or [""])[0][:200]
                return index, f"{output.get('ename', 'Error')}: {value}"
    return None


def failure_message(
    notebook: Any, execution: Execution, timeout: int | None, configured: Any, traceback_too: bool
) -> tuple[int, str]:
    """``(line, message)`` for a failed execution: the failing cell's line (1 if unknown), what happened, what to do.

    ``timeout`` is the one the chapter ran with, ``configured`` that of ``_config.yml``.
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    source_map = notebook.metadata.get("source_map") or []
    index = execution.cell
    if index is not None and index < len(source_map):
        line = int(source_map[index])
        cell = f"the code cell at line {line}"
    elif index is not None:
        line = 1
        cell = f"code cell {sum(c.cell_type == 'code' for c in notebook.cells[: index + 1])}"
    else:
        line, cell = 1, "no cell"
    during = f"while {cell} ran" if index is not None else "before any cell ran"
    error = execution.error
    if isinstance(error, CellTimeoutError):
        where = "`timeout` under `execute:` in _config.yml" if timeout == configured else "the chapter's front matter"
        return line, (
            f"Execution timed out: {cell} was still running after {timeout} s, the execution timeout set by "
            f"{where}. The chapter was stopped and is not executed again in this build: make the cell faster "
            "(fewer steps, less data), or raise the timeout."
        )
    if isinstance(error, DeadKernelError):
        return line, (
            f"The kernel died: its Python process ended {during} (a call such as os._exit, "
            "a crash in compiled code, or the memory running out). The chapter is not executed again "
            "in this build: run it in Jupyter to see where it stops."
        )
    if isinstance(error, ErrorOutput):
        return line, (
            f"Executing notebook failed: {cell} ran, but its output shows an error ({error}), raised while its "
            "result was displayed (for example a figure that matplotlib could not draw). Fix the cell: "
            "the page would show the traceback."
        )
    if isinstance(error, CellExecutionError):
        first = (str(error.evalue).splitlines() or [""])[0][:200]
        message = f"Executing notebook failed: {cell} raised {error.ename}: {first}"
        return line, message + (f"\n{execution.trace}" if traceback_too and execution.trace else "")
    return line, (
        f"The chapter could not be executed ({type(error).__name__}: {error}) {during}. "
        "It is not executed again in this build."
        + (f"\n{execution.trace}" if traceback_too and execution.trace else "")
    )
