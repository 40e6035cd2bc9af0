"""Reading a MyST page without a parser: its fenced blocks with their options, and its lines of prose.

Enough of MyST for the chapter rules (:mod:`booktools.core.chapter_rules`): ```` ```{name} ```` and
``:::{name}`` fences, nested directives, their ``:key: value`` or YAML options, and the YAML front matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$")
DIRECTIVE = re.compile(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$")
# Directives whose body is not markdown: the scan skips to their closing fence.
LITERAL = ("code-cell", "", "code", "code-block", "math", "raw", "glossary")


@dataclass
class Block:
    """A fenced block: ```{name} argument ... ``` or :::{name} ... :::, with its options."""

    name: str  # directive name, or "" for a plain code block
    argument: str
    line: int  # 1-based line of the opening fence
    options: dict[str, Any]


def front_matter_end(lines: list[str]) -> int:
    """Index of the first line after the YAML front matter (0 if there is none)."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                return index + 1
    return 0


def options(lines: list[str], start: int) -> dict[str, Any]:
    """The options of a directive whose body starts at ``lines[start]``: ``:key: value`` lines, or YAML."""
    text: list[str] = []
    if start < len(lines) and lines[start].strip() == "---":
        for line in lines[start + 1 :]:
            if line.strip() == "---":
                break
            text.append(line)
    else:
        for line in lines[start:]:
            if not line.startswith(":") or FENCE.match(line):
                break
            text.append(line[1:])
    if not text:
        return {}
    try:
        loaded = yaml.safe_load("\n".join(text))
    except yaml.YAMLError:
        return {"__unparsable__": True}
    return loaded if isinstance(loaded, dict) else {}


def scan(text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The fenced blocks of a page, and its markdown lines (number, text) outside code blocks."""
    lines = text.splitlines()
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    stack: list[tuple[str, int]] = []  # open directive fences: (fence character, length)
    index = front_matter_end(lines)
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            marks, info = fence.group(2), fence.group(3)
            if not info and stack and stack[-1][0] == marks[0] and len(marks) >= stack[-1][1]:
                stack.pop()  # closes the innermost open directive
                index += 1
                continue
            directive = DIRECTIVE.match(info)
            name = directive.group(1) if directive else ""
            argument = directive.group(2) if directive else info
            if marks[0] == ":" and not directive:
                prose.append((index + 1, line))
                index += 1
                continue
            blocks.append(Block(name, argument, index + 1, options(lines, index + 1)))
            if name in LITERAL:
                # literal content: skip to the closing fence
                index += 1
                while index < len(lines):
                    close = FENCE.match(lines[index])
                    if (
                        close
                        and not close.group(3)
                        and close.group(2)[0] == marks[0]
                        and len(close.group(2)) >= len(marks)
                    ):
                        break
                    index += 1
                index += 1
                continue
            stack.append((marks[0], len(marks)))
            index += 1
            continue
        prose.append((index + 1, line))
        index += 1
    return blocks, prose
