"""The checkout under test: its root folder, and a strict build of it (or of a copy) in a process of its own.

``ROOT`` is a constant, not only the ``root`` fixture of ``conftest.py``, because some tests are
parametrised over the chapters of ``_toc.yml`` when pytest collects them, before any fixture runs.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from booktools.core import strict

ROOT = Path(__file__).resolve().parents[1]


def strict_build(root: Path, **env: str) -> subprocess.CompletedProcess:
    """Build the book at ``root`` as ``make book`` does, with ``env`` added to this process's environment."""
    return subprocess.run(
        strict.command(root),
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
