"""One build at a time in a build folder.

Two builds in one ``_build`` would overwrite each other's pages, doctrees and execution cache.
A build holds ``_build/build.lock`` (an advisory ``flock``, which the operating system lets go
when the process ends, however it ends) and writes its pid and start time into it.
A second build waits for the first, saying so, for ``BOOK_LOCK_WAIT`` seconds (600 by default;
``0`` refuses at once), then stops with a message that names the first build's pid.
A lock file left by a build that died is simply taken over, with a line in the log.
``make clean`` (:mod:`booktools.commands.clean`) takes the lock too, and removes nothing while a
build holds it; a build that waited meanwhile locks the new file, not the one removed with the folder.
Taught nowhere in the book: this keeps its builds apart.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

LOCK_NAME = "build.lock"
WAIT_VARIABLE = "BOOK_LOCK_WAIT"
DEFAULT_WAIT = 600.0  # seconds: longer than a clean build of the book on a busy machine


class BuildFolderBusy(RuntimeError):
    """Another build holds the build folder."""


def wait_seconds() -> float:
    """How long a build waits for another one: ``BOOK_LOCK_WAIT`` seconds, else 600."""
    text = os.environ.get(WAIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{WAIT_VARIABLE}={text!r} is not a number of seconds: set it to 0, 60, ...") from None
    return max(0.0, seconds)


def holder(path: Path) -> str:
    """What the lock file says about the build that holds (or last held) it, in a few words."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        fields = dict(line.split(" ", 1) for line in lines if " " in line)
    except OSError:
        return "a build"
    if "pid" not in fields:
        return "a build"
    started = f", started {fields['started']}" if "started" in fields else ""
    return f"the build with pid {fields['pid']}{started}"


def same_file(descriptor: int, path: Path) -> bool:
    """Whether the open ``descriptor`` is still the file at ``path`` (not one removed since)."""
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False


def acquire(build_dir: Path, wait: float, say: Callable[[str], None]) -> int:
    """Hold ``build_dir/build.lock``: the open file descriptor, to pass to `release`.

    Waits up to ``wait`` seconds for another build to let go; raises `BuildFolderBusy` after that.
    """
    import fcntl

    path = build_dir / LOCK_NAME
    deadline = time.monotonic() + wait
    waiting = False
    descriptor = -1
    while True:
        if descriptor < 0:
            build_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if same_file(descriptor, path):
                break
            # `make clean` removed the folder while this build waited: lock the new file instead
            os.close(descriptor)
            descriptor = -1
            continue
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise BuildFolderBusy(
                    f"another build is using {build_dir}: {holder(path)} (see {path}). "
                    "Two builds in one folder would overwrite each other's pages and execution cache: "
                    "wait for it to finish, or stop it, then build again "
                    f"({WAIT_VARIABLE}=<seconds> sets how long a build waits; this one waited {wait:.0f} s)."
                ) from None
            if not waiting:
                say(f"another build is using {build_dir}: {holder(path)}; waiting up to {wait:.0f} s for it to finish")
                waiting = True
            time.sleep(0.2)
    left = os.read(descriptor, 4096)
    if left.strip():  # a holder empties the file when it lets go: this one ended without doing so
        say(f"taking over {path}, left by {holder(path)}, which ended without releasing it")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"pid {os.getpid()}\nstarted {stamp}\ncommand {' '.join(sys.argv)}\n".encode(), 0)
    return descriptor


def release(descriptor: int) -> None:
    """Let go of the lock taken by `acquire`: empty the file (no holder), unlock, close."""
    import fcntl

    try:
        os.ftruncate(descriptor, 0)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
