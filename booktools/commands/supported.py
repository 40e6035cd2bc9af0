"""Whether this Python on this machine can build the book, and what to do when pip cannot install the lock.

    python -m booktools.commands.supported                  # exit 1 with one message if not supported
    python -m booktools.commands.supported --pip-log FILE   # explain a failed `pip install -r requirements.lock`

``make`` runs the first with the Python it picked, before it creates .venv, and the second when the
install fails. The book builds on Linux x86_64 and on macOS 14 or later on Apple silicon, with
CPython 3.11, 3.12 or 3.13: the targets requirements.lock is resolved for. Standard library only.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

SUPPORTED = "Linux x86_64, or macOS 14 or later on Apple silicon (arm64), with CPython 3.11, 3.12 or 3.13"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def problem(system: str, machine: str, implementation: str, version: tuple[int, int], macos: str = "") -> str | None:
    """Why this platform cannot build the book, or ``None`` if it can."""
    found = f"{implementation} {version[0]}.{version[1]} on {system} {machine}" + (f" {macos}" if macos else "")
    linux = system == "Linux" and machine == "x86_64"
    mac = system == "Darwin" and machine == "arm64"
    reasons = []
    if not (linux or mac):
        reasons.append("this platform has no locked torch")
    elif mac and _major(macos) < 14:
        reasons.append("PyPI's torch for Apple silicon needs macOS 14 or later")
    if implementation != "CPython" or not (3, 11) <= version <= (3, 13):
        reasons.append("requirements.lock is resolved for CPython 3.11-3.13")
    if not reasons:
        return None
    return (
        f"The book builds on {SUPPORTED}; this is {found} ({'; '.join(reasons)}).\n"
        "Install a supported Python and name it if make does not find it: make book PYTHON=python3.12"
    )


def _major(macos: str) -> int:
    try:
        return int(macos.split(".")[0])
    except ValueError:
        return 0


def pip_advice(log: str, system: str, version: tuple[int, int]) -> str:
    """What to do after ``pip install --require-hashes -r requirements.lock`` failed with ``log``."""
    python = f"{version[0]}.{version[1]}"
    unfound = (
        "No matching distribution",
        "Could not find a version",
        "ResolutionImpossible",
        "conflicting dependencies",
    )
    torch_missing = "torch==" in log and "+cpu" in log and any(sign in log for sign in unfound)
    if torch_missing and system == "Linux":
        unreachable = CPU_INDEX.split("/")[2] in log and any(
            sign in log for sign in ("Max retries exceeded", "NewConnectionError", "Could not fetch URL", "timed out")
        )
        where = (
            "pip was given PyTorch's CPU index but could not reach it from this machine."
            if unreachable
            else "That wheel is on PyTorch's CPU index, not on PyPI. Give pip the index and run make again:\n\n"
            f"    PIP_EXTRA_INDEX_URL={CPU_INDEX} make book\n"
        )
        return (
            f"pip found no CPU build of torch for Python {python}: on Linux the book uses torch's CPU build.\n"
            f"{where}\n"
            "Where that index cannot be reached, download the wheel named for this Python in\n"
            "booktools/lock/torch-cpu-wheels.toml on a machine that can, put it in a folder here, and run\n"
            "PIP_FIND_LINKS=<folder> make book. Nothing else in the lock comes from that index."
        )
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in log:
        return (
            "A downloaded file does not match requirements.lock's sha256. If requirements.lock was edited by hand,\n"
            "run `make lock`; if not, a proxy or mirror served another file: try again without it."
        )
    return "pip could not install requirements.lock; its own message is above (the full log is in .venv/pip.log)."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that this Python and platform can build the book.")
    parser.add_argument("--pip-log", type=Path, help="explain this failed install of requirements.lock")
    args = parser.parse_args(argv)
    version = sys.version_info[:2]
    if args.pip_log:
        log = args.pip_log.read_text(encoding="utf-8", errors="replace") if args.pip_log.is_file() else ""
        print("\n".join(line for line in log.splitlines()[-15:] if "is ignored: it is neither" not in line))
        print("\n" + pip_advice(log, platform.system(), version), file=sys.stderr)
        return 1
    found = problem(
        platform.system(), platform.machine(), platform.python_implementation(), version, platform.mac_ver()[0]
    )
    if found:
        print(found, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
