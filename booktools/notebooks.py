"""Take a chapter away: every chapter page offers itself as a Jupyter notebook and opens in Colab.

* Each chapter with code is converted from MyST markdown to ``.ipynb`` (without outputs) into
  ``_sources/<docname>.ipynb`` of the site; the theme's download menu then lists ``.ipynb``
  next to the ``.md`` source.
* The notebook starts with a cell that installs ``lesson_code`` (and ``myst-nb``, for ``glue``)
  when they are missing, as on Colab; where they are installed it does nothing.
* An "Open in Colab" link points at the notebook on the branch ``booktools_notebook_branch``
  (default ``notebooks``) of the repository named in ``_config.yml`` (``repository.url``); the
  publishing workflow pushes the site's notebooks to that branch.  It is a plain hyperlink.

``python -m booktools.notebooks book/regression.md out.ipynb`` converts one chapter.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

COLAB = "https://colab.research.google.com/github"
SETUP = """\
# Run this cell first on Colab (or wherever lesson_code is not installed): it installs the book's code.
import importlib.util
import subprocess
import sys

if any(importlib.util.find_spec(name) is None for name in ("lesson_code", "myst_nb", "imageio_ffmpeg")):
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "myst-nb", "imageio-ffmpeg"], check=True)
    subprocess.run([*pip, "--no-deps", "lesson-code @ git+{repository}@{branch}"], check=True)
"""


def to_notebook(path: Path, repository: str = "", branch: str = "main") -> Any:
    """The chapter at ``path`` as an nbformat notebook without outputs, with a set-up cell first when
    ``repository`` (its URL) is given."""
    import nbformat
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"), path=path)
    notebook.metadata.pop("source_map", None)
    notebook.metadata.pop("jupytext", None)  # the notebook is no longer the markdown file
    if repository:
        setup = nbformat.v4.new_code_cell(SETUP.format(repository=repository.rstrip("/"), branch=branch))
        setup.metadata["tags"] = ["setup"]
        notebook.cells.insert(0, setup)
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids: the same chapter gives the same file
    nbformat.validate(notebook)
    return notebook


def has_code(path: Path) -> bool:
    return Path(path).suffix == ".md" and "```{code-cell}" in Path(path).read_text(encoding="utf-8")


def colab_url(repository: str, branch: str, docname: str) -> str | None:
    """The Colab link to ``<docname>.ipynb`` on ``branch`` of a GitHub ``repository`` (None elsewhere)."""
    parts = repository.rstrip("/").removesuffix(".git").split("/")
    if len(parts) < 5 or parts[2] != "github.com":
        return None
    return f"{COLAB}/{parts[3]}/{parts[4]}/blob/{branch}/{docname}.ipynb"


# -- Sphinx -------------------------------------------------------------------------------------


def _repository(app: Any) -> tuple[str, str]:
    """``repository.url`` and ``repository.branch`` of ``_config.yml`` (or of the theme's options)."""
    import yaml

    options = app.config.html_theme_options or {}
    url, branch = options.get("repository_url"), options.get("repository_branch")
    config = Path(app.srcdir) / "_config.yml"
    if not url and config.is_file():
        repository = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("repository") or {}
        url, branch = repository.get("url"), repository.get("branch")
    return str(url or ""), str(branch or "main")


def write_notebook(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """html-page-context, before the theme's buttons: write the page's notebook, tell the theme about it."""
    import nbformat

    if doctree is None or pagename not in app.env.found_docs:
        return
    source = Path(app.env.doc2path(pagename))
    if not has_code(source):
        return
    repository, branch = _repository(app)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(to_notebook(source, repository, branch), str(target))
    context["ipynb_source"] = f"{pagename}.ipynb"
    context["booktools_colab_url"] = colab_url(repository, app.config.booktools_notebook_branch, pagename)


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
    app.connect("html-page-context", write_notebook, priority=400)
    app.connect("html-page-context", add_colab_button, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Convert a MyST chapter into a Jupyter notebook.")
    parser.add_argument("chapter", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--repository", default="", help="repository URL for the set-up cell (none: no cell)")
    parser.add_argument("--branch", default="main")
    args = parser.parse_args(argv)
    nbformat.write(to_notebook(args.chapter, args.repository, args.branch), str(args.output))
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
