"""``python -m booktools.commands.notebooks CHAPTER OUTPUT``: one chapter as a reader's notebook.

``python -m booktools.commands.notebooks book/momentum.md momentum.ipynb`` writes the notebook that
the site offers for download (see :mod:`booktools.core.notebooks`); ``--lesson-code`` names another
place to install ``lesson_code`` from, such as a wheel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booktools.core.notebooks import ROOT, Source, git_source, repository_of, to_notebook


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Convert a MyST chapter into a Jupyter notebook that runs anywhere.")
    parser.add_argument("chapter", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "--lesson-code",
        metavar="REQUIREMENT",
        help="where the set-up cell installs lesson_code from (a pip requirement, such as a wheel's "
        "path); by default the repository of _config.yml at the commit checked out here",
    )
    args = parser.parse_args(argv)
    if args.lesson_code:
        source = Source(args.lesson_code, f"lesson_code from {args.lesson_code}")
    else:
        url, branch = repository_of(ROOT)
        source = git_source(url, branch)
    nbformat.write(to_notebook(args.chapter, source), str(args.output))
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
