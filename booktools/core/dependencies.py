"""What a chapter depends on, and the fingerprint its cached execution is keyed on.

Stock jupyter-cache keys a notebook on its code cells alone, so an edit to an imported module
or to the locked environment would leave stale outputs on the site. The *dependency
fingerprint* of a chapter covers the lock files and the source of every module of the local
packages (``lesson_code``) that its code imports, followed transitively through the package.
Taught nowhere in the book: this is how the book keeps its outputs honest.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any


def code_of(notebook: Any) -> str:
    """The Python source of a notebook's code cells, with IPython magics made plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    return "\n".join(transform(cell.source) for cell in notebook.cells if cell.cell_type == "code")


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``, which never run."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            yield from (n for orelse in child.orelse for n in [orelse, *_runtime_nodes(orelse)])
            continue
        yield child
        yield from _runtime_nodes(child)


def imported_modules(source: str, packages: tuple[str, ...]) -> set[str]:
    """Dotted names that ``source`` imports from ``packages``, directly.

    ``import lesson_code.losses`` names both ``lesson_code`` and ``lesson_code.losses``;
    ``from lesson_code import mse`` names ``lesson_code`` and ``lesson_code.mse`` (which may be
    a submodule or a re-exported name); ``import lesson_code`` and ``from lesson_code import *``
    name ``lesson_code.*``: everything the package offers.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {f"{p}.*" for p in packages if p in source}  # unparsable: depend on all of it
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            names += [f"{n}.*" for n in names if "." not in n]  # the bare package: any attribute
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in packages:
                parts = name.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return found


def module_file(name: str, root: Path) -> Path | None:
    """The file of module ``name`` under ``root``: ``a/b.py`` or ``a/b/__init__.py``."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_exports(init: Path) -> dict[str, str] | None:
    """The public names of a lazily importing package (name -> submodule), if it is one.

    Such a package defines a module ``__getattr__`` (PEP 562) and lists its names once, as the imports
    of its ``if TYPE_CHECKING:`` block (``from package.module import name``), to be imported on first use.
    Any other package is eager: ``None``.
    """
    body = ast.parse(init.read_text(encoding="utf-8")).body
    if not any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__" for node in body):
        return None
    prefix = f"{init.parent.name}."
    exports: dict[str, str] = {}
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    if statement.level == 0 and not statement.module.startswith(prefix):
                        continue  # a name from elsewhere, for annotations only
                    module = statement.module if statement.level else statement.module.removeprefix(prefix)
                    exports.update((alias.asname or alias.name, module) for alias in statement.names)
    return exports


def _submodules(package: str, init: Path) -> list[str]:
    """Every module the package could hand out: its export table's, else every file beside it."""
    exports = package_exports(init)
    if exports is not None:
        return sorted({f"{package}.{module}" for module in exports.values()})
    return sorted(f"{package}.{p.stem}" for p in init.parent.glob("*.py") if p.name != "__init__.py")


def module_closure(names: set[str], root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module reachable from ``names`` by the imports inside the packages, with its file.

    A name that is not a module (``lesson_code.mse``) leads to the module that the package's
    export table names for it, or, for a package without one, to all of the package.
    """
    seen: dict[str, Path] = {}
    todo = sorted(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            parent, _, attribute = name.rpartition(".")
            init = module_file(parent, root) if parent else None
            if init is None or init.name != "__init__.py":
                continue  # an attribute of a plain module, or nothing of ours
            exports = package_exports(init)
            if attribute != "*" and exports is not None:
                if attribute in exports:
                    todo.append(f"{parent}.{exports[attribute]}")
                continue
            todo.extend(m for m in _submodules(parent, init) if m not in seen)
            continue
        seen[name] = path
        source = path.read_text(encoding="utf-8")
        inner = imported_modules(source, packages)
        # relative imports inside the package: from .losses import mse
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                inner.add(target)
                inner.update(f"{target}.{alias.name}" for alias in node.names)
        if path.name == "__init__.py" and package_exports(path) is None:
            inner.add(f"{name}.*")  # an eager package may import anything beside it
        todo.extend(sorted(inner - seen.keys()))
    return seen


def components(notebook: Any, root: Path, packages: tuple[str, ...], lock_files: tuple[str, ...]) -> dict[str, str]:
    """What the notebook's execution depends on, each with the SHA-256 of its bytes.

    ``{"requirements.lock": ..., "lesson_code/losses.py": ...}``: the lock files (``"missing"`` for one
    that does not exist) and the file of every local module the notebook imports, named as in the checkout.
    """
    found: dict[str, str] = {}
    for name in lock_files:
        path = root / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    modules = module_closure(imported_modules(code_of(notebook), packages), root, packages)
    for path in modules.values():
        found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def fingerprint(notebook: Any, root: Path, packages: tuple[str, ...], lock_files: tuple[str, ...]) -> str:
    """SHA-256 of the `components` of the notebook: the lock files and every local module it imports."""
    parts = components(notebook, root, packages, lock_files)
    return hashlib.sha256("".join(f"{name} {digest}\n" for name, digest in sorted(parts.items())).encode()).hexdigest()


def code_digest(notebook: Any) -> str:
    """SHA-256 of the notebook's code cells, as jupyter-cache matches them: an edit to one changes it."""
    return hashlib.sha256("\n\0".join(c.source for c in notebook.cells if c.cell_type == "code").encode()).hexdigest()
