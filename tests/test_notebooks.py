"""Every chapter can be taken away: as a notebook from the page, and into Colab."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from chapters import code_cells_of, with_code
from checkout import ROOT
from nbclient import NotebookClient

from booktools.core import notebooks, toc
from booktools.core.streams import merge_streams

CHAPTERS = with_code(ROOT)


def repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"], config["repository"].get("branch", "main")


def head() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_there_are_chapters_with_code() -> None:
    assert CHAPTERS


@pytest.mark.build
@pytest.mark.parametrize("docname", CHAPTERS)
def test_each_chapter_page_offers_its_notebook_and_colab(site: Path, docname: str) -> None:
    notebook = nbformat.read(site / "_sources" / f"{docname}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"]
    chapter = toc.source_file(ROOT, docname).read_text(encoding="utf-8")
    url, _ = repository()
    # the set-up cell installs the lesson_code of the commit that built the page: this checkout's HEAD
    # when the tests built the site; a commit of this repository when BOOK_SITE names an earlier build
    assert code[0].startswith("# Run this cell first")
    (commit,) = re.findall(rf'"lesson-code @ git\+{re.escape(url)}@([0-9a-f]{{40}})"', code[0])
    if os.environ.get("BOOK_SITE"):
        known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], check=False)
        assert known.returncode == 0, f"the set-up cell names {commit}, not a commit of this repository"
    else:
        assert commit == head(), f"the page was built at HEAD {head()}, but its notebook installs {commit}"
    expected = [
        notebooks.GLUE_COMMENT if line.strip() == notebooks.GLUE_IMPORT else line
        for line in "\n".join(code_cells_of(chapter)).splitlines()
    ]
    assert "\n".join(code[1:]).splitlines() == expected  # the chapter's code, glue's import made a comment
    assert not any("myst_nb" in cell for cell in code), "a reader's notebook needs myst_nb"
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    page = (site / f"{docname}.html").read_text(encoding="utf-8")
    name = docname.rsplit("/", 1)[-1]
    assert re.search(rf'href="(\.\./)*_sources/{re.escape(docname)}\.ipynb"', page) or f'_sources/{name}.ipynb"' in page
    org_repo = url.removeprefix("https://github.com/").rstrip("/")
    assert f'href="https://colab.research.google.com/github/{org_repo}/blob/notebooks/{docname}.ipynb"' in page


def test_the_set_up_cell_installs_only_exact_versions() -> None:
    """Every requirement the set-up cell can install is exact: lesson_code at a commit, the rest with ==."""
    url, branch = repository()
    source = notebooks.git_source(url, branch, ROOT)
    assert source.requirement == f"lesson-code @ git+{url}@{head()}"
    needs = notebooks.pinned_needs(ROOT)
    lock = notebooks.lock_versions(ROOT)
    assert {"torch", "imageio_ffmpeg", "sklearn"} <= set(needs)
    for module, pin in needs.items():
        name, version = pin.split("==")
        assert lock[name].split("+")[0] == version, f"{module}: {pin} is not the lock's {name}=={lock[name]}"
        assert "+" not in version, f"{pin}: a local version is on no package index"
    cell = notebooks.to_notebook(toc.source_file(ROOT, CHAPTERS[0]), source).cells[0].source
    requirements = re.findall(r'"([^"]*(?:==|@)[^"]*)"', cell)
    assert sorted(requirements) == sorted([source.requirement, *needs.values()])


def test_outside_a_git_checkout_the_cell_says_it_installs_the_branch(tmp_path: Path) -> None:
    source = notebooks.git_source("https://github.com/o/r", "main", tmp_path)
    assert source.requirement == "lesson-code @ git+https://github.com/o/r@main"
    assert "commit of its page is unknown" in source.about


def test_a_chapter_that_uses_myst_nb_otherwise_is_refused() -> None:
    assert notebooks.reader_code("from myst_nb import glue\nx = 1", "c") == f"{notebooks.GLUE_COMMENT}\nx = 1"
    with pytest.raises(ValueError, match="c: a chapter's code may use myst_nb only as"):
        notebooks.reader_code("from myst_nb import glue, glue_figure", "c")


@pytest.mark.slow
def test_a_chapter_runs_top_to_bottom_as_a_notebook_where_lesson_code_is_installed(tmp_path: Path) -> None:
    """In the book's own environment (lesson_code installed) the set-up cell installs nothing and the
    glue shim keeps every number the chapter quotes. A reader's fresh environment: tests/test_wheel.py."""
    docname = CHAPTERS[0]
    url, branch = repository()
    notebook = notebooks.to_notebook(toc.source_file(ROOT, docname), notebooks.git_source(url, branch, ROOT))
    report = "import lesson_code; print(repr((lesson_code.__file__, sorted(glued))))"
    notebook.cells.append(nbformat.v4.new_code_cell(report))
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not any(output.output_type == "error" for output in outputs)
    # the kernel may send one print in pieces
    printed = next(o for o in merge_streams(notebook.cells[-1].outputs) if o.get("name") == "stdout")
    where, glued = ast.literal_eval(printed["text"])
    assert Path(where).parent == ROOT / "lesson_code", f"the set-up cell replaced the checkout's lesson_code: {where}"
    expected = set(re.findall(r"\{glue:text\}`([^`:]+)", toc.source_file(ROOT, docname).read_text(encoding="utf-8")))
    assert expected <= set(glued), f"glued in the chapter but not by the notebook: {expected - glued}"


def test_pins_come_from_a_hashed_lock_without_local_labels(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    lines = [
        "# a comment",
        "Pillow==13.0.0 \\",
        "    --hash=sha256:00ff",
        "    # via matplotlib",
        "torch==2.13.0+cpu \\",
        "    --hash=sha256:aa11",
        "numpy==2.4.6",
        "matplotlib==3.11.2",
        "imageio_ffmpeg==0.8.1",
        "ipython==9.18.1",
        "scikit-learn==1.9.1",
    ]
    (tmp_path / "requirements.lock").write_text("\n".join(lines) + "\n", encoding="utf-8")
    needs = notebooks.pinned_needs(tmp_path)
    assert needs["torch"] == "torch==2.13.0" and needs["PIL"] == "pillow==13.0.0"
    assert needs["imageio_ffmpeg"] == "imageio-ffmpeg==0.8.1"
    (tmp_path / "requirements.lock").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="requirements.lock has no exact version of 'scikit-learn'"):
        notebooks.pinned_needs(tmp_path)
