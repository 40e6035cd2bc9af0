"""Pages that work offline: maths from the site itself, no CDN, and the book's own assets.

* MathJax 3 is served from ``_static/mathjax`` (the copy that the PyPI package
  ``sphinx-mathjax-offline`` ships), instead of from a CDN.
* sphinx-thebe's inline configuration, which names a CDN and is declared twice on
  Jupyter Book pages (a console error), is removed: the book has no live-code button.
* After the build, every page is read: a ``src`` or ``href`` that loads a resource
  from another host fails the build, naming the page.
"""

from __future__ import annotations

import re
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parents[1] / "static"
# Attributes that make the browser fetch something when the page loads.
EXTERNAL_LOAD = re.compile(
    r"<(?:script|img|video|audio|source|iframe|embed|link)\b[^>]*?\b(?:src|href|poster)=[\"'](?:https?:)?//",
    re.IGNORECASE,
)
LINK_REL = re.compile(r"<link\b[^>]*\brel=[\"']([^\"']*)[\"']", re.IGNORECASE)


def mathjax_source() -> Path:
    """The MathJax 3 folder inside the sphinx-mathjax-offline distribution."""
    return Path(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax"))


def configure(app: Sphinx, config: Any) -> None:
    config.mathjax_path = "mathjax/tex-chtml.js"
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _is_thebe(asset: Any) -> bool:
    return "thebe" in (asset.filename or "") or "THEBE_JS_URL" in asset.attributes.get("body", "")


def drop_thebe_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Remove sphinx-thebe's scripts and style from the page: they name a CDN and redeclare a constant."""
    for key in ("script_files", "css_files"):
        if key in context:  # in place: handlers that add files to this page after us keep theirs
            context[key][:] = [asset for asset in context[key] if not _is_thebe(asset)]


def add_assets(app: Sphinx) -> None:
    app.add_css_file("lesson.css")
    app.add_js_file("lesson-video.js", defer="defer")


def external_loads(html: str) -> list[str]:
    """The tags of a page that would load a resource from another host."""
    hits = []
    for match in EXTERNAL_LOAD.finditer(html):
        tag = html[match.start() : html.find(">", match.end()) + 1]
        rel = LINK_REL.search(tag)
        if (
            tag.lower().startswith("<link")
            and rel
            and rel.group(1).lower() not in {"stylesheet", "preload", "modulepreload", "icon"}
        ):
            continue  # a hyperlink-like <link rel="canonical"> loads nothing
        hits.append(tag[:160])
    return hits


def copy_mathjax_and_check(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    copy_asset(str(mathjax_source()), str(Path(app.outdir) / "_static" / "mathjax"))
    for page in sorted(Path(app.outdir).rglob("*.html")):
        if "_static" in page.parts:
            continue
        for tag in external_loads(page.read_text(encoding="utf-8")):
            logger.warning(
                f"{page.relative_to(app.outdir)} loads a resource from another host: {tag} "
                "(serve it from the site instead, so the page works offline)",
                type="booktools",
                subtype="offline",
            )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", configure)
    app.connect("builder-inited", add_assets)
    app.connect("html-page-context", drop_thebe_assets)
    app.connect("build-finished", copy_mathjax_and_check)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
