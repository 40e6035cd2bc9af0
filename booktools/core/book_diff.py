"""What changed between two builds of the book: glued values, printed outputs, figures (by pixels), pages' text.

Each kind is compared as itself: a page's text is read without its outputs and glued values, so a change to
``lesson_code`` that moves one number lists that number, and a change to a sentence lists that page's text.
Outputs are matched by page and code cell number: a cell added to a page shifts those after it.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from booktools.core.book_state import GLUE_ROLE, BookState, Cell, role_key
from booktools.core.pixels import same_pixels

MISSING = "(none)"


@dataclass(frozen=True)
class GlueChange:
    key: str
    page: str  # the page that glues it
    old: str  # its text/plain, or MISSING
    new: str
    sentences: list[tuple[str, str]]  # (page, the sentence with the value as the page shows it, old -> new)
    visible: bool  # whether a page shows it differently, at the digits its sentences format it to


@dataclass(frozen=True)
class OutputChange:
    cell: Cell
    old: str
    new: str


@dataclass(frozen=True)
class FigureChange:
    cell: Cell
    number: int  # the figure's number in its cell, from 1
    old: bytes | None
    new: bytes | None


@dataclass(frozen=True)
class PageChange:
    page: str
    removed: list[str]  # lines of the base's text that are gone
    added: list[str]  # lines of this build's text that are new


@dataclass
class BookChanges:
    glued: list[GlueChange] = field(default_factory=list)
    printed: list[OutputChange] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    pages: list[PageChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.glued or self.printed or self.figures or self.pages)


def shown(text: str, spec: str) -> str:
    """A glued value as ``{glue:text}`key:spec``` shows it, formatted by myst-nb's own function."""
    from myst_nb.core.variables import format_plain_text

    if text == MISSING:
        return text
    try:
        return format_plain_text(text, spec)
    except (ValueError, TypeError):
        return text


def sentence(line: str, key: str, old: BookState, new: BookState) -> str:
    """A source line with each glue role replaced by its value; the changed ``key`` shows ``old -> new``."""

    def value(match) -> str:
        name, spec = role_key(match.group(1))
        after = shown(new.glued.get(name, ("", MISSING))[1], spec)
        if name != key:
            return after
        return f"**{shown(old.glued.get(name, ('', MISSING))[1], spec)} → {after}**"

    return GLUE_ROLE.sub(value, line)


def visible(line: str, key: str, old: str, new: str) -> bool:
    """Whether the glue roles of ``key`` in ``line`` show ``old`` and ``new`` differently."""
    specs = [spec for name, spec in (role_key(m.group(1)) for m in GLUE_ROLE.finditer(line)) if name == key]
    return any(shown(old, spec) != shown(new, spec) for spec in specs)


def _order(pages: list[str]):
    rank = {page: index for index, page in enumerate(pages)}
    return lambda page: rank.get(page, len(rank))


def compare(old: BookState, new: BookState) -> BookChanges:
    """Every glued value, printed output, figure and page text that differs from ``old`` to ``new``."""
    changes = BookChanges()
    page_rank = _order(new.pages + [page for page in old.pages if page not in new.pages])
    for key in sorted(old.glued.keys() | new.glued.keys(), key=lambda k: (page_rank(_glue_page(k, old, new)), k)):
        before, after = old.glued.get(key, ("", MISSING))[1], new.glued.get(key, ("", MISSING))[1]
        if before != after:
            used = new.sentences.get(key) or old.sentences.get(key) or []
            lines = [(page, sentence(line, key, old, new)) for page, line in used]
            seen = any(visible(line, key, before, after) for _, line in used)
            changes.glued.append(GlueChange(key, _glue_page(key, old, new), before, after, lines, seen))
    for place in sorted(old.printed.keys() | new.printed.keys(), key=lambda p: (page_rank(p[0]), p[1])):
        cell, before = old.printed.get(place, (None, ""))
        cell_new, after = new.printed.get(place, (None, ""))
        if before != after:
            changes.printed.append(OutputChange(cell_new or cell, before, after))
    for place in sorted(old.figures.keys() | new.figures.keys(), key=lambda p: (page_rank(p[0]), p[1], p[2])):
        cell, before = old.figures.get(place, (None, None))
        cell_new, after = new.figures.get(place, (None, None))
        if before is None or after is None or not same_pixels(before, after):
            changes.figures.append(FigureChange(cell_new or cell, place[2], before, after))
    for page in sorted(old.prose.keys() | new.prose.keys(), key=page_rank):
        before, after = old.prose.get(page, []), new.prose.get(page, [])
        if before != after:
            removed, added = _line_changes(before, after)
            changes.pages.append(PageChange(page, removed, added))
    return changes


def _glue_page(key: str, old: BookState, new: BookState) -> str:
    return (new.glued.get(key) or old.glued.get(key))[0]


def _line_changes(before: list[str], after: list[str]) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += before[i1:i2]
            added += after[j1:j2]
    return removed, added
