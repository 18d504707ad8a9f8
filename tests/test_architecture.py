"""The layering is checked by import-linter (contracts in pyproject.toml); the top level of ``pyral``
holds only public import paths: upstream shims that re-export names, and documented modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "pyral"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

SHIMS = ("restapi", "rallyresp", "query_builder", "context", "entity", "config", "hydrate", "cargotruck",
         "multiop", "proj_utils", "search_utils")
PUBLIC_MODULES = ("__init__", "_version", "errors", "query", "transport")


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_import_contracts_hold() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_checker_sees_a_broken_contract(tmp_path: Path) -> None:
    """Guard against a checker that can never fail: a contract the code breaks must be reported."""
    config = tmp_path / "contracts.toml"
    config.write_text('[tool.importlinter]\nroot_package = "pyral"\n\n'
                      '[[tool.importlinter.contracts]]\nname = "client without protocol"\n'
                      'type = "forbidden"\nsource_modules = ["pyral.client"]\n'
                      'forbidden_modules = ["pyral.protocol"]\n')
    result = lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "1 broken" in result.stdout


def test_the_top_level_holds_only_public_import_paths() -> None:
    loose = sorted(p.stem for p in SRC.glob("*.py"))
    assert sorted(set(loose) - set(SHIMS) - set(PUBLIC_MODULES)) == []
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
    assert packages == ["cli", "client", "emulator", "model", "protocol", "support"]


def test_upstream_module_paths_only_re_export() -> None:
    """The upstream module paths hold imports and ``__all__`` only: logic lives in the layers."""
    for name in SHIMS:
        tree = ast.parse((SRC / f"{name}.py").read_text())
        for node in tree.body:
            is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            is_all = isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"]
            assert is_docstring or is_all or isinstance(node, ast.Import | ast.ImportFrom), (
                f"pyral/{name}.py line {node.lineno}: a shim must only re-export names")
