"""The compiler's layers (DESIGN.md "Constant folding"): which part of the package may import which.

    ir, errors, quant  <-  passes  <-  ops  <-  memory  <-  codegen  <-  mlf  <-  compiler  <-  cli

The passes get the lowering table from their caller, so they import nothing from ops/ (a
`TYPE_CHECKING` import for annotations aside); the lowerings import nothing from memory/ or
codegen/; nothing below the compiler imports a part of the package inside a function (a late
import hides a dependency the layers forbid).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).absolute().parents[1] / "microtvm"

# part of the package -> the parts it must not import (at run time).
FORBIDDEN = {
    "passes": {"ops", "memory", "codegen", "mlf", "compiler", "cli", "frontend"},
    "ops": {"memory", "codegen", "mlf", "compiler", "cli", "frontend"},
    "memory": {"ops", "codegen", "mlf", "compiler", "cli", "frontend"},
    "codegen": {"mlf", "compiler", "cli", "frontend"},
    "mlf": {"compiler", "cli", "frontend"},
    "ir": {"passes", "ops", "memory", "codegen", "mlf", "compiler", "cli", "frontend"},
}


def _part(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, bool, bool]]:
    """(imported part of the package, under `if TYPE_CHECKING`, inside a function) per import."""
    module_parts = path.relative_to(PACKAGE).with_suffix("").parts
    package_depth = len(module_parts) - 1  # 0 for microtvm/x.py, 1 for microtvm/ops/x.py
    found = []

    def visit(node: ast.AST, type_checking: bool, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, True, in_function)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, type_checking, True)
            elif isinstance(child, ast.ImportFrom) and child.level > 0:
                up = child.level - 1  # levels above this module's package
                base = (
                    list(module_parts[:package_depth])[: package_depth - up]
                    if up
                    else list(module_parts[:package_depth])
                )
                target = base + (child.module.split(".") if child.module else [])
                names = [target] if target else [[alias.name] for alias in child.names]
                for name in names:
                    found.append((name[0], type_checking, in_function))
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.split(".")[0] == "microtvm":
                parts = child.module.split(".")
                found.append((parts[1] if len(parts) > 1 else child.names[0].name, type_checking, in_function))
            else:
                visit(child, type_checking, in_function)

    visit(ast.parse(path.read_text()), False, False)
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers(path: Path) -> None:
    part = _part(path)
    for imported, type_checking, in_function in _imports(path):
        if imported == part:
            continue
        if not type_checking:
            assert imported not in FORBIDDEN.get(part, set()), f"{path.name} ({part}/) imports {imported}/"
        if part != "compiler":  # compiler.read_model imports the frontend (and tflite) on use
            assert not in_function, f"{path.name} imports {imported} inside a function (a late import)"


def test_the_walk_sees_imports() -> None:
    """The parser above finds the imports that matter (or the test would pass vacuously)."""
    found = {name for name, _, _ in _imports(PACKAGE / "codegen" / "__init__.py")}
    assert {"ir", "memory", "ops", "passes"} <= found
    found = _imports(PACKAGE / "passes" / "validate.py")
    assert ("ops", True, False) in found
