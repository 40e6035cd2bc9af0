"""``make lock``: resolve requirements.lock for every supported target from PyPI, with every file's sha256.

    python -m booktools.commands.lock --uv PATH [--upgrade]

uv (``PATH``, installed by ``make lock`` in a throwaway environment) resolves pyproject.toml's
dependencies, its ``book`` and ``test`` extras, its build backend and the book's torch
(``[tool.booktools] torch``) once for Linux x86_64 and
macOS arm64 on CPython 3.11-3.13, with one version of each package for all of them
(``--fork-strategy fewest``). The versions already in requirements.lock are kept where they still
fit, so a second run changes nothing; ``--upgrade`` takes the newest that fit. Then torch is split by
platform (:mod:`booktools.core.lockfile`): the Linux CPU build's digests come from
``booktools/lock/torch-cpu-wheels.toml``, and a torch version that table lacks is refused with what
to add. Only PyPI is asked: PyTorch's CPU index is never named here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

from booktools.core import lockfile

ROOT = Path(__file__).resolve().parents[2]
PYPI = "https://pypi.org/simple"
HEADER = """\
# The exact versions `make` installs into .venv, each with the sha256 of every file pip may take:
# `pip install --require-hashes` refuses any other file. One lock serves every supported target:
# Linux x86_64 and macOS 14+ on Apple silicon (arm64), each with CPython 3.11, 3.12 or 3.13, with one
# version of every package on all of them. setuptools, the build backend, is pinned too: lesson_code is
# then installed with `--no-build-isolation --no-index`, so nothing unpinned is fetched.
#
# Made by `make lock` (booktools/commands/lock.py: uv resolves pyproject.toml's dependencies, its
# `book` and `test` extras and the build backend from PyPI). Change pyproject.toml and run
# `make lock`; do not edit the pins by hand. `make lock` keeps the versions below where they still
# fit; `make lock UPGRADE=1` takes the newest.
#
# torch has two lines. On macOS it is PyPI's torch, whose arm64 wheels are CPU builds. On Linux it
# is torch==X+cpu, PyTorch's CPU build, which is not on PyPI (PyPI's Linux torch is a CUDA build that
# needs several GB of nvidia-* packages, left out here). Its digests, one per Python, come from
# booktools/lock/torch-cpu-wheels.toml, which says where each was verified. pip finds that file on
# PyTorch's CPU index, which this file does not name: give it to pip as an extra index, e.g.
# `PIP_EXTRA_INDEX_URL=<the CPU index> make book`, as the workflows and README do (a machine that
# holds the wheel in a local wheel folder of pip's needs nothing more).

"""


def book_torch(pyproject: dict) -> str:
    """The torch version the book is built with: ``[tool.booktools] torch`` of pyproject.toml."""
    version = pyproject.get("tool", {}).get("booktools", {}).get("torch")
    if not version:
        raise SystemExit('pyproject.toml must name the book\'s torch: [tool.booktools] torch = "X.Y.Z"')
    return version


def lock_project(pyproject: dict, folder: Path) -> Path:
    """A throwaway project in ``folder`` whose dependencies are everything the lock must hold."""
    project = pyproject["project"]
    needs = [
        *project["dependencies"],
        *project["optional-dependencies"]["book"],
        *project["optional-dependencies"]["test"],
        *pyproject["build-system"]["requires"],
    ]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[project]",
        f"name = {json.dumps(project['name'])}",
        'version = "0"',
        f"requires-python = {json.dumps(project['requires-python'])}",
        "dependencies = [" + ", ".join(json.dumps(need) for need in needs) + "]",
        "",
        "[tool.uv]",
        "environments = [" + ", ".join(json.dumps(marker) for marker in lockfile.ENVIRONMENTS) + "]",
        "",
    ]
    (folder / "pyproject.toml").write_text("\n".join(lines), encoding="utf-8")
    (folder / "constraints.txt").write_text(f"torch=={book_torch(pyproject)}\n", encoding="utf-8")
    return folder / "pyproject.toml"


def pypi_files(name: str) -> list[dict]:
    """PyPI's files of ``name``, from its JSON simple index (PEP 691)."""
    request = urllib.request.Request(f"{PYPI}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)["files"]


def resolve(uv: Path, project: Path, out: Path, upgrade: bool) -> None:
    """Run uv's universal resolution into ``out``, which holds the previous pins unless upgrading."""
    command = [
        str(uv.resolve()), "pip", "compile", project.name, "--universal", "--fork-strategy", "fewest",
        "--generate-hashes", "--python-version", lockfile.PYTHONS[0], "--no-header", "--default-index", PYPI,
        "--quiet", "--constraints", "constraints.txt", "--output-file", str(out.relative_to(project.parent)),
    ]  # fmt: skip
    subprocess.run(command + (["--upgrade"] if upgrade else []), check=True, cwd=project.parent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Resolve requirements.lock for every supported target.")
    parser.add_argument("--uv", type=Path, required=True, help="the uv executable")
    parser.add_argument("--upgrade", action="store_true", help="take the newest versions that fit")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (for tests)")
    args = parser.parse_args(argv)
    lock = args.root / "requirements.lock"
    pyproject = tomllib.loads((args.root / "pyproject.toml").read_text(encoding="utf-8"))
    version = book_torch(pyproject)
    table = lockfile.torch_table()
    missing = lockfile.missing_torch_entry(version, table)
    if missing:
        print(missing, file=sys.stderr)
        return 1

    work = args.root / "_build" / "lock"
    shutil.rmtree(work, ignore_errors=True)
    project = lock_project(pyproject, work)
    resolved = work / "requirements.txt"
    if lock.is_file() and not args.upgrade:
        shutil.copyfile(lock, resolved)  # uv keeps the pins of its output file where they still fit
    resolve(args.uv, project, resolved, args.upgrade)

    entries = lockfile.without_gpu_packages(lockfile.parse(resolved.read_text(encoding="utf-8")))
    entries = [kept for entry in entries if (kept := lockfile.for_targets(entry)) is not None]
    torches = [entry for entry in entries if entry.name == "torch"]
    if [entry.version for entry in torches] != [version]:
        print(f"uv resolved torch {[e.version for e in torches]}, not the book's {version}", file=sys.stderr)
        return 1
    macos = lockfile.macos_wheels(pypi_files("torch"), version)
    if not macos:
        print(f"PyPI lists no macOS arm64 wheel of torch {version} for Python 3.11-3.13", file=sys.stderr)
        return 1
    split = lockfile.torch_entries(version, table, macos, torches[0].via)
    at = entries.index(torches[0])
    entries = entries[:at] + split + entries[at + 1 :]
    found = lockfile.problems(entries, table)
    if found:
        print("The resolved lock is unfit:\n  " + "\n  ".join(found), file=sys.stderr)
        return 1

    before = lock.read_text(encoding="utf-8") if lock.is_file() else ""
    after = HEADER + "".join(entry.render() for entry in entries)
    lock.write_text(after, encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"requirements.lock: {len(entries)} pins, "
        + ("unchanged." if after == before else "updated: commit it with the change that needed it.")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
