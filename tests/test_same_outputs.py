"""Every chapter gives the same outputs when it is executed again, cell by cell (all randomness is seeded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chapters import with_code
from checkout import ROOT

from booktools.core import reproducible, toc

CHAPTERS = with_code(ROOT)


@pytest.mark.slow
@pytest.mark.build
@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_gives_the_same_outputs_twice(second_execution, docname: str) -> None:
    # the session's build cached one execution of each chapter, the second execution's copy another
    copy, result = second_execution
    assert docname in result.executed, f"{docname} was not executed a second time"
    path = toc.source_file(ROOT, docname)
    first, second = reproducible.cached(ROOT, path), reproducible.cached(copy, toc.source_file(copy, docname))
    assert first is not None and second is not None, f"no cached execution of {docname} in one of the two builds"
    difference = reproducible.first_difference(first, second)
    problem = None if difference is None else reproducible.message(reproducible.read(path), difference)
    assert problem is None, f"{path}:{problem[0]}: {problem[1]}"


CHAPTER = """\
---
kernelspec:
  name: python3
  display_name: Python 3
---
# A chapter

Some text.

```{code-cell} ipython3
x = 1
```

More text.

```{code-cell} ipython3
print(x)
```
"""


def with_outputs(notebook: Any, texts: list[str], code_only: bool) -> Any:
    import copy

    import nbformat

    executed = copy.deepcopy(notebook)
    if code_only:  # as the execution cache keeps it
        executed.cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    for cell, text in zip(code, texts, strict=True):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []
    return executed


def test_a_difference_is_located_at_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "chapter.md"
    path.write_text(CHAPTER, encoding="utf-8")
    notebook = reproducible.read(path)
    cached = with_outputs(notebook, ["", "0.25\n"], code_only=True)
    fresh = with_outputs(notebook, ["", "0.75\n"], code_only=False)
    same = with_outputs(notebook, ["", "0.25\n"], code_only=False)
    assert reproducible.first_difference(cached, same) is None
    difference = reproducible.first_difference(cached, fresh)
    assert difference == (1, "stdout: 0.25\n", "stdout: 0.75\n")
    line, text = reproducible.message(notebook, difference)
    assert CHAPTER.splitlines()[line - 1] == "```{code-cell} ipython3" and "print(x)" in CHAPTER.splitlines()[line]
    assert "'stdout: 0.25' then 'stdout: 0.75'" in text


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("glue best: 2.46087646484375", "glue best: 2.460875988006592", True),  # float32 rounding, 2e-7
        ("tensor([0.0783, 1.5000])", "tensor([0.0783, 1.5000])", True),
        ("glue loss: 5.182844638824463", "glue loss: 4.705969333648682", False),  # an unseeded draw
        ("glue loss: 0.5", "glue loss: 0.50002", False),  # 4e-5: more than rounding
        ("tensor([1., 2.])", "tensor([1., 2., 3.])", False),
        ("glue a: 1.0", "glue b: 1.0", False),
    ],
)
def test_rounding_is_not_a_difference_but_randomness_is(a: str, b: str, same: bool) -> None:
    assert reproducible.same_text(a, b) is same
