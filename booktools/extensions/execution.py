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
  A chapter that fails here (a cell raises, runs past the timeout, or kills its kernel) is
  reported once, at the chapter's file and the failing cell's line, and excluded from
  myst-nb's execution: it is never executed a second time in the same build.

Faults are kept from spreading:

* the cache is checked before it is trusted: an unreadable ``global.db``, a cached notebook
  that is missing or truncated, a damaged line of ``executions.jsonl`` is removed, with a line
  in the log that names it, and the chapters concerned are executed again;
* a chapter's front matter may shorten the execution timeout of ``_config.yml`` but not
  lengthen or remove it (``execution: timeout:`` or ``mystnb: execution_timeout:``): such a
  chapter is refused with a warning at its file, and not executed;
* one build at a time holds the build folder (see `booktools.core.build_lock`).

Every execution is logged to ``executions.jsonl`` in the cache folder.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import ast
import copy
import glob
import hashlib
import json
import os
import shutil
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
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


def _say(message: str) -> None:
    """A line of the build's log, in colour, for a fault the build repairs by itself.

    Not a Sphinx warning: the chapters concerned are executed afresh, so the pages are right
    and a strict build has no reason to fail; the line says what was damaged.
    """
    logger.info(f"[booktools] {message}", color="darkred")


# -- the cache, checked before it is trusted ----------------------------------------------

CACHE_TABLES = ("nbcache", "nbproject", "settings")  # jupyter-cache's tables


def database_damage(database: Path) -> str | None:
    """What is wrong with jupyter-cache's database file, or ``None`` if it reads whole (or is absent)."""
    import sqlite3
    from contextlib import closing

    if not database.exists():
        return None
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
            (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        return str(error)
    if verdict != "ok":
        return str(verdict)
    missing = [name for name in CACHE_TABLES if name not in tables]
    return f"its tables {', '.join(missing)} are missing" if missing else None


def read_log(log: Path) -> tuple[list[dict], int]:
    """The entries of the log of executions, and the number of its lines that are damaged."""
    entries: list[dict] = []
    damaged = 0
    if not log.is_file():
        return entries, damaged
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("docname"), str)
            and isinstance(entry.get("seconds"), int | float)
        ):
            entries.append(entry)
        elif line.strip():
            damaged += 1
    return entries, damaged


def repair_cache(app: Sphinx) -> None:
    """builder-inited: check the cache's database and log before anything reads them; repair what is damaged.

    An unreadable database leaves nothing of the cache to trust: the database and the executed
    notebooks are removed (as ``make clean`` would) and every chapter is executed again.
    Damaged lines of the log are dropped: the log only orders the chapters, slowest first.
    """
    if not _enabled(app):
        return
    from jupyter_cache.cache.db import DB_NAME

    folder = Path(app.env.mystnb_config.execution_cache_path)
    database = folder / DB_NAME
    problem = database_damage(database)
    if problem is not None:
        for name in (DB_NAME, f"{DB_NAME}-journal", "__version__.txt"):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "executed", ignore_errors=True)
        _say(
            f"the execution cache is damaged: its database {database} cannot be read ({problem}). "
            "The cache was emptied, and every chapter is executed again."
        )
    log = folder / LOG_NAME
    entries, damaged = read_log(log)
    if damaged or (log.is_file() and not log.read_bytes().endswith(b"\n") and log.stat().st_size):
        log.write_text("".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    if damaged:
        _say(f"the log of executions {log} had {damaged} damaged line(s): they were dropped.")


def notebook_damage(cache: Any, record: Any, notebook: Any) -> str | None:
    """What is wrong with the executed notebook that ``record`` points to, or ``None`` if it reads whole."""
    path = Path(cache._get_notebook_path_cache(record.hashkey))  # jupyter-cache's layout: executed/<hash>/
    if not path.parent.parent.is_dir():
        return f"the folder {path.parent.parent} is missing"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"its notebook {path} is missing"
    except (OSError, ValueError) as error:
        return f"its notebook {path} cannot be read ({error})"
    cells = cached.get("cells") if isinstance(cached, dict) else None
    expected = sum(cell.cell_type == "code" for cell in notebook.cells)
    if not isinstance(cells, list) or len(cells) != expected:
        return f"its notebook {path} does not hold the chapter's {expected} code cells"
    return None


def _forget(cache: Any, record: Any) -> None:
    """Remove a cache record and its executed notebook, whatever is left of it."""
    from jupyter_cache.cache.db import NbCacheRecord

    try:
        cache.remove_cache(record.pk)
    except KeyError:  # its notebook file is gone already
        NbCacheRecord.remove_records([record.pk], cache.db)


def _cached_record(cache: Any, notebook: Any, docname: str) -> Any | None:
    """The cache record of the notebook, if there is one and its executed notebook reads whole."""
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:
        return None
    problem = notebook_damage(cache, record, notebook)
    if problem is None:
        return record
    _forget(cache, record)
    _say(f"the execution cache is damaged: the cached outputs of {docname}: {problem}. {docname} is executed again.")
    return None


# -- the timeout: _config.yml's, or shorter -----------------------------------------------


def _timeout_settings(notebook: Any) -> list[tuple[str, Any]]:
    """The chapter's own timeout settings, from its front matter: ``(key, value)``."""
    found = []
    for section, key in (("execution", "timeout"), ("mystnb", "execution_timeout")):
        settings = notebook.metadata.get(section)
        if isinstance(settings, dict) and key in settings:
            found.append((f"{section}: {key}", settings[key]))
    return found


def chapter_timeout(notebook: Any, configured: Any) -> tuple[int | None, list[str]]:
    """The timeout the chapter runs with (``None``: none), and why each refused setting is refused.

    The front matter may shorten the timeout of ``_config.yml`` (a whole number of seconds, more
    than 0 and at most the configured one); it may not lengthen it, nor remove it with 0, -1 or null
    (nbclient reads any of those as "no limit").
    """
    limit = configured if isinstance(configured, int) and configured > 0 else None
    timeout, refused = limit, []
    for key, value in _timeout_settings(notebook):
        if not isinstance(value, int) or isinstance(value, bool):
            refused.append(f"`{key}: {value}` is not a whole number of seconds")
        elif value <= 0:
            refused.append(f"`{key}: {value}` would remove the timeout")
        elif limit is not None and value > limit:
            refused.append(f"`{key}: {value}` would lengthen the timeout")
        else:
            timeout = value if timeout is None else min(timeout, value)
    return timeout, refused


def _front_matter_line(path: Path, words: str) -> int:
    """The line (from 1) of the front matter that mentions ``words``; 1 if none does."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        return 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        if words in line:
            return number
    return 1


# -- executing, once ---------------------------------------------------------------------


@dataclass
class Execution:
    """One execution of a chapter: the notebook as far as it ran, and how it ended."""

    notebook: Any
    seconds: float
    error: BaseException | None  # None: every cell ran
    trace: str | None
    cell: int | None  # index in notebook.cells of the last cell started


def execute_notebook(notebook: Any, cwd: Path, timeout: int | None, allow_errors: bool) -> Execution:
    """Execute a copy of ``notebook`` once, in a fresh kernel; how it ended is returned, never raised."""
    from jupyter_cache.executors.utils import single_nb_execution

    executed = copy.deepcopy(notebook)
    started: list[int] = []
    start = time.perf_counter()
    try:
        result = single_nb_execution(
            executed,
            cwd=str(cwd),
            allow_errors=allow_errors,
            timeout=timeout,
            meta_override=False,  # the timeout comes from chapter_timeout
            # ipykernel logs a warning about TCP transport at every start: keep kernel chatter to errors
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            # a kernel stopped by a timeout cannot shut down gracefully: it would print a traceback
            shutdown_kernel="immediate",
            on_cell_execute=lambda cell, cell_index: started.append(cell_index),
        )
        error, trace = result.err, result.exc_string
    except Exception as caught:  # a dead kernel, a kernel that never starts: nbclient raises past jupyter-cache
        error, trace = caught, traceback.format_exc()
    return Execution(executed, time.perf_counter() - start, error, trace, started[-1] if started else None)


class ErrorOutput(RuntimeError):
    """A cell ran to the end but shows an error among its outputs (a figure that failed to draw, a display hook)."""


def error_output(notebook: Any) -> tuple[int, str] | None:
    """The index of the first cell whose outputs hold an error, and that error in one line; ``None`` if none does.

    nbclient fails a chapter only when a cell raises; an exception inside IPython's display machinery,
    such as matplotlib failing to draw a figure at ``plt.show()``, is caught there and shown as an error
    output of a cell that succeeded, which would otherwise reach the page as a traceback.
    """
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                value = (str(output.get("evalue", "")).splitlines() or [""])[0][:200]
                return index, f"{output.get('ename', 'Error')}: {value}"
    return None


def _allow_errors(notebook: Any, configured: bool) -> bool:
    settings = notebook.metadata.get("execution")
    return bool(settings["allow_errors"]) if isinstance(settings, dict) and "allow_errors" in settings else configured


def failure_message(
    notebook: Any, execution: Execution, timeout: int | None, configured: Any, traceback_too: bool
) -> tuple[int, str]:
    """``(line, message)`` for a failed execution: the failing cell's line (1 if unknown), what happened, what to do.

    ``timeout`` is the one the chapter ran with, ``configured`` that of ``_config.yml``.
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    source_map = notebook.metadata.get("source_map") or []
    index = execution.cell
    if index is not None and index < len(source_map):
        line = int(source_map[index])
        cell = f"the code cell at line {line}"
    elif index is not None:
        line = 1
        cell = f"code cell {sum(c.cell_type == 'code' for c in notebook.cells[: index + 1])}"
    else:
        line, cell = 1, "no cell"
    during = f"while {cell} ran" if index is not None else "before any cell ran"
    error = execution.error
    if isinstance(error, CellTimeoutError):
        where = "`timeout` under `execute:` in _config.yml" if timeout == configured else "the chapter's front matter"
        return line, (
            f"Execution timed out: {cell} was still running after {timeout} s, the execution timeout set by "
            f"{where}. The chapter was stopped and is not executed again in this build: make the cell faster "
            "(fewer steps, less data), or raise the timeout."
        )
    if isinstance(error, DeadKernelError):
        return line, (
            f"The kernel died: its Python process ended {during} (a call such as os._exit, "
            "a crash in compiled code, or the memory running out). The chapter is not executed again "
            "in this build: run it in Jupyter to see where it stops."
        )
    if isinstance(error, ErrorOutput):
        return line, (
            f"Executing notebook failed: {cell} ran, but its output shows an error ({error}), raised while its "
            "result was displayed (for example a figure that matplotlib could not draw). Fix the cell: "
            "the page would show the traceback."
        )
    if isinstance(error, CellExecutionError):
        first = (str(error.evalue).splitlines() or [""])[0][:200]
        message = f"Executing notebook failed: {cell} raised {error.ename}: {first}"
        return line, message + (f"\n{execution.trace}" if traceback_too and execution.trace else "")
    return line, (
        f"The chapter could not be executed ({type(error).__name__}: {error}) {during}. "
        "It is not executed again in this build."
        + (f"\n{execution.trace}" if traceback_too and execution.trace else "")
    )


def _exclude(env: BuildEnvironment, docnames: list[str]) -> None:
    """Keep myst-nb from executing these chapters in this build: they failed, or were refused, here."""
    if not docnames:
        return
    patterns = [glob.escape(Path(env.doc2path(d)).as_posix()) for d in docnames]  # myst-nb matches these
    config = env.mystnb_config
    env.mystnb_config = config.copy(execution_excludepatterns=[*config.execution_excludepatterns, *patterns])


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
        record = _cached_record(cache, notebook, docname)
        current = fingerprint(notebook, root, packages, locks)
        if record is not None and record.data.get(FINGERPRINT_KEY) == current:
            continue
        if record is not None:
            _forget(cache, record)
        outdated.append(docname)
    if outdated:
        logger.info(f"[booktools] outputs not cached, or dependencies changed; reading again: {', '.join(outdated)}")
    return outdated


def _previous_seconds(log: Path) -> dict[str, float]:
    return {entry["docname"]: entry["seconds"] for entry in read_log(log)[0]}


def _workers(app: Sphinx) -> int:
    configured = app.config.booktools_workers or int(os.environ.get("BOOK_WORKERS", "0") or 0)
    return max(1, configured or os.cpu_count() or 1)


def execute_stale(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Execute, side by side, the chapters about to be read whose outputs are not cached.

    A chapter that fails, or whose front matter would lengthen or remove the timeout, gets a
    warning at its file and is kept from myst-nb's own execution: nothing runs twice.
    """
    if not _enabled(app):
        return
    from jupyter_cache.base import CacheBundleIn

    cache, root, packages, locks = _context(app)
    nb_config = env.mystnb_config
    log = Path(nb_config.execution_cache_path) / LOG_NAME
    todo, stopped = [], []
    for docname in docnames:
        notebook = read_notebook(env, docname)
        if notebook is None:
            continue
        record = _cached_record(cache, notebook, docname)
        timeout, refused = chapter_timeout(notebook, nb_config.execution_timeout)
        if refused:
            if record is not None:
                _forget(cache, record)  # read, and refused, again at every build until the setting goes
            line = _front_matter_line(Path(env.doc2path(docname)), "timeout")
            logger.warning(
                f"{'; '.join(refused)}: a chapter may shorten the execution timeout of _config.yml "
                f"({nb_config.execution_timeout} s, `timeout` under `execute:`), never lengthen or remove it. "
                "The chapter is not executed: remove the setting, or raise the timeout in _config.yml.",
                location=(docname, line),
                type="booktools",
                subtype="timeout",
            )
            stopped.append(docname)
            continue
        current = fingerprint(notebook, root, packages, locks)
        if record is not None and record.data.get(FINGERPRINT_KEY) == current:
            continue
        if record is not None:
            _forget(cache, record)
        todo.append((docname, notebook, current, timeout))
    if todo:
        previous = _previous_seconds(log)
        todo.sort(key=lambda item: -previous.get(item[0], float("inf")))  # unknown and slow ones first
        workers = min(_workers(app), len(todo))
        logger.info(
            f"[booktools] executing {len(todo)} chapter(s) on {workers} worker(s): "
            + ", ".join(docname for docname, *_ in todo)
        )

        def run(item: tuple[str, Any, str, int | None]) -> tuple[str, Any, str, int | None, Execution]:
            docname, notebook, current, timeout = item
            allow_errors = _allow_errors(notebook, nb_config.execution_allow_errors)
            execution = execute_notebook(notebook, Path(env.doc2path(docname)).parent, timeout, allow_errors)
            shown = None if allow_errors or execution.error is not None else error_output(execution.notebook)
            if shown is not None:
                execution = replace(execution, error=ErrorOutput(shown[1]), cell=shown[0])
            return docname, notebook, current, timeout, execution

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in as_completed([pool.submit(run, item) for item in todo]):
                docname, notebook, current, timeout, execution = future.result()
                ok = execution.error is None
                with log.open("a", encoding="utf-8") as handle:
                    entry = {"time": time.time(), "docname": docname, "seconds": round(execution.seconds, 3), "ok": ok}
                    handle.write(json.dumps(entry) + "\n")
                if not ok:
                    line, message = failure_message(
                        notebook, execution, timeout, nb_config.execution_timeout, nb_config.execution_show_tb
                    )
                    # where myst-nb keeps the traceback of a failed chapter (the workflows upload it)
                    report = Path(app.outdir, "reports", *f"{docname}.err.log".split("/"))
                    report.parent.mkdir(parents=True, exist_ok=True)
                    report.write_text(execution.trace or message, encoding="utf-8")
                    first, newline, rest = message.partition("\n")
                    message = f"{first} The traceback is saved in {report}.{newline}{rest}"
                    logger.warning(message, location=(docname, line), type="booktools", subtype="execution")
                    stopped.append(docname)
                    continue
                cache.cache_notebook_bundle(
                    CacheBundleIn(
                        execution.notebook,
                        str(env.doc2path(docname)),
                        data={"execution_seconds": execution.seconds, FINGERPRINT_KEY: current},
                    ),
                    check_validity=False,
                    overwrite=True,
                )
                logger.info(f"[booktools] executed {docname} in {execution.seconds:.1f} s")
    _exclude(env, stopped)


# Kernels run one per core, so each computes on one thread: no oversubscription, and no
# summation order that depends on how many threads a BLAS call happened to get.
KERNEL_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


def hold_build_folder(app: Sphinx) -> None:
    """Hold the build folder (the parent of the output folder) until the build finishes."""
    from booktools.core import build_lock

    try:
        wait = build_lock.wait_seconds()
    except ValueError as error:
        raise SystemExit(str(error)) from None
    try:
        descriptor = build_lock.acquire(Path(app.outdir).parent, wait, _say)
    except ImportError:  # no fcntl: not a POSIX system
        _say("builds in the same folder are not kept apart on this system")
        return
    except build_lock.BuildFolderBusy as busy:
        # SystemExit, not a Sphinx error: jupyter-book would print a traceback after the message
        raise SystemExit(f"Build folder in use: {busy}") from None
    app.connect("build-finished", lambda app, exception: build_lock.release(descriptor))


def setup(app: Sphinx) -> dict[str, Any]:
    hold_build_folder(app)
    for name, value in KERNEL_ENVIRONMENT.items():  # inherited by every kernel this build starts
        os.environ.setdefault(name, value)
    app.setup_extension("myst_nb")
    app.add_config_value("booktools_packages", ["lesson_code"], "env")
    app.add_config_value("booktools_lock_files", ["requirements.lock"], "env")
    app.add_config_value("booktools_workers", 0, "")
    app.connect("builder-inited", repair_cache, priority=900)  # after myst-nb has set the cache's path
    app.connect("env-get-outdated", outdated_by_dependencies)
    app.connect("env-before-read-docs", execute_stale)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
