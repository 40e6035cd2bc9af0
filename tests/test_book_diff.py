"""`make diff`: what a change does to the book.

The quick tests check each piece on data made here: pixels, an executed notebook's outputs, a page's text,
the comparison and the base's work tree. The slow ones build a small book in a git repository of its own
and compare two of its commits: a changed ``lesson_code`` default lists exactly the numbers, outputs and
figures that depend on it, and a changed sentence lists only that page's text.
"""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import minibook
import pytest
import torch
from PIL import Image, PngImagePlugin

from booktools.core import base_tree, book_diff, book_state, cache, diff_report, pixels, workspace
from booktools.core.book_comparison import compare_with

# -- pixels ------------------------------------------------------------------------------


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _picture() -> Image.Image:
    image = Image.new("RGBA", (40, 30), (255, 255, 255, 255))
    for i in range(30):
        image.putpixel((i, i), (0, 114, 178, 255))
    return image


def test_the_same_pixels_in_other_bytes_are_the_same_figure():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "another version of matplotlib")
    plain = _png(_picture(), compress_level=1)
    other = _png(_picture(), compress_level=9, pnginfo=info)
    assert plain != other
    assert pixels.same_pixels(plain, other)


def test_one_pixel_or_the_size_changes_the_figure():
    moved = _picture()
    moved.putpixel((39, 0), (213, 94, 0, 255))
    assert not pixels.same_pixels(_png(_picture()), _png(moved))
    assert pixels.changed_pixels(_png(_picture()), _png(moved)) == (1, 40 * 30)
    assert not pixels.same_pixels(_png(_picture()), _png(_picture().resize((40, 31))))
    assert pixels.changed_pixels(_png(_picture()), _png(_picture().resize((40, 31)))) is None


def test_the_changed_pixels_are_marked_in_red_and_nothing_else_is():
    moved = _picture()
    moved.putpixel((20, 10), (213, 94, 0, 255))
    with Image.open(io.BytesIO(pixels.where_changed(_png(_picture()), _png(moved)))) as marked:
        red = {(x, y) for x in range(40) for y in range(30) if marked.getpixel((x, y)) == (213, 0, 0)}
    assert (20, 10) in red and all(abs(x - 20) <= 3 and abs(y - 10) <= 3 for x, y in red)  # widened, not moved


def test_a_thumbnail_is_a_smaller_png_of_the_figure():
    uri = pixels.thumbnail(_png(_picture().resize((800, 600))), width=200)
    assert uri.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as small:
        assert small.size == (200, 150)


# -- reading a built page --------------------------------------------------------------


def test_a_page_gives_each_cell_printed_text_and_figures_and_its_glue_file_the_values(tmp_path: Path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "scatter.png").write_bytes(_png(_picture()))
    inline = base64.b64encode(_png(_picture().rotate(90, expand=True))).decode()
    html = f"""<html><body><article>
    <div class="cell"><div class="cell_input"><pre>import torch
x = torch.ones(3)</pre></div></div>
    <div class="cell"><div class="cell_input"><pre># the loss
loss = f()
print(loss)</pre></div>
    <div class="cell_output">
      <div class="output stream"><pre>  z    p
 2.0  0.88
</pre></div>
      <div class="output text_plain"><pre>(2, 3)</pre></div>
      <figure><img src="../_images/scatter.png" alt="a"></figure>
      <div class="output text_html"><video src="data:video/mp4;base64,AAAA">The path descends.</video></div>
      <img src="data:image/png;base64,{inline}" alt="b">
    </div></div>
    </article></body></html>"""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "mse.html").write_text(html, encoding="utf-8")
    state = book_state.BookState(pages=["book/mse"])
    book_state.read_outputs(state, "book/mse", tmp_path / "book" / "mse.html")
    book_state.read_glue(
        state, "book/mse", {"mse-loss": {"data": {"text/plain": "0.25"}, "output_type": "display_data"}}
    )

    assert list(state.printed) == [("book/mse", 2)]
    where, printed = state.printed[("book/mse", 2)]
    assert (where.number, where.first_line) == (2, "loss = f()")
    lines = printed.splitlines()
    assert lines[:3] == ["  z    p", " 2.0  0.88", "(2, 3)"]  # as printed, leading spaces kept
    assert lines[3].startswith("[an HTML output: The path descends. (content ")
    assert state.glued == {"mse-loss": ("book/mse", "0.25")}
    assert [state.figures[("book/mse", 2, n)][1] for n in (1, 2)] == [
        _png(_picture()),
        _png(_picture().rotate(90, expand=True)),
    ]


def test_a_page_text_leaves_out_outputs_and_glued_values():
    html = """<html><body><nav>Contents</nav><article>
    <h1>Loss<a class="headerlink" href="#">#</a></h1>
    <p>The loss is <span class="pasted-text">0.25</span> here.
    It falls.</p>
    <div class="cell_input"><pre>print(loss)</pre></div>
    <div class="cell_output"><pre>0.25</pre></div>
    </article></body></html>"""
    assert book_state.article_lines(html) == ["Loss", "The loss is here.", "It falls.", "print(loss)"]


def test_a_glue_role_splits_into_key_and_format_as_myst_nb_splits_it():
    assert book_state.role_key("mse-loss:.2f") == ("mse-loss", ".2f")
    assert book_state.role_key("mse-loss") == ("mse-loss", "")
    assert book_state.role_key("book/mse::mse-loss:.1%") == ("mse-loss", ".1%")


# -- the comparison ----------------------------------------------------------------------


def test_a_changed_value_is_shown_in_its_sentence_as_the_page_formats_it():
    old = book_state.BookState(pages=["book/a", "book/b"])
    new = book_state.BookState(pages=["book/a", "book/b"])
    line = "The loss falls from {glue:text}`a-start:.2f` to {glue:text}`a-end:.3f`."
    for state, start, end in ((old, "2.0001", "0.123456"), (new, "2.0002", "0.5")):
        state.glued = {"a-start": ("book/a", start), "a-end": ("book/a", end), "a-n": ("book/a", "100")}
        state.sentences = {"a-start": [("book/b", line)], "a-end": [("book/b", line)]}
    changes = book_diff.compare(old, new)
    assert [(c.key, c.page, c.old, c.new, c.visible) for c in changes.glued] == [
        ("a-end", "book/a", "0.123456", "0.5", True),
        ("a-start", "book/a", "2.0001", "2.0002", False),  # 2.00 either way on the page
    ]
    assert changes.glued[0].sentences == [("book/b", "The loss falls from 2.00 to **0.123 → 0.500**.")]
    assert changes.glued[1].sentences == [("book/b", "The loss falls from **2.00 → 2.00** to 0.500.")]
    assert not (changes.printed or changes.figures or changes.pages)
    summary = diff_report.markdown(changes, diff_report.Sides("base", "head", [], []))
    assert "2 glued values (1 shown differently on the pages)" in summary
    assert (
        summary.index("show differently (1)") < summary.index("0.123456") < summary.index("look the same on the pages")
    )


def test_pages_list_the_lines_that_went_and_came():
    old = book_state.BookState(pages=["book/a"], prose={"book/a": ["Title", "One.", "Two.", "Three."]})
    new = book_state.BookState(pages=["book/a"], prose={"book/a": ["Title", "One.", "Two, said again.", "Three."]})
    (change,) = book_diff.compare(old, new).pages
    assert (change.page, change.removed, change.added) == ("book/a", ["Two."], ["Two, said again."])


def test_a_tree_without_an_execution_cache_starts_from_a_copy_and_one_with_a_cache_keeps_its_own(tmp_path: Path):
    source, target, other = tmp_path / "source", tmp_path / "target", tmp_path / "other"
    (source / "executed" / "abc").mkdir(parents=True)
    (source / "global.db").write_bytes(b"records")
    (source / "executed" / "abc" / "base.ipynb").write_text("{}", encoding="utf-8")
    assert cache.copy_into(source, target)
    assert (target / "executed" / "abc" / "base.ipynb").read_text(encoding="utf-8") == "{}"
    (target / "global.db").write_bytes(b"its own records")
    assert not cache.copy_into(source, target)
    assert (target / "global.db").read_bytes() == b"its own records"
    assert not cache.copy_into(other, tmp_path / "new") and not (tmp_path / "new").exists()  # nothing to copy


# -- the base's work tree ----------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


def git(root: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True
    )
    return done.stdout.strip()


def _commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def test_the_base_work_tree_is_made_moved_and_cleaned_but_keeps_its_build(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "page.md").write_text("first\n", encoding="utf-8")
    first = _commit(repo, "first")
    (repo / "page.md").write_text("second\n", encoding="utf-8")
    second = _commit(repo, "second")
    base = repo / "_build" / "diff" / "base"

    assert base_tree.check_out(repo, "HEAD~1", base) == first
    assert (base / "page.md").read_text(encoding="utf-8") == "first\n"
    (base / "_build").mkdir()
    (base / "_build" / "kept").write_text("cache", encoding="utf-8")
    (base / "stray.md").write_text("not in git", encoding="utf-8")

    assert base_tree.check_out(repo, "main", base) == second
    assert (base / "page.md").read_text(encoding="utf-8") == "second\n"
    assert not (base / "stray.md").exists()
    assert (base / "_build" / "kept").read_text(encoding="utf-8") == "cache"
    assert (repo / "page.md").read_text(encoding="utf-8") == "second\n"  # the checkout is untouched
    with pytest.raises(base_tree.BaseNotFound, match="no-such-branch"):
        base_tree.check_out(repo, "no-such-branch", base)


# -- two commits of a small book, built and compared -------------------------------------

SENTENCE = "A sentence added to the idea, and nothing else."


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[book_diff.BookChanges, str, str]:
    """A small book in a git repository, and what its second commit changes: one comparison, two builds.

    Alpha draws its data with make_line's default seed; Beta gives the seed itself. The change makes the
    default seed 1 instead of 0, and adds a sentence to Beta: Beta is executed again (it imports make_line),
    and only its text may change; only what Alpha computes from the data may change on Alpha.
    """
    repo = tmp_path_factory.mktemp("diff") / "book"
    chapters = minibook.make(repo, ["Alpha", "Beta"])
    minibook.replace(chapters["Alpha"], "make_line(n=100, a=(3.0, 2.0), seed=0)", "make_line(n=100, a=(3.0, 2.0))")
    for name, printed in (("Alpha", 'f"mean of y: {float(y.mean()):.4f}"'), ("Beta", 'f"points: {len(y)}"')):
        key = name.lower()
        minibook.replace(
            chapters[name],
            f'glue("{key}-loss", float(loss), display=False)',
            f'glue("{key}-loss", float(loss), display=False)\nglue("{key}-n", len(y), display=False)\nprint({printed})',
        )
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, "the base")
    minibook.replace(repo / "lesson_code/data.py", "seed: int = 0,", "seed: int = 1,")
    workspace.append_to_first_paragraph(chapters["Beta"], SENTENCE)
    _commit(repo, "the change")
    comparison = compare_with(repo, "HEAD~1", repo / "_build" / "diff", say=lambda line: None)
    return (
        comparison.changes,
        comparison.summary.read_text(encoding="utf-8"),
        comparison.report.read_text(encoding="utf-8"),
    )


def _line(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The small book's data with the seed given, not left to the default."""
    from lesson_code import make_line

    return make_line(n=100, a=(3.0, 2.0), seed=seed)


@pytest.mark.slow
def test_a_changed_default_lists_exactly_what_depends_on_it(compared):
    changes, summary, report = compared
    (_, y_old), (_, y_new) = _line(0), _line(1)
    loss_old, loss_new = float((y_old**2).mean()), float((y_new**2).mean())  # the line y = 0: the mean of y²

    assert [(c.key, c.page) for c in changes.glued] == [("alpha-loss", "book/alpha")]  # not alpha-n, not beta-*
    (glued,) = changes.glued
    assert glued.visible  # at the page's two decimals
    assert float(glued.old) == pytest.approx(loss_old, rel=1e-6)
    assert float(glued.new) == pytest.approx(loss_new, rel=1e-6)
    assert len(glued.sentences) == 1 and f"**{loss_old:.2f} → {loss_new:.2f}**" in glued.sentences[0][1]
    assert [(c.cell.page, c.old, c.new) for c in changes.printed] == [
        ("book/alpha", f"mean of y: {float(y_old.mean()):.4f}\n", f"mean of y: {float(y_new.mean()):.4f}\n")
    ]
    assert [(c.cell.page, c.number) for c in changes.figures] == [("book/alpha", 1)]  # the scatter of the data
    assert "book/alpha" not in [c.page for c in changes.pages]  # its numbers moved, its sentences did not
    assert "book/beta" in summary.split("Executed for this build:")[1]  # Beta ran again, and showed the same
    assert report.count('<img src="data:image/png;base64,') == 2  # the figure, before and after


@pytest.mark.slow
def test_a_prose_change_lists_only_that_page_text(compared):
    changes, summary, _ = compared
    assert [(c.page, c.removed, c.added) for c in changes.pages] == [("book/beta", [], [SENTENCE])]
    beta = [c for c in changes.glued if c.page == "book/beta"]
    beta += [c for c in [*changes.printed, *changes.figures] if c.cell.page == "book/beta"]
    assert beta == []
    assert SENTENCE in summary
