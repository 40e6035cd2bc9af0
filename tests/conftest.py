"""Shared fixtures: the repository, its chapters, and one clean build of the site per test session.

Set ``BOOK_SITE=_build/html`` to check an existing build instead of building again
(handy while writing a chapter; ``make test`` always builds clean).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import reader
from background import Job
from checkout import ROOT, strict_build

from booktools.core import toc, workspace

# booktools is not installed (only lesson_code is): the tests' subprocesses import it from the checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def docnames() -> list[str]:
    return toc.docnames(ROOT)


def clean_build(root: Path) -> subprocess.CompletedProcess:
    """Build the book at ``root`` from nothing: no doctrees, no execution cache."""
    build = root / "_build"
    for name in ("html", ".doctrees", ".jupyter_cache", "jupyter_execute"):
        shutil.rmtree(build / name, ignore_errors=True)
    return strict_build(root)


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site: ``_build/html`` after a clean, strict build (or ``$BOOK_SITE``)."""
    if os.environ.get("BOOK_SITE"):
        path = Path(os.environ["BOOK_SITE"]).resolve()
        assert (path / "index.html").is_file(), f"BOOK_SITE={path} holds no built site"
        return path
    result = clean_build(ROOT)
    if result.returncode != 0:
        pytest.fail(
            f"the strict build failed (exit {result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        )
    return ROOT / "_build" / "html"


def execute_again(folder: Path) -> tuple[Path, workspace.BuildResult]:
    """A copy of the book in ``folder`` in which every chapter is executed a second time, and its build's result.

    The copy starts from the session's build, caches included; its lock file is edited, which is in
    every chapter's fingerprint, so the build executes every chapter with code again and writes its
    pages from the new executions.
    """
    copy = workspace.copy_book(ROOT, folder / "book", with_build=True)
    lock = copy / "requirements.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "# a changed environment\n", encoding="utf-8")
    return copy, workspace.build(copy)


def print_book(site: Path, out: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Print the book from ``site`` into ``out`` as ``make pdf`` does; the command's result, and ``out``.

    In a process of its own, as `make pdf` runs it: the browser tests keep Playwright's sync API open
    in this one for the whole session, and it cannot be started twice in one thread.
    """
    command = [sys.executable, "-m", "booktools.commands.pdf", "--site", str(site), "--out", str(out)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False), out


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of lesson_code, built outside the repository from ``git archive HEAD``."""
    return reader.build_wheel(tmp_path_factory.mktemp("export"), tmp_path_factory.mktemp("dist"))


def _after(previous: Job | None, work: Callable[[], Any]) -> Any:
    """``work()`` once the ``previous`` job is done (whatever its outcome): the slow jobs run one at a time."""
    if previous is not None:
        previous.wait()
    return work()


@pytest.fixture(scope="session", autouse=True)
def slow_jobs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Job]:
    """The session's slowest work, started once the site is built, so that it runs beside the other tests.

    The tests that come first (the browser's, then the unit tests) keep about one core busy; meanwhile
    the printed book (``printed`` in test_pdf.py), the book's second execution (``second_execution``)
    and a reader's run of every chapter (``reader`` in test_wheel.py) run one after another in threads,
    in the order the tests need them, and a test that needs one waits for it. A job that no collected
    test needs is not started.
    """
    wanted = {name for item in request.session.items for name in item.fixturenames}
    work: dict[str, Callable[[], Any]] = {}
    if not wanted & {"second_execution", "reader", "printed"}:
        return {}
    site = request.getfixturevalue("site")
    if "printed" in wanted and not os.environ.get("BOOK_PDF"):
        work["pdf"] = functools.partial(print_book, site, tmp_path_factory.mktemp("pdf"))
    if "second_execution" in wanted:
        work["second_execution"] = functools.partial(execute_again, tmp_path_factory.mktemp("second-execution"))
    if "reader" in wanted:
        built = request.getfixturevalue("wheel")
        for version in reader.READER_VERSIONS:
            home = tmp_path_factory.mktemp(f"reader-{version}")
            work[f"reader {version}"] = functools.partial(reader.run_every_chapter, version, built, home)
    jobs: dict[str, Job] = {}
    previous: Job | None = None
    for name, job in work.items():
        previous = jobs[name] = Job(functools.partial(_after, previous, job))
    return jobs


@pytest.fixture(scope="session")
def second_execution(slow_jobs: dict[str, Job]) -> tuple[Path, workspace.BuildResult]:
    """A copy of the book in which every chapter was executed a second time (`execute_again`), and that build's result.

    The rebuild test checks what it executed; the reproducibility tests compare its pages and its
    outputs with the session's: one second execution serves them all.
    """
    copy, result = slow_jobs["second_execution"].result()
    if result.returncode != 0:
        pytest.fail(f"the second execution's build failed (exit {result.returncode}):\n{result.output[-6000:]}")
    return copy, result
