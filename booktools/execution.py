"""Execute each chapter again exactly when something it depends on has changed.

A Sphinx extension for Jupyter Book's ``execute_notebooks: cache`` mode.
Stock jupyter-cache keys a notebook on its code cells alone, so an edit to an
imported module or to the locked environment leaves stale outputs on the site.
Here a chapter's cached outputs are also keyed on a *dependency fingerprint*:
the source of every module of the local packages (``lesson_code``) that its code
imports, followed transitively, and the lock file.

* ``env-get-outdated``: a chapter whose cached outputs were made with another
  fingerprint loses its cache record and is read again, although its file is unchanged.
* ``env-before-read-docs``: the chapters to be read whose outputs are not cached are
  executed side by side (one kernel per worker, ``booktools_workers``, by default
  ``BOOK_WORKERS`` or the number of cores), longest first, and cached with their
  fingerprint; myst-nb then finds them in the cache and executes nothing.
  A chapter that fails here is left to myst-nb, which executes it again and reports
  the error against the chapter's file.

Every execution is logged to ``executions.jsonl`` in the cache folder.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

FINGERPRINT_KEY = "booktools_fingerprint"
LOG_NAME = "executions.jsonl"


# -- what a chapter depends on ------------------------------------------------------------


def code_of(notebook: Any) -> str:
    """The Python source of a notebook's code cells, with IPython magics made plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    return "\n".join(transform(cell.source) for cell in notebook.cells if cell.cell_type == "code")


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``, which never run."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            yield from (n for orelse in child.orelse for n in [orelse, *_runtime_nodes(orelse)])
            continue
        yield child
        yield from _runtime_nodes(child)


def imported_modules(source: str, packages: tuple[str, ...]) -> set[str]:
    """Dotted names that ``source`` imports from ``packages``, directly.

    ``import lesson_code.losses`` names both ``lesson_code`` and ``lesson_code.losses``;
    ``from lesson_code import mse`` names ``lesson_code`` and ``lesson_code.mse`` (which may be
    a submodule or a re-exported name); ``import lesson_code`` and ``from lesson_code import *``
    name ``lesson_code.*``: everything the package offers.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {f"{p}.*" for p in packages if p in source}  # unparsable: depend on all of it
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            names += [f"{n}.*" for n in names if "." not in n]  # the bare package: any attribute
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in packages:
                parts = name.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return found


def module_file(name: str, root: Path) -> Path | None:
    """The file of module ``name`` under ``root``: ``a/b.py`` or ``a/b/__init__.py``."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_exports(init: Path) -> dict[str, str] | None:
    """The ``_EXPORTS`` table of a lazily importing package (name -> submodule), if it has one."""
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def _submodules(package: str, init: Path) -> list[str]:
    """Every module the package could hand out: its export table's, else every file beside it."""
    exports = package_exports(init)
    if exports is not None:
        return sorted({f"{package}.{module}" for module in exports.values()})
    return sorted(f"{package}.{p.stem}" for p in init.parent.glob("*.py") if p.name != "__init__.py")


def module_closure(names: set[str], root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module reachable from ``names`` by the imports inside the packages, with its file.

    A name that is not a module (``lesson_code.mse``) leads to the module that the package's
    export table names for it, or, for a package without one, to all of the package.
    """
    seen: dict[str, Path] = {}
    todo = sorted(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            parent, _, attribute = name.rpartition(".")
            init = module_file(parent, root) if parent else None
            if init is None or init.name != "__init__.py":
                continue  # an attribute of a plain module, or nothing of ours
            exports = package_exports(init)
            if attribute != "*" and exports is not None:
                if attribute in exports:
                    todo.append(f"{parent}.{exports[attribute]}")
                continue
            todo.extend(m for m in _submodules(parent, init) if m not in seen)
            continue
        seen[name] = path
        source = path.read_text(encoding="utf-8")
        inner = imported_modules(source, packages)
        # relative imports inside the package: from .losses import mse
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                inner.add(target)
                inner.update(f"{target}.{alias.name}" for alias in node.names)
        if path.name == "__init__.py" and package_exports(path) is None:
            inner.add(f"{name}.*")  # an eager package may import anything beside it
        todo.extend(sorted(inner - seen.keys()))
    return seen


def fingerprint(notebook: Any, root: Path, packages: tuple[str, ...], lock_files: tuple[str, ...]) -> str:
    """SHA-256 of the lock files and of the source of every local module the notebook imports."""
    digest = hashlib.sha256()
    for name in lock_files:
        path = root / name
        digest.update(f"lock {name}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    modules = module_closure(imported_modules(code_of(notebook), packages), root, packages)
    for name, path in sorted(modules.items()):
        digest.update(f"\nmodule {name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# -- reading chapters as myst-nb does ----------------------------------------------------


def read_notebook(env: BuildEnvironment, docname: str) -> Any | None:
    """The notebook myst-nb would build from ``docname``, or ``None`` for a page with no code."""
    from myst_nb.core.read import create_nb_reader

    path = env.doc2path(docname)
    text = Path(path).read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    return notebook


def _context(app: Sphinx) -> tuple[Any, Path, tuple[str, ...], tuple[str, ...]]:
    from jupyter_cache import get_cache

    root = Path(app.confdir)
    return (
        get_cache(app.env.mystnb_config.execution_cache_path),
        root,
        tuple(app.config.booktools_packages),
        tuple(app.config.booktools_lock_files),
    )


def _enabled(app: Sphinx) -> bool:
    return app.env.mystnb_config.execution_mode == "cache"


def _cached_record(cache: Any, notebook: Any) -> Any | None:
    try:
        return cache.match_cache_notebook(notebook)
    except KeyError:
        return None


# -- Sphinx events -----------------------------------------------------------------------


def outdated_by_dependencies(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Chapters whose files are unchanged but whose dependencies (or cache) are not."""
    if not _enabled(app):
        return []
    cache, root, packages, locks = _context(app)
    outdated = []
    for docname in sorted(env.found_docs - added - changed - removed):
        notebook = read_notebook(env, docname)
        if notebook is None:
            continue
        record = _cached_record(cache, notebook)
        current = fingerprint(notebook, root, packages, locks)
        if record is not None and record.data.get(FINGERPRINT_KEY) == current:
            continue
        if record is not None:
            cache.remove_cache(record.pk)
        outdated.append(docname)
    if outdated:
        logger.info(f"[booktools] dependencies changed, reading again: {', '.join(outdated)}")
    return outdated


def _previous_seconds(log: Path) -> dict[str, float]:
    seconds: dict[str, float] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            seconds[entry["docname"]] = entry["seconds"]
    return seconds


def _workers(app: Sphinx) -> int:
    configured = app.config.booktools_workers or int(os.environ.get("BOOK_WORKERS", "0") or 0)
    return max(1, configured or os.cpu_count() or 1)


def execute_stale(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Execute, side by side, the chapters about to be read whose outputs are not cached."""
    if not _enabled(app):
        return
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    cache, root, packages, locks = _context(app)
    nb_config = env.mystnb_config
    log = Path(nb_config.execution_cache_path) / LOG_NAME
    todo = []
    for docname in docnames:
        notebook = read_notebook(env, docname)
        if notebook is None:
            continue
        current = fingerprint(notebook, root, packages, locks)
        record = _cached_record(cache, notebook)
        if record is not None and record.data.get(FINGERPRINT_KEY) == current:
            continue
        if record is not None:
            cache.remove_cache(record.pk)
        todo.append((docname, notebook, current))
    if not todo:
        return
    previous = _previous_seconds(log)
    todo.sort(key=lambda item: -previous.get(item[0], float("inf")))  # unknown and slow ones first
    workers = min(_workers(app), len(todo))
    logger.info(
        f"[booktools] executing {len(todo)} chapter(s) on {workers} worker(s): "
        + ", ".join(docname for docname, _, _ in todo)
    )

    def run(item: tuple[str, Any, str]) -> tuple[str, Any, str, Any]:
        docname, notebook, current = item
        path = Path(env.doc2path(docname))
        result = single_nb_execution(
            copy.deepcopy(notebook),
            cwd=str(path.parent),
            allow_errors=nb_config.execution_allow_errors,
            timeout=nb_config.execution_timeout,
            meta_override=True,
            # ipykernel logs a warning about TCP transport at every start: keep kernel chatter to errors
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        return docname, path, current, result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, item) for item in todo]
        for future in as_completed(futures):
            docname, path, current, result = future.result()
            ok = result.err is None
            with log.open("a", encoding="utf-8") as handle:
                entry = {"time": time.time(), "docname": docname, "seconds": round(result.time, 3), "ok": ok}
                handle.write(json.dumps(entry) + "\n")
            if not ok:
                logger.info(f"[booktools] {docname} failed after {result.time:.1f} s; myst-nb will report it")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(result.nb, str(path),
                              data={"execution_seconds": result.time, FINGERPRINT_KEY: current}),
                check_validity=False,
                overwrite=True,
            )
            logger.info(f"[booktools] executed {docname} in {result.time:.1f} s")


# Kernels run one per core, so each computes on one thread: no oversubscription, and no
# summation order that depends on how many threads a BLAS call happened to get.
KERNEL_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                      "PYTHONHASHSEED": "0"}


def setup(app: Sphinx) -> dict[str, Any]:
    for name, value in KERNEL_ENVIRONMENT.items():  # inherited by every kernel this build starts
        os.environ.setdefault(name, value)
    app.setup_extension("myst_nb")
    app.add_config_value("booktools_packages", ["lesson_code"], "env")
    app.add_config_value("booktools_lock_files", ["requirements.lock"], "env")
    app.add_config_value("booktools_workers", 0, "")
    app.connect("env-get-outdated", outdated_by_dependencies)
    app.connect("env-before-read-docs", execute_stale)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
