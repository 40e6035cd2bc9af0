"""What to do about the build's well-known warnings: a hint added to each of them.

Sphinx's and myst-nb's own messages name the file and the problem (a missing glue key, an undefined
label, a term not in the glossary, an unknown citation, a cell that raised); a hint says what to do.
The extension :mod:`booktools.extensions.hints` puts a `HintFilter` on the build's warnings.
"""

from __future__ import annotations

import logging
import re

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


class HintFilter(logging.Filter):
    """A logging filter that adds what to do to the build's well-known warnings (once per record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record with odd arguments: leave it alone
            return True
        for pattern, hint in HINTS:
            match = pattern.match(text)
            if match and not getattr(record, "booktools_hint", False):
                first, _, rest = text.partition("\n")
                record.msg = f"{first} -- {hint.format(*match.groups())}" + (f"\n{rest}" if rest else "")
                record.args = ()
                record.booktools_hint = True
                break
        return True
