"""Whether the tests that drive Chromium can run here, and whether they may skip when they cannot.

They may skip on a contributor's machine without Chromium or Playwright; where the browser is
required (``BOOK_REQUIRE_BROWSER=1``, as ``.ci/run`` sets, or ``CI`` set) they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def required() -> bool:
    """Whether a missing browser fails the tests instead of skipping them."""
    return os.environ.get("BOOK_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def missing(chromium: Path) -> str | None:
    """Why Playwright cannot drive the Chromium at ``chromium`` here, or ``None`` if nothing is missing."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed"
    if not chromium.is_file():
        return f"no Chromium at {chromium}"
    return None
