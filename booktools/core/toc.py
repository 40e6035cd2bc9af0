"""The chapters of the book, read from ``_toc.yml``: tests and checks find pages from here."""

from __future__ import annotations

from pathlib import Path

import yaml

SUFFIXES = (".md", ".ipynb")


def _entries(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "file" in node:
            found.append(str(node["file"]))
        for key in ("chapters", "sections", "parts"):
            for child in node.get(key, []) or []:
                found.extend(_entries(child))
    elif isinstance(node, list):
        for child in node:
            found.extend(_entries(child))
    return found


def docnames(root: Path) -> list[str]:
    """Every page of the book in reading order, as Sphinx docnames (``book/mse``)."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    names = [str(toc["root"]), *_entries(toc)]
    return [name.removesuffix(".md").removesuffix(".ipynb") for name in names]


def source_file(root: Path, docname: str) -> Path | None:
    """The file behind a docname, or ``None`` if the toc names a page that does not exist."""
    for suffix in SUFFIXES:
        path = Path(root) / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None
