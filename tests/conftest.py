"""Shared fixtures: the repository, its chapters, and one clean build of the site per test session.

Set ``BOOK_SITE=_build/html`` to check an existing build instead of building again
(handy while writing a chapter; ``make test`` always builds clean).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
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


@pytest.fixture(scope="session")
def second_execution(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, workspace.BuildResult]:
    """A copy of the book in which every chapter was executed a second time, and that build's result.

    The copy starts from the session's build, caches included; its lock file is edited, which is
    in every chapter's fingerprint, so the build executes every chapter with code again and writes
    its pages from the new executions. The rebuild test checks what it executed; the reproducibility
    tests compare its pages and its outputs with the session's: one second execution serves them all.
    """
    copy = workspace.copy_book(ROOT, tmp_path_factory.mktemp("second-execution") / "book", with_build=True)
    lock = copy / "requirements.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "# a changed environment\n", encoding="utf-8")
    result = workspace.build(copy)
    if result.returncode != 0:
        pytest.fail(f"the second execution's build failed (exit {result.returncode}):\n{result.output[-6000:]}")
    return copy, result
