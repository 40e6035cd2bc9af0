"""``make book``: ``python -m booktools.commands.strict [ROOT] [jupyter-book options]`` builds the book strictly.

The command line itself is defined once, in :mod:`booktools.core.strict`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from booktools.core.strict import command


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return subprocess.run(command(args[0] if args else ".", *args[1:]), check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
