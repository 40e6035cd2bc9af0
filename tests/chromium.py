"""Whether the tests that drive Chromium can run here, and whether they may skip when they cannot.

They may skip on a contributor's machine without Chromium or Playwright; where the browser is
required (``BOOK_REQUIRE_BROWSER=1``, as ``.ci/run`` sets, or ``CI`` set) they fail instead.
Which Chromium they drive is found by :mod:`booktools.core.chromium`, in its documented order.
"""

from __future__ import annotations

import importlib.util
import os

from booktools.core import chromium as finder


def required() -> bool:
    """Whether a missing browser fails the tests instead of skipping them."""
    return os.environ.get("BOOK_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def located() -> tuple[finder.Found | None, str | None]:
    """The Chromium to drive and ``None``, or ``None`` and why the tests cannot drive one here."""
    if importlib.util.find_spec("playwright") is None:
        return None, "Playwright for Python is not installed"
    try:
        return finder.require(), None
    except finder.ChromiumError as error:
        return None, str(error)
