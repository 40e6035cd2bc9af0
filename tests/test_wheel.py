"""lesson_code as readers get it: a wheel built from a clean export of the repository, installed
into fresh virtual environments outside the repository, and every chapter's notebook run there.

The wheel is built from ``git archive HEAD``: committed files only, so uncommitted changes are
not in it (commit before running these tests, or they test the last commit).

* On Python 3.11, 3.12 and 3.13 the wheel installs (``pip install --no-deps``, offline) and
  carries every file of ``lesson_code``; its static files read through ``importlib.resources``
  without importing torch, and every module compiles on that Python.
* On Python 3.11 (and on the versions in ``BOOK_READER_PYTHONS``, for instance ``3.12,3.13``:
  they need a torch for that Python, from PyPI a CUDA build of several GB) a fresh environment
  gets what Colab preinstalls (torch, numpy, matplotlib, scikit-learn, IPython) at the versions of
  ``requirements.lock``; then every chapter's exported notebook runs there top to bottom, its
  set-up cell pointed at the wheel, and its glued numbers match the built site.

An interpreter that is not found fails the test with what to install: nothing is skipped.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from chapters import with_code
from checkout import ROOT
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from booktools.core import notebooks, reproducible, toc

CHAPTERS = with_code(ROOT)
VERSIONS = ("3.11", "3.12", "3.13")
READER_VERSIONS = [v.strip() for v in os.environ.get("BOOK_READER_PYTHONS", "3.11").split(",") if v.strip()]
# What Colab preinstalls, and a kernel for the notebooks: installed before the set-up cell runs.
PREINSTALLED = ["torch", "numpy", "matplotlib", "scikit-learn", "ipython", "ipykernel"]
# float32 carries about 7 significant digits; the reader's run and the build's must agree to about 6
REL_TOL, ABS_TOL = 1e-5, 1e-7
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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of lesson_code, built outside the repository from ``git archive HEAD``."""
    export = tmp_path_factory.mktemp("export")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(export, filter="data")
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *build_options(), "--wheel-dir", dist, export)
    (built,) = dist.glob("lesson_code-*.whl")
    return built


def committed_files(folder: str) -> set[str]:
    return set(run("git", "-C", ROOT, "ls-files", folder).split())


def test_the_wheel_holds_lesson_code_with_its_files_and_no_build_tooling(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    package = {name for name in names if not name.startswith("lesson_code-")}
    expected = {name for name in committed_files("lesson_code") if "__pycache__" not in name}
    assert package == expected, (
        f"in the wheel, not committed: {sorted(package - expected)}; "
        f"committed, not in the wheel: {sorted(expected - package)}"
    )
    assert {"lesson_code/static/explorer.js", "lesson_code/static/explorer.css"} <= package
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    (python,) = re.findall(r"^Requires-Python: (.*)$", metadata, flags=re.MULTILINE)
    assert [v for v in ("3.10", *VERSIONS, "3.14") if SpecifierSet(python).contains(f"{v}.0")] == list(VERSIONS)
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata, flags=re.MULTILINE)
    exact = [r for r in requires if "==" in r.split(";")[0]]
    assert not exact, f"readers' dependencies must be ranges, not exact versions: {exact}"


# Run by each Python: lesson_code's static files, read as the package reads them, without torch.
INSTALL_CHECK = """
import compileall, importlib.resources, json, sys
from pathlib import Path
root = importlib.resources.files("lesson_code")
static = {name: len((root / "static" / name).read_bytes()) for name in ("explorer.js", "explorer.css")}
compiled = compileall.compile_dir(str(root), quiet=1, force=True)
print(json.dumps({"static": static, "torch": "torch" in sys.modules, "compiled": bool(compiled),
                  "file": str(Path(str(root)).resolve())}))
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_the_wheel_installs_and_carries_what_it_reads(wheel: Path, version: str, tmp_path: Path) -> None:
    python = fresh_venv(find_python(version), tmp_path / "venv", with_pip=False)
    # this pip, run by the new environment's Python (--python): it checks Requires-Python for that Python
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    found = json.loads(run(python, "-c", INSTALL_CHECK, cwd=tmp_path))
    assert found["file"].startswith(str(tmp_path.resolve() / "venv")), f"lesson_code came from {found['file']}"
    for name, size in found["static"].items():
        assert size == (ROOT / "lesson_code" / "static" / name).stat().st_size, name
    assert found["compiled"], f"a module of lesson_code does not compile on Python {version}"
    assert not found["torch"], "reading lesson_code's static files imported torch"


# -- a reader's run ------------------------------------------------------------------------------


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


def glued_values(notebook) -> dict[str, float | str]:
    """What a notebook executed by the build glued (``scrapbook`` outputs): numbers, and the text of Markdown."""
    found: dict[str, float | str] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                markdown = output["data"].get(prefix + "text/markdown")
                found[scrapbook["name"]] = (
                    markdown if markdown is not None else float(output["data"][prefix + "text/plain"])
                )
    return found


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
    client = NotebookClient(notebook, km=km, timeout=600, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=env)  # raises CellExecutionError, naming the cell, if any cell fails
    finally:
        if km.has_kernel:  # a kernel manager passed in is not the client's to shut down
            km.shutdown_kernel(now=True)
    return json.loads(notebook.cells[-1].outputs[-1]["text"])


@pytest.fixture(scope="session", params=READER_VERSIONS)
def reader(request, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every chapter's notebook, run in a fresh environment of a reader: docname -> its report."""
    version = request.param
    home = tmp_path_factory.mktemp(f"reader-{version}")
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
    log = ROOT / "_build" / ".jupyter_cache" / "executions.jsonl"
    seconds = {}
    for line in log.read_text(encoding="utf-8").splitlines() if log.is_file() else []:
        entry = json.loads(line)
        seconds[entry["docname"]] = entry["seconds"]
    rest = sorted(CHAPTERS[1:], key=lambda name: -seconds.get(name, 0.0))
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json"))
    installed = {notebooks.normal_name(p["name"]): p["version"] for p in listed}
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports.update(pool.map(one, rest))
    return {"reports": reports, "installed": installed, "venv": str(home / "venv")}


@pytest.mark.slow
@pytest.mark.build
def test_the_set_up_cell_installs_lesson_code_and_pins_what_is_missing(reader: dict) -> None:
    installed = reader["installed"]
    assert "lesson-code" in installed, "the set-up cell did not install lesson_code"
    for module, pin in notebooks.pinned_needs(ROOT).items():
        name, version = pin.split("==")
        found = installed.get(name, "").split("+")[0]  # torch 2.13.0+cpu is the lock's torch 2.13.0
        assert found == version, f"{name} ({module}) is {found or 'missing'} in the reader's environment, not {version}"
    assert not {"myst-nb", "sphinx", "jupyter-book"} & set(installed), "the reader got the site's build tools"


@pytest.mark.slow
@pytest.mark.build
@pytest.mark.parametrize("docname", CHAPTERS)
def test_a_chapter_runs_as_a_reader_runs_it_and_gives_the_sites_numbers(reader: dict, site: Path, docname: str) -> None:
    report = reader["reports"][docname]
    assert "error" not in report, f"{docname}, run as a reader runs it: {report.get('error')}"
    assert report["file"].startswith(reader["venv"]), f"the notebook ran lesson_code from {report['file']}"
    glued = report["glued"]
    markdown = toc.source_file(ROOT, docname).read_text(encoding="utf-8")
    quoted = re.findall(r"\{glue:text\}`([^`:]+):?([^`]*)`", markdown)
    assert quoted and {key for key, _ in quoted} <= set(glued), f"not glued: {({k for k, _ in quoted}) - set(glued)}"
    # the numbers of the page, as the page prints them
    text = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser").get_text()
    for key, spec in quoted:
        shown = format(glued[key], spec)
        assert shown in text, f"{docname}: {key} is {shown} in the reader's run, not on the page"
    # and every glued number, at full precision, against the build's own execution
    built = reproducible.cached(ROOT, toc.source_file(ROOT, docname))
    assert built is not None, f"no cached execution of {docname}: build the book (make book) first"
    expected = glued_values(built)
    assert set(expected) == set(glued)
    texts = {
        key: (glued[key], value) for key, value in expected.items() if isinstance(value, str) and glued[key] != value
    }
    assert not texts, f"{docname}: reader's text, build's text: {texts}"
    far = {
        key: (glued[key], value)
        for key, value in expected.items()
        if not isinstance(value, str) and not math.isclose(glued[key], value, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    }
    assert not far, f"{docname}: reader's value, build's value: {far}"
