"""Every chapter gives the same outputs when it is executed again (all randomness is seeded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools import notebooks, reproducible, toc

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    name for name in toc.docnames(ROOT) if (p := toc.source_file(ROOT, name)) and notebooks.has_code(p)
]


@pytest.mark.slow
@pytest.mark.build
@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_gives_the_same_outputs_twice(site: Path, docname: str) -> None:
    # `site` built the book, so the execution cache holds one execution: run the chapter once more
    path = toc.source_file(ROOT, docname)
    problem = reproducible.check(path, reproducible.cached(ROOT, path))
    assert problem is None, f"{path}:{problem[0]}: {problem[1]}"
