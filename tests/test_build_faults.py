"""Faults in a build repair themselves or name themselves.

Each fault is put into a small copy of the book (see ``minibook.py``) and the copy is built:
a damaged execution cache is repaired, with a log line that names the damage, and the chapter
concerned is executed again; a cell that kills its kernel or runs past the timeout fails the
build at the chapter's file and the cell's line, after one execution; a chapter's front matter
cannot lengthen or remove the timeout; a second build in the same folder waits, or stops.
The first tests check the pieces without building, in a second.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import minibook
import pytest
import torch

from booktools.core import build_lock, strict
from booktools.core.cache import database_damage, read_log
from booktools.core.execute import chapter_timeout, error_output
from lesson_code import make_line

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def output_of(result: subprocess.CompletedProcess) -> str:
    return ANSI.sub("", result.stdout + "\n" + result.stderr)


def executions(path: Path) -> list[dict]:
    """The log of executions of the copy at ``path``: one entry per chapter executed."""
    log = path / "_build" / ".jupyter_cache" / "executions.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.is_file() else []


def truncate(path: Path, keep: int | None = None) -> None:
    """Cut the file at ``path`` to its first ``keep`` bytes (by default half), as a full disk or a kill would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if keep is None else keep])


def add_first_cell(chapter: Path, code: str) -> int:
    """Put a code cell before the chapter's first one; the line (from 1) of its opening fence."""
    text = chapter.read_text(encoding="utf-8")
    start = text.index("```{code-cell}")
    chapter.write_text(text[:start] + f"```{{code-cell}} ipython3\n{code}\n```\n\n" + text[start:], encoding="utf-8")
    return text[:start].count("\n") + 1


def add_front_matter(chapter: Path, yaml: str) -> None:
    """Add ``yaml`` (whole lines) to the chapter's front matter, before its kernelspec."""
    minibook.replace(chapter, "kernelspec:", yaml + "kernelspec:")


# -- the pieces, without a build ------------------------------------------------------------


class Notebook:
    def __init__(self, **metadata):
        self.metadata = metadata


@pytest.mark.parametrize(
    ("metadata", "timeout", "refused"),
    [
        ({}, 300, []),
        ({"execution": {"timeout": 60}}, 60, []),
        ({"mystnb": {"execution_timeout": 300}}, 300, []),
        ({"execution": {"timeout": 60}, "mystnb": {"execution_timeout": 30}}, 30, []),
        ({"execution": {"timeout": 600}}, 300, ["`execution: timeout: 600` would lengthen the timeout"]),
        ({"execution": {"timeout": -1}}, 300, ["`execution: timeout: -1` would remove the timeout"]),
        ({"execution": {"timeout": 0}}, 300, ["`execution: timeout: 0` would remove the timeout"]),
        ({"execution": {"timeout": None}}, 300, ["`execution: timeout: None` is not a whole number of seconds"]),
        ({"mystnb": {"execution_timeout": 301}}, 300, ["`mystnb: execution_timeout: 301` would lengthen the timeout"]),
        ({"mystnb": {"execution_timeout": "forever"}}, 300, ["`mystnb: execution_timeout: forever` is not a whole"]),
    ],
)
def test_the_front_matter_may_shorten_the_timeout_and_nothing_else(metadata, timeout, refused):
    got_timeout, got_refused = chapter_timeout(Notebook(**metadata), 300)
    assert got_timeout == timeout
    assert len(got_refused) == len(refused)
    assert all(reason.startswith(start) for reason, start in zip(got_refused, refused, strict=True)), got_refused


def test_without_a_configured_timeout_the_front_matter_may_set_one():
    assert chapter_timeout(Notebook(execution={"timeout": 60}), -1) == (60, [])
    assert chapter_timeout(Notebook(), None) == (None, [])


def make_database(path: Path) -> Path:
    """A jupyter-cache database, as a build leaves it."""
    from jupyter_cache import get_cache

    cache = get_cache(str(path))
    cache.list_cache_records()  # creates the database with its tables
    for number in range(3):  # a few rows of data
        cache.add_nb_to_project(str(path / f"chapter{number}.ipynb"))
    return path / "global.db"


@pytest.mark.parametrize("keep", [0, 100, "half"])
def test_a_truncated_database_is_found_damaged(tmp_path, keep):
    database = make_database(tmp_path)
    assert database_damage(database) is None
    truncate(database, None if keep == "half" else keep)
    assert database_damage(database) is not None


def test_a_database_without_the_cache_s_tables_is_found_damaged(tmp_path):
    database = tmp_path / "global.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE other (x)")
    assert "nbcache" in database_damage(database)


def test_damaged_lines_of_the_log_are_counted_and_the_rest_kept(tmp_path):
    log = tmp_path / "executions.jsonl"
    good = {"time": 1.0, "docname": "book/a", "seconds": 2.5, "ok": True}
    log.write_text(json.dumps(good) + "\n" + '{"time": 2.0, "docname": "book/b", "sec' + "\n[1, 2]\n", encoding="utf-8")
    assert read_log(log) == ([good], 2)


HOLDER = """
import sys
from pathlib import Path
from booktools.core import build_lock
descriptor = build_lock.acquire(Path(sys.argv[1]), 0, print)
print("held", flush=True)
sys.stdin.read()  # until the test closes stdin
build_lock.release(descriptor)
"""


def hold(build_dir: Path) -> subprocess.Popen:
    """Another process that holds the lock of ``build_dir`` until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(build_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def let_go(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(timeout=600)  # it exits as soon as its stdin closes


def test_the_lock_refuses_while_another_process_holds_it_and_is_free_after(tmp_path):
    holder = hold(tmp_path)
    try:
        with pytest.raises(build_lock.BuildFolderBusy, match=rf"pid {holder.pid}\b.*wait for it to finish"):
            build_lock.acquire(tmp_path, 0.5, lambda message: None)
    finally:
        let_go(holder)
    said: list[str] = []
    build_lock.release(build_lock.acquire(tmp_path, 0, said.append))
    assert said == []  # released properly: nothing to take over


def test_a_lock_left_by_a_process_that_died_is_taken_over(tmp_path):
    dead = subprocess.run(
        [
            sys.executable,
            "-c",
            HOLDER.replace("sys.stdin.read()", "os._exit(0)").replace("import sys", "import os, sys"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "held" in dead.stdout
    said: list[str] = []
    descriptor = build_lock.acquire(tmp_path, 0, said.append)
    build_lock.release(descriptor)
    assert len(said) == 1 and "taking over" in said[0] and "ended without releasing it" in said[0], said


# -- a damaged cache, in a built copy ---------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A small copy with one chapter, built once: every damage starts from a copy of it."""
    path = tmp_path_factory.mktemp("built") / "book"
    chapter = minibook.make(path, ["Cached"])["Cached"]
    result = minibook.build(path)
    assert result.returncode == 0, output_of(result)[-4000:]
    return path, f"book/{chapter.stem}"


@pytest.fixture
def built_copy(built: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    source, docname = built
    target = tmp_path / "book"
    shutil.copytree(source, target)
    return target, docname


def glued_loss() -> str:
    """The loss the scaffolded chapter glues, recomputed here: the mean squared error of the line y = 0."""
    x, y = make_line(n=100, a=(3.0, 2.0), seed=0)
    return f"{float(torch.mean(y**2)):.2f}"


def assert_repaired(path: Path, docname: str, result: subprocess.CompletedProcess, says: list[str]) -> None:
    """The build passed, said what was damaged, executed the chapter once, showed its outputs; the next builds clean."""
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    notes = [line for line in output.splitlines() if "[booktools] the execution cache is damaged" in line]
    assert any(all(words in line for words in says) for line in notes), f"no line says {says}:\n" + "\n".join(notes)
    assert "WARNING" not in output
    assert [e["docname"] for e in executions(path)].count(docname) == 2  # the first build's, and this one's
    page = (path / "_build" / "html" / f"{docname}.html").read_text(encoding="utf-8")
    assert glued_loss() in page
    again = minibook.build(path)
    assert again.returncode == 0, output_of(again)[-4000:]
    assert "damaged" not in output_of(again)
    assert [e["docname"] for e in executions(path)].count(docname) == 2, "repaired, yet executed again"


@pytest.mark.slow
def test_a_truncated_cached_notebook_is_executed_again(built_copy):
    path, docname = built_copy
    (notebook,) = (path / "_build" / ".jupyter_cache" / "executed").glob("*/base.ipynb")
    truncate(notebook)
    result = minibook.build(path)
    assert_repaired(path, docname, result, [docname, str(notebook), "cannot be read", "executed again"])


@pytest.mark.slow
def test_a_deleted_executed_folder_is_executed_again(built_copy):
    path, docname = built_copy
    folder = path / "_build" / ".jupyter_cache" / "executed"
    shutil.rmtree(folder)
    result = minibook.build(path)
    assert_repaired(path, docname, result, [docname, f"the folder {folder} is missing", "executed again"])


@pytest.mark.slow
def test_a_truncated_database_empties_the_cache_and_everything_is_executed_again(built_copy):
    path, docname = built_copy
    database = path / "_build" / ".jupyter_cache" / "global.db"
    truncate(database)
    result = minibook.build(path)
    assert_repaired(path, docname, result, [str(database), "cannot be read", "every chapter is executed again"])


@pytest.mark.slow
def test_a_truncated_log_of_executions_loses_its_damaged_line_only(built_copy):
    path, docname = built_copy
    log = path / "_build" / ".jupyter_cache" / "executions.jsonl"
    log.write_text(log.read_text(encoding="utf-8") * 2, encoding="utf-8")
    truncate(log, len(log.read_bytes()) - 20)  # the second line loses its end
    minibook.replace(path / f"{docname}.md", "loss = linear_mse(a, x, y)", "loss = linear_mse(a, x, y)  # edited")
    result = minibook.build(path)
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    assert f"[booktools] the log of executions {log} had 1 damaged line(s): they were dropped." in output
    assert [e["docname"] for e in executions(path)] == [docname, docname]  # every line reads again


# -- a chapter that fails, or would lift the timeout --------------------------------------------

# seconds, in the copy's _config.yml: far more than any of its chapters needs on the slowest machine.
# Only the front matter's timeout of 1 s is meant to fire, on a cell that never ends.
TIMEOUT = 900
NEVER_ENDS = "import time\n\nwhile True:\n    time.sleep(0.1)"


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict, subprocess.CompletedProcess]:
    """A copy whose chapters fail: each fault is in its first code cell, before any slow import."""
    path = tmp_path_factory.mktemp("failing") / "book"
    chapters = minibook.make(path, ["Dies", "Forever", "Longer", "Shorter", "Draws"])
    minibook.replace(path / "_config.yml", "  timeout: 300\n", f"  timeout: {TIMEOUT}\n")
    add_front_matter(chapters["Forever"], "execution:\n  timeout: -1\n")
    add_front_matter(chapters["Longer"], f"mystnb:\n  execution_timeout: {2 * TIMEOUT}\n")
    add_front_matter(chapters["Shorter"], "execution:\n  timeout: 1\n")
    lines = {
        "Dies": add_first_cell(chapters["Dies"], "import os\n\nos._exit(1)"),
        "Shorter": add_first_cell(chapters["Shorter"], NEVER_ENDS),
        # the cell succeeds; drawing its figure fails inside IPython's display hook (mathtext has no \\lVert)
        "Draws": add_first_cell(
            chapters["Draws"],
            "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots()\n"
            "ax.set_xlabel(r'$\\lVert w \\rVert$')\nplt.show()",
        ),
    }
    return path, chapters, lines, minibook.build(path)


def warnings_at(result: subprocess.CompletedProcess, chapter: Path, line: int) -> list[str]:
    return [text for text in output_of(result).splitlines() if text.startswith(f"{chapter}:{line}: WARNING: ")]


@pytest.mark.slow
def test_the_failing_copy_fails(failing):
    *_, result = failing
    assert result.returncode != 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("title", "says"),
    [
        ("Dies", ["The kernel died", "while the code cell at line {line} ran", "not executed again"]),
        (
            "Shorter",
            [
                "Execution timed out: the code cell at line {line} was still running after 1 s",
                "set by the chapter's front matter",
            ],
        ),
    ],
)
def test_a_cell_that_kills_its_kernel_or_runs_too_long_is_named(failing, title, says):
    path, chapters, lines, result = failing
    line = lines[title]
    found = warnings_at(result, chapters[title], line)
    report = path / "_build" / "html" / "reports" / "book" / f"{chapters[title].stem}.err.log"
    says = [words.format(line=line) for words in says] + [f"The traceback is saved in {report}."]
    assert any(all(words in text for words in says) for text in found), (
        f"no warning at {chapters[title]}:{line} says {says}:\n" + output_of(result)[-6000:]
    )
    error = "DeadKernelError" if title == "Dies" else "CellTimeoutError"
    assert error in report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_figure_that_fails_to_draw_fails_the_build_at_its_cell(failing):
    _, chapters, lines, result = failing
    found = warnings_at(result, chapters["Draws"], lines["Draws"])
    assert any("ran, but its output shows an error" in text and "ValueError" in text for text in found), (
        f"no warning at {chapters['Draws']}:{lines['Draws']} names the figure's error:\n" + output_of(result)[-6000:]
    )


@pytest.mark.slow
def test_the_execution_report_links_each_failed_chapter_to_its_traceback(failing):
    path, chapters, _, _ = failing
    reports = path / "_build" / "html" / "reports"
    page = (reports / "execution.html").read_text(encoding="utf-8")
    for title in ("Dies", "Shorter", "Draws"):
        docname = f"book/{chapters[title].stem}"
        assert f'<a class="failed" href="{docname}.err.log">failed (see its log)</a>' in page, page
        assert (reports / f"{docname}.err.log").is_file()


def test_an_error_among_the_outputs_of_a_cell_that_ran_is_found():
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("text"),
            nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"})]),
            nbformat.v4.new_code_cell(
                "plt.show()",
                outputs=[
                    nbformat.v4.new_output(
                        "error", ename="ValueError", evalue="Unknown symbol: \\lVert\nmore", traceback=[]
                    ),
                ],
            ),
        ]
    )
    assert error_output(notebook) == (2, "ValueError: Unknown symbol: \\lVert")
    notebook.cells.pop()
    assert error_output(notebook) is None


@pytest.mark.parametrize(
    ("timeout", "where"),
    [(300, "set by `timeout` under `execute:` in _config.yml"), (2, "set by the chapter's front matter")],
)
def test_a_timeout_names_the_cell_and_the_setting_that_stopped_it(timeout, where):
    """The build's own timeout is not waited for in a build test (see TIMEOUT): its message is checked here."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError

    from booktools.core.execute import Execution, failure_message

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("loop()")])
    notebook.metadata["source_map"] = [12, 20]
    execution = Execution(notebook, float(timeout), CellTimeoutError("Cell execution timed out"), None, 1)
    line, message = failure_message(notebook, execution, timeout, 300, traceback_too=True)
    assert line == 20
    assert f"Execution timed out: the code cell at line 20 was still running after {timeout} s" in message
    assert where in message and "not executed again in this build" in message


def front_matter_line(chapter: Path, words: str) -> int:
    return 1 + next(n for n, text in enumerate(chapter.read_text(encoding="utf-8").splitlines()) if words in text)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("title", "key", "says"),
    [
        ("Forever", "timeout: -1", "`execution: timeout: -1` would remove the timeout"),
        (
            "Longer",
            f"execution_timeout: {2 * TIMEOUT}",
            f"`mystnb: execution_timeout: {2 * TIMEOUT}` would lengthen the timeout",
        ),
    ],
)
def test_front_matter_that_would_lift_the_timeout_is_refused(failing, title, key, says):
    _, chapters, _, result = failing
    found = warnings_at(result, chapters[title], front_matter_line(chapters[title], key))
    assert any(
        says in text and f"timeout of _config.yml ({TIMEOUT} s" in text and "never lengthen or remove" in text
        for text in found
    ), output_of(result)[-6000:]


@pytest.mark.slow
def test_each_chapter_is_executed_once_at_most_and_never_by_myst_nb(failing):
    path, chapters, _, result = failing
    counts = {
        title: [e["docname"] for e in executions(path)].count(f"book/{chapter.stem}")
        for title, chapter in chapters.items()
    }
    assert counts == {"Dies": 1, "Shorter": 1, "Draws": 1, "Forever": 0, "Longer": 0}
    assert "Executing notebook using" not in output_of(result)  # myst-nb's own execution


@pytest.mark.slow
def test_a_failing_chapter_fails_every_build_until_it_is_fixed(failing):
    path, chapters, lines, _ = failing
    again = minibook.build(path)
    assert again.returncode != 0
    assert warnings_at(again, chapters["Shorter"], lines["Shorter"])
    assert warnings_at(again, chapters["Dies"], lines["Dies"])
    assert warnings_at(again, chapters["Forever"], front_matter_line(chapters["Forever"], "timeout: -1"))


# -- two builds in one folder ------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_build_stops_while_another_holds_the_folder(built_copy):
    path, _ = built_copy
    holder = hold(path / "_build")
    try:
        result = minibook.build(path, BOOK_LOCK_WAIT="0")
    finally:
        let_go(holder)
    output = output_of(result)
    assert result.returncode != 0
    assert f"Build folder in use: another build is using {path / '_build'}: the build with pid {holder.pid}" in output
    assert "wait for it to finish, or stop it, then build again" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_a_second_build_waits_for_the_first_and_then_builds(built_copy):
    path, _ = built_copy
    holder = hold(path / "_build")
    env = {**os.environ, "PYTHONPATH": str(path), "BOOK_WORKERS": "2", "BOOK_LOCK_WAIT": "600"}
    command = strict.command(path)
    build = subprocess.Popen(command, cwd=path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        for line in build.stdout:  # until the build says that it waits
            seen.append(ANSI.sub("", line))
            if "waiting up to" in seen[-1]:
                break
    finally:
        let_go(holder)
    rest, _ = build.communicate(timeout=600)
    output = "".join(seen) + ANSI.sub("", rest)
    assert build.returncode == 0, output[-4000:]
    assert f"another build is using {path / '_build'}: the build with pid {holder.pid}" in seen[-1]
    assert "build succeeded" in output


@pytest.mark.slow
def test_a_lock_left_by_a_build_that_died_is_taken_over(built_copy):
    path, _ = built_copy
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (path / "_build" / "build.lock").write_text(f"pid {pid}\nstarted 2026-01-01 00:00:00 UTC\n", encoding="utf-8")
    result = minibook.build(path)
    assert result.returncode == 0, output_of(result)[-4000:]
    assert f"taking over {path / '_build' / 'build.lock'}, left by the build with pid {pid}" in output_of(result)
    assert (path / "_build" / "build.lock").read_text(encoding="utf-8") == "", "the build did not let go of its lock"
