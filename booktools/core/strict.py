"""The strict build of the book, defined once: ``make book``, the tests, the workspace and the benchmark run it.

Strict means that a warning is an error (``--warningiserror``), that every reference must resolve
(``--nitpick``), and that the build goes on after the first problem so that it reports them all
(``--keep-going``). The command :mod:`booktools.commands.strict` runs it; the Makefile calls that.
"""

from __future__ import annotations

import sys
from pathlib import Path

FLAGS = ("--warningiserror", "--nitpick", "--keep-going")


def command(root: Path | str, *extra: str) -> list[str]:
    """The command line of a strict ``jupyter-book build`` of the book at ``root``, with the running Python's tools."""
    return [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), *FLAGS, *extra]
