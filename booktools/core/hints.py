"""What to do about the build's well-known warnings: a hint added to each of them.

Sphinx's and myst-nb's own messages name the file and the problem (a missing glue key, an undefined
label, a term not in the glossary, an unknown citation, a cell that raised); a hint says what to do.
myst-nb's "stderr was found in the cell outputs of cell N" names neither the cell nor what it wrote:
`HintFilter` rewrites it (`stderr_message`) with the cell's line in the chapter and the first line
of its stderr, found by a `StderrLookup`, and moves the warning to that line.
The extension :mod:`booktools.extensions.hints` puts a `HintFilter` on the build's warnings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

STDERR = re.compile(r"^stderr was found in the cell outputs of cell (\d+)")
# (docname, cell number from 1 among all of the chapter's cells) -> (the cell's line, first line of its stderr)
StderrLookup = Callable[[str, int], tuple[int | None, str | None]]  # raises if it cannot tell

HINTS = (
    (
        re.compile(r"^No key '([^']*)' found in glue data"),
        "Glue it in a code cell of this chapter, before the text that uses it: "
        'glue("{0}", float(value), display=False); check the spelling of the key in {{glue:text}}`{0}`.',
    ),
    (
        re.compile(r"^undefined label: '([^']*)'"),
        "No page defines the label '{0}': check its spelling, or put `({0})=` on the line before the heading "
        "it should point to (chapters are labelled `(ch-<name>)=`), and check that its page is in _toc.yml.",
    ),
    (
        re.compile(r"^term not in glossary: '([^']*)'"),
        "Add '{0}' to the glossary in book/glossary.md, or link an existing term with {{term}}`text <Term>`.",
    ),
    (
        re.compile(r'^could not find bibtex key "([^"]*)"'),
        "No entry of references.bib has the key '{0}': check the spelling of {{cite}}`{0}`, or add the work "
        "to references.bib with that key and a doi or url.",
    ),
    (
        re.compile(r"^Executing notebook failed"),
        "A code cell of this chapter raised an error: the traceback below shows the cell and the error. "
        "Fix the cell; the book builds only when every cell runs.",
    ),
)


def stderr_message(line: int | None, first: str | None) -> str:
    """What a warning about a code cell's stderr says: which cell, what it wrote, what to do."""
    cell = f"the code cell at line {line}" if line is not None else "a code cell"
    wrote = f"writes to stderr: {first!r}" if first else "writes to stderr"
    return (
        f"{cell} {wrote}. The page would show it under the cell, and the strict build stops on it. "
        "Remove the print to stderr (print(..., file=sys.stderr), logging), or silence the warning it shows "
        "(fix what it warns about, or warnings.filterwarnings in that cell), or, to keep it off the page, "
        "tag the cell `remove-stderr` (:tags: [remove-stderr])."
    )


def stderr_cell(
    path: Path, md_config: Any, nb_config: Any, cache_path: Path, number: int
) -> tuple[int | None, str | None]:
    """Cell ``number`` (from 1, among all cells) of the chapter at ``path``: its line, and the first line of its stderr.

    The stderr comes from the chapter's execution in the cache at ``cache_path``; ``None`` if there is none.
    """
    from booktools.core import cache, execute

    notebook = execute.read(path, md_config, nb_config)
    if notebook is None or not 0 < number <= len(notebook.cells):
        raise LookupError(f"{path} has no code cell {number}")
    source_map = notebook.metadata.get("source_map") or []
    line = int(source_map[number - 1]) if number - 1 < len(source_map) else None
    ordinal = sum(cell.cell_type == "code" for cell in notebook.cells[: number - 1])
    store = cache.open_cache(cache_path)
    try:
        executed = cache.executed_notebook(store, store.match_cache_notebook(notebook))
    except KeyError:
        return line, None
    outputs = executed.cells[ordinal].get("outputs", []) if ordinal < len(executed.cells) else []
    text = "".join(
        "".join(o.get("text", "")) for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    first = next((piece.strip() for piece in text.splitlines() if piece.strip()), None)
    return line, first[:200] if first else None


class HintFilter(logging.Filter):
    """A logging filter that adds what to do to the build's well-known warnings (once per record).

    ``stderr``, if given, finds the cell of myst-nb's warning about stderr: the warning is then rewritten.
    """

    def __init__(self, stderr: StderrLookup | None = None) -> None:
        super().__init__()
        self.stderr = stderr

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record with odd arguments: leave it alone
            return True
        if self.stderr is not None and not getattr(record, "booktools_hint", False):
            self.rewrite_stderr(record, text)
        for pattern, hint in HINTS:
            match = pattern.match(text)
            if match and not getattr(record, "booktools_hint", False):
                first, _, rest = text.partition("\n")
                record.msg = f"{first} -- {hint.format(*match.groups())}" + (f"\n{rest}" if rest else "")
                record.args = ()
                record.booktools_hint = True
                break
        return True

    def rewrite_stderr(self, record: logging.LogRecord, text: str) -> None:
        """Rewrite myst-nb's warning about a cell's stderr, at the cell's line, if ``record`` is one."""
        match = STDERR.match(text)
        location = getattr(record, "location", None)
        if match is None or not (isinstance(location, tuple) and location and isinstance(location[0], str)):
            return
        docname = location[0]
        try:
            line, first = self.stderr(docname, int(match.group(1)))
        except Exception:  # no chapter, no cache: keep the line myst-nb gave
            line, first = (location[1] if len(location) > 1 else None), None
        record.msg = stderr_message(line, first) + text[match.end() :]  # keeps myst-nb's [mystnb.stderr]
        record.args = ()
        if line is not None:
            record.location = (docname, line)
        record.booktools_hint = True
