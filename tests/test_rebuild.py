"""Rebuilds are never stale and execute only what changed (counts, not times: times are for `make bench`).

Each test edits a temporary copy of the book that starts from the session's clean build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools import toc, workspace

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


def test_animation_edit_executes_only_the_chapters_with_animations(copy):
    animation = copy / "lesson_code" / "animation.py"
    animation.write_text(animation.read_text(encoding="utf-8") + "\n# edited by the rebuild test\n", encoding="utf-8")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    with_video = {
        d for d in chapters_with_code(copy) if "video_html" in toc.source_file(copy, d).read_text(encoding="utf-8")
    }
    assert with_video and sorted(result.executed) == sorted(with_video)
    assert set(chapters_with_code(copy)) - with_video, "every chapter has a video: this test shows nothing"


def test_lesson_code_edit_executes_every_dependant_and_changes_the_site(copy):
    images_before = workspace.site_images(copy)
    plots = copy / "lesson_code" / "plots.py"
    text = plots.read_text(encoding="utf-8")
    assert 'DATA_COLOR = "#0072B2"' in text
    plots.write_text(text.replace('DATA_COLOR = "#0072B2"', 'DATA_COLOR = "#56B4E9"'), encoding="utf-8")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    # plots.py is used by the plotting functions and, through them, by the animations
    from lesson_code import _EXPORTS

    users = [name for name, module in _EXPORTS.items() if module in ("plots", "animation")] + ["lesson_code.plots"]
    expected = {d for d in chapters_with_code(copy, importing="lesson_code")
                if any(name in toc.source_file(copy, d).read_text(encoding="utf-8") for name in users)}
    assert expected and sorted(result.executed) == sorted(expected)
    assert result.stock_executed == 0
    images_after = workspace.site_images(copy)
    assert images_after - images_before, "no figure changed after lesson_code's colours changed: stale output"


def test_lock_file_edit_executes_every_chapter_with_code(copy):
    lock = copy / "requirements.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "# a changed environment\n", encoding="utf-8")
    result = workspace.build(copy)
    assert result.returncode == 0, result.output[-4000:]
    assert sorted(result.executed) == sorted(chapters_with_code(copy))
