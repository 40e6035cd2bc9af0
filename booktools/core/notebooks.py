"""A chapter as a reader's notebook: it runs anywhere, without myst-nb or Sphinx.

The chapter's MyST markdown becomes an ``.ipynb`` without outputs, whose first cell, where
``lesson_code`` is missing (as on Colab), installs the ``lesson_code`` of the commit the page was
built from (``git rev-parse HEAD`` at build time), and, at the exact versions of
``requirements.lock``, whichever of its dependencies are missing. The same cell defines a small
``glue`` that keeps each value in a dict, ``glued``; the chapters' ``from myst_nb import glue``
lines become a comment that says so. Outside a git checkout the commit is unknown: the cell then
installs the tip of ``repository.branch`` and says, in its first lines, that this may be newer than the page.

The extension :mod:`booktools.extensions.notebooks` writes these notebooks into the site and links
them from each chapter page; ``python -m booktools.commands.notebooks`` converts one chapter.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLAB = "https://colab.research.google.com/github"
ROOT = Path(__file__).resolve().parents[2]

# The module each dependency of lesson_code (pyproject.toml) is imported as: the set-up cell
# installs a dependency only when its module is missing.
MODULES = {
    "torch": "torch",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "pillow": "PIL",
    "imageio-ffmpeg": "imageio_ffmpeg",
    "ipython": "IPython",
    "scikit-learn": "sklearn",
}
EXTRAS = ("digits",)  # optional dependencies of lesson_code that some chapter needs

GLUE_IMPORT = "from myst_nb import glue"
GLUE_COMMENT = "# glue(name, value) is defined in the first cell: it keeps value in glued[name]"

SETUP = '''\
# Run this cell first. Where lesson_code is missing (as on Colab), it installs
# {about}
# and, at the versions the book was built with, what lesson_code needs that is missing here.
# It also defines glue(): on the website it puts a value into the text; here it keeps it in `glued`.
import importlib
import importlib.util
import subprocess
import sys

LESSON_CODE = "{requirement}"
NEEDS = {needs}  # module: what installs it, if it is missing

if importlib.util.find_spec("lesson_code") is None:
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", LESSON_CODE], check=True)
    missing = [pin for module, pin in NEEDS.items() if importlib.util.find_spec(module) is None]
    if missing:
        subprocess.run([*pip, *missing], check=True)
    importlib.invalidate_caches()

glued = {{}}


def glue(name, value, display=True):
    """Keep value in glued[name], and show it if display is true."""
    glued[name] = value
    if display:
        from IPython.display import display as show

        show(value)
'''


@dataclass(frozen=True)
class Source:
    """Where the set-up cell installs lesson_code from: a pip requirement, and a line about it."""

    requirement: str
    about: str


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except OSError:  # no git on this machine
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@functools.lru_cache
def build_commit(root: Path) -> tuple[str, bool] | None:
    """``(commit, dirty)`` of the git checkout whose top folder is ``root``; ``None`` outside one.

    ``dirty`` is true when ``lesson_code`` or ``pyproject.toml`` have uncommitted changes: the
    commit then lacks code that the build ran.
    """
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != Path(root).resolve():
        return None
    commit = _git(root, "rev-parse", "HEAD")
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    status = _git(root, "status", "--porcelain", "--untracked-files=no", "--", "lesson_code", "pyproject.toml")
    return commit, bool(status)


def git_source(repository: str, branch: str, root: Path = ROOT) -> Source:
    """lesson_code at the commit of ``root`` on ``repository``; the tip of ``branch`` outside git."""
    repository = repository.rstrip("/")
    found = build_commit(Path(root))
    if found is None:
        return Source(
            f"lesson-code @ git+{repository}@{branch}",
            f"lesson_code from the branch {branch} of {repository}: this notebook was made outside\n"
            "# a git checkout, so the commit of its page is unknown and the branch may hold newer code",
        )
    commit, dirty = found
    about = f"lesson_code from {repository} at commit {commit[:12]}, which built this page"
    if dirty:
        about += "\n# (the page was built with changes to lesson_code that this commit does not hold)"
    return Source(f"lesson-code @ git+{repository}@{commit}", about)


def normal_name(name: str) -> str:
    """A distribution's name as pip compares them: ``Pillow``, ``pillow`` -> ``pillow``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_versions(root: Path = ROOT) -> dict[str, str]:
    """Normalised name -> exact version, for every line ``name==version`` of ``requirements.lock``.

    A package pinned once per platform (torch) keeps its first line's version, Linux's.
    """
    versions = {}
    for line in (Path(root) / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip().rstrip("\\").strip()
        if "==" in line:
            name, version = line.split("==", 1)
            versions.setdefault(normal_name(name.strip()), version.split()[0])
    return versions


def pinned_needs(root: Path = ROOT) -> dict[str, str]:
    """Module name -> exact requirement from ``requirements.lock``, for each dependency of lesson_code."""
    project = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in EXTRAS:
        wanted += project["optional-dependencies"][extra]
    lock = lock_versions(root)
    needs = {}
    for requirement in wanted:
        name = normal_name(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        if name not in MODULES:
            raise ValueError(
                f"pyproject.toml: lesson_code depends on {name!r}, but booktools/core/notebooks.py does not "
                f"know its module name: add {name!r} to MODULES"
            )
        if name not in lock:
            raise ValueError(
                f"requirements.lock has no exact version of {name!r}, a dependency of lesson_code: pin it (make lock)"
            )
        # a local label (torch's "+cpu") names the build of a local file, not a release on PyPI:
        # ==2.13.0 admits 2.13.0+cpu as well as PyPI's 2.13.0
        needs[MODULES[name]] = f"{name}=={lock[name].split('+')[0]}"
    return needs


def reader_code(source: str, where: str) -> str:
    """A code cell as a reader runs it: ``from myst_nb import glue`` becomes a comment (the set-up
    cell defines ``glue``); any other use of myst_nb is an error that names ``where``."""
    lines = [GLUE_COMMENT if line.strip() == GLUE_IMPORT else line for line in source.splitlines()]
    if any("myst_nb" in line for line in lines):
        raise ValueError(
            f"{where}: a chapter's code may use myst_nb only as `{GLUE_IMPORT}`, on a line of its "
            "own: the notebook that readers download has no myst_nb"
        )
    return "\n".join(lines)


def to_notebook(path: Path, source: Source, needs: dict[str, str] | None = None) -> Any:
    """The chapter at ``path`` as an nbformat notebook without outputs, its set-up cell first,
    installing lesson_code from ``source`` and the missing ``needs`` (by default from the lock)."""
    import nbformat
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"), path=path)
    notebook.metadata.pop("source_map", None)
    notebook.metadata.pop("jupytext", None)  # the notebook is no longer the markdown file
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            cell.source = reader_code(cell.source, f"{path}, code cell {index + 1}")
    needs = pinned_needs() if needs is None else needs
    setup = nbformat.v4.new_code_cell(
        SETUP.format(about=source.about, requirement=source.requirement, needs=_dict_literal(needs))
    )
    setup.metadata["tags"] = ["setup"]
    notebook.cells.insert(0, setup)
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids: the same chapter gives the same file
    nbformat.validate(notebook)
    return notebook


def _dict_literal(needs: dict[str, str]) -> str:
    """``needs`` as a dict display, one entry a line."""
    return "{\n" + "".join(f'    "{module}": "{pin}",\n' for module, pin in needs.items()) + "}"


def has_code(path: Path) -> bool:
    return Path(path).suffix == ".md" and "```{code-cell}" in Path(path).read_text(encoding="utf-8")


def colab_url(repository: str, branch: str, docname: str) -> str | None:
    """The Colab link to ``<docname>.ipynb`` on ``branch`` of a GitHub ``repository`` (None elsewhere)."""
    parts = repository.rstrip("/").removesuffix(".git").split("/")
    if len(parts) < 5 or parts[2] != "github.com":
        return None
    return f"{COLAB}/{parts[3]}/{parts[4]}/blob/{branch}/{docname}.ipynb"


def repository_of(root: Path) -> tuple[str, str]:
    """``repository.url`` and ``repository.branch`` of ``root``'s ``_config.yml``."""
    import yaml

    config = Path(root) / "_config.yml"
    data = yaml.safe_load(config.read_text(encoding="utf-8")) if config.is_file() else {}
    repository = (data or {}).get("repository") or {}
    return str(repository.get("url") or ""), str(repository.get("branch") or "main")
