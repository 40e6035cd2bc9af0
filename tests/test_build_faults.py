"""Faults in a build repair themselves or name themselves.

Each fault is put into a small copy of the book (see ``minibook.py``) and the copy is built:
a damaged execution cache (a cached notebook deleted, truncated, malformed or cleared) is repaired,
with a log line that names the damage, and the chapter concerned is executed again; a cell that
kills its kernel or runs past the timeout fails the build at the chapter's file and the cell's line,
after one execution, and a cell that writes to stderr is named with what it wrote; a chapter's front
matter cannot lengthen or remove the timeout; a second build in the same folder waits, or stops, and
`make clean` refuses while a build runs; a build stopped while writing leaves the search right.
The first tests check the pieces without building, in a second.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import minibook
import pytest
import torch

from booktools.core import build_lock, strict
from booktools.core.cache import database_damage, read_log
from booktools.core.execute import chapter_timeout, error_output
from booktools.core.hints import HintFilter
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


def test_storing_over_a_folder_left_without_its_notebook_works_and_forget_removes_the_folder(tmp_path):
    import nbformat

    from booktools.core import cache

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1)])
    notebook.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    store = cache.open_cache(tmp_path)
    cache.store(store, notebook, "chapter.md", "fingerprint", 1.0)
    (folder,) = (tmp_path / "executed").iterdir()
    (folder / "base.ipynb").unlink()  # the folder stays, as after a deletion by hand
    cache.store(store, notebook, "chapter.md", "fingerprint", 1.0)  # jupyter-cache alone: FileExistsError
    record = store.match_cache_notebook(notebook)
    assert cache.notebook_damage(store, record, notebook) is None
    (folder / "base.ipynb").unlink()
    assert "is missing" in cache.notebook_damage(store, record, notebook)
    cache.forget(store, record)
    assert not folder.exists()
    with pytest.raises(KeyError):
        store.match_cache_notebook(notebook)


def stderr_record(cell: int) -> logging.LogRecord:
    """myst-nb's warning about cell ``cell``'s stderr, as its logger hands it to Sphinx's handlers."""
    record = logging.LogRecord("sphinx.mystnb", logging.WARNING, "", 0, "%s", None, None)
    record.msg = f"stderr was found in the cell outputs of cell {cell} [mystnb.stderr]"
    record.location = ("book/noisy", 31)
    return record


def test_the_stderr_warning_moves_to_the_cell_and_says_what_it_wrote():
    asked: list[tuple[str, int]] = []

    def lookup(docname: str, number: int) -> tuple[int, str]:
        asked.append((docname, number))
        return 29, "careful: 1e-3 is small"

    record = stderr_record(4)
    assert HintFilter(lookup).filter(record)
    assert asked == [("book/noisy", 4)]
    assert record.location == ("book/noisy", 29)
    assert record.getMessage().startswith("the code cell at line 29 writes to stderr: 'careful: 1e-3 is small'. ")
    assert record.getMessage().endswith("[mystnb.stderr]")


def test_without_the_cell_s_output_the_stderr_warning_keeps_myst_nb_s_line():
    def lookup(docname: str, number: int) -> tuple[int, str]:
        raise LookupError("no cache")

    record = stderr_record(4)
    assert HintFilter(lookup).filter(record)
    assert record.location == ("book/noisy", 31)
    assert record.getMessage().startswith("the code cell at line 31 writes to stderr. ")
    assert "Remove the print to stderr" in record.getMessage()


HOLDER = """
import sys
import threading
import time
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


def clean(build_dir: Path) -> subprocess.CompletedProcess:
    """``make clean`` on the build folder ``build_dir``, run by ``make`` as a contributor runs it."""
    from checkout import ROOT

    return subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), "clean", f"BIN={Path(sys.executable).parent}"],
        cwd=build_dir.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_clean_refuses_while_a_build_holds_the_folder_and_cleans_after(tmp_path):
    build_dir = tmp_path / "_build"
    (build_dir / "html").mkdir(parents=True)
    (build_dir / "html" / "index.html").write_text("<p>a page</p>", encoding="utf-8")
    holder = hold(build_dir)
    try:
        refused = clean(build_dir)
    finally:
        let_go(holder)
    assert refused.returncode != 0
    assert refused.stderr.startswith(f"make clean: a build is using _build: the build with pid {holder.pid},")
    assert "wait for it to finish, or stop it (Ctrl-C), then run `make clean` again" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (build_dir / "html" / "index.html").is_file(), "make clean removed a folder a build was using"
    cleaned = clean(build_dir)
    assert cleaned.returncode == 0, cleaned.stderr
    assert not build_dir.exists()
    assert clean(build_dir).returncode == 0  # nothing to remove is no error


REMOVER = HOLDER.replace(
    "build_lock.release(descriptor)", "import shutil; shutil.rmtree(sys.argv[1]); build_lock.release(descriptor)"
)


def test_a_build_that_waited_while_its_folder_was_removed_locks_the_new_folder(tmp_path):
    """As after `make clean` ran while a build waited for it: the build must hold the lock file that is there now."""
    build_dir = tmp_path / "_build"
    remover = subprocess.Popen(
        [sys.executable, "-c", REMOVER, str(build_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert remover.stdout.readline().strip() == "held"
    said: list[str] = []
    waiter = threading.Thread(target=lambda: said.append(build_lock.acquire(build_dir, 30, lambda message: None)))
    waiter.start()
    time.sleep(1)  # the waiter has opened the lock file that is about to be removed
    let_go(remover)
    waiter.join(timeout=30)
    (descriptor,) = said
    try:
        assert build_lock.same_file(descriptor, build_dir / build_lock.LOCK_NAME)
        with pytest.raises(build_lock.BuildFolderBusy):  # and so a third build is kept out
            build_lock.acquire(build_dir, 0, lambda message: None)
    finally:
        build_lock.release(descriptor)


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
    notebook = cached_notebook(path)
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


def cached_notebook(path: Path) -> Path:
    """The one executed notebook in the cache of the copy at ``path``."""
    (notebook,) = (path / "_build" / ".jupyter_cache" / "executed").glob("*/base.ipynb")
    return notebook


def rewrite_outputs(notebook: Path, change) -> None:
    """Apply ``change`` to the outputs of every code cell of the cached ``notebook``, as an editor would."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["outputs"] = change(cell["outputs"])
    notebook.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.slow
def test_a_deleted_cached_notebook_whose_folder_stays_is_executed_again(built_copy):
    path, docname = built_copy
    notebook = cached_notebook(path)
    notebook.unlink()  # its folder, executed/<hash>/, stays
    result = minibook.build(path)
    assert_repaired(path, docname, result, [docname, f"its notebook {notebook} is missing", "executed again"])


@pytest.mark.slow
def test_a_cached_notebook_whose_outputs_were_cleared_is_executed_again(built_copy):
    path, docname = built_copy
    notebook = cached_notebook(path)
    rewrite_outputs(notebook, lambda outputs: [])
    result = minibook.build(path)
    assert_repaired(path, docname, result, [docname, str(notebook), "not those the build stored", "executed again"])


@pytest.mark.slow
def test_a_cached_notebook_with_a_malformed_output_is_executed_again(built_copy):
    path, docname = built_copy
    notebook = cached_notebook(path)
    rewrite_outputs(notebook, lambda outputs: [{"output_type": "stream", "name": "stdout", "text": 5}, *outputs])
    result = minibook.build(path)
    assert_repaired(path, docname, result, [docname, f"its notebook {notebook} is malformed", "executed again"])


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


@pytest.mark.slow
def test_a_cell_that_writes_to_stderr_is_named_with_what_it_wrote_and_what_to_do(built_copy):
    path, docname = built_copy
    chapter = path / f"{docname}.md"
    # the cell runs, and writes to stderr after a line to stdout
    line = add_first_cell(chapter, "import sys\n\nprint('x = 1')\nprint('\\ncareful: 1e-3 is small', file=sys.stderr)")
    result = minibook.build(path)
    assert result.returncode != 0
    says = [
        f"the code cell at line {line} writes to stderr: 'careful: 1e-3 is small'",
        "Remove the print to stderr",
        "silence the warning",
        "tag the cell `remove-stderr`",
    ]
    found = warnings_at(result, chapter, line)
    assert any(all(words in text for words in says) for text in found), (
        f"no warning at {chapter}:{line} says {says}:\n" + output_of(result)[-6000:]
    )
    assert "stderr was found in the cell outputs" not in output_of(result)
    minibook.replace(
        chapter, "```{code-cell} ipython3\nimport sys", "```{code-cell} ipython3\n:tags: [remove-stderr]\nimport sys"
    )
    tagged = minibook.build(path)
    assert tagged.returncode == 0, output_of(tagged)[-4000:]  # as the warning says


STOP_WRITING = """
import os


def stop(app, pagename, templatename, context, doctree):
    if pagename == os.environ.get("STOP_WRITING_AT"):
        raise KeyboardInterrupt  # as Ctrl-C would, while the pages are written


def setup(app):
    app.connect("html-page-context", stop)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


def search_terms(path: Path) -> dict[str, list[str]]:
    """The words of the site's search index of the copy at ``path``, each with the pages it is found on."""
    from booktools.core.search_index import read_frozen

    frozen = read_frozen(path / "_build" / "html" / "searchindex.js")
    names = frozen["docnames"]
    return {
        word: [names[number] for number in ([pages] if isinstance(pages, int) else pages)]
        for word, pages in frozen["terms"].items()
    }


@pytest.mark.slow
def test_the_search_holds_the_new_text_after_a_build_stopped_while_writing(built_copy):
    path, docname = built_copy
    (path / "stop_writing.py").write_text(STOP_WRITING, encoding="utf-8")
    minibook.replace(
        path / "_config.yml",
        "    - booktools.extensions.titles\n",
        "    - booktools.extensions.titles\n    - stop_writing\n",
    )
    # a build with the configuration the next ones have: a change of it would have them write every page anyway
    assert minibook.build(path).returncode == 0
    minibook.replace(path / f"{docname}.md", "## Summary", "A quokka walks by.\n\n## Summary")
    assert docname < "book/intro", "the chapter must be written before the page where the build stops"
    stopped = minibook.build(path, STOP_WRITING_AT="book/intro")
    assert stopped.returncode != 0, output_of(stopped)[-4000:]
    assert "quokka" in (path / "_build" / "html" / f"{docname}.html").read_text(encoding="utf-8")
    assert "quokka" not in search_terms(path)  # the search index is written last: not this time
    result = minibook.build(path)
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    assert search_terms(path).get("quokka") == [docname], "the search does not find the page's new text"
    assert "[booktools] the last build stopped while it wrote the pages: every page is written again" in output
    again = minibook.build(path)
    assert again.returncode == 0 and "the last build stopped" not in output_of(again)


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
