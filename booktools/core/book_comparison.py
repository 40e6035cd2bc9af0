"""This checkout's book compared with the book at another commit: both built, read back, compared, reported.

The base is checked out in a work tree (:mod:`booktools.core.base_tree`) and built there, with its own
``lesson_code`` and ``booktools``; this checkout is built in place, as ``make book`` builds it. Both builds
use this checkout's environment (``.venv``). Executions are shared where that is safe: the build that has an
execution cache goes first, and a tree that has none starts with a copy of the other's
(:func:`booktools.core.cache.copy_into`), so only the chapters whose code or dependencies differ are executed
for the second build. The changes (:mod:`booktools.core.book_diff`) are written as ``summary.md`` and
``report.html`` (:mod:`booktools.core.diff_report`) in the output folder.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from booktools.core import base_tree, book_diff, book_state, build_lock, cache, diff_report, workspace
from booktools.core.settings import ExecutionSettings

Say = Callable[[str], None]
LOG_TAIL = 4000  # characters of a failed build's output shown


class BuildFailed(RuntimeError):
    """One of the two builds failed; the message names it and shows the end of its output."""


@dataclass(frozen=True)
class Comparison:
    changes: book_diff.BookChanges
    summary: Path
    report: Path


def _cache_folder(root: Path) -> Path:
    return ExecutionSettings.from_book(root).cache_path


def _has_cache(root: Path) -> bool:
    from jupyter_cache.cache.db import DB_NAME

    return (_cache_folder(root) / DB_NAME).is_file()


def share_cache(source: Path, target: Path, say: Say) -> None:
    """Give the book at ``target`` a copy of the execution cache of the book at ``source``, if it has none."""
    lock = build_lock.acquire(source / "_build", build_lock.wait_seconds(), say)  # no build writes it meanwhile
    try:
        if cache.copy_into(_cache_folder(source), _cache_folder(target)):
            say(f"{target} starts from a copy of the execution cache of {source}")
    finally:
        build_lock.release(lock)


def build(root: Path, name: str, say: Say) -> list[str]:
    """Build the book at ``root`` strictly, with its own ``lesson_code``; the chapters it executed."""
    say(f"building {name} in {root} ...")
    result = workspace.build(root)
    if result.returncode != 0:
        raise BuildFailed(
            f"the build of {name} in {root} failed (exit {result.returncode}), so the two books cannot be compared. "
            f"Its output ends with:\n{result.output[-LOG_TAIL:]}\n"
            f"Fix what it names, or build it alone to see all of it: cd {root} && make book"
        )
    say(f"built {name} in {result.seconds:.0f} s; executed: {', '.join(result.executed) or 'nothing'}")
    return result.executed


def build_both(root: Path, base: Path, say: Say) -> tuple[list[str], list[str]]:
    """Build the base and this checkout, the one with an execution cache first; what each executed.

    The second starts from a copy of the first's cache if it has none of its own (`share_cache`).
    """
    trees = {root: "the checkout", base: "the base"}
    first, second = (root, base) if _has_cache(root) or not _has_cache(base) else (base, root)
    executed = {first: build(first, trees[first], say)}
    share_cache(first, second, say)
    executed[second] = build(second, trees[second], say)
    return executed[base], executed[root]


def compare_with(root: Path, ref: str, out: Path, say: Say = print) -> Comparison:
    """Build the book at ``ref`` and this checkout's, compare them, and write the summary and the report in ``out``."""
    root, out = Path(root).resolve(), Path(out).resolve()
    base = out / "base"
    commit = base_tree.check_out(root, ref, base)
    base_executed, head_executed = build_both(root, base, say)
    changes = book_diff.compare(book_state.read(base), book_state.read(root))
    sides = diff_report.Sides(
        f"{ref} at {base_tree.describe(root, commit)}", base_tree.head(root), base_executed, head_executed
    )
    out.mkdir(parents=True, exist_ok=True)
    summary, report = out / "summary.md", out / "report.html"
    summary.write_text(diff_report.markdown(changes, sides), encoding="utf-8")
    report.write_text(diff_report.html(changes, sides), encoding="utf-8")
    return Comparison(changes, summary, report)
