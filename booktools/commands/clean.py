"""``make clean``: remove the build folder, never while a build is using it.

Removing ``_build`` under a running build would crash it halfway, with a traceback, and leave a
half-written site and execution cache. So the command takes the build lock
(:mod:`booktools.core.build_lock`) first, as a build does: while another build holds it, it
removes nothing and says which build, and what to do. Standard library only: it runs before
``.venv`` exists.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from booktools.core import build_lock


def clean(build_dir: Path) -> str | None:
    """Remove ``build_dir`` unless a build holds it; why it was not removed, or ``None``."""
    if not build_dir.exists():
        return None
    try:
        descriptor = build_lock.acquire(build_dir, 0, lambda message: None)
    except build_lock.BuildFolderBusy:
        return (
            f"a build is using {build_dir}: {build_lock.holder(build_dir / build_lock.LOCK_NAME)}. "
            "Removing the folder now would crash it: wait for it to finish, or stop it (Ctrl-C), "
            "then run `make clean` again."
        )
    except ImportError:  # no fcntl: not a POSIX system, nothing to check against
        descriptor = None
    try:
        shutil.rmtree(build_dir)
    finally:
        if descriptor is not None:
            build_lock.release(descriptor)  # the file is gone with the folder; this closes it
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Remove the build folder, unless a build is using it.")
    parser.add_argument("build_dir", nargs="?", type=Path, default=Path("_build"), help="default: _build")
    args = parser.parse_args(argv)
    refused = clean(args.build_dir)
    if refused is not None:
        print(f"make clean: {refused}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
