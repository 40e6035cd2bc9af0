"""What a cell prints reaches the page byte for byte, however the kernel cut it into stream messages."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from booktools.core.streams import merge_streams

# A print the kernel once cut after "autograd: ": the page showed "autograd:\n tensor(...)".
PRINTED = "autograd: tensor([-0.4466,  0.1234])\n  two spaces, a tab\tand no newline at the end  "


def stream(text: str | list[str], name: str = "stdout") -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name=name, text=text)


def figure() -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})


@pytest.mark.parametrize("cut", range(len(PRINTED) + 1))
def test_a_print_cut_at_any_point_is_joined_unchanged(cut: int) -> None:
    merged = merge_streams([stream(PRINTED[:cut]), stream(PRINTED[cut:])])
    assert [(o.output_type, o.name, o.text) for o in merged] == [("stream", "stdout", PRINTED)]


def test_a_print_cut_at_every_point_at_once_is_joined_unchanged() -> None:
    merged = merge_streams([stream(character) for character in PRINTED])
    assert [o.text for o in merged] == [PRINTED]
    pieces = merge_streams([stream([PRINTED[:5], PRINTED[5:9]]), stream(PRINTED[9:])])  # nbformat's list form
    assert [o.text for o in pieces] == [PRINTED]


def test_runs_stay_apart_and_in_order_around_other_outputs_and_other_streams() -> None:
    outputs = [stream("a "), stream("b\n"), figure(), stream("c\n"), stream("warn", "stderr"), stream("d\n")]
    merged = merge_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a b\n"),
        ("display_data", None, None),
        ("stream", "stdout", "c\n"),
        ("stream", "stderr", "warn"),
        ("stream", "stdout", "d\n"),
    ]


def test_the_outputs_given_are_left_as_they_were() -> None:
    outputs = [stream("a"), stream("b"), figure()]
    before = copy.deepcopy(outputs)
    merge_streams(outputs)
    assert outputs == before


def test_an_execution_joins_a_print_the_kernel_sent_in_two_messages(tmp_path: Path) -> None:
    """A real kernel: a flush between two writes sends two stream messages; the cached cell holds one."""
    from booktools.core.execute import execute_notebook

    code = (
        "import sys, time\n"
        "sys.stdout.write('autograd: '); sys.stdout.flush(); time.sleep(0.2)\n"  # the first message goes now
        "_ = sys.stdout.write('tensor([1.])\\n')"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execution = execute_notebook(notebook, tmp_path, timeout=120, allow_errors=False)
    assert execution.error is None, execution.trace
    outputs = execution.notebook.cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stdout", "autograd: tensor([1.])\n")
    ]


@pytest.mark.slow
def test_a_print_the_kernel_sent_in_two_messages_is_one_block_on_the_page(tmp_path: Path) -> None:
    """Through the build: executed, cached and rendered by myst-nb, the page shows the print whole and once."""
    import minibook
    from bs4 import BeautifulSoup

    path = tmp_path / "book"
    chapter = minibook.make(path, ["Prints"])["Prints"]
    code = (
        "import sys, time\n\n"
        "sys.stdout.write('autograd: '); sys.stdout.flush(); time.sleep(0.2)\n"
        "print('tensor([-0.4466,  0.1234])')"
    )
    text = chapter.read_text(encoding="utf-8")
    start = text.index("```{code-cell}")
    chapter.write_text(text[:start] + f"```{{code-cell}} ipython3\n{code}\n```\n\n" + text[start:], encoding="utf-8")
    result = minibook.build(path)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    page = BeautifulSoup((path / "_build" / "html" / "book" / f"{chapter.stem}.html").read_text(), "html.parser")
    first = page.select(".cell")[0]
    assert [pre.get_text() for pre in first.select(".cell_output pre")] == ["autograd: tensor([-0.4466,  0.1234])\n"]
