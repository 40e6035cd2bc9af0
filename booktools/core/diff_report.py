"""The report of what a change does to the book: a Markdown summary, and an HTML page with the figures side by side.

The summary is short enough for a pull request's job summary (long outputs and pages are cut, and say so);
the HTML page holds everything, with each changed figure before and after, as thumbnails inside the page.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from html import escape

from booktools.core.book_diff import MISSING, BookChanges, FigureChange, GlueChange
from booktools.core.book_state import Cell
from booktools.core.pixels import changed_pixels, thumbnail, where_changed

MAX_LINES = 30  # lines of one output's or one page's changes in the summary; the HTML report has them all
MAX_VALUE = 60  # characters of a glued value in the summary's table


@dataclass(frozen=True)
class Sides:
    """What was compared: the base and this build, each in a few words, with what each build executed."""

    base: str
    head: str
    base_executed: list[str]
    head_executed: list[str]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def headline(changes: BookChanges) -> str:
    """One sentence: how many things of each kind changed."""
    if not changes:
        return "Nothing the book shows has changed: no glued number, printed output, figure or page text."
    seen = sum(change.visible for change in changes.glued)
    glued = _count(len(changes.glued), "glued value", "glued values")
    if changes.glued:
        glued += (
            f" ({'none' if not seen else seen if seen < len(changes.glued) else 'all'} shown differently on the pages)"
        )
    parts = [
        glued,
        _count(len(changes.printed), "printed output", "printed outputs"),
        _count(len(changes.figures), "figure", "figures"),
        _count(len(changes.pages), "page's text", "pages' text"),
    ]
    return f"Changed: {', '.join(parts[:-1])} and {parts[-1]}."


def where(cell: Cell) -> str:
    """``book/mse, shown code cell 3 (`loss = ...`)``: the third code cell the page shows."""
    return f"{cell.page}, shown code cell {cell.number}" + (f" (`{cell.first_line}`)" if cell.first_line else "")


def _cut(text: str, limit: int = MAX_VALUE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    """Text for a cell of a Markdown table: no line breaks, no column separators."""
    return " ".join(text.split()).replace("|", "\\|")


def _diff_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
        if not line.startswith(("---", "+++"))
    ]


def _fenced(lines: list[str]) -> list[str]:
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(f"… {len(lines) - MAX_LINES} more lines: see the HTML report")
    return ["```diff", *(line.replace("```", "`‵`") for line in shown), "```"]


def _executed(names: list[str]) -> str:
    return ", ".join(names) if names else "nothing (every chapter came from the cache, or was built already)"


def _figure_note(change: FigureChange) -> str:
    if change.old is None:
        return "new"
    if change.new is None:
        return "gone"
    counted = changed_pixels(change.old, change.new)
    if counted is None:
        return "its size changed"
    changed, total = counted
    return f"{changed:,} of its {total:,} pixels changed ({100 * changed / total:.2g}%)"


def _glue_table(changes: list[GlueChange]) -> list[str]:
    rows = ["| Page | Key | Old | New | Where the page says it |", "| --- | --- | --- | --- | --- |"]
    for change in changes:
        said = "<br>".join(f"{_cell(page)}: {_cell(line)}" for page, line in change.sentences) or "(not in the text)"
        rows.append(
            f"| {change.page} | `{change.key}` | {_cell(_cut(change.old))} | {_cell(_cut(change.new))} | {said} |"
        )
    return rows


def markdown(changes: BookChanges, sides: Sides) -> str:
    """The summary, in GitHub's Markdown."""
    out = [
        "# What this change does to the book",
        "",
        f"Base: {sides.base}. This build: {sides.head}.",
        "",
        f"**{headline(changes)}**",
    ]
    seen = [change for change in changes.glued if change.visible]
    unseen = [change for change in changes.glued if not change.visible]
    if seen:
        out += ["", f"## Glued values the pages show differently ({len(seen)})", "", *_glue_table(seen)]
    if unseen:
        out += [
            "",
            f"## Glued values that look the same on the pages ({len(unseen)})",
            "",
            "They changed beyond the digits the pages show, or the pages do not show them.",
            "",
        ]
        out += ["<details><summary>The values, and the sentences that show them</summary>", ""]
        out += [*_glue_table(unseen), "", "</details>"]
    if changes.printed:
        out += ["", f"## Printed outputs ({len(changes.printed)})"]
        for change in changes.printed:
            out += ["", f"{where(change.cell)}:", "", *_fenced(_diff_lines(change.old, change.new))]
    if changes.figures:
        out += ["", f"## Figures whose pixels changed ({len(changes.figures)})", ""]
        out += [f"- {where(c.cell)}, figure {c.number}: {_figure_note(c)}" for c in changes.figures]
        out += ["", "The HTML report shows each one before and after."]
    if changes.pages:
        out += ["", f"## Pages whose text changed ({len(changes.pages)})"]
        out += ["", "Their text without outputs and glued values, which are listed above.", ""]
        for change in changes.pages:
            lines = [f"- {line}" for line in change.removed] + [f"+ {line}" for line in change.added]
            out += [f"{change.page}:", "", *_fenced(lines), ""]
    out += [
        "",
        "---",
        f"Executed for the base: {_executed(sides.base_executed)}.",
        f"Executed for this build: {_executed(sides.head_executed)}.",
        "",
    ]
    return "\n".join(out)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 75rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ccc; padding: .3rem .5rem;
vertical-align: top; text-align: left; } pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; }
.old { background: #ffebe9; } .new { background: #e6ffec; } figure { display: inline-block; margin: 0 1rem 1rem 0; }
img { border: 1px solid #ccc; max-width: 100%; } figcaption { font-size: .9rem; color: #555; }
"""


def _html_diff(lines: list[str]) -> str:
    rows = []
    for line in lines:
        kind = "old" if line.startswith("-") else "new" if line.startswith("+") else ""
        rows.append(f'<span class="{kind}">{escape(line)}</span>' if kind else escape(line))
    return "<pre>" + "\n".join(rows) + "</pre>"


def _picture(png: bytes | None, label: str) -> str:
    if png is None:
        return f"<figure><figcaption>{label}: none</figcaption></figure>"
    return f'<figure><img src="{thumbnail(png)}" alt="{label}"><figcaption>{label}</figcaption></figure>'


def html(changes: BookChanges, sides: Sides) -> str:
    """The full report, one self-contained HTML page (the thumbnails are inside it)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>What this change does to the book</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>What this change does to the book</h1>",
        f"<p>Base: {escape(sides.base)}. This build: {escape(sides.head)}.</p>",
        f"<p><strong>{escape(headline(changes))}</strong></p>",
    ]
    groups = (
        ("Glued values the pages show differently", [change for change in changes.glued if change.visible]),
        (
            "Glued values that look the same on the pages (changed beyond the digits shown, or not shown)",
            [c for c in changes.glued if not c.visible],
        ),
    )
    for title, group in groups:
        if not group:
            continue
        out += [f"<h2>{title} ({len(group)})</h2>", "<table>"]
        out.append("<tr><th>Page</th><th>Key</th><th>Old</th><th>New</th><th>Where the page says it</th></tr>")
        for change in group:
            said = "<br>".join(escape(f"{page}: {line}") for page, line in change.sentences)
            old = escape(change.old) if change.old != MISSING else "<em>none</em>"
            new = escape(change.new) if change.new != MISSING else "<em>none</em>"
            out.append(
                f"<tr><td>{escape(change.page)}</td><td><code>{escape(change.key)}</code></td>"
                f'<td class="old">{old}</td><td class="new">{new}</td><td>{said}</td></tr>'
            )
        out.append("</table>")
    if changes.printed:
        out.append(f"<h2>Printed outputs ({len(changes.printed)})</h2>")
        for change in changes.printed:
            out += [f"<h3>{escape(where(change.cell))}</h3>", _html_diff(_diff_lines(change.old, change.new))]
    if changes.figures:
        out.append(f"<h2>Figures whose pixels changed ({len(changes.figures)})</h2>")
        for change in changes.figures:
            out += [
                f"<h3>{escape(where(change.cell))}, figure {change.number}: {escape(_figure_note(change))}</h3>",
                _picture(change.old, "before"),
                _picture(change.new, "after"),
            ]
            marked = where_changed(change.old, change.new) if change.old and change.new else None
            if marked is not None:
                out.append(_picture(marked, "where the pixels differ, in red"))
    if changes.pages:
        out.append(f"<h2>Pages whose text changed ({len(changes.pages)})</h2>")
        out.append("<p>Their text without outputs and glued values, which are listed above.</p>")
        for change in changes.pages:
            lines = [f"- {line}" for line in change.removed] + [f"+ {line}" for line in change.added]
            out += [f"<h3>{escape(change.page)}</h3>", _html_diff(lines)]
    out += [
        "<hr>",
        f"<p>Executed for the base: {escape(_executed(sides.base_executed))}.<br>",
        f"Executed for this build: {escape(_executed(sides.head_executed))}.</p>",
        "</body></html>",
        "",
    ]
    return "\n".join(out)
