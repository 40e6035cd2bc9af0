"""Execute each chapter again exactly when something it depends on has changed.

A Sphinx extension for Jupyter Book's ``execute_notebooks: cache`` mode. Stock jupyter-cache keys a
notebook on its code cells alone; here a chapter's cached outputs are also keyed on its *dependency
fingerprint* (:mod:`booktools.core.dependencies`): the source of every module of the local packages
(``lesson_code``) that its code imports, followed transitively, and the lock file. This module only
wires Sphinx's events to the execution core:

* ``builder-inited``: the cache is checked before it is trusted (:mod:`booktools.core.cache`): an
  unreadable ``global.db`` or a damaged line of ``executions.jsonl`` is removed, with a line in the
  log that names it, and the chapters concerned are executed again;
* ``env-get-outdated``: a chapter with no cached execution for its current fingerprint (another
  fingerprint, or a cached notebook that is missing, truncated, malformed, or whose outputs are not those
  stored) is read again, although its file is unchanged; the damaged record goes, with its folder;
* ``env-before-read-docs``: the chapters to be read whose outputs are not cached are executed side by
  side (:mod:`booktools.core.execute`; one kernel per worker, ``booktools_workers``, by default
  ``BOOK_WORKERS`` or the number of cores), longest first, and cached with their fingerprint; myst-nb
  then finds them in the cache and executes nothing. A chapter that fails here (a cell raises, runs
  past the timeout, or kills its kernel) is reported once, at the chapter's file and the failing cell's
  line, and excluded from myst-nb's execution: it is never executed a second time in the same build.
  A chapter whose front matter would lengthen or remove the timeout of ``_config.yml`` is refused with
  a warning at its file, and not executed.

* ``build-finished``: the execution report, ``reports/execution.html`` in the site
  (:mod:`booktools.core.execution_report`): each chapter's execution time, whether it came from the
  cache, and why it was executed.

One build at a time holds the build folder (see `booktools.core.build_lock`).
Every execution is logged to ``executions.jsonl`` in the cache folder, with what changed since the last.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import glob
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from booktools.core import build_lock, cache, dependencies, execute, execution_report, toc
from booktools.core.settings import DEFAULT_LOCK_FILES, DEFAULT_PACKAGES, ExecutionSettings

logger = logging.getLogger(__name__)


def _enabled(app: Sphinx) -> bool:
    return app.env.mystnb_config.execution_mode == "cache"


def _say(message: str) -> None:
    """A line of the build's log, in colour, for a fault the build repairs by itself.

    Not a Sphinx warning: the chapters concerned are executed afresh, so the pages are right
    and a strict build has no reason to fail; the line says what was damaged.
    """
    logger.info(f"[booktools] {message}", color="darkred")


def _read(env: BuildEnvironment, docname: str) -> Any | None:
    """The notebook myst-nb would build from ``docname``, or ``None`` for a page with no code."""
    return execute.read(Path(env.doc2path(docname)), env.myst_config, env.mystnb_config)


def repair_cache(app: Sphinx) -> None:
    """builder-inited: check the cache's database and log before anything reads them; repair what is damaged."""
    if _enabled(app):
        cache.repair(Path(app.env.mystnb_config.execution_cache_path), _say)


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
    settings = ExecutionSettings.from_sphinx(app)
    store = cache.open_cache(settings.cache_path)
    outdated = []
    for docname in sorted(env.found_docs - added - changed - removed):
        notebook = _read(env, docname)
        if notebook is not None and cache.cached_record(store, notebook, settings, docname, _say)[0] is None:
            outdated.append(docname)
    if outdated:
        logger.info(f"[booktools] outputs not cached, or dependencies changed; reading again: {', '.join(outdated)}")
    return outdated


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
    settings = ExecutionSettings.from_sphinx(app)
    store = cache.open_cache(settings.cache_path)
    nb_config = env.mystnb_config
    todo, stopped = [], []
    for docname in docnames:
        notebook = _read(env, docname)
        if notebook is None:
            continue
        record, current = cache.cached_record(store, notebook, settings, docname, _say)
        timeout, refused = execute.chapter_timeout(notebook, nb_config.execution_timeout)
        if refused:
            if record is not None:
                cache.forget(store, record)  # read, and refused, again at every build until the setting goes
            line = execute.front_matter_line(Path(env.doc2path(docname)), "timeout")
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
        if record is None:
            todo.append((docname, notebook, current, timeout))
    if todo:
        last = cache.last_executions(settings.cache_path)
        why = {}  # what each chapter's log line keeps, for the next execution to say what changed
        for docname, notebook, *_ in todo:
            code = dependencies.code_digest(notebook)
            parts = dependencies.components(notebook, settings.root, settings.packages, settings.lock_files)
            why[docname] = {
                "code": code,
                "dependencies": parts,
                "reason": cache.why_executed(last.get(docname), code, parts),
            }
        previous = cache.previous_seconds(settings.cache_path)
        todo.sort(key=lambda item: -previous.get(item[0], float("inf")))  # unknown and slow ones first
        workers = min(_workers(app), len(todo))
        logger.info(
            f"[booktools] executing {len(todo)} chapter(s) on {workers} worker(s): "
            + ", ".join(docname for docname, *_ in todo)
        )

        def run(item: tuple[str, Any, str, int | None]) -> tuple[str, Any, str, int | None, execute.Execution]:
            docname, notebook, current, timeout = item
            allow_errors = execute.allows_errors(notebook, nb_config.execution_allow_errors)
            cwd = Path(env.doc2path(docname)).parent
            return docname, notebook, current, timeout, execute.execute_notebook(notebook, cwd, timeout, allow_errors)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in as_completed([pool.submit(run, item) for item in todo]):
                docname, notebook, current, timeout, execution = future.result()
                ok = execution.error is None
                cache.log_execution(settings.cache_path, docname, execution.seconds, ok, **why[docname])
                if not ok:
                    line, message = execute.failure_message(
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
                cache.store(store, execution.notebook, str(env.doc2path(docname)), current, execution.seconds)
                logger.info(f"[booktools] executed {docname} in {execution.seconds:.1f} s")
    _exclude(env, stopped)


def remember_start(app: Sphinx) -> None:
    """builder-inited: the time the build started, after which an execution is this build's (see `write_report`)."""
    app.booktools_started = time.time()


def write_report(app: Sphinx, exception: Exception | None) -> None:
    """build-finished: write the execution report (`booktools.core.execution_report`) into the site.

    Also after a build whose chapters failed (their warnings fail it), not after one that crashed.
    """
    if exception is not None or not _enabled(app) or app.builder.format != "html":
        return
    env = app.env
    ordered = toc.docnames(Path(app.confdir)) if (Path(app.confdir) / "_toc.yml").is_file() else []
    docnames = [d for d in ordered if d in env.found_docs] + sorted(env.found_docs - set(ordered))
    chapters = [docname for docname in docnames if _read(env, docname) is not None]
    settings = ExecutionSettings.from_sphinx(app)
    rows = execution_report.rows(chapters, cache.last_executions(settings.cache_path), app.booktools_started)
    path = execution_report.write(Path(app.outdir), rows, time.time())
    logger.info(f"[booktools] the execution report: {path}")


def hold_build_folder(app: Sphinx) -> None:
    """Hold the build folder (the parent of the output folder) until the build finishes."""
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
    execute.use_kernel_environment()  # inherited by every kernel this build starts
    app.setup_extension("myst_nb")
    app.add_config_value("booktools_packages", list(DEFAULT_PACKAGES), "env")
    app.add_config_value("booktools_lock_files", list(DEFAULT_LOCK_FILES), "env")
    app.add_config_value("booktools_workers", 0, "")
    app.connect("builder-inited", remember_start)
    app.connect("builder-inited", repair_cache, priority=900)  # after myst-nb has set the cache's path
    app.connect("env-get-outdated", outdated_by_dependencies)
    app.connect("env-before-read-docs", execute_stale)
    app.connect("build-finished", write_report)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
