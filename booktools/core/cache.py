"""The execution cache: a chapter's cached execution, found by its code and its dependency fingerprint.

The build keeps each chapter's executed notebook in jupyter-cache (``execution_cache_path`` of
myst-nb, by default ``_build/.jupyter_cache``), with the fingerprint of what it depended on
(:mod:`booktools.core.dependencies`) in the record's data. `cached_record` is the one look-up:
the incremental build and the reproducibility check both find a chapter's execution through it,
so neither ever takes an execution made with other dependencies for the current one.

The cache is checked before it is trusted: an unreadable database, a cached notebook that is
missing, truncated, malformed (it fails nbformat's validation) or whose outputs are not those the
build stored (cleared or edited since: `store` keeps a digest of them), a damaged line of the log
of executions is removed, with its folder, and said so.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from booktools.core.dependencies import fingerprint
from booktools.core.settings import ExecutionSettings
from booktools.core.streams import MERGED

STREAMS_KEY = "booktools_streams"  # how the cached execution's printed output was joined
FINGERPRINT_KEY = "booktools_fingerprint"
OUTPUTS_KEY = "booktools_outputs"  # the digest of the outputs `store` wrote (see `outputs_digest`)
LOG_NAME = "executions.jsonl"
CACHE_TABLES = ("nbcache", "nbproject", "settings")  # jupyter-cache's tables

Say = Callable[[str], None]  # reports a fault that was repaired, in one line


def open_cache(folder: Path | str) -> Any:
    """The jupyter-cache in ``folder`` (created if it does not exist)."""
    from jupyter_cache import get_cache

    return get_cache(str(folder))


# -- the cache, checked before it is trusted ----------------------------------------------


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


def log_execution(
    folder: Path,
    docname: str,
    seconds: float,
    ok: bool,
    *,
    code: str | None = None,
    dependencies: dict[str, str] | None = None,
    reason: str | None = None,
) -> None:
    """Add one line to the log of executions in the cache ``folder``.

    ``code`` and ``dependencies`` (`booktools.core.dependencies.code_digest` and ``components``) let the next
    execution of the chapter say what changed (`why_executed`); ``reason`` is why this one ran.
    """
    entry: dict[str, Any] = {"time": time.time(), "docname": docname, "seconds": round(seconds, 3), "ok": ok}
    extra = {"code": code, "dependencies": dependencies, "reason": reason}
    entry.update((key, value) for key, value in extra.items() if value is not None)
    with (Path(folder) / LOG_NAME).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def last_executions(folder: Path) -> dict[str, dict]:
    """The last logged execution of each chapter, by docname."""
    return {entry["docname"]: entry for entry in read_log(Path(folder) / LOG_NAME)[0]}


def why_executed(last: dict | None, code: str, dependencies: dict[str, str]) -> str:
    """Why a chapter with no cached execution runs, from its ``last`` logged execution: what changed since.

    ``code`` and ``dependencies`` are the chapter's now (see `log_execution`).
    """
    if last is None:
        return "first execution: none is logged for this chapter"
    before = last.get("dependencies")
    if not isinstance(before, dict) or "code" not in last:
        return "its cached execution was made with other code or dependencies (not logged in detail)"
    changes = ["its code cells changed"] if last["code"] != code else []
    changes += [
        f"{name} changed" for name in sorted(dependencies) if name in before and before[name] != dependencies[name]
    ]
    changes += [f"it now depends on {name}" for name in sorted(dependencies.keys() - before.keys())]
    changes += [f"it no longer depends on {name}" for name in sorted(before.keys() - dependencies.keys())]
    if changes:
        return "; ".join(changes)
    if not last.get("ok", True):
        return "its last execution failed"
    return "nothing it depends on changed, but its cached execution was missing or damaged, or the cache was cleared"


def previous_seconds(folder: Path) -> dict[str, float]:
    """How long each chapter took at its last logged execution."""
    return {entry["docname"]: entry["seconds"] for entry in read_log(Path(folder) / LOG_NAME)[0]}


def repair(folder: Path, say: Say) -> None:
    """Check the cache's database and log before anything reads them; repair what is damaged.

    An unreadable database leaves nothing of the cache to trust: the database and the executed
    notebooks are removed (as ``make clean`` would) and every chapter is executed again.
    Damaged lines of the log are dropped: the log only orders the chapters, slowest first.
    """
    from jupyter_cache.cache.db import DB_NAME

    database = folder / DB_NAME
    problem = database_damage(database)
    if problem is not None:
        for name in (DB_NAME, f"{DB_NAME}-journal", "__version__.txt"):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "executed", ignore_errors=True)
        say(
            f"the execution cache is damaged: its database {database} cannot be read ({problem}). "
            "The cache was emptied, and every chapter is executed again."
        )
    log = folder / LOG_NAME
    entries, damaged = read_log(log)
    if damaged or (log.is_file() and not log.read_bytes().endswith(b"\n") and log.stat().st_size):
        log.write_text("".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    if damaged:
        say(f"the log of executions {log} had {damaged} damaged line(s): they were dropped.")


def outputs_digest(notebook: Any) -> str:
    """The SHA-256 of the outputs of ``notebook``'s code cells, as nbformat reads them from a file."""
    import hashlib

    outputs = [cell.get("outputs", []) for cell in notebook.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode("utf-8")).hexdigest()


def record_folder(cache: Any, hashkey: str) -> Path:
    """The folder of a cached execution, ``executed/<hashkey>/`` (jupyter-cache's layout)."""
    return Path(cache._get_notebook_path_cache(hashkey)).parent


def notebook_damage(cache: Any, record: Any, notebook: Any) -> str | None:
    """What is wrong with the executed notebook that ``record`` points to, or ``None`` if it can be trusted.

    Its folder and file must exist and read as JSON, with the chapter's code cells; it must pass
    nbformat's validation (a malformed output would stop Sphinx with a schema error); and its outputs
    must be those `store` wrote (``OUTPUTS_KEY`` in the record's data): outputs cleared or edited since
    would put wrong numbers on the page, or none.
    """
    import nbformat

    path = Path(cache._get_notebook_path_cache(record.hashkey))
    if not path.parent.parent.is_dir():
        return f"the folder {path.parent.parent} is missing"
    try:
        text = path.read_text(encoding="utf-8")
        cached = json.loads(text)
    except FileNotFoundError:
        return f"its notebook {path} is missing"
    except (OSError, ValueError) as error:
        return f"its notebook {path} cannot be read ({error})"
    cells = cached.get("cells") if isinstance(cached, dict) else None
    expected = sum(cell.cell_type == "code" for cell in notebook.cells)
    if not isinstance(cells, list) or len(cells) != expected:
        return f"its notebook {path} does not hold the chapter's {expected} code cells"
    try:
        read = nbformat.reads(text, nbformat.NO_CONVERT)
        nbformat.validate(read)
    except Exception as error:  # nbformat's ValidationError, or a notebook it cannot even convert
        first = (str(error).splitlines() or [type(error).__name__])[0][:200]
        return f"its notebook {path} is malformed ({first})"
    if OUTPUTS_KEY in record.data and record.data[OUTPUTS_KEY] != outputs_digest(read):
        return f"the outputs in its notebook {path} are not those the build stored (cleared or edited since)"
    return None


def forget(cache: Any, record: Any) -> None:
    """Remove a cache record and its folder, whatever is left of them."""
    from jupyter_cache.cache.db import NbCacheRecord

    shutil.rmtree(record_folder(cache, record.hashkey), ignore_errors=True)
    NbCacheRecord.remove_records([record.pk], cache.db)


# -- finding, and keeping, a chapter's execution -------------------------------------------


def cached_record(
    cache: Any, notebook: Any, settings: ExecutionSettings, docname: str, say: Say
) -> tuple[Any | None, str]:
    """The record of ``notebook`` executed with its current dependencies (or None), and their fingerprint.

    jupyter-cache matches the notebook's code cells; the record must also carry the fingerprint of
    what the notebook depends on now (:func:`booktools.core.dependencies.fingerprint`, as `store`
    writes it). A record of the same code made with other dependencies can never be used again and
    is removed, as is one whose printed output was not joined as `booktools.core.streams` joins it;
    so is a record whose executed notebook is damaged, with a line from ``say`` that
    names the chapter.
    """
    current = fingerprint(notebook, settings.root, settings.packages, settings.lock_files)
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:
        return None, current
    problem = notebook_damage(cache, record, notebook)
    if problem is not None:
        forget(cache, record)
        say(f"the execution cache is damaged: the cached outputs of {docname}: {problem}. {docname} is executed again.")
        return None, current
    stale = record.data.get(FINGERPRINT_KEY) != current or record.data.get(STREAMS_KEY) != MERGED
    if stale or OUTPUTS_KEY not in record.data:  # stale, or stored unchecked
        forget(cache, record)
        return None, current
    return record, current


def executed_notebook(cache: Any, record: Any) -> Any:
    """The executed notebook that ``record`` points to: the chapter's code cells, with their outputs."""
    return cache.get_cache_bundle(record.pk).nb


def store(cache: Any, executed: Any, uri: str, fingerprint: str, seconds: float) -> None:
    """Cache an executed notebook under its code cells and its dependency ``fingerprint`` (see `cached_record`)."""
    import nbformat
    from jupyter_cache.base import CacheBundleIn

    stored, hashkey = cache.create_hashed_notebook(executed)  # what jupyter-cache writes, and where
    # the file's outputs as nbformat reads them back (it writes text as lists of lines)
    written = nbformat.reads(nbformat.writes(stored, nbformat.NO_CONVERT), nbformat.NO_CONVERT)
    # what a damaged execution left (a folder without its notebook) would stop jupyter-cache's store
    shutil.rmtree(record_folder(cache, hashkey), ignore_errors=True)
    data = {
        "execution_seconds": seconds,
        FINGERPRINT_KEY: fingerprint,
        STREAMS_KEY: MERGED,
        OUTPUTS_KEY: outputs_digest(written),
    }
    cache.cache_notebook_bundle(
        CacheBundleIn(executed, uri, data=data),
        check_validity=False,
        overwrite=True,
    )


def copy_into(folder: Path, target: Path) -> bool:
    """Start the execution cache ``target`` as a copy of the cache ``folder``, if ``target`` has none; whether it did.

    A copy serves another tree of the same book as safely as the original serves its own: an execution is
    found by its chapter's code cells and dependency fingerprint (`cached_record`), and neither names a path.
    The copy's executions of chapters whose code and dependencies are the same in both trees are used; the
    others are found stale, removed from the copy and executed again. The original is never written.
    """
    from jupyter_cache.cache.db import DB_NAME

    if (Path(target) / DB_NAME).is_file() or not (Path(folder) / DB_NAME).is_file():
        return False
    shutil.rmtree(target, ignore_errors=True)  # what is there is no cache: no database
    shutil.copytree(folder, target)
    return True
