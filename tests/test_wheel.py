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

import json
import math
import re
import sys
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from chapters import with_code
from checkout import ROOT
from packaging.specifiers import SpecifierSet
from reader import READER_VERSIONS, find_python, fresh_venv, run

from booktools.core import notebooks, reproducible, toc

CHAPTERS = with_code(ROOT)
VERSIONS = ("3.11", "3.12", "3.13")
# float32 carries about 7 significant digits; the reader's run and the build's must agree to about 6
REL_TOL, ABS_TOL = 1e-5, 1e-7


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


@pytest.fixture(scope="session", params=READER_VERSIONS)
def reader(request, slow_jobs) -> dict[str, dict]:
    """Every chapter's notebook, run in a fresh environment of a reader (started early: ``slow_jobs``)."""
    return slow_jobs[f"reader {request.param}"].result()


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
