"""lesson_code's public names: the lazy table and the imports type checkers read say the same thing."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import lesson_code

INIT = Path(lesson_code.__file__)


def _type_checking_imports() -> dict[str, str]:
    """``name -> module`` from the ``if TYPE_CHECKING:`` block of ``lesson_code/__init__.py``."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), "the TYPE_CHECKING block holds only imports"
                module = statement.module.removeprefix("lesson_code.")
                for alias in statement.names:
                    found[alias.asname or alias.name] = module
    return found


def test_the_lazy_table_and_the_type_checking_imports_agree():
    table = dict(lesson_code._EXPORTS)
    imports = _type_checking_imports()
    assert imports, "no TYPE_CHECKING block found in lesson_code/__init__.py"
    only_table = {name: module for name, module in table.items() if imports.get(name) != module}
    only_imports = {name: module for name, module in imports.items() if table.get(name) != module}
    assert not only_table and not only_imports, (
        f"lesson_code/__init__.py: add these to the TYPE_CHECKING imports: {only_table}; "
        f"add these to _EXPORTS: {only_imports}"
    )


def test_every_exported_name_exists_where_the_table_says():
    for name, module in lesson_code._EXPORTS.items():
        assert hasattr(importlib.import_module(f"lesson_code.{module}"), name), f"lesson_code.{module} has no {name}"
        assert getattr(lesson_code, name) is getattr(importlib.import_module(f"lesson_code.{module}"), name)
    assert sorted(lesson_code.__all__) == sorted(lesson_code._EXPORTS)
