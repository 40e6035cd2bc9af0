"""Shared fixtures: the repository, its chapters, and one clean build of the site per test session.

Set ``BOOK_SITE=_build/html`` to check an existing build instead of building again
(handy while writing a chapter; ``make test`` always builds clean).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import reader
from background import Job
from checkout import ROOT, strict_build

from booktools.core import strict, toc, workspace

# booktools is not installed (only lesson_code is): the tests' subprocesses import it from the checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


# The fixtures that build the whole book or run it elsewhere: a test that asks for one is marked `build`, so that
# `make check` (which deselects build, browser and slow tests) never waits for a build.
BUILDING_FIXTURES = frozenset({"site", "second_execution", "reader", "wheel"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BUILDING_FIXTURES & set(item.fixturenames) and item.get_closest_marker("build") is None:
            item.add_marker(pytest.mark.build)


@pytest.fixture(scope="session", autouse=True)
def no_build_unless_allowed() -> None:
    """With ``BOOK_TESTS_NO_BUILD=1`` (`make check`), a test that would build the book, or a copy of it, fails at once.

    Every build the tests start goes through `booktools.core.strict.command`; a test that builds must be marked
    ``slow`` (a copy of the book) or ``build`` (the book itself), which `make check` leaves out.
    """
    if not os.environ.get("BOOK_TESTS_NO_BUILD"):
        return

    def refused(root: Path | str, *extra: str) -> list[str]:
        pytest.fail(f"this test builds the book at {root}: mark it `slow` or `build` (make check runs neither)")

    strict.command = refused


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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of lesson_code, built outside the repository from ``git archive HEAD``."""
    return reader.build_wheel(tmp_path_factory.mktemp("export"), tmp_path_factory.mktemp("dist"))


def _in_turn(previous: Job | None, version: str, built: Path, home: Path) -> dict[str, dict]:
    if previous is not None:
        previous.wait()
    return reader.run_every_chapter(version, built, home)


@pytest.fixture(scope="session", autouse=True)
def slow_jobs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Job]:
    """The session's slowest work, started once the site is built, so that it runs beside the other tests.

    The browser tests, which come first, keep about one core busy; meanwhile the book's second
    execution (``second_execution``) and a reader's run of every chapter (``reader`` in test_wheel.py)
    run in threads, and a test that needs one waits for it. A job no collected test needs is not started.
    """
    wanted = {name for item in request.session.items for name in item.fixturenames}
    jobs: dict[str, Job] = {}
    if not wanted & {"second_execution", "reader"}:
        return jobs
    request.getfixturevalue("site")
    if "second_execution" in wanted:
        folder = tmp_path_factory.mktemp("second-execution")
        jobs["second_execution"] = Job(lambda: execute_again(folder))
    if "reader" in wanted:
        built = request.getfixturevalue("wheel")
        previous: Job | None = None
        for version in reader.READER_VERSIONS:  # one after another: each runs two chapters at a time
            home = tmp_path_factory.mktemp(f"reader-{version}")
            previous = jobs[f"reader {version}"] = Job(functools.partial(_in_turn, previous, version, built, home))
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
