"""A small copy of the book to break on purpose: an intro, a glossary and chapters made by the scaffold.

The copy has the repository's configuration, lesson_code and booktools, but its own three
pages, so that a build is short and depends on no other chapter.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from checkout import ROOT, strict_build

from booktools.commands.new_chapter import new_chapter
from booktools.core import workspace

INTRO = """\
(ch-intro)=
# A small book

This copy of the book has a few chapters and a {ref}`ch-glossary`.
"""

GLOSSARY = """\
(ch-glossary)=
# Glossary

```{glossary}
Seed
  The number that fixes every random draw.
```
"""

TOC = """\
format: jb-book
root: book/intro
chapters:
  - file: book/glossary
"""


def make(path: Path, titles: list[str]) -> dict[str, Path]:
    """A copy of the repository at ``path``; its book: an intro, ``titles`` (scaffolded), a glossary."""
    workspace.copy_book(ROOT, path)
    shutil.rmtree(path / "book")
    (path / "book").mkdir()
    (path / "book" / "intro.md").write_text(INTRO, encoding="utf-8")
    (path / "book" / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (path / "_toc.yml").write_text(TOC, encoding="utf-8")
    return {title: new_chapter(path, title) for title in titles}


def build(path: Path, **extra_env: str) -> subprocess.CompletedProcess:
    """A strict build of the copy, as ``make book`` runs it; kernels import the copy's lesson_code."""
    return strict_build(path, PYTHONPATH=str(path), BOOK_WORKERS="2", **extra_env)


def replace(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in the file at ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
