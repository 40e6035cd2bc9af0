"""A reader's run of the book: a fresh environment with what Colab preinstalls, the wheel of
lesson_code, and every chapter's exported notebook executed there (used by ``test_wheel.py``).

The wheel is built from ``git archive HEAD``: committed files only.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from chapters import with_code
from checkout import ROOT
from packaging.requirements import Requirement

from booktools.core import cache, notebooks, toc
from booktools.core.streams import merge_streams

CHAPTERS = with_code(ROOT)
READER_VERSIONS = [v.strip() for v in os.environ.get("BOOK_READER_PYTHONS", "3.11").split(",") if v.strip()]
# What Colab preinstalls, and a kernel for the notebooks: installed before the set-up cell runs.
PREINSTALLED = ["torch", "numpy", "matplotlib", "scikit-learn", "ipython", "ipykernel"]
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def outside_env() -> dict[str, str]:
    """This process's environment without the checkout on PYTHONPATH: nothing is imported from it."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=outside_env(), capture_output=True, text=True, check=False
    )
    command = " ".join(map(str, args))
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def find_python(version: str) -> Path:
    """The interpreter of Python ``version``: pyenv's, or ``python<version>`` on the PATH."""
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return Path(sys._base_executable)  # the interpreter of this .venv
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(pyenv.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    if found := shutil.which(f"python{version}"):
        candidates.append(Path(found))
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    pytest.fail(
        f"no Python {version} found (looked in {pyenv}/versions and for python{version} on the PATH): "
        f"install it, for instance `pyenv install {version}`, to check lesson_code on it"
    )


def fresh_venv(python: Path, folder: Path, *, with_pip: bool = True) -> Path:
    """A new virtual environment at ``folder``; its interpreter."""
    run(python, "-m", "venv", folder, *([] if with_pip else ["--without-pip"]))
    return folder / "bin" / "python"


def build_options() -> list[str]:
    """Offline (``--no-build-isolation --no-index``) when this environment has the build backend that
    pyproject.toml asks for, as the lock installs it; else pip fetches it into an isolated environment."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for requirement in map(Requirement, requires):
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return []
        if not requirement.specifier.contains(version, prereleases=True):
            return []
    return ["--no-build-isolation", "--no-index"]


def build_wheel(export: Path, dist: Path) -> Path:
    """The wheel of lesson_code, built in ``dist`` from ``git archive HEAD`` unpacked in ``export``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(export, filter="data")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *build_options(), "--wheel-dir", dist, export)
    (built,) = dist.glob("lesson_code-*.whl")
    return built


def lock_pins(names: list[str]) -> list[str]:
    pins = notebooks.lock_versions(ROOT)
    return [f"{name}=={pins[notebooks.normal_name(name)]}" for name in names]


def kernel_spec(python: Path, folder: Path) -> Path:
    """A kernel spec ``reader`` that starts ``python``'s ipykernel, one thread per kernel."""
    spec = folder / "reader"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "reader",
                "language": "python",
                "env": THREADS,
            }
        ),
        encoding="utf-8",
    )
    return folder


# A glued IPython.display.Markdown is reported as its text, as the build keeps it.
REPORT = (
    'import json, lesson_code; print(json.dumps({"glued": glued, "file": lesson_code.__file__}, '
    'default=lambda value: getattr(value, "data", repr(value))))'
)


def execute(notebook, kernels: Path, cwd: Path) -> dict:
    """Run ``notebook`` in the reader's kernel, then report what it glued and which lesson_code it ran."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook.cells.append(nbformat.v4.new_code_cell(REPORT))
    km = KernelManager(kernel_name="reader", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    env = outside_env()
    # A fresh environment's first kernel compiles its imports' bytecode: on a busy machine that took
    # over nbclient's default minute to start, so the kernel is given as long as a cell.
    client = NotebookClient(
        notebook, km=km, timeout=600, startup_timeout=600, resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute(env=env)  # raises CellExecutionError, naming the cell, if any cell fails
    finally:
        if km.has_kernel:  # a kernel manager passed in is not the client's to shut down
            km.shutdown_kernel(now=True)
    # the kernel may send the report's one print in several stream messages, cut anywhere
    printed = next(o for o in merge_streams(notebook.cells[-1].outputs) if o.get("name") == "stdout")
    return json.loads(printed["text"])


def run_every_chapter(version: str, wheel: Path, home: Path) -> dict[str, dict]:
    """Every chapter's notebook, run in a fresh environment of a Python ``version`` reader in ``home``.

    Returns ``{"reports": {docname: what it glued, or its error}, "installed": pip's list, "venv": ...}``.
    """
    python = fresh_venv(find_python(version), home / "venv")
    run(python, "-m", "pip", "install", "--quiet", "--no-compile", *lock_pins(PREINSTALLED))
    kernels = kernel_spec(python, home / "kernels")
    source = notebooks.Source(f"lesson-code @ {wheel.as_uri()}", f"lesson_code from {wheel.name}")

    def one(docname: str) -> tuple[str, dict]:
        cwd = home / docname.replace("/", "-")
        cwd.mkdir()
        try:
            return docname, execute(notebooks.to_notebook(toc.source_file(ROOT, docname), source), kernels, cwd)
        except Exception as error:  # reported by the chapter's own test, naming the cell
            return docname, {"error": f"{type(error).__name__}: {error}"}

    # The first notebook installs lesson_code; the others find it installed, and run two at a time,
    # the slowest (in the last build) first.
    reports = dict([one(CHAPTERS[0])])
    seconds = cache.previous_seconds(ROOT / "_build" / ".jupyter_cache")
    rest = sorted(CHAPTERS[1:], key=lambda name: -seconds.get(name, 0.0))
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json"))
    installed = {notebooks.normal_name(p["name"]): p["version"] for p in listed}
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports.update(pool.map(one, rest))
    return {"reports": reports, "installed": installed, "venv": str(home / "venv")}
