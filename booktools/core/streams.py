"""Joining a cell's printed output into one block per stream, exactly as the code printed it.

The kernel sends what a cell prints as stream messages, and may cut one ``print`` into several of
them, at any byte, differently from one run to the next. `merge_streams` joins each run of
consecutive messages of the same stream (``stdout`` or ``stderr``) into one output, with nothing
added or removed: the page shows the bytes the code printed, however the kernel cut them, and two
executions of the same code give the same blocks.

myst-nb's own ``nb_merge_streams`` is not used: it strips the end of every piece and adds a newline
(a print cut after ``"autograd: "`` reached the page as two lines), moves later prints up above the
figures between them, and swaps ``stderr`` with the ``stdout`` after it.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import copy
from typing import Any

# Written into each cached execution (see `booktools.core.cache`): an execution cached before its
# streams were merged this way is executed again rather than shown with its pieces apart.
MERGED = "consecutive stream messages joined as sent"


def merge_streams(outputs: list[Any]) -> list[Any]:
    """The outputs of one cell with each run of consecutive same-stream messages joined into one.

    The text of a joined output is the concatenation of its pieces' texts, in order, byte for byte.
    Outputs of other kinds (results, figures, errors) keep their place and separate the runs around
    them. ``outputs`` is left unchanged; an output that is not joined is returned as it is.
    """
    merged: list[Any] = []
    copied: set[int] = set()  # indices in ``merged`` of joined outputs, copies that may be extended
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            if len(merged) - 1 not in copied:
                previous = merged[-1] = copy.deepcopy(previous)
                previous["text"] = _text(previous)
                copied.add(len(merged) - 1)
            previous["text"] += _text(output)
        else:
            merged.append(output)
    return merged


def _text(output: Any) -> str:
    """A stream output's text: nbformat allows a string or a list of strings."""
    text = output.get("text", "")
    return text if isinstance(text, str) else "".join(text)


def merge_notebook_streams(notebook: Any) -> None:
    """`merge_streams` on the outputs of every code cell of ``notebook``, in place."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            cell.outputs = merge_streams(cell.outputs)
