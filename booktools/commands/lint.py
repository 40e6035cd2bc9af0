"""``python -m booktools.commands.lint [ROOT]``: the chapter rules without a build, in a second.

Prints each problem as ``file:line: what to fix`` and exits 1 if there is one; ``make lint`` runs it.
The rules are those of :mod:`booktools.core.chapter_rules`; the build applies them too
(:mod:`booktools.extensions.lint`), with the checks of the executed pages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booktools.core.chapter_rules import lint_book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the shape of every chapter and the toc.")
    parser.add_argument("root", nargs="?", type=Path, default=Path.cwd(), help="the book's folder")
    args = parser.parse_args(argv)
    problems = lint_book(args.root)
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} problem(s): fix them, then run `python -m booktools.commands.lint` again.",
            file=sys.stderr,
        )
        return 1
    print("Every chapter has the book's shape.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
