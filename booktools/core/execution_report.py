"""The execution report: one page that lists, for each chapter, how its outputs were made.

For each chapter with code, in the order of the book: whether this build executed it or took its
outputs from the cache, how long its execution took, when it ran, and why it ran (what changed
since the execution before: its code, a module of ``lesson_code``, the lock file; see
`booktools.core.cache.why_executed`). It is read from the log of executions in the cache folder, so
it also describes the chapters that an incremental build did not touch.
In the spirit of Jupyter Book's ``{nb-exec-table}``, for maintainers rather than readers: the build
writes it to ``reports/execution.html`` in the site (`PATH`), beside the tracebacks of failed chapters.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path

PATH = Path("reports") / "execution.html"  # in the site's folder


@dataclass(frozen=True)
class Row:
    """One chapter in the report."""

    docname: str
    status: str  # "executed", "failed", "cached", or "not executed" (nothing logged for it)
    seconds: float | None
    when: float | None  # when it finished, in seconds since the epoch
    reason: str  # why it ran; "" if nothing is logged


def rows(chapters: list[str], last: dict[str, dict], started: float) -> list[Row]:
    """A `Row` for each of ``chapters`` (docnames of pages with code), from its ``last`` logged execution.

    An execution logged at or after ``started`` (the build's start, seconds since the epoch) is this build's.
    """
    found = []
    for docname in chapters:
        entry = last.get(docname)
        if entry is None:
            found.append(Row(docname, "not executed", None, None, ""))
            continue
        now = float(entry.get("time", 0)) >= started
        status = ("executed" if entry.get("ok", True) else "failed") if now else "cached"
        if status == "cached" and not entry.get("ok", True):
            status = "failed"  # its last execution failed in an earlier build: nothing is cached
        found.append(Row(docname, status, float(entry["seconds"]), entry.get("time"), entry.get("reason", "")))
    return found


STATUS = {
    "executed": "executed in this build",
    "failed": "failed (see its log)",
    "cached": "from the cache",
    "not executed": "not executed yet",
}

STYLE = """body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ccc; padding: .4rem; }
th { text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.failed { color: #b00020; font-weight: bold; }"""


def page(found: list[Row], generated: float) -> str:
    """The report as a standalone HTML page; links lead from ``reports/`` to each chapter's page and error log."""
    total = sum(row.seconds or 0.0 for row in found if row.status == "executed")
    lines = []
    for row in found:
        link = f'<a href="../{html.escape(row.docname)}.html">{html.escape(row.docname)}</a>'
        status = html.escape(STATUS[row.status])
        if row.status == "failed":
            # the build saves a failed chapter's traceback beside this page: reports/<docname>.err.log
            status = f'<a class="failed" href="{html.escape(row.docname)}.err.log">{status}</a>'
        seconds = "" if row.seconds is None else f"{row.seconds:.1f}"
        when = "" if row.when is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(row.when))
        lines.append(
            f"<tr><td>{link}</td><td>{status}</td><td class='number'>{seconds}</td>"
            f"<td>{when}</td><td>{html.escape(row.reason)}</td></tr>"
        )
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(generated))
    count = {status: sum(row.status == status for row in found) for status in STATUS}
    summary = (
        f"Chapters with code: {len(found)}. This build executed {count['executed']} ({total:.1f} s) and took "
        f"{count['cached']} from the cache; {count['failed']} failed."
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Execution report</title><style>{STYLE}</style></head><body>",
            "<h1>Execution report</h1>",
            f"<p>Built {stamp}. {html.escape(summary)}</p>",
            "<table><thead><tr><th>Chapter</th><th>Outputs</th><th>Seconds</th><th>Finished at</th>"
            "<th>Why it was executed</th></tr></thead><tbody>",
            *lines,
            "</tbody></table></body></html>",
            "",
        ]
    )


def write(site: Path, found: list[Row], generated: float) -> Path:
    """Write the report into the site's folder at `PATH`; its path."""
    path = Path(site) / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(found, generated), encoding="utf-8")
    return path
