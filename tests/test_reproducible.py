"""A second execution of every chapter gives the same pages: the same glued numbers, figure files and videos.

The first is the session's clean build; the second is the ``second_execution`` fixture's copy, in
which every chapter with code was executed again and its page written from the new execution.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = [pytest.mark.build, pytest.mark.slow]


def fingerprint_of_site(site: Path, docnames: list[str]) -> dict[str, object]:
    """What a reader sees that code produced: glued text, image files, video bytes, text outputs."""
    seen: dict[str, object] = {}
    for docname in docnames:
        soup = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
        seen[f"{docname} glue"] = [span.get_text() for span in soup.select(".pasted-text")]
        seen[f"{docname} images"] = [Path(img["src"]).name for img in soup.select("article img")]
        # per cell, block by block: the kernel may send one print in several pieces, and the page
        # must not show them as a different number of blocks from one build to the next (booktools.core.streams)
        seen[f"{docname} outputs"] = [
            [pre.get_text() for pre in cell.select("pre")] for cell in soup.select(".cell_output")
        ]
        seen[f"{docname} videos"] = [
            hashlib.sha256(source["src"].encode()).hexdigest() for source in soup.select("article video source")
        ]
    return seen


def test_a_second_execution_gives_the_same_pages(site, docnames, second_execution):
    copy, result = second_execution
    assert result.executed, "the second build executed nothing: it would compare a page with itself"
    first = fingerprint_of_site(site, docnames)
    second = fingerprint_of_site(copy / "_build" / "html", docnames)
    differing = {key: (first[key], second[key]) for key in first if first[key] != second[key]}
    assert not differing, f"these differ between two executions (first, second): {differing}"
    assert any(re.match(r"\d", value) for key, values in first.items() if key.endswith("glue") for value in values)
