"""``python -m booktools.commands.reproducible [book/sgd ...]``: catch a chapter whose outputs change.

Each chapter (by default every page of ``_toc.yml``) is executed again and compared with the execution
the build cached for its current code and dependencies, or with a second fresh one
(:mod:`booktools.core.reproducible`). The first cell that differs is reported at the chapter's file and line::

    book/sgd.md:57: the code cell at line 57 gives another output each time it runs:
    'tensor([0.4963])' then 'tensor([0.7682])'. Seed every random draw (...)

Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booktools.core import reproducible, toc
from booktools.core.execute import use_kernel_environment
from booktools.core.settings import ExecutionSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute chapters again and report outputs that change.")
    parser.add_argument("docnames", nargs="*", help="chapters such as book/sgd (default: every page of _toc.yml)")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    use_kernel_environment()  # as in the build: one thread per kernel
    settings = ExecutionSettings.from_book(args.root)
    failures, checked = 0, 0
    for docname in args.docnames or toc.docnames(args.root):
        path = toc.source_file(args.root, docname.removesuffix(".md"))
        if path is None:
            print(f"{docname}: no such chapter", file=sys.stderr)
            failures += 1
            continue
        problem = reproducible.check(path, reproducible.cached(args.root, path, settings), settings)
        checked += 1
        if problem is not None:
            failures += 1
            print(f"{path}:{problem[0]}: {problem[1]}")
    if not failures:
        print(f"{checked} chapter(s) gave the same outputs when executed again.", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
