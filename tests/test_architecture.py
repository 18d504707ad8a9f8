"""The two wings never import each other: the client (pyral/...) and the emulator (pyral/emulator/...)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pyral"
BRIDGES = {"cli"}  # the command line may use both wings


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_emulator_never_imports_the_client() -> None:
    offenders = []
    for path in (SRC / "emulator").rglob("*.py"):
        for name in imports_of(path):
            if name.startswith("pyral") and not name.startswith("pyral.emulator"):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_client_never_imports_the_emulator() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "emulator" or rel.parts[0] in BRIDGES:
            continue
        for name in imports_of(path):
            if name.startswith("pyral.emulator"):
                offenders.append(f"{rel} imports {name}")
    assert offenders == []


def test_the_check_sees_imports() -> None:
    """Guard against a checker that can never fail: it must see known imports."""
    assert "pyral.emulator.store" in imports_of(SRC / "emulator" / "render.py")



SHIMS = ("restapi", "rallyresp", "query_builder", "context", "entity", "config", "hydrate", "cargotruck",
         "multiop", "proj_utils", "search_utils")


def test_upstream_module_paths_only_re_export() -> None:
    """The upstream module paths hold imports and ``__all__`` only: logic lives in modern modules."""
    for name in SHIMS:
        tree = ast.parse((SRC / f"{name}.py").read_text())
        for node in tree.body:
            is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            is_all = isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"]
            assert is_docstring or is_all or isinstance(node, ast.Import | ast.ImportFrom), (
                f"pyral/{name}.py line {node.lineno}: a shim must only re-export names")
