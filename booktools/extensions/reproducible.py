"""Inside a build, catch a chapter whose outputs change from one execution to the next (unseeded randomness).

With the environment variable ``BOOK_CHECK_REPRODUCIBLE=1``, every chapter executed by a build is
executed once more and compared with the execution the build cached for it
(:mod:`booktools.core.reproducible`); a difference is a warning at the chapter's file and line,
so ``-W`` fails the build. The weekly CI build turns it on.
The same check from the command line: ``python -m booktools.commands.reproducible [book/sgd ...]``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from booktools.core import reproducible
from booktools.core.settings import ExecutionSettings

ENV_SWITCH = "BOOK_CHECK_REPRODUCIBLE"

logger = logging.getLogger(__name__)


def recheck(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """env-before-read-docs, after booktools.extensions.execution: execute each chapter again and compare."""
    if os.environ.get(ENV_SWITCH) != "1" or env.mystnb_config.execution_mode != "cache":
        return
    settings = ExecutionSettings.from_sphinx(app)
    excluded = env.mystnb_config.execution_excludepatterns  # with those booktools.extensions.execution stopped
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != ".md" or any(PurePosixPath(path.as_posix()).match(p) for p in excluded):
            continue
        try:
            previous = reproducible.cached(settings.root, path, settings, say=logger.info)
            problem = reproducible.check(path, previous, settings)
        except RuntimeError:
            continue  # a failing cell: myst-nb reports it against the file
        if problem is not None:
            logger.warning(problem[1], location=(docname, problem[0]), type="booktools", subtype="reproducible")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-before-read-docs", recheck, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
