"""A temporary copy of the book to build and edit, for the rebuild tests and the benchmark.

The copy's own ``lesson_code`` and ``booktools`` are put first on ``PYTHONPATH``, so an edit
made in the copy is what its build and its kernels import; the working tree is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from booktools.core import strict

IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "_build", "__pycache__", ".pytest_cache", ".ruff_cache", "*.egg-info", ".ipynb_checkpoints"
)


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    seconds: float
    executed: list[str]  # chapters executed by booktools.extensions.execution during this build
    stock_executed: int  # notebooks myst-nb executed itself during this build
    output: str


def copy_book(source: Path, target: Path, *, with_build: bool = False) -> Path:
    """Copy the book's sources (and, if asked, its ``_build`` with caches) to ``target``."""
    shutil.copytree(source, target, ignore=IGNORE)
    if with_build and (source / "_build").is_dir():
        shutil.copytree(
            source / "_build",
            target / "_build",
            ignore=shutil.ignore_patterns("bench*", "screenshots", "clean*", "lock-venv"),
        )
    return target


def _executions(build_dir: Path) -> list[dict]:
    log = build_dir / ".jupyter_cache" / "executions.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def build(root: Path, *, config: Path | None = None, workers: int | None = None, clean: bool = False) -> BuildResult:
    """Run a strict ``jupyter-book build`` of the book at ``root`` and say what it executed."""
    build_dir = root / "_build"
    if clean:
        shutil.rmtree(build_dir, ignore_errors=True)
    before = len(_executions(build_dir))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    if workers is not None:
        env["BOOK_WORKERS"] = str(workers)
    command = strict.command(root)
    if config is not None:
        command += ["--config", str(config)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    executed = [entry["docname"] for entry in _executions(build_dir)[before:]]
    stock = output.count("Executing notebook using")
    return BuildResult(done.returncode, seconds, executed, stock, output)


def stock_config(root: Path, mode: str) -> Path:
    """A copy of ``_config.yml`` without dependency-keyed execution: plain Jupyter Book ``mode``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = mode
    extensions = config["sphinx"]["extra_extensions"]
    config["sphinx"]["extra_extensions"] = [e for e in extensions if e != "booktools.extensions.execution"]
    path = root / f"_config.stock-{mode}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def append_to_first_paragraph(path: Path, sentence: str) -> None:
    """A prose-only edit: one sentence added after the chapter's first paragraph of text."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("## "))
    end = next(i for i in range(start + 2, len(lines)) if not lines[i].strip())
    lines.insert(end, sentence.rstrip() + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def edit_first_code_cell(path: Path, line: str) -> None:
    """A code edit: one line appended to the chapter's first code cell."""
    text = path.read_text(encoding="utf-8")
    start = text.index("```{code-cell}")
    end = text.index("\n```", start + 1)
    path.write_text(text[:end] + "\n" + line + text[end:], encoding="utf-8")


def site_images(root: Path) -> set[str]:
    """The image files of the built site; their names are hashes of their content."""
    images = root / "_build" / "html" / "_images"
    return {p.name for p in images.iterdir()} if images.is_dir() else set()
