"""booktools.new_chapter: a new chapter from the template, listed in the toc before the glossary.

That the new chapter builds strictly is checked in test_mistakes.py (it is the chapter of the small book).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from booktools import lint, toc
from booktools.new_chapter import ChapterError, add_to_toc, new_chapter, slugify


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "book").mkdir()
    for name in ("intro", "regression", "glossary"):
        (tmp_path / "book" / f"{name}.md").write_text(f"({'ch-' + name})=\n# {name}\n", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/regression\n  - file: book/glossary\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Momentum", "momentum"),
        ("Mini-batch SGD!", "mini-batch-sgd"),
        ("  Learning rates: too big, too small  ", "learning-rates-too-big-too-small"),
    ],
)
def test_slugs(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_a_title_without_letters_is_refused() -> None:
    with pytest.raises(ChapterError, match="no letters or digits"):
        slugify("?!")


def test_the_chapter_goes_before_the_glossary(book: Path) -> None:
    path = new_chapter(book, "Mini-batch SGD")
    assert path == book / "book" / "mini-batch-sgd.md"
    assert toc.docnames(book) == ["book/intro", "book/regression", "book/mini-batch-sgd", "book/glossary"]
    text = path.read_text(encoding="utf-8")
    assert "(ch-mini-batch-sgd)=\n# Mini-batch SGD\n" in text
    assert 'glue("mini-batch-sgd-loss"' in text and "{glue:text}`mini-batch-sgd-loss:.2f`" in text
    assert "seed=0" in text and "from lesson_code import" in text
    assert "__" not in text  # every placeholder filled
    assert lint.lint_page(path) == []


def test_a_toc_without_glossary_gets_the_chapter_at_the_end() -> None:
    assert add_to_toc("root: book/intro\nchapters:\n    - file: book/a\n", "book/b").endswith(
        "    - file: book/a\n    - file: book/b\n"
    )


def test_an_existing_slug_is_refused(book: Path) -> None:
    before = (book / "_toc.yml").read_text(encoding="utf-8")
    with pytest.raises(ChapterError, match=r"book/regression.md already exists"):
        new_chapter(book, "Regression")
    (book / "book" / "other.md").write_text("(ch-momentum)=\n# Momentum, by another name\n", encoding="utf-8")
    with pytest.raises(ChapterError, match=r"\(ch-momentum\)= is already used in book/other.md"):
        new_chapter(book, "Momentum")
    assert (book / "_toc.yml").read_text(encoding="utf-8") == before
    assert not (book / "book" / "momentum.md").exists()


def test_the_command_line(book: Path) -> None:
    run = [sys.executable, "-m", "booktools.new_chapter", "--root", str(book)]
    created = subprocess.run([*run, "Momentum"], capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stderr
    assert "book/momentum.md" in created.stdout
    again = subprocess.run([*run, "Momentum"], capture_output=True, text=True, check=False)
    assert again.returncode == 1
    assert "book/momentum.md already exists" in again.stderr
