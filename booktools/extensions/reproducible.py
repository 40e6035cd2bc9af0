"""Catch a chapter whose outputs change from one execution to the next (unseeded randomness).

Each chapter is executed in a fresh kernel and its text outputs (``text/plain`` results,
printed ``stdout`` and glued values) are compared with another execution: the one in the
build's cache when there is one, or a second fresh one.
Numbers that agree to a relative 1e-5 count as the same: parallel float32 arithmetic may round
the last digits differently from run to run, while an unseeded random draw changes far more.
The first cell that differs is reported with the chapter's file and line, e.g.::

    book/sgd.md:57: the code cell at line 57 gives another output each time it runs:
    'tensor([0.4963])' then 'tensor([0.7682])'. Seed every random draw (...)

* ``python -m booktools.extensions.reproducible [book/sgd ...]`` checks the given chapters (default: all),
  exit status 1 on any difference.
* As a Sphinx extension, with the environment variable ``BOOK_CHECK_REPRODUCIBLE=1``,
  every chapter executed by a build is executed once more and compared, and a difference is a
  warning at the chapter's file (so ``-W`` fails the build). The weekly CI build turns it on.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from booktools.core import toc

ENV_SWITCH = "BOOK_CHECK_REPRODUCIBLE"
FIX = (
    "Seed every random draw (a seed= argument, or torch.Generator().manual_seed(...)) "
    "so that every build shows the same numbers."
)


def read(path: Path) -> Any:
    """The notebook of a MyST chapter, with each cell's line number in ``metadata.source_map``."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"), add_source_map=True, path=path)


def execute(notebook: Any, cwd: Path, timeout: int = 300) -> Any:
    """``notebook`` executed top to bottom in a fresh kernel; raises if a cell fails."""
    import copy

    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(copy.deepcopy(notebook), cwd=str(cwd), timeout=timeout, allow_errors=False)
    if result.err is not None:
        raise RuntimeError(f"execution failed: {result.err}")
    return result.nb


def text_outputs(notebook: Any) -> list[list[str]]:
    """For each code cell, in order: its text results, stdout and glued values.

    Counted among code cells only: the execution cache keeps a notebook's code cells alone.
    """
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                if output.get("name") == "stdout":
                    # the kernel may send one print in several pieces: join consecutive pieces
                    piece = "".join(output.get("text", ""))
                    if texts and texts[-1].startswith("stdout: "):
                        texts[-1] += piece
                    else:
                        texts.append(f"stdout: {piece}")
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
    """The line of the opening fence (from 1) of the ``ordinal``-th code cell of a notebook read by `read`."""
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
    ordinal, a, b = difference
    line = _line(notebook, ordinal)
    return line, (
        f"the code cell at line {line} gives another output each time it runs: {_short(a)} then {_short(b)}. {FIX}"
    )


def check(path: Path, previous: Any | None = None, timeout: int = 300) -> tuple[int, str] | None:
    """Execute the chapter at ``path`` (twice if no ``previous`` executed notebook); the first difference."""
    notebook = read(path)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    first = previous if previous is not None else execute(notebook, path.parent, timeout)
    second = execute(notebook, path.parent, timeout)
    difference = first_difference(first, second)
    return None if difference is None else message(notebook, difference)


def cached(root: Path, path: Path) -> Any | None:
    """The executed notebook that the build cached for the chapter at ``path``, if its code is unchanged."""
    from jupyter_cache import get_cache

    folder = Path(root) / "_build" / ".jupyter_cache"
    if not folder.is_dir():
        return None
    cache = get_cache(str(folder))
    try:
        record = cache.match_cache_notebook(read(path))
    except KeyError:
        return None
    return cache.get_cache_bundle(record.pk).nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute chapters again and report outputs that change.")
    parser.add_argument("docnames", nargs="*", help="chapters such as book/sgd (default: every page of _toc.yml)")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    failures, checked = 0, 0
    for docname in args.docnames or toc.docnames(args.root):
        path = toc.source_file(args.root, docname.removesuffix(".md"))
        if path is None:
            print(f"{docname}: no such chapter", file=sys.stderr)
            failures += 1
            continue
        problem = check(path, cached(args.root, path))
        checked += 1
        if problem is not None:
            failures += 1
            print(f"{path}:{problem[0]}: {problem[1]}")
    if not failures:
        print(f"{checked} chapter(s) gave the same outputs when executed again.", file=sys.stderr)
    return 1 if failures else 0


# -- inside the build (opt-in) --------------------------------------------------------------


def recheck(app: Any, env: Any, docnames: list[str]) -> None:
    """env-before-read-docs, after booktools.extensions.execution: execute each chapter again and compare."""
    if os.environ.get(ENV_SWITCH) != "1" or env.mystnb_config.execution_mode != "cache":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    root = Path(app.srcdir)
    excluded = env.mystnb_config.execution_excludepatterns  # with those booktools.extensions.execution stopped
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != ".md" or any(PurePosixPath(path.as_posix()).match(p) for p in excluded):
            continue
        try:
            problem = check(path, cached(root, path), timeout=env.mystnb_config.execution_timeout)
        except RuntimeError:
            continue  # a failing cell: myst-nb reports it against the file
        if problem is not None:
            logger.warning(problem[1], location=(docname, problem[0]), type="booktools", subtype="reproducible")


def setup(app: Any) -> dict[str, Any]:
    app.connect("env-before-read-docs", recheck, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
