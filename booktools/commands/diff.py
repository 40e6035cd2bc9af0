"""``make diff BASE=<git ref>``: what this checkout changes in the book, compared with the book at ``<ref>``.

Or ``python -m booktools.commands.diff --base origin/main``. Builds both (the base in ``_build/diff/base``,
a git work tree kept for the next time) and lists every glued value, printed output, figure (by its pixels)
and page text that differs, in ``_build/diff/summary.md`` and, with the figures before and after,
``_build/diff/report.html``. The work is done by :mod:`booktools.core.book_comparison`.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from booktools.core.base_tree import BaseNotFound
from booktools.core.book_comparison import BuildFailed, compare_with
from booktools.core.diff_report import headline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.commands.diff",
        description="Build the book at another commit and this checkout's, and list what differs.",
    )
    parser.add_argument("--base", metavar="REF", help="the commit to compare with: a branch, a tag or a hash")
    parser.add_argument(
        "--base-from-env",
        metavar="NAME",
        help="read the base from the environment variable NAME (as `make diff` does: no shell reads it)",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout (default: here)")
    parser.add_argument("--out", type=Path, help="where the report goes (default: ROOT/_build/diff)")
    args = parser.parse_args(argv)
    if (args.base is None) == (args.base_from_env is None):
        parser.error("give --base REF, or --base-from-env NAME, but not both")
    ref = os.environ.get(args.base_from_env, "") if args.base_from_env else args.base
    if not ref.strip():
        print(
            "diff: say which commit to compare with: make diff BASE=origin/main (a branch, a tag or a commit)",
            file=sys.stderr,
        )
        return 2
    try:
        comparison = compare_with(
            args.root, ref, args.out or args.root / "_build" / "diff", say=functools.partial(print, flush=True)
        )
    except BaseNotFound as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    except BuildFailed as error:
        print(f"diff: {error}", file=sys.stderr)
        return 1
    print(headline(comparison.changes))
    print(f"The summary is {comparison.summary}; the report, with the figures, is {comparison.report}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
