"""What the execution of chapters is configured with, read from a running build or from ``_config.yml``.

The build reads these from Sphinx; the reproducibility check, from the command line, reads the same
keys of ``_config.yml`` (``execute:``, ``parse:``, ``sphinx: config:``), so that both read a chapter
with the same parser, and find its execution in the same cache under the same fingerprint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PACKAGES = ("lesson_code",)  # the local packages whose modules a chapter's fingerprint covers
DEFAULT_LOCK_FILES = ("requirements.lock",)  # files whose every byte the fingerprint covers
# Jupyter Book's `execute:` keys, as myst-nb names them (jupyter_book.config does the same)
EXECUTE_KEYS = {
    "allow_errors": "execution_allow_errors",
    "timeout": "execution_timeout",
    "cache": "execution_cache_path",
    "execute_notebooks": "execution_mode",
    "exclude_patterns": "execution_excludepatterns",
    "show_tb": "execution_show_tb",
    "stderr_output": "output_stderr",
}


@dataclass(frozen=True)
class ExecutionSettings:
    """Where the book is, how its chapters are read, and where their executions are cached."""

    root: Path  # the book's folder: the packages and lock files are found from here
    cache_path: Path  # jupyter-cache's folder
    packages: tuple[str, ...]
    lock_files: tuple[str, ...]
    md_config: Any  # myst_parser's MdParserConfig
    nb_config: Any  # myst_nb's NbParserConfig

    @classmethod
    def from_sphinx(cls, app: Any) -> ExecutionSettings:
        """The settings of a running build (after myst-nb has set the cache's path at builder-inited)."""
        return cls(
            root=Path(app.confdir),
            cache_path=Path(app.env.mystnb_config.execution_cache_path),
            packages=tuple(app.config.booktools_packages),
            lock_files=tuple(app.config.booktools_lock_files),
            md_config=app.env.myst_config,
            nb_config=app.env.mystnb_config,
        )

    @classmethod
    def from_book(cls, root: Path) -> ExecutionSettings:
        """The settings a build of the book at ``root`` would have, from its ``_config.yml``."""
        from myst_nb.core.config import NbParserConfig
        from myst_parser.config.main import MdParserConfig

        root = Path(root)
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
        sphinx = {**(config.get("parse") or {}), **((config.get("sphinx") or {}).get("config") or {})}
        nb = _prefixed(sphinx, "nb_", NbParserConfig)
        for key, value in (config.get("execute") or {}).items():
            if key in EXECUTE_KEYS:
                nb[EXECUTE_KEYS[key]] = value
        cache = nb.get("execution_cache_path") or ""
        # myst-nb's default: .jupyter_cache beside the output folder, _build/html
        nb["execution_cache_path"] = str(root / cache if cache else root / "_build" / ".jupyter_cache")
        return cls(
            root=root,
            cache_path=Path(nb["execution_cache_path"]),
            packages=tuple(sphinx.get("booktools_packages", DEFAULT_PACKAGES)),
            lock_files=tuple(sphinx.get("booktools_lock_files", DEFAULT_LOCK_FILES)),
            md_config=MdParserConfig(**_prefixed(sphinx, "myst_", MdParserConfig)),
            nb_config=NbParserConfig(**nb),
        )


def _prefixed(config: dict, prefix: str, kind: type) -> dict[str, Any]:
    """The keys of ``config`` that name a field of the dataclass ``kind`` after ``prefix``, without it."""
    fields = {field.name for field in dataclasses.fields(kind)}
    return {
        key[len(prefix) :]: value
        for key, value in config.items()
        if key.startswith(prefix) and key[len(prefix) :] in fields
    }
