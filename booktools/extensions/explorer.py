"""The explorer's page script and style, served once for the site and added only where used.

``lesson_code.explorer.explorer_html`` writes an explorer into a chapter as a
``<figure data-sgd-explorer>`` holding its runs as JSON. This extension copies
``explorer.js`` and ``explorer.css``, which ship inside ``lesson_code`` (``lesson_code/static``),
into ``_static`` and links them from exactly the pages whose body holds that marker:
every other page loads nothing more.
(A top-level ``_static`` folder would not do: Jupyter Book adds every script in it to every page.)
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

MARKER = "data-sgd-explorer"  # the same as lesson_code.explorer.MARKER


def static_folder() -> Path:
    """``lesson_code/static`` of the installed lesson_code, as a folder that Sphinx can copy."""
    folder = Path(str(files("lesson_code") / "static"))
    if not (folder / "explorer.js").is_file():
        raise ConfigError(
            f"{folder} holds no explorer.js: install lesson_code from a folder, "
            "not a zip (`pip install -e .` in the repository does)"
        )
    return folder


def configure(app: Sphinx, config: Any) -> None:
    config.html_static_path = [*config.html_static_path, str(static_folder())]


def add_where_used(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Link the explorer's script and style from this page only if its body holds an explorer."""
    if MARKER in context.get("body", ""):
        app.add_css_file("explorer.css")
        app.add_js_file("explorer.js", defer="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", configure)
    # Before other handlers of the event: booktools.extensions.offline replaces the page's list of
    # scripts with a filtered copy, and files added after that would not reach the page.
    app.connect("html-page-context", add_where_used, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
