"""The execution report: for each chapter, whether this build executed it or took it from the cache, and why it ran.

The pieces are checked without a build; the last test builds a small book three times and reads the page.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import minibook
import pytest

from booktools.core import execution_report
from booktools.core.cache import last_executions, log_execution, why_executed

DEPENDENCIES = {"requirements.lock": "l1", "lesson_code/losses.py": "m1", "lesson_code/data.py": "d1"}
LAST = {"time": 1.0, "docname": "book/mse", "seconds": 2.0, "ok": True, "code": "c1", "dependencies": DEPENDENCIES}


@pytest.mark.parametrize(
    ("code", "changes", "reason"),
    [
        ("c2", {}, "its code cells changed"),
        ("c1", {"lesson_code/losses.py": "m2"}, "lesson_code/losses.py changed"),
        ("c1", {"requirements.lock": "l2"}, "requirements.lock changed"),
        ("c1", {"lesson_code/plots.py": "p1"}, "it now depends on lesson_code/plots.py"),
        ("c1", {"lesson_code/data.py": None}, "it no longer depends on lesson_code/data.py"),
        (
            "c2",
            {"requirements.lock": "l2", "lesson_code/losses.py": "m2"},
            "its code cells changed; lesson_code/losses.py changed; requirements.lock changed",
        ),
    ],
)
def test_the_reason_names_what_changed_since_the_last_execution(code, changes, reason):
    now = {name: digest for name, digest in {**DEPENDENCIES, **changes}.items() if digest is not None}
    assert why_executed(LAST, code, now) == reason


def test_the_reason_when_nothing_it_depends_on_changed():
    assert why_executed(None, "c1", DEPENDENCIES).startswith("first execution")
    assert why_executed({**LAST, "ok": False}, "c1", DEPENDENCIES) == "its last execution failed"
    assert "missing or damaged" in why_executed(LAST, "c1", DEPENDENCIES)
    older = {key: value for key, value in LAST.items() if key not in ("code", "dependencies")}
    assert "not logged in detail" in why_executed(older, "c1", DEPENDENCIES)


def test_the_log_keeps_what_the_next_execution_compares_with(tmp_path: Path):
    log_execution(tmp_path, "book/mse", 2.0, True)
    log_execution(tmp_path, "book/mse", 3.25, False, code="c1", dependencies=DEPENDENCIES, reason="why")
    log_execution(tmp_path, "book/sgd", 1.0, True)
    last = last_executions(tmp_path)
    assert sorted(last) == ["book/mse", "book/sgd"]
    mse = last["book/mse"]
    assert (mse["seconds"], mse["ok"], mse["code"], mse["dependencies"], mse["reason"]) == (
        3.25,
        False,
        "c1",
        DEPENDENCIES,
        "why",
    )
    assert why_executed(mse, "c1", DEPENDENCIES) == "its last execution failed"


class Table(HTMLParser):
    """The cells of each row of a page's table, as text, and the links of each row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
            self.links.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links[-1].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_each_chapter_is_one_row_saying_how_its_outputs_were_made(tmp_path: Path):
    started = 1000.0
    last = {
        "book/sgd": {"time": started + 5, "seconds": 12.5, "ok": True, "reason": "lesson_code/losses.py changed"},
        "book/mse": {"time": started - 99, "seconds": 3.0, "ok": True, "reason": "first execution"},
        "book/bad": {"time": started + 9, "seconds": 0.4, "ok": False, "reason": "its code cells changed"},
    }
    rows = execution_report.rows(["book/mse", "book/sgd", "book/bad", "book/new"], last, started)
    path = execution_report.write(tmp_path, rows, started + 20)
    assert path == tmp_path / "reports" / "execution.html"
    table = Table()
    table.feed(path.read_text(encoding="utf-8"))
    header, *body = table.rows
    assert header == ["Chapter", "Outputs", "Seconds", "Finished at", "Why it was executed"]
    assert [row[:3] + row[4:] for row in body] == [
        ["book/mse", "from the cache", "3.0", "first execution"],
        ["book/sgd", "executed in this build", "12.5", "lesson_code/losses.py changed"],
        ["book/bad", "failed (see its log)", "0.4", "its code cells changed"],
        ["book/new", "not executed yet", "", ""],
    ]
    assert body[0][3] == "1970-01-01 00:15:01 UTC"  # 901 s after the epoch
    # from reports/: each chapter's page, and the traceback the build saved for a failed one
    assert table.links[1:] == [
        ["../book/mse.html"],
        ["../book/sgd.html"],
        ["../book/bad.html", "book/bad.err.log"],
        ["../book/new.html"],
    ]
    assert (
        "Chapters with code: 4. This build executed 1 (12.5 s) and took 1 from the cache; 1 failed."
        in path.read_text(encoding="utf-8")
    )


def report_of(path: Path, result: subprocess.CompletedProcess) -> dict[str, list[str]]:
    """The report's rows of the copy at ``path``, by chapter: outputs, seconds, when, why."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    page = path / "_build" / "html" / "reports" / "execution.html"
    assert f"[booktools] the execution report: {page}" in re.sub(r"\x1b\[[0-9;]*m", "", output)
    table = Table()
    table.feed(page.read_text(encoding="utf-8"))
    return {row[0]: row[1:] for row in table.rows[1:]}


@pytest.mark.slow
def test_a_build_reports_what_it_executed_what_it_took_from_the_cache_and_why(tmp_path: Path):
    path = tmp_path / "book"
    chapters = minibook.make(path, ["First", "Second"])
    first, second = (f"book/{chapters[title].stem}" for title in ("First", "Second"))

    report = report_of(path, minibook.build(path))
    assert list(report) == [first, second], "one row per chapter with code, in the order of the book"
    for docname in (first, second):
        outputs, seconds, _, why = report[docname]
        assert outputs == "executed in this build" and float(seconds) > 0 and why.startswith("first execution")

    # a module both chapters import, and the code of one of them
    losses = path / "lesson_code" / "losses.py"
    losses.write_text(losses.read_text(encoding="utf-8") + "\n# an edit that changes no result\n", encoding="utf-8")
    minibook.replace(chapters["Second"], "loss = linear_mse(a, x, y)", "loss = linear_mse(a, x, y)  # edited")
    report = report_of(path, minibook.build(path))
    assert report[first][0] == report[second][0] == "executed in this build"
    assert report[first][3] == "lesson_code/losses.py changed"
    assert report[second][3] == "its code cells changed; lesson_code/losses.py changed"

    again = report_of(path, minibook.build(path))
    assert [row[0] for row in again.values()] == ["from the cache", "from the cache"]
    assert again == {docname: ["from the cache", *row[1:]] for docname, row in report.items()}, "the same executions"
