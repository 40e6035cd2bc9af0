"""The pages of ``_toc.yml`` as their sources show them: which have a video, which fold blocks away.

Read when pytest collects, so that a test meant for such pages runs on exactly those and is never
skipped at run time; ``test_site.py`` and ``browser/test_pages.py`` compare each list with the built site.
"""

from __future__ import annotations

import re
from pathlib import Path

from booktools.core import notebooks, toc

# A folded block on the page: a dropdown (the exercises' solutions) or a code cell shown folded.
FOLDED = re.compile(r"^(?::{3,}|`{3,})\{dropdown\}|^:?tags:.*\bhide-(?:input|output|cell)\b", re.MULTILINE)


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


def _sources(root: Path) -> dict[str, str]:
    """The MyST source of every page of the toc that has one, by docname, in reading order."""
    paths = {name: toc.source_file(root, name) for name in toc.docnames(root)}
    return {name: path.read_text(encoding="utf-8") for name, path in paths.items() if path and path.suffix == ".md"}


def with_code(root: Path) -> list[str]:
    """The chapters with code cells, in the order of the toc: those a reader can run as a notebook."""
    return [name for name in toc.docnames(root) if (path := toc.source_file(root, name)) and notebooks.has_code(path)]


def with_video(root: Path) -> list[str]:
    """The pages whose code shows a video: one of their code cells calls ``video_html``."""
    return [name for name, text in _sources(root).items() if any("video_html(" in c for c in code_cells_of(text))]


def with_keyboard_targets(root: Path) -> list[str]:
    """The pages with something a reader reaches by Tab and opens: a video, a dropdown, a folded code cell."""
    videos = set(with_video(root))
    return [name for name, text in _sources(root).items() if name in videos or FOLDED.search(text)]
