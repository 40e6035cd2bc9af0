"""The strict build of the book, defined once: ``make book``, the tests, the workspace and the benchmark run it.

Strict means that a warning is an error (``--warningiserror``), that every reference must resolve
(``--nitpick``), and that the build goes on after the first problem so that it reports them all
(``--keep-going``). ``python -m booktools.strict [ROOT]`` runs it; the Makefile calls that.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

FLAGS = ("--warningiserror", "--nitpick", "--keep-going")


def command(root: Path | str, *extra: str) -> list[str]:
    """The command line of a strict ``jupyter-book build`` of the book at ``root``, with the running Python's tools."""
    return [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), *FLAGS, *extra]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return subprocess.run(command(args[0] if args else ".", *args[1:]), check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
