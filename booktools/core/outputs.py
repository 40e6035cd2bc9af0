"""Comparing the text outputs of two executions of a chapter, and saying where they first differ.

Text outputs are ``text/plain`` results, printed ``stdout`` and glued values. Numbers that agree
to a relative 1e-5 count as the same: parallel float32 arithmetic may round the last digits
differently from run to run, while an unseeded random draw changes far more.
"""

from __future__ import annotations

import math
import re
from typing import Any

from booktools.core.streams import merge_streams

FIX = (
    "Seed every random draw (a seed= argument, or torch.Generator().manual_seed(...)) "
    "so that every build shows the same numbers."
)


def text_outputs(notebook: Any) -> list[list[str]]:
    """For each code cell, in order: its text results, stdout and glued values.

    Counted among code cells only: the execution cache keeps a notebook's code cells alone.
    """
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        # the kernel may send one print in several pieces: join them as the page does
        for output in merge_streams(cell.get("outputs", [])):
            if output.get("output_type") == "stream":
                if output.get("name") == "stdout":
                    texts.append(f"stdout: {''.join(output.get('text', ''))}")
                continue
            data = output.get("data", {})
            glued = output.get("metadata", {}).get("scrapbook", {}).get("name")
            # a glued value's mime types carry a prefix: application/papermill.record/text/plain
            plain = next((key for key in sorted(data) if key.endswith("text/plain")), None)
            if plain is not None:
                prefix = f"glue {glued}: " if glued else ""
                texts.append(prefix + "".join(data[plain]))
        found.append(texts)
    return found


def _line(notebook: Any, ordinal: int) -> int:
    """The line of the opening fence (from 1) of the ``ordinal``-th code cell of a chapter's notebook.

    The notebook is read by `booktools.core.execute.read`, which keeps each cell's line in ``metadata.source_map``.
    """
    source_map = notebook.metadata.get("source_map") or []
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    index = code[ordinal] if ordinal < len(code) else len(source_map)
    return int(source_map[index]) if index < len(source_map) else 1


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
RELATIVE_TOLERANCE = 1e-5  # float32 rounding is about 1e-7; an unseeded draw differs far more


def same_text(a: str, b: str) -> bool:
    """Equal, or equal but for numbers that agree to a relative 1e-5.

    Parallel arithmetic (a sum split over threads) may round the last digits of a float32 result
    differently from one run to the next; the page, which shows a few digits, does not change.
    """
    if a == b:
        return True
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    return all(
        math.isclose(float(x), float(y), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b), strict=True)
    )


def first_difference(first: Any, second: Any) -> tuple[int, str, str] | None:
    """``(code cell number, first text, second text)`` of the first code cell whose outputs differ."""
    for ordinal, (a, b) in enumerate(zip(text_outputs(first), text_outputs(second), strict=False)):
        for x, y in zip(a + [""] * (len(b) - len(a)), b + [""] * (len(a) - len(b)), strict=True):
            if not same_text(x, y):
                return ordinal, x, y
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def message(notebook: Any, difference: tuple[int, str, str]) -> tuple[int, str]:
    """``(line, message)`` for a `first_difference`: the line of the cell's opening fence, what differs, what to do."""
    ordinal, a, b = difference
    line = _line(notebook, ordinal)
    return line, (
        f"the code cell at line {line} gives another output each time it runs: {_short(a)} then {_short(b)}. {FIX}"
    )
