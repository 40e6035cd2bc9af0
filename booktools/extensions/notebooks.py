"""Take a chapter away: every chapter page offers itself as a Jupyter notebook and opens in Colab.

* Each chapter with code is converted to a reader's notebook (:mod:`booktools.core.notebooks`:
  without outputs, a first cell that installs what it needs) into ``_sources/<docname>.ipynb`` of
  the site; the theme's download menu then lists ``.ipynb`` next to the ``.md`` source.
* An "Open in Colab" link points at the notebook on the branch ``booktools_notebook_branch``
  (default ``notebooks``) of the repository named in ``_config.yml`` (``repository.url``); the
  publishing workflow pushes the site's notebooks to that branch.  It is a plain hyperlink.

``python -m booktools.commands.notebooks book/regression.md out.ipynb`` converts one chapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from booktools.core.notebooks import colab_url, git_source, has_code, pinned_needs, repository_of, to_notebook


def _repository(app: Any) -> tuple[str, str]:
    """``repository.url`` and ``repository.branch`` of the theme's options (or of ``_config.yml``)."""
    options = app.config.html_theme_options or {}
    url, branch = options.get("repository_url"), options.get("repository_branch")
    if not url:
        url, branch = repository_of(Path(app.srcdir))
    return str(url or ""), str(branch or "main")


def _chapters(app: Any) -> list[str]:
    return sorted(name for name in app.env.found_docs if has_code(Path(app.env.doc2path(name))))


def link_notebook(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """html-page-context, before the theme's buttons: tell the theme about the page's notebook."""
    if doctree is None or pagename not in app.env.found_docs or not has_code(Path(app.env.doc2path(pagename))):
        return
    repository, _ = _repository(app)
    context["ipynb_source"] = f"{pagename}.ipynb"
    context["booktools_colab_url"] = colab_url(repository, app.config.booktools_notebook_branch, pagename)


def write_notebooks(app: Any, exception: Exception | None) -> None:
    """build-finished: write every chapter's notebook, also for pages this build did not write
    again, so that every set-up cell names the commit of this build."""
    import nbformat

    if exception is not None or app.builder.format != "html":
        return
    repository, branch = _repository(app)
    if not repository:
        return
    source = git_source(repository, branch, Path(app.srcdir))
    needs = pinned_needs(Path(app.srcdir))
    for pagename in _chapters(app):
        target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(to_notebook(Path(app.env.doc2path(pagename)), source, needs), str(target))


def add_colab_button(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """html-page-context, after the theme's buttons: an "Open in Colab" link in the launch menu."""
    url = context.get("booktools_colab_url")
    if not url or "header_buttons" not in context:
        return
    context["header_buttons"].insert(
        0,
        {
            "type": "group",
            "tooltip": "Run this chapter",
            "icon": "fas fa-rocket",
            "label": "launch-buttons",
            "buttons": [
                {
                    "type": "link",
                    "url": url,
                    "text": "Open in Colab",
                    "tooltip": "Open this chapter as a notebook in Google Colab",
                    "icon": "_static/images/logo_colab.png",
                    "label": "colab-button",
                }
            ],
        },
    )


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("booktools_notebook_branch", "notebooks", "html")
    app.connect("html-page-context", link_notebook, priority=400)
    app.connect("html-page-context", add_colab_button, priority=600)
    app.connect("build-finished", write_notebooks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
