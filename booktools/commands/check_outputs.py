"""Refuse executed outputs in a commit: notebooks with outputs, and anything from a build folder.

The book's sources are MyST markdown; outputs are made by the build and never committed.
Used as a pre-commit hook (``python booktools/commands/check_outputs.py FILE ...``); standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import PurePosixPath

BUILD_FOLDERS = {"_build", "jupyter_execute", ".jupyter_cache"}


def problem(name: str) -> str | None:
    """Why ``name`` must not be committed, or None."""
    path = PurePosixPath(name.replace("\\", "/"))
    if BUILD_FOLDERS & set(path.parts[:-1]):
        return f"{name}: build output; it is made by `make book`, never committed"
    if path.suffix == ".ipynb":
        try:
            with open(name, encoding="utf-8") as handle:
                notebook = json.load(handle)
        except (OSError, ValueError) as error:
            return f"{name}: not a readable notebook ({error})"
        for index, cell in enumerate(notebook.get("cells", [])):
            if cell.get("outputs") or cell.get("execution_count") is not None:
                return (
                    f"{name}: cell {index} holds executed outputs; write chapters as MyST markdown in book/, "
                    "or clear the outputs before committing"
                )
    return None


def main(argv: list[str]) -> int:
    found = [message for message in map(problem, argv) if message]
    for message in found:
        print(message)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
