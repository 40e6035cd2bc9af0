"""Where the printable edition lives: its file name and the web addresses it quotes.

Shared by the Sphinx extension that links the PDF from every page (`booktools.extensions.pdf_link`)
and the command that prints it (`booktools.commands.pdf`), so that both name the same file.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

GITHUB = re.compile(r"^https?://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$")


def pdf_filename(repository_url: str) -> str:
    """``<repository name>.pdf`` (``sgd-book.pdf``), or ``book.pdf`` without a repository."""
    name = urlsplit(repository_url or "").path.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return f"{name or 'book'}.pdf"


def site_address(baseurl: str, repository_url: str) -> str:
    """The published site's address, ending in ``/``, or ``""`` if it cannot be known.

    ``html.baseurl`` when it is set; otherwise the GitHub Pages address of a GitHub
    repository (``https://github.com/o/r`` is published at ``https://o.github.io/r/``).
    """
    if baseurl:
        return baseurl.rstrip("/") + "/"
    match = GITHUB.match(repository_url or "")
    if match:
        return f"https://{match['owner'].lower()}.github.io/{match['repo']}/"
    return ""


def read_config(root: Path) -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8")) or {}


def config_addresses(config: dict) -> tuple[str, str]:
    """``(pdf file name, site address)`` from a parsed ``_config.yml``."""
    repository = str((config.get("repository") or {}).get("url") or "")
    baseurl = str((config.get("html") or {}).get("baseurl") or "")
    return pdf_filename(repository), site_address(baseurl, repository)
