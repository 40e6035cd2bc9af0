"""The build explains mistakes: each common one fails a strict build with a message naming the file.

A small copy of the book (see ``minibook.py``) is built twice: once as the scaffold makes it,
which must pass, and once with one mistake in each of several files, which must fail and name
each file with what to fix.  Unseeded randomness is caught by executing a chapter twice.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import minibook
import pytest
import torch

from lesson_code import make_line

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def warnings_of(result: subprocess.CompletedProcess) -> list[str]:
    """The build's warning lines, without colours."""
    text = ANSI.sub("", result.stdout + "\n" + result.stderr)
    return [line for line in text.splitlines() if "WARNING:" in line]


def cell_line(chapter: Path, starts: str) -> int:
    """The line (from 1) of the opening fence of the code cell holding a line that starts with ``starts``."""
    lines = chapter.read_text(encoding="utf-8").splitlines()
    inside = next(number for number, line in enumerate(lines) if line.startswith(starts))
    return 1 + max(number for number in range(inside) if lines[number].startswith("```{code-cell}"))


# -- a new chapter, as the scaffold makes it -------------------------------------------------


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    path = tmp_path_factory.mktemp("scaffold") / "book"
    minibook.make(path, ["Sample chapter"])
    return path, minibook.build(path)


def test_scaffolded_chapter_builds_strictly(scaffolded: tuple[Path, subprocess.CompletedProcess]) -> None:
    path, result = scaffolded
    assert result.returncode == 0, f"{warnings_of(result)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert warnings_of(result) == []
    page = (path / "_build" / "html" / "book" / "sample-chapter.html").read_text(encoding="utf-8")
    # the glued number is the mean squared error of the line y = 0, recomputed here from the data
    x, y = make_line(n=100, a=(3.0, 2.0), seed=0)
    assert f"{float(torch.mean(y**2)):.2f}" in page
    assert 'alt="Scatter plot of 100 points' in page
    assert "What you will learn" in page and "Solution to exercise 1" in page


def test_scaffolded_chapter_passes_the_lint(scaffolded: tuple[Path, subprocess.CompletedProcess]) -> None:
    path, _ = scaffolded
    result = subprocess.run(
        [sys.executable, "-m", "booktools.commands.lint", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- one mistake in each of several files ----------------------------------------------------


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, list[str], dict]:
    path = tmp_path_factory.mktemp("broken") / "book"
    chapters = minibook.make(path, ["Raises", "Broken links", "No alt", "Unseeded"])
    # a cell that raises: the line with no column of ones
    minibook.replace(chapters["Raises"], "loss = linear_mse(a, x, y)", "loss = linear_mse(a, x[:, :1], y)")
    # a glue key never set, a label and a term that do not exist
    minibook.replace(
        chapters["Broken links"],
        "## The maths",
        (
            "See {ref}`ch-nowhere`, the {term}`Nowhere` and {glue:text}`never-set:.2f`, "
            "as {cite}`nowhere2099` did not say.\n\n## The maths"
        ),
    )
    # a figure without alt text
    text = chapters["No alt"].read_text(encoding="utf-8")
    text = re.sub(r":  image:\n:    alt: .*\n", "", text)
    chapters["No alt"].write_text(text, encoding="utf-8")
    # a chapter file that the toc does not list, and a toc entry with no file
    (path / "book" / "orphan.md").write_text("(ch-orphan)=\n# Orphan\n", encoding="utf-8")
    minibook.replace(path / "_toc.yml", "  - file: book/glossary", "  - file: book/missing\n  - file: book/glossary")
    # randomness without a seed, caught when the build is asked to execute every chapter twice
    minibook.replace(chapters["Unseeded"], "a = torch.tensor([0.0, 0.0])", "a = torch.rand(2)  # no seed")
    result = minibook.build(path, BOOK_CHECK_REPRODUCIBLE="1")
    return result, warnings_of(result), chapters


def test_broken_book_fails(broken: tuple[subprocess.CompletedProcess, list[str], dict]) -> None:
    result, _, _ = broken
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("mistake", "file", "says"),
    [
        ("cell raises", "book/raises.md", ["Executing notebook failed", "Fix the cell"]),
        ("glue key never set", "book/broken-links.md", ["'never-set'", 'glue("never-set", float(value)']),
        ("broken ref", "book/broken-links.md", ["undefined label: 'ch-nowhere'", "put `(ch-nowhere)=`"]),
        ("broken term", "book/broken-links.md", ["term not in glossary: 'Nowhere'", "book/glossary.md"]),
        ("unknown citation", "book/broken-links.md", ['bibtex key "nowhere2099"', "references.bib"]),
        ("figure without alt", "book/no-alt.md", ["has no alt text", "alt:"]),
        ("file not in toc", "book/orphan.md", ["is not in _toc.yml", "- file: book/orphan"]),
        ("toc entry with no file", "_toc.yml", ["lists book/missing", "create the file", "remove the entry"]),
        (
            "unseeded randomness",
            "book/unseeded.md",
            ["gives another output each time", "unseeded-loss", "Seed"],
        ),
    ],
)
def test_mistake_is_explained(
    broken: tuple[subprocess.CompletedProcess, list[str], dict], mistake: str, file: str, says: list[str]
) -> None:
    _, warnings, _ = broken
    located = [line for line in warnings if f"{file}:" in line]
    assert any(all(words in line for words in says) for line in located), (
        f"no warning at {file} says {says} ({mistake}); the warnings were:\n" + "\n".join(warnings)
    )


def test_the_build_points_at_the_unseeded_cell(
    broken: tuple[subprocess.CompletedProcess, list[str], dict],
) -> None:
    _, warnings, chapters = broken
    line = cell_line(chapters["Unseeded"], "a = torch.rand(2)")
    assert any(f"{chapters['Unseeded']}:{line}: WARNING: the code cell at line {line} gives" in w for w in warnings), (
        "\n".join(warnings)
    )


# -- unseeded randomness, from the command line ------------------------------------------------


def test_unseeded_randomness_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "book"
    chapters = minibook.make(path, ["Seeded", "Unseeded"])
    minibook.replace(chapters["Unseeded"], "a = torch.tensor([0.0, 0.0])", "a = torch.rand(2)  # no generator, no seed")
    env = {**os.environ, "PYTHONPATH": str(path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "booktools.commands.reproducible",
            "book/seeded",
            "book/unseeded",
            "--root",
            str(path),
        ],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    line = cell_line(chapters["Unseeded"], "a = torch.rand(2)")
    reported = result.stdout.strip().splitlines()
    assert len(reported) == 1, result.stdout
    assert "unseeded-loss" in reported[0] and "Seed every random draw" in reported[0]
    assert reported[0].startswith(f"{chapters['Unseeded']}:{line}: the code cell at line {line} ")
