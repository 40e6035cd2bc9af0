"""``make pdf``: the whole book as one PDF, printed by Chromium from the built site.

    python -m booktools.commands.pdf [--site _build/html] [--out _build/pdf]

It prints with the Chromium that :mod:`booktools.core.chromium` finds (``BOOK_CHROMIUM`` first);
the PDF is named after the repository (:mod:`booktools.core.edition`). How the book is
assembled, printed and given its contents' page numbers and bookmarks: :mod:`booktools.core.pdf`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booktools.core.chromium import ChromiumError, require
from booktools.core.edition import config_addresses, read_config
from booktools.core.pdf import print_book

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the built book into one PDF.")
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf", help="folder of the PDF")
    args = parser.parse_args(argv)
    name, _ = config_addresses(read_config(ROOT))
    if not (args.site / "index.html").is_file():
        print(f"No built site in {args.site}: run 'make book' first.", file=sys.stderr)
        return 1
    try:
        browser = require()
        print(f"Printing with Chromium: {browser}")
        done = print_book(args.site, ROOT, args.out / name, browser)
    except ChromiumError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{done['path']}: {done['pages']} pages, {done['bytes'] / 1e6:.1f} MB, {done['chapters']} chapters, "
        f"printed {done['printings']} times in {done['total_s']:.1f} s "
        f"(assembling {done['assemble_s']:.1f} s, loading and typesetting {done['typeset_s']:.1f} s, "
        f"finding the pages {done['find_pages_s']:.1f} s, printing {done['print_s']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
