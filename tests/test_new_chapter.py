"""booktools.commands.new_chapter: a new chapter from the template, listed in the toc before the glossary.

That the new chapter builds strictly is checked in test_mistakes.py (it is the chapter of the small book);
that hostile titles show as typed on the built page is checked here, on a small book.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import minibook
import pytest
from bs4 import BeautifulSoup
from checkout import ROOT

from booktools.commands.new_chapter import MAX_SLUG, ChapterError, add_to_toc, new_chapter, slugify
from booktools.core import chapter_rules, toc

BIN = Path(sys.executable).parent
# Titles that a shell or make would read as code, or MyST as markup, if they were pasted into either.
HOSTILE = [
    "Shuffling with `randperm`",
    "Why $\\eta$ matters",
    'The "true" line and the reader\'s line',
    "Costs $(whoami) and `date` and $HOME and $$ and ${PATH}",
    "$(shell touch MAKE_RAN_ME) and `touch SHELL_RAN_ME`",
    "-n is a title, --help too",
    "*Not bold*, _not italic_, <b>not html</b>, [not](a-link), {ref}`not-a-role`, 1 < 2 & 3 > 2 # end #",
    "A back\\slash\\",
]


def heading_of(path: Path) -> str:
    """The chapter's title as MyST reads its heading: the text after ``# ``, backslash escapes removed."""
    (line,) = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")]
    return re.sub(r"\\(.)", r"\1", line[2:])


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "book").mkdir()
    for name in ("intro", "regression", "glossary"):
        (tmp_path / "book" / f"{name}.md").write_text(f"({'ch-' + name})=\n# {name}\n", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/regression\n  - file: book/glossary\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Momentum", "momentum"),
        ("Mini-batch SGD!", "mini-batch-sgd"),
        ("  Learning rates: too big, too small  ", "learning-rates-too-big-too-small"),
    ],
)
def test_slugs(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Éléments", "elements"),
        ("Ça, c'est la descente de gradient à pas fixe", "ca-c-est-la-descente-de-gradient-a-pas-fixe"),
        ("Straße, Œuvre, Ærø, Łódź", "strasse-oeuvre-aero-lodz"),
        ("ﬁne ligatures and ① circled", "fine-ligatures-and-1-circled"),  # NFKD splits compatibility forms
        ("SGD по-русски", "sgd"),  # the Latin letters are kept, the others dropped
        ("Shuffling with `randperm`", "shuffling-with-randperm"),
        ("Why $\\eta$ matters", "why-eta-matters"),
        ("-n is a title, --help too", "n-is-a-title-help-too"),
    ],
)
def test_accents_and_symbols_in_the_file_name(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize("title", ["Градиентный спуск", "勾配降下法", "η", "?!", "🙂 😀"])
def test_a_title_without_latin_letters_gets_a_name_from_its_hash(title: str) -> None:
    expected = "chapter-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    assert slugify(title) == expected
    assert slugify(title + " ") == expected  # surrounding spaces are not part of the title


def test_two_non_latin_titles_get_two_names() -> None:
    assert slugify("Градиентный спуск") != slugify("Стохастический градиентный спуск")


def test_a_long_title_gets_a_short_file_name_cut_between_words() -> None:
    title = "A very long title about learning rates that are too big, too small, or just right for SGD"
    slug = slugify(title)
    assert len(slug) <= MAX_SLUG
    assert slug == "a-very-long-title-about-learning-rates-that-are-too-big-too"
    one_word = "x" * 300
    assert slugify(one_word) == "x" * MAX_SLUG


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Line one\nLine two", "'\\n' (U+000A) at position 8"),
        ("a\tb", "'\\t' (U+0009) at position 1"),
        ("a\rb", "'\\r' (U+000D)"),
        ("a\x00b", "'\\x00' (U+0000)"),
        ("bell\x07", "'\\x07' (U+0007)"),
        ("\x1b[31mred", "'\\x1b' (U+001B)"),
        ("del\x7f", "'\\x7f' (U+007F)"),
        ("next\x85line", "'\\x85' (U+0085)"),
    ],
)
def test_control_characters_are_refused(book: Path, title: str, shown: str) -> None:
    with pytest.raises(ChapterError, match=re.escape(shown)) as error:
        new_chapter(book, title)
    assert "control character" in str(error.value) and "one line of printable text" in str(error.value)
    assert toc.docnames(book) == ["book/intro", "book/regression", "book/glossary"]


@pytest.mark.parametrize(
    ("title", "kind"),
    [("a\u2028b", "a line break"), ("a\u2029b", "a line break"), ("bad \udcff byte", "not UTF-8")],
)
def test_line_separators_and_undecodable_bytes_are_refused(title: str, kind: str) -> None:
    with pytest.raises(ChapterError, match=kind):
        slugify(title)


@pytest.mark.parametrize(
    "title",
    [
        "\u200b",  # zero-width space
        "\u200b\u200c\u200d",  # and the zero-width non-joiner and joiner
        " \u2060\ufeff ",  # word joiner, byte-order mark, between spaces
        "\u00ad",  # soft hyphen
        "\u3164\u3164",  # Hangul filler: a letter that draws nothing
        "\u0301",  # a combining accent on nothing
    ],
)
def test_a_title_that_shows_nothing_is_refused(book: Path, title: str) -> None:
    with pytest.raises(ChapterError, match="made only of characters that show nothing") as error:
        new_chapter(book, title)
    assert f"U+{ord(title.strip()[0]):04X}" in str(error.value)
    assert toc.docnames(book) == ["book/intro", "book/regression", "book/glossary"]


@pytest.mark.parametrize("control", [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
def test_a_title_with_a_bidirectional_control_is_refused(book: Path, control: int) -> None:
    title = f"Gradient {chr(control)}tnecsed"  # shown reversed after an override: "Gradient descent"
    with pytest.raises(ChapterError, match=rf"bidirectional control, U\+{control:04X} at position 9") as error:
        new_chapter(book, title)
    assert "another order than they are typed" in str(error.value)
    assert not (book / "book" / "gradient-tnecsed.md").exists()


@pytest.mark.parametrize(
    "title", ["Zero\u200bwidth inside", "\u05e9\u05dc\u05d5\u05dd and SGD", "e\u0301le\u0301ments"]
)
def test_visible_titles_with_format_characters_or_right_to_left_text_are_kept(book: Path, title: str) -> None:
    assert heading_of(new_chapter(book, title)) == title


@pytest.mark.parametrize("title", ["", "   "])
def test_an_empty_title_is_refused(title: str) -> None:
    with pytest.raises(ChapterError, match="the title is empty"):
        slugify(title)


@pytest.mark.parametrize("title", HOSTILE)
def test_the_heading_is_the_title_as_typed(book: Path, title: str) -> None:
    path = new_chapter(book, title)
    text = path.read_text(encoding="utf-8")
    assert heading_of(path) == title
    assert text.count("```{code-cell}") == 2  # the template's cells, no more
    assert chapter_rules.lint_page(path) == []


def test_a_title_that_reads_as_html_is_text_in_the_notebook_s_markdown(book: Path) -> None:
    """A notebook's markdown is rendered by Jupyter or Colab, CommonMark renderers: the heading must stay text there."""
    from markdown_it import MarkdownIt

    title = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    (line,) = [
        line for line in new_chapter(book, title).read_text(encoding="utf-8").splitlines() if line.startswith("# ")
    ]
    assert (
        MarkdownIt("commonmark").render(line)
        == "<h1>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</h1>\n"
    )


def test_a_title_that_contains_a_placeholder_is_not_filled_in(book: Path) -> None:
    path = new_chapter(book, "About __SLUG__ and __TITLE__")
    assert heading_of(path) == "About __SLUG__ and __TITLE__"


def test_the_chapter_goes_before_the_glossary(book: Path) -> None:
    path = new_chapter(book, "Mini-batch SGD")
    assert path == book / "book" / "mini-batch-sgd.md"
    assert toc.docnames(book) == ["book/intro", "book/regression", "book/mini-batch-sgd", "book/glossary"]
    text = path.read_text(encoding="utf-8")
    assert "(ch-mini-batch-sgd)=\n# Mini-batch SGD\n" in text
    assert 'glue("mini-batch-sgd-loss"' in text and "{glue:text}`mini-batch-sgd-loss:.2f`" in text
    assert "seed=0" in text and "from lesson_code import" in text
    assert "__" not in text  # every placeholder filled
    assert chapter_rules.lint_page(path) == []


def test_a_toc_without_glossary_gets_the_chapter_at_the_end() -> None:
    assert add_to_toc("root: book/intro\nchapters:\n    - file: book/a\n", "book/b").endswith(
        "    - file: book/a\n    - file: book/b\n"
    )


def test_an_existing_slug_is_refused(book: Path) -> None:
    before = (book / "_toc.yml").read_text(encoding="utf-8")
    with pytest.raises(ChapterError, match=r"book/regression.md already exists"):
        new_chapter(book, "Regression")
    (book / "book" / "other.md").write_text("(ch-momentum)=\n# Momentum, by another name\n", encoding="utf-8")
    with pytest.raises(ChapterError, match=r"\(ch-momentum\)= is already used in book/other.md"):
        new_chapter(book, "Momentum")
    assert (book / "_toc.yml").read_text(encoding="utf-8") == before
    assert not (book / "book" / "momentum.md").exists()


def test_the_command_line(book: Path) -> None:
    run = [sys.executable, "-m", "booktools.commands.new_chapter", "--root", str(book)]
    created = subprocess.run([*run, "Momentum"], capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stderr
    assert "book/momentum.md" in created.stdout
    again = subprocess.run([*run, "Momentum"], capture_output=True, text=True, check=False)
    assert again.returncode == 1
    assert "book/momentum.md already exists" in again.stderr
    dash = subprocess.run([*run, "--", "-n is a title"], capture_output=True, text=True, check=False)
    assert dash.returncode == 0, dash.stderr
    assert heading_of(book / "book" / "n-is-a-title.md") == "-n is a title"
    env = {**os.environ, "CHAPTER_TITLE": "--root is a title too"}
    from_env = subprocess.run(
        [*run, "--title-from-env", "CHAPTER_TITLE"], capture_output=True, text=True, check=False, env=env
    )
    assert from_env.returncode == 0, from_env.stderr
    assert heading_of(book / "book" / "root-is-a-title-too.md") == "--root is a title too"
    both = subprocess.run(
        [*run, "--title-from-env", "CHAPTER_TITLE", "Two"], capture_output=True, text=True, check=False, env=env
    )
    assert both.returncode == 2 and "not both" in both.stderr


# -- through `make new-chapter`: the title must reach Python as typed, read by neither make nor the shell --


def make_new_chapter(book: Path, *args: str) -> subprocess.CompletedProcess:
    """``make new-chapter`` in ``book`` with the repository's Makefile and this Python (the venv is taken as made)."""
    shutil.copy(ROOT / "Makefile", book / "Makefile")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TITLE", None)
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-o", ".venv/.installed-stamp", "new-chapter", f"BIN={BIN}", *args],
        cwd=book,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("title", [*HOSTILE, "Éléments", "Градиентный спуск"])
def test_make_new_chapter_passes_the_title_untouched(book: Path, title: str) -> None:
    result = make_new_chapter(book, f"TITLE={title}")
    assert result.returncode == 0, result.stdout + result.stderr
    (created,) = [name for name in toc.docnames(book) if name not in {"book/intro", "book/regression", "book/glossary"}]
    assert created == f"book/{slugify(title)}"
    assert heading_of(book / f"{created}.md") == title
    assert not list(book.rglob("*RAN_ME")), "make or the shell ran code from the title"


def test_make_new_chapter_reads_the_title_from_the_environment_too(book: Path) -> None:
    shutil.copy(ROOT / "Makefile", book / "Makefile")
    title = "$(shell touch MAKE_RAN_ME) `touch SHELL_RAN_ME`"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TITLE": title}
    result = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed-stamp", "new-chapter", f"BIN={BIN}"],
        cwd=book,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert heading_of(book / "book" / f"{slugify(title)}.md") == title
    assert not list(book.rglob("*RAN_ME"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["TITLE=Line one\n```{code-cell} ipython3\nimport os"], "holds a control character, '\\n' (U+000A)"),
        (["TITLE=tab\there"], "holds a control character, '\\t' (U+0009)"),
        (["TITLE="], "the title is empty"),
        ([], "the title is empty"),
    ],
)
def test_make_new_chapter_refuses_bad_titles_clearly(book: Path, args: list[str], message: str) -> None:
    before = (book / "_toc.yml").read_text(encoding="utf-8")
    result = make_new_chapter(book, *args)
    assert result.returncode != 0
    assert result.stderr.startswith("new-chapter: the title ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert (book / "_toc.yml").read_text(encoding="utf-8") == before
    assert sorted(path.name for path in (book / "book").iterdir()) == ["glossary.md", "intro.md", "regression.md"]


# -- on the built page ------------------------------------------------------------------------------


@pytest.mark.slow
def test_hostile_titles_show_as_typed_on_the_built_page(tmp_path: Path) -> None:
    """The heading, the page title and the theme's print header show the title, not markup made from it.

    Straight quotes are shown typographic, as CONTRIBUTING.md says: Sphinx's smart quotes make them
    curly (and `--` an en dash, `...` an ellipsis) in headings as in all the book's prose.
    """
    titles = [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3], HOSTILE[6], HOSTILE[7], "Éléments", "Градиентный спуск"]
    shown = {HOSTILE[2]: "The \u201ctrue\u201d line and the reader\u2019s line"}  # the file keeps them as typed
    path = tmp_path / "book"
    chapters = minibook.make(path, titles)
    result = minibook.build(path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for typed, source in chapters.items():
        assert heading_of(source) == typed
        title = shown.get(typed, typed)
        page = path / "_build" / "html" / "book" / f"{source.stem}.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        (heading,) = soup.select("section > h1")
        link = heading.find("a", class_="headerlink")
        assert link is not None and link.get_text() == "#"
        link.extract()
        assert heading.get_text() == title, f"{source.name}: the heading shows {heading.get_text()!r}"
        assert [child.name for child in heading.children if child.name] == []  # no code, math, emphasis, link
        assert soup.title.get_text().startswith(f"{title} \u2014 ")
        assert soup.select_one("#jb-print-docs-body > h1").get_text() == title  # the theme's print header
