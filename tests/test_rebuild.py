"""Rebuilds are never stale and execute only what changed (counts, not times: times are for `make bench`).

Each test edits a temporary copy of the book that starts from the session's clean build.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from booktools.core import search_index, toc, workspace

pytestmark = [pytest.mark.build, pytest.mark.slow]


def chapters_with_code(root: Path, importing: str = "") -> set[str]:
    """Chapters with code cells (that mention ``importing`` in their source, if given)."""
    found = set()
    for docname in toc.docnames(root):
        text = toc.source_file(root, docname).read_text(encoding="utf-8")
        if "```{code-cell}" in text and importing in text:
            found.add(docname)
    return found


@pytest.fixture(scope="module")
def copy(site, root, tmp_path_factory) -> Path:
    target = workspace.copy_book(root, tmp_path_factory.mktemp("rebuild") / "book", with_build=True)
    first = workspace.build(target)
    assert first.returncode == 0, first.output[-4000:]
    assert first.executed == [] and first.stock_executed == 0, "the copied cache should serve every chapter"
    return target


def test_no_change_executes_nothing(copy):
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    assert result.executed == [] and result.stock_executed == 0


def test_prose_only_edit_executes_nothing_and_shows_the_new_prose(copy):
    chapter = copy / "book" / "mse.md"
    workspace.append_to_first_paragraph(chapter, "This sentence was added by the rebuild test.")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    assert result.executed == [] and result.stock_executed == 0
    assert "added by the rebuild test" in (copy / "_build" / "html" / "book" / "mse.html").read_text(encoding="utf-8")


def test_code_edit_executes_that_chapter_alone(copy):
    workspace.edit_first_code_cell(copy / "book" / "regression.md", "n_checked = len(y)  # added by the rebuild test")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    assert result.executed == ["book/regression"]
    assert result.stock_executed == 0


IMPORTS_PROBE = """
import ast, json, sys
from booktools.core.toc import docnames, source_file
from pathlib import Path
root = Path(sys.argv[1])
loaded = {}
for docname in docnames(root):
    text = source_file(root, docname).read_text(encoding="utf-8")
    cells = [part.split("```", 1)[0] for part in text.split("```{code-cell} ipython3")[1:]]
    code = "\\n".join(line for cell in cells for line in cell.splitlines() if not line.startswith((":", "%", "!")))
    for name in [m for m in sys.modules if m.startswith("lesson_code")]:
        del sys.modules[name]
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], []), docname, "exec"), {})
    loaded[docname] = sorted(m for m in sys.modules if m.startswith("lesson_code"))
print(json.dumps(loaded))
"""


def modules_loaded_by_imports(root: Path) -> dict[str, list[str]]:
    """Run each chapter's import statements in a fresh interpreter: the lesson_code modules they load."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_PROBE, str(root)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def site_videos(root: Path) -> set[str]:
    """The videos of the built site, each by the hash of its embedded file."""
    found = set()
    for page in (root / "_build" / "html" / "book").glob("*.html"):
        for source in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select("video source"):
            found.add(hashlib.sha256(source["src"].encode()).hexdigest())
    return found


def test_lesson_code_edit_executes_its_dependants_alone_and_changes_the_site(copy):
    """An edit to the video encoder's settings: the chapters whose imports load animation.py run again, no
    other chapter does, and every video of the site changes (none is left stale)."""
    must_run = {d for d, modules in modules_loaded_by_imports(copy).items() if "lesson_code.animation" in modules}
    videos_before = site_videos(copy)
    animation = copy / "lesson_code" / "animation.py"
    text = animation.read_text(encoding="utf-8")
    edited = re.sub(r'"-crf",(\s*)"32"', r'"-crf",\1"33"', text)
    assert edited != text, "the encoder's -crf setting is not 32 any more: update this test's edit"
    animation.write_text(edited, encoding="utf-8")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    with_video = {
        d for d in chapters_with_code(copy) if "video_html" in toc.source_file(copy, d).read_text(encoding="utf-8")
    }
    assert must_run and must_run <= set(result.executed), f"not executed again: {must_run - set(result.executed)}"
    assert with_video and sorted(result.executed) == sorted(with_video)
    assert set(chapters_with_code(copy)) - with_video, "every chapter has a video: this test shows nothing"
    assert result.stock_executed == 0
    videos_after = site_videos(copy)
    assert len(videos_after) == len(videos_before) > 0 and not videos_after & videos_before, "a video is stale"


def test_search_keeps_every_page_s_index_entries_through_incremental_builds(site, root, tmp_path):
    """A changed setting re-reads every page; a later build that writes one page again must keep the
    other pages' index entries (the glossary's terms) in the search, as a clean build has them."""
    copy = workspace.copy_book(root, tmp_path / "book", with_build=True)
    config = copy / "_config.yml"
    text = config.read_text(encoding="utf-8")
    assert "    nitpicky: true\n" in text, "_config.yml changed: update where this test adds a setting"
    config.write_text(
        text.replace("    nitpicky: true\n", '    nitpicky: true\n    rst_epilog: ".. |x| replace:: x"\n')
    )
    for step in ("a changed setting", "a changed chapter"):
        if step == "a changed chapter":
            workspace.edit_first_code_cell(copy / "book" / "regression.md", "n_checked = 1  # added by the test")
        result = workspace.build(copy)
        assert result.returncode == 0, result.output[-4000:]
        entries = search_index.read_frozen(copy / "_build" / "html" / "searchindex.js")["indexentries"]
        expected = search_index.read_frozen(site / "searchindex.js")["indexentries"]
        assert expected and set(entries) == set(expected), f"after {step}, lost: {sorted(set(expected) - set(entries))}"


def test_lock_file_edit_executes_every_chapter_with_code(second_execution):
    copy, result = second_execution  # the session's build, with requirements.lock edited
    assert sorted(result.executed) == sorted(chapters_with_code(copy))
    assert result.stock_executed == 0


def test_each_chapter_s_fingerprint_covers_every_module_its_imports_load(root):
    """The static dependency analysis never misses a module that the chapter's imports really load."""
    from booktools.core.dependencies import code_of, imported_modules, module_closure

    class Notebook:  # the code cells, as booktools.core.execute reads them
        def __init__(self, text: str):
            sources = [part.split("```", 1)[0] for part in text.split("```{code-cell} ipython3")[1:]]
            lines = [[line for line in s.splitlines() if not line.startswith(":")] for s in sources]
            self.cells = [type("Cell", (), {"cell_type": "code", "source": "\n".join(ls)})() for ls in lines]

    for docname, loaded in modules_loaded_by_imports(root).items():
        notebook = Notebook(toc.source_file(root, docname).read_text(encoding="utf-8"))
        static = module_closure(imported_modules(code_of(notebook), ("lesson_code",)), root, ("lesson_code",))
        assert set(loaded) <= set(static), f"{docname}: the fingerprint misses {set(loaded) - set(static)}"
