"""The chapter rules (booktools.core.chapter_rules, booktools.commands.lint): the chapter shape, alt text on figures,
and a toc with no gaps (no build needed); and the image checks of the build (booktools.extensions.lint)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booktools.commands.new_chapter import render
from booktools.core import chapter_rules

GOOD = render("A good chapter", "good")


def problems(text: str, *, exempt: bool = False, tmp_path: Path) -> list[str]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return [problem.message for problem in chapter_rules.lint_page(page, exempt=exempt)]


def test_the_book_passes_its_own_lint(root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "booktools.commands.lint", str(root)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_passes(tmp_path: Path) -> None:
    assert problems(GOOD, tmp_path=tmp_path) == []


@pytest.mark.parametrize(
    ("remove", "says"),
    [
        ("(ch-good)=\n", "the title has no label"),
        (":::{admonition} What you will learn\n", "no 'What you will learn' box"),
        ("## Summary\n", "no `## Summary` section"),
        ("## Exercises\n", "no `## Exercises` section"),
        (":::{dropdown} Solution to exercise 1\n", "the exercises have no solution"),
        (":    alt: Scatter plot", "no alt text"),
        (":    caption: The 100 points", "has no caption"),
    ],
)
def test_a_missing_part_is_named(remove: str, says: str, tmp_path: Path) -> None:
    assert remove in GOOD
    broken = GOOD.replace(remove, "" if remove.endswith("\n") else ":    other: ")
    found = problems(broken, tmp_path=tmp_path)
    assert any(says in message for message in found), found


def test_problems_point_at_the_line(tmp_path: Path) -> None:
    broken = GOOD.replace(":  image:\n:    alt: Scatter plot", ":  other:\n:    other: Scatter plot")
    page = tmp_path / "page.md"
    page.write_text(broken, encoding="utf-8")
    (problem,) = chapter_rules.lint_page(page)
    cell = broken.splitlines().index("```{code-cell} ipython3") + 1
    assert (problem.path, problem.line) == (page, cell)
    assert str(problem).startswith(f"{page}:{cell}: ")


def test_exempt_pages_skip_the_shape_but_not_alt_text(tmp_path: Path) -> None:
    page = "(ch-x)=\n# X\n\nText.\n\n![](figure.png)\n"
    assert [m for m in problems(page, exempt=True, tmp_path=tmp_path) if "no alt text" not in m] == []
    assert any("'figure.png' has no alt text" in m for m in problems(page, exempt=True, tmp_path=tmp_path))
    assert len(problems(page, exempt=False, tmp_path=tmp_path)) > 1


@pytest.mark.parametrize(
    ("directive", "ok"),
    [
        ("```{figure} a.png\n:alt: A red square.\n\nCaption.\n```\n", True),
        ("```{figure} a.png\n:name: fig-a\n\nCaption.\n```\n", False),
        (":::{image} a.png\n:alt:\n:::\n", False),
        ("![A red square](a.png)\n", True),
        ("![ ](a.png)\n", False),
        ("```python\nx = '![](not-an-image.png)'\n```\n", True),  # code is not markdown
    ],
)
def test_figure_directives_and_images(directive: str, ok: bool, tmp_path: Path) -> None:
    found = problems(directive, exempt=True, tmp_path=tmp_path)
    assert (found == []) == ok, found


def test_a_solution_must_be_under_the_exercises(tmp_path: Path) -> None:
    moved = GOOD.replace("## Exercises\n", "").replace("## Summary\n", "## Exercises\n\n1. Q?\n\n## Summary\n")
    assert any("the exercises have no solution" in m for m in problems(moved, tmp_path=tmp_path))


@pytest.fixture
def small_book(root: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "book-copy"
    copy.mkdir()
    shutil.copy(root / "_config.yml", copy)
    (copy / "book").mkdir()
    (copy / "book" / "intro.md").write_text("(ch-intro)=\n# Intro\n", encoding="utf-8")
    (copy / "book" / "glossary.md").write_text("(ch-glossary)=\n# Glossary\n", encoding="utf-8")
    (copy / "book" / "good.md").write_text(GOOD, encoding="utf-8")
    (copy / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/good\n  - file: book/glossary\n",
        encoding="utf-8",
    )
    return copy


def test_a_whole_book_passes(small_book: Path) -> None:
    assert chapter_rules.lint_book(small_book) == []


def test_toc_gaps_are_named(small_book: Path) -> None:
    (small_book / "book" / "draft.md").write_text(GOOD, encoding="utf-8")
    (small_book / "_toc.yml").write_text(
        (small_book / "_toc.yml").read_text(encoding="utf-8") + "  - file: book/gone\n", encoding="utf-8"
    )
    found = [str(problem) for problem in chapter_rules.lint_book(small_book)]
    assert any(p.startswith(f"{small_book / '_toc.yml'}:6:") and "lists book/gone" in p for p in found), found
    assert any(p.startswith(f"{small_book / 'book' / 'draft.md'}:1:") and "is not in _toc.yml" in p for p in found), (
        found
    )
    assert len(found) == 2, found


def test_exempt_pages_come_from_the_config(small_book: Path, root: Path) -> None:
    assert chapter_rules.exempt_pages(root) == {"book/intro", "book/references", "book/glossary"}
    config = small_book / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      - book/intro\n", ""), encoding="utf-8")
    found = [str(problem) for problem in chapter_rules.lint_book(small_book)]
    assert found and all("intro.md" in p for p in found), found


# -- the image checks inside a build, also a parallel one ------------------------------------------

PAGES = 7  # Sphinx reads in parallel only when more than 5 pages are to be read
CHUNK = re.compile(r"^reading sources\.\.\. \[ *\d+%\] \S+ \.\. \S+$", re.MULTILINE)
IMAGE_WITHOUT_ALT = "```{eval-rst}\n.. image:: square.png\n```\n"  # MyST's scanner does not see into rST


def sphinx_build(source: Path, root: Path, jobs: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-j", str(jobs), "-b", "html", str(source), str(source / "_build")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow  # three Sphinx builds of a small project: not for make check
@pytest.mark.parametrize("jobs", [1, 2])
def test_the_build_reports_an_image_without_alt_text(root: Path, tmp_path: Path, jobs: int) -> None:
    names = [f"page{number}" for number in range(1, PAGES + 1)]
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser", "booktools.extensions.lint"]\n'
        f"booktools_lint_exempt = {['index', *names]!r}\n"
        'exclude_patterns = ["_build"]\n',
        encoding="utf-8",
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n" + "".join(f"  - file: {name}\n" for name in names),
        encoding="utf-8",
    )
    (tmp_path / "index.md").write_text("# Index\n\n```{toctree}\n" + "\n".join(names) + "\n```\n", encoding="utf-8")
    for name in names:
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\nSome text.\n", encoding="utf-8")
    shutil.copy(root / "booktools" / "static" / "favicon.png", tmp_path / "square.png")
    broken = tmp_path / "page4.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n" + IMAGE_WITHOUT_ALT, encoding="utf-8")
    assert chapter_rules.lint_page(broken, exempt=True) == []  # only the build sees this image

    def reported(result: subprocess.CompletedProcess) -> list[str]:
        assert result.returncode == 0, result.stdout + result.stderr
        return [line for line in result.stderr.splitlines() if "has no alt text" in line]

    first = sphinx_build(tmp_path, root, jobs)
    # read in parallel, or not: a worker reads a chunk of pages, and the progress names its first and last
    assert bool(CHUNK.search(first.stdout)) == (jobs > 1), first.stdout
    (warning,) = reported(first)
    assert f"{broken}:" in warning and "the image 'square.png' has no alt text" in warning, warning
    # a build that reads another page again reports it again; once the page is fixed, it is gone
    other = tmp_path / "page1.md"
    other.write_text(other.read_text(encoding="utf-8") + "More text.\n", encoding="utf-8")
    assert reported(sphinx_build(tmp_path, root, jobs)) == [warning]
    broken.write_text(
        broken.read_text(encoding="utf-8").replace(".. image:: square.png", ".. image:: square.png\n   :alt: A square"),
        encoding="utf-8",
    )
    assert reported(sphinx_build(tmp_path, root, jobs)) == []
