"""``make stress``: the tests most likely to depend on the machine's speed, run on a busy machine.

The fault tests (a copy of the book with chapters that fail), the reproducibility tests (a second
execution of every chapter) and the browser tests run with CPU-bound processes beside them (two by
default), so that a test that passes only on a quiet machine fails here, before a contributor meets it.
The busy processes are started before the tests and killed after them, whatever the tests' outcome.
Not part of ``make test``: it builds the book and executes it a second time, on a machine made slow.

    python -m booktools.commands.stress [--busy N] [more pytest arguments, such as -x or -k ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

TESTS = ("tests/test_build_faults.py", "tests/test_reproducible.py", "tests/browser")
SPIN = "while True:\n    pass"  # one core kept busy, until killed


@contextmanager
def busy_processes(count: int) -> Iterator[list[subprocess.Popen]]:
    """``count`` Python processes that each keep one core busy, killed (by their own pids) on exit."""
    started: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            started.append(subprocess.Popen([sys.executable, "-c", SPIN]))
        yield started
    finally:
        for process in started:
            process.kill()
        for process in started:
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2, help="how many CPU-bound processes run beside (default 2)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.busy < 0:
        parser.error(f"--busy must be 0 or more, not {args.busy}")
    command = [sys.executable, "-m", "pytest", *TESTS, *pytest_args]
    with busy_processes(args.busy) as busy:
        print(f"[stress] {len(busy)} busy process(es) beside: {' '.join(command)}", flush=True)
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
