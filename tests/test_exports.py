"""lesson_code's public names: each resolves to what its module defines, and loads only that module."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from checkout import ROOT

import lesson_code


def test_every_exported_name_is_the_object_its_module_defines():
    assert lesson_code._EXPORTS, "no names read from the TYPE_CHECKING imports of lesson_code/__init__.py"
    for name, module in lesson_code._EXPORTS.items():
        defined = importlib.import_module(f"lesson_code.{module}")
        assert hasattr(defined, name), f"lesson_code.{module} has no {name}"
        assert getattr(lesson_code, name) is getattr(defined, name)


def test_all_and_dir_list_every_name():
    assert lesson_code.__all__ == sorted(lesson_code._EXPORTS)
    assert set(lesson_code.__all__) <= set(dir(lesson_code))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="make_lines"):
        lesson_code.make_lines  # noqa: B018


def test_a_name_loads_its_module_and_nothing_heavier():
    probe = (
        "import json, sys\n"
        "from lesson_code import make_line\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('lesson_code') or m == 'torch')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = json.loads(done.stdout)
    assert "lesson_code.data" in loaded
    assert not {"lesson_code.animation", "lesson_code.networks", "lesson_code.explorer"} & set(loaded), loaded
