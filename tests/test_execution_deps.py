"""What a chapter depends on: the modules of lesson_code its code imports, followed through the package."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from booktools.core.dependencies import fingerprint, imported_modules, module_closure, package_exports

PACKAGES = ("pkg",)


# The names are listed once, as imports for type checkers; __getattr__ imports each on first use.
LAZY_INIT = """from importlib import import_module
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from pkg.a import fa
    from pkg.b import fb
def __getattr__(name):
    return getattr(import_module({"fa": "pkg.a", "fb": "pkg.b"}[name]), name)
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A lazily importing package like lesson_code: a, b (imports c), c; and an eager one."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(LAZY_INIT)
    (pkg / "a.py").write_text("def fa(): return 1\n")
    (pkg / "b.py").write_text("from pkg.c import fc\ndef fb(): return fc()\n")
    (pkg / "c.py").write_text("def fc(): return 2\n")
    eager = tmp_path / "eager"
    eager.mkdir()
    (eager / "__init__.py").write_text("from .x import fx\n")
    (eager / "x.py").write_text("def fx(): return 3\n")
    (eager / "y.py").write_text("def fy(): return 4\n")
    (tmp_path / "requirements.lock").write_text("torch==2.13.0\n")
    return tmp_path


def closure(source: str, root: Path, packages=PACKAGES) -> list[str]:
    return sorted(module_closure(imported_modules(source, packages), root, packages))


def test_a_name_leads_to_its_module_and_what_that_imports(tree):
    assert closure("from pkg import fa", tree) == ["pkg", "pkg.a"]
    assert closure("from pkg import fb", tree) == ["pkg", "pkg.b", "pkg.c"]
    assert closure("from pkg.c import fc", tree) == ["pkg", "pkg.c"]


def test_the_bare_package_or_a_star_depends_on_everything(tree):
    everything = ["pkg", "pkg.a", "pkg.b", "pkg.c"]
    assert closure("import pkg as p\np.fa()", tree) == everything
    assert closure("from pkg import *", tree) == everything


def test_imports_only_for_type_checkers_do_not_count(tree):
    assert "pkg.a" not in closure("from pkg import fb", tree)


def test_an_eager_package_depends_on_every_module_beside_it(tree):
    assert closure("from eager import fx", tree, ("eager",)) == ["eager", "eager.x", "eager.y"]


def test_other_packages_and_magics_are_ignored(tree):
    assert closure("import torch\nfrom matplotlib import pyplot", tree) == []


def test_a_lazy_package_lists_its_names_as_type_checking_imports(tmp_path):
    init = tmp_path / "pkg" / "__init__.py"
    init.parent.mkdir()
    init.write_text(LAZY_INIT.replace("from pkg.b import fb", "from .b import fb as gb\n    from typing import Any"))
    assert package_exports(init) == {"fa": "a", "gb": "b"}  # Any comes from elsewhere: not a name of pkg
    init.write_text(LAZY_INIT.split("def __getattr__")[0])  # no __getattr__: the imports are for annotations
    assert package_exports(init) is None


def test_the_build_reads_lesson_code_s_names_as_lesson_code_does():
    import lesson_code

    exports = package_exports(Path(lesson_code.__file__))
    assert exports == lesson_code._EXPORTS
    assert exports["make_line"] == "data" and exports["boundary_animation"] == "animation"


class Notebook:
    def __init__(self, *sources):
        self.cells = [type("Cell", (), {"cell_type": "code", "source": s})() for s in sources]


def test_the_fingerprint_changes_with_a_used_module_or_the_lock_and_not_otherwise(tree):
    notebook = Notebook("from pkg import fb")
    before = fingerprint(notebook, tree, PACKAGES, ("requirements.lock",))
    (tree / "pkg" / "a.py").write_text("def fa(): return 10\n")  # not used by this notebook
    assert fingerprint(notebook, tree, PACKAGES, ("requirements.lock",)) == before
    (tree / "pkg" / "c.py").write_text("def fc(): return 20\n")  # used through pkg.b
    after_c = fingerprint(notebook, tree, PACKAGES, ("requirements.lock",))
    assert after_c != before
    (tree / "requirements.lock").write_text("torch==2.13.0\nnumpy==2.0\n")
    assert fingerprint(notebook, tree, PACKAGES, ("requirements.lock",)) != after_c


def test_ipython_magics_do_not_hide_the_imports(tree):
    notebook = Notebook("%matplotlib inline\nfrom pkg import fa", "!echo hi")
    other = Notebook("from pkg import fa")
    before = fingerprint(notebook, tree, PACKAGES, ())
    assert before == fingerprint(other, tree, PACKAGES, ())
    (tree / "pkg" / "a.py").write_text("def fa(): return 5\n")
    assert fingerprint(notebook, tree, PACKAGES, ()) != before


def test_a_print_split_into_several_stream_messages_counts_as_one_output():
    """The kernel may deliver one print in pieces; two runs that printed the same text are the same."""
    import nbformat

    from booktools.core.outputs import first_difference, text_outputs

    def notebook(*pieces):
        cell = nbformat.v4.new_code_cell("print(...)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=p) for p in pieces]
        return nbformat.v4.new_notebook(cells=[cell])

    whole, split = notebook("weights: 1.5\naccuracy 0.9\n"), notebook("weights:", " 1.5\naccuracy 0.9\n")
    assert text_outputs(whole) == text_outputs(split) == [["stdout: weights: 1.5\naccuracy 0.9\n"]]
    assert first_difference(whole, split) is None
    assert first_difference(whole, notebook("weights: 2.5\naccuracy 0.9\n")) is not None


CHAPTER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
# A chapter

```{code-cell} ipython3
from pkg import fb
print(fb())
```
"""


@pytest.mark.parametrize("cache_setting", ["", "elsewhere/.cache"])
def test_the_reproducibility_check_never_takes_an_execution_with_other_dependencies(tree, cache_setting):
    """Its "previous execution" is the build's for the current lesson code: not one made before an edit to it."""
    from booktools.core import cache, execute, reproducible
    from booktools.core.outputs import text_outputs
    from booktools.core.settings import ExecutionSettings

    config = f"execute:\n  execute_notebooks: cache\n  cache: '{cache_setting}'\nsphinx:\n  config:\n"
    (tree / "_config.yml").write_text(config + "    booktools_packages: [pkg]\n")
    chapter = tree / "book" / "chapter.md"
    chapter.parent.mkdir()
    chapter.write_text(CHAPTER)
    settings = ExecutionSettings.from_book(tree)
    expected = tree / (cache_setting or "_build/.jupyter_cache")
    assert settings.cache_path == expected
    # what the build caches after executing the chapter (fb() gave 2): its executed notebook, keyed as the build keys it
    notebook = execute.read(chapter, settings.md_config, settings.nb_config)
    executed = copy.deepcopy(notebook)
    executed.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    keyed = fingerprint(notebook, tree, PACKAGES, ("requirements.lock",))
    cache.store(cache.open_cache(expected), executed, str(chapter), keyed, 1.0)

    assert text_outputs(reproducible.cached(tree, chapter)) == [["stdout: 2\n"]]
    (tree / "pkg" / "a.py").write_text("def fa(): return 10\n")  # not used by the chapter
    assert text_outputs(reproducible.cached(tree, chapter)) == [["stdout: 2\n"]]
    (tree / "pkg" / "c.py").write_text("def fc(): return 20\n")  # used through pkg.b: fb() now gives 20
    assert reproducible.cached(tree, chapter) is None, "compared with an execution of the old lesson code"


def test_the_components_name_each_file_the_fingerprint_covers_and_only_what_changed_differs(tree):
    import hashlib

    from booktools.core.dependencies import components

    notebook = Notebook("from pkg import fb")
    before = components(notebook, tree, PACKAGES, ("requirements.lock", "absent.lock"))
    files = ["requirements.lock", "pkg/__init__.py", "pkg/b.py", "pkg/c.py"]
    assert sorted(before) == sorted([*files, "absent.lock"])
    assert before["absent.lock"] == "missing"
    for name in files:  # each file's own digest, computed here from its bytes
        assert before[name] == hashlib.sha256((tree / name).read_bytes()).hexdigest()
    (tree / "pkg" / "c.py").write_text("def fc(): return 20\n")
    after = components(notebook, tree, PACKAGES, ("requirements.lock", "absent.lock"))
    assert {name for name in before if before[name] != after[name]} == {"pkg/c.py"}
