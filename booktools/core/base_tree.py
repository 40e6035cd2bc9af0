"""The base of a comparison: this repository at another commit, checked out in a git work tree beside the checkout.

``make diff BASE=<ref>`` builds the book at ``<ref>`` in a detached work tree (``git worktree add --detach``),
by default ``_build/diff/base``. The work tree is kept between comparisons, with its own build and execution
cache, and moved to the next base it is asked for: a second comparison with the same base builds nothing again.
Anything in it that git does not track, except its ``_build``, is removed when it moves, so the base is the commit.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class BaseNotFound(ValueError):
    """The base asked for is not a commit of this repository."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def _checked(done: subprocess.CompletedProcess, what: str) -> str:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def resolve(root: Path, ref: str) -> str:
    """The full hash of the commit that ``ref`` names in the repository at ``root``."""
    if not ref.strip() or ref.startswith("-"):
        raise BaseNotFound(f"BASE={ref!r} is not a git ref: give a branch, a tag or a commit, e.g. BASE=origin/main")
    done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise BaseNotFound(
            f"BASE={ref!r} names no commit of the repository at {root}: give a branch, a tag or a commit "
            "(git log --oneline lists them; a shallow clone may lack it: git fetch --unshallow)"
        )
    return done.stdout.strip()


def _is_work_tree_of(folder: Path, root: Path) -> bool:
    """Whether ``folder`` is a work tree of the same repository as ``root``."""
    if not (folder / ".git").exists():
        return False
    ours = _git(root, "rev-parse", "--path-format=absolute", "--git-common-dir")
    theirs = _git(folder, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return ours.returncode == theirs.returncode == 0 and ours.stdout.strip() == theirs.stdout.strip()


def check_out(root: Path, ref: str, folder: Path) -> str:
    """Put the commit that ``ref`` names in the work tree ``folder`` (made, or reused); its full hash.

    The work tree's ``_build`` is kept, so its execution cache serves the next comparison.
    """
    commit = resolve(root, ref)
    folder = Path(folder).resolve()
    if _is_work_tree_of(folder, root):
        _checked(
            _git(folder, "checkout", "--quiet", "--detach", "--force", commit), f"git checkout {commit} in {folder}"
        )
        _checked(_git(folder, "clean", "-fdxq", "-e", "/_build"), f"git clean in {folder}")
        return commit
    if folder.exists():
        shutil.rmtree(folder)  # not a work tree of ours (left by a build that was stopped half-way): made again
    _git(root, "worktree", "prune")  # forget a work tree whose folder was removed (make clean)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _checked(
        _git(root, "worktree", "add", "--quiet", "--detach", "--force", str(folder), commit),
        f"git worktree add {folder} {commit}",
    )
    return commit


def describe(root: Path, commit: str) -> str:
    """``abc1234 (its subject)``: a commit in a few words, for the report."""
    done = _git(root, "log", "-1", "--format=%h (%s)", commit)
    return done.stdout.strip() or commit[:7]


def head(root: Path) -> str:
    """This checkout in a few words: its commit, and whether files differ from it."""
    changed = _git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    return describe(root, "HEAD") + (" with uncommitted changes" if changed else "")
