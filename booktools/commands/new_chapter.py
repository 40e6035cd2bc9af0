"""Start a new chapter: ``make new-chapter TITLE="Momentum"``.

Or ``python -m booktools.commands.new_chapter -- "Momentum"``.

Writes ``book/<slug>.md`` from ``booktools/templates/chapter.md`` (label ``(ch-<slug>)=``,
the standard sections, a seeded code cell calling ``lesson_code``, a figure with alt text
and caption, a glued number and an exercise with its solution) and adds the chapter to
``_toc.yml`` just before the glossary, which stays the last page.
The new chapter builds and passes every check as it is; then replace the placeholders.

Any printable title works: quotes, backticks, ``$``, accents and other scripts.
The heading shows the title as typed (MyST's markup characters are escaped), and the file name
is its ASCII slug: accents are dropped ("Éléments" -> ``elements``), a title with no Latin
letters or digits gets ``chapter-`` and 8 hex digits of its SHA-256, a long slug is cut at a
hyphen to at most ``MAX_SLUG`` characters. Control characters (a newline, a tab), bidirectional
controls (which reorder the text as shown) and titles that show nothing (zero-width characters
only) are refused.
``make new-chapter`` hands the title over in the environment (``--title-from-env TITLE``),
so that no shell reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import unicodedata
from pathlib import Path

from booktools.core import toc

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "chapter.md"
GLOSSARY = "book/glossary"


class ChapterError(ValueError):
    """A chapter that cannot be created (bad title, slug taken, no toc)."""


MAX_SLUG = 60
FALLBACK = "chapter-"
# Latin letters that NFKD does not split into an ASCII letter and an accent.
LATIN = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
# Unicode categories refused in a title: control characters (newline, tab, escape, ...),
# lone surrogates (bytes that were not UTF-8) and the line and paragraph separators.
REFUSED = {"Cc": "a control character", "Cs": "a byte that is not UTF-8", "Zl": "a line break", "Zp": "a line break"}
# Characters that change the direction of the text around them: a title holding one shows its
# characters in another order than they are stored (and than its file name spells them).
BIDI_CONTROLS = {chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
# Characters that draw nothing: format characters (zero-width space and joiners, the byte-order mark,
# the soft hyphen), spaces, combining marks with nothing to combine with, and the blank letters.
INVISIBLE_CATEGORIES = {"Cf", "Zs", "Mn", "Me"}
BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# What MyST reads as markup in a heading; a backslash before each makes it literal text.
MARKUP = set("\\`*_[]<>{}$&~#")


def check_title(title: str) -> str:
    """The title without surrounding spaces.

    :class:`ChapterError` if it is empty, holds a control character or a bidirectional control
    (U+202A-U+202E, U+2066-U+2069), or is made only of characters that show nothing (zero-width ones).
    """
    for position, char in enumerate(title):
        kind = REFUSED.get(unicodedata.category(char))
        if kind:
            raise ChapterError(
                f"the title {title!r} holds {kind}, {char!r} (U+{ord(char):04X}) at position {position}: "
                "a title is one line of printable text"
            )
        if char in BIDI_CONTROLS:
            raise ChapterError(
                f"the title {title!r} holds a bidirectional control, U+{ord(char):04X} at position {position}: "
                "it would show the title's characters in another order than they are typed; remove it"
            )
    if not title.strip():
        raise ChapterError('the title is empty: give one, e.g. make new-chapter TITLE="Momentum"')
    if all(unicodedata.category(char) in INVISIBLE_CATEGORIES or char in BLANK_LETTERS for char in title):
        codes = " ".join(f"U+{ord(char):04X}" for char in dict.fromkeys(title))
        raise ChapterError(
            f"the title is made only of characters that show nothing ({codes}): "
            'give one that a reader can see, e.g. make new-chapter TITLE="Momentum"'
        )
    return title.strip()


def slugify(title: str) -> str:
    """The file name of a chapter: ``"Mini-batch SGD!"`` -> ``"mini-batch-sgd"``, ``"Éléments"`` -> ``"elements"``.

    Lower case ASCII letters, digits and hyphens, at most ``MAX_SLUG`` characters (cut at a hyphen);
    a title with no Latin letter or digit gets ``chapter-`` and 8 hex digits of its SHA-256.
    """
    title = check_title(title)
    ascii_text = unicodedata.normalize("NFKD", title.lower().translate(LATIN)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug[: MAX_SLUG + 1]
        hyphen = cut.rfind("-")  # cut between words, unless that loses more than half
        slug = (cut[:hyphen] if hyphen >= MAX_SLUG // 2 else slug[:MAX_SLUG]).strip("-")
    if not slug:
        digest = hashlib.sha256(unicodedata.normalize("NFC", title).encode("utf-8")).hexdigest()
        slug = FALLBACK + digest[:8]
    return slug


def heading(title: str) -> str:
    """The title as MyST heading text that renders as the title itself: markup characters escaped."""
    return "".join("\\" + char if char in MARKUP else char for char in check_title(title))


def render(title: str, slug: str) -> str:
    """The template with the chapter's title and slug filled in (one pass: a title may contain ``__SLUG__``)."""
    values = {"__TITLE__": heading(title), "__SLUG__": slug}
    return re.sub("__TITLE__|__SLUG__", lambda match: values[match.group(0)], TEMPLATE.read_text(encoding="utf-8"))


def add_to_toc(toc_text: str, docname: str) -> str:
    """``_toc.yml`` with ``- file: <docname>`` added just before the glossary entry (or at the end)."""
    lines = toc_text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)-\s*file:\s*" + re.escape(GLOSSARY) + r"(\.md)?\s*$", line)
        if match:
            lines.insert(index, f"{match.group(1)}- file: {docname}\n")
            return "".join(lines)
    if not toc_text.endswith("\n"):
        toc_text += "\n"
    indent = "  "
    for line in reversed(lines):
        found = re.match(r"^(\s*)-\s*file:", line)
        if found:
            indent = found.group(1)
            break
    return f"{toc_text}{indent}- file: {docname}\n"


def new_chapter(root: Path, title: str) -> Path:
    """Create the chapter ``title`` in the book at ``root`` and return its file."""
    root = Path(root)
    slug = slugify(title)
    docname = f"book/{slug}"
    path = root / f"{docname}.md"
    if toc.source_file(root, docname) is not None:
        raise ChapterError(f"{path.relative_to(root)} already exists: choose another title, or edit that chapter")
    if docname in toc.docnames(root):
        raise ChapterError(f"_toc.yml already lists {docname}: remove that entry or choose another title")
    label = f"(ch-{slug})="
    for other in sorted((root / "book").rglob("*.md")):
        if label in other.read_text(encoding="utf-8"):
            raise ChapterError(f"the label {label} is already used in {other.relative_to(root)}: choose another title")
    toc_path = root / "_toc.yml"
    new_toc = add_to_toc(toc_path.read_text(encoding="utf-8"), docname)
    path.write_text(render(title, slug), encoding="utf-8")
    toc_path.write_text(new_toc, encoding="utf-8")
    if docname not in toc.docnames(root):  # the toc must still parse, and list the chapter
        raise ChapterError(f"could not add {docname} to {toc_path}: add `- file: {docname}` by hand")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create book/<slug>.md from the chapter template.",
        epilog=(
            'A title that starts with "-" goes after "--": python -m booktools.commands.new_chapter -- "-1 is a number"'
        ),
    )
    parser.add_argument("title", nargs="?", help='the chapter title, e.g. "Momentum"')
    parser.add_argument(
        "--title-from-env",
        metavar="NAME",
        help="read the title from the environment variable NAME (as `make new-chapter` does: no shell reads it)",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the book's folder (default: here)")
    args = parser.parse_args(argv)
    if (args.title is None) == (args.title_from_env is None):
        parser.error("give the title, or --title-from-env NAME, but not both")
    title = os.environ.get(args.title_from_env, "") if args.title_from_env else args.title
    try:
        path = new_chapter(args.root, title)
    except ChapterError as error:
        print(f"new-chapter: {error}", file=sys.stderr)
        return 1
    rel = path.relative_to(args.root.resolve()) if path.is_absolute() else path
    print(f"Created {rel} and added it to _toc.yml before the glossary.")
    if path.stem.startswith(FALLBACK):
        print(f"The title has no Latin letters or digits: the file name {rel.name} comes from a hash of the title.")
    print(
        "Next: write it (see CONTRIBUTING.md), then `make book` and "
        f"`BOOK_SITE=_build/html .venv/bin/pytest tests -k {path.stem}`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
