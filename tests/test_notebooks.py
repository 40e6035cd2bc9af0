"""Every chapter can be taken away: as a notebook from the page, and into Colab."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from booktools import notebooks, toc

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [name for name in toc.docnames(ROOT) if (p := toc.source_file(ROOT, name)) and notebooks.has_code(p)]


def code_cells_of(markdown: str) -> list[str]:
    """The sources of the ```{code-cell} blocks, read here without myst-nb: options and fences dropped."""
    cells = []
    for block in re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL):
        lines = block.splitlines()
        if lines and lines[0] == "---":
            lines = lines[lines.index("---", 1) + 1 :]
        while lines and lines[0].startswith(":"):
            lines = lines[1:]
        cells.append("\n".join(lines).strip())
    return cells


def repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"], config["repository"].get("branch", "main")


def test_there_are_chapters_with_code() -> None:
    assert CHAPTERS


@pytest.mark.build
@pytest.mark.parametrize("docname", CHAPTERS)
def test_each_chapter_page_offers_its_notebook_and_colab(site: Path, docname: str) -> None:
    notebook = nbformat.read(site / "_sources" / f"{docname}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"]
    chapter = toc.source_file(ROOT, docname).read_text(encoding="utf-8")
    url, branch = repository()
    assert code[0].startswith("# Run this cell first on Colab") and f"git+{url}@{branch}" in code[0]
    assert code[1:] == code_cells_of(chapter)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    page = (site / f"{docname}.html").read_text(encoding="utf-8")
    name = docname.rsplit("/", 1)[-1]
    assert re.search(rf'href="(\.\./)*_sources/{re.escape(docname)}\.ipynb"', page) or f'_sources/{name}.ipynb"' in page
    org_repo = url.removeprefix("https://github.com/").rstrip("/")
    assert f'href="https://colab.research.google.com/github/{org_repo}/blob/notebooks/{docname}.ipynb"' in page


@pytest.mark.slow
def test_a_chapter_runs_top_to_bottom_as_a_notebook(tmp_path: Path) -> None:
    docname = CHAPTERS[0]
    url, branch = repository()
    notebook = notebooks.to_notebook(toc.source_file(ROOT, docname), url, branch)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not any(output.output_type == "error" for output in outputs)
    assert not any("pip install" in str(output) for output in outputs)  # lesson_code is installed here
    glued = {output.metadata["scrapbook"]["name"] for output in outputs if output.get("metadata", {}).get("scrapbook")}
    expected = set(re.findall(r"\{glue:text\}`([^`:]+)", toc.source_file(ROOT, docname).read_text(encoding="utf-8")))
    assert expected <= glued, f"glued in the chapter but not by the notebook: {expected - glued}"
