"""The architecture is a contract (docs/architecture.md), and `make test` enforces it.

- the import-linter contracts of pyproject.toml hold: every top-level module in its
  layer (reference data and dictionary -> intake -> models -> build -> reports ->
  command line), imports only downwards, and no two sibling modules or packages
  import each other at any depth; no contract lists an exception;
- no module imports a private name (``_x``) from another subpackage: a helper that
  others need is promoted to a public name or moved to where both can reach it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from konsel_analysis.paths import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
PACKAGE = PACKAGE_DIR.name

#: Private names imported across subpackages that are tolerated: none.
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str, str]] = set()


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_the_contracts_list_no_exceptions():
    contracts = _contracts()
    assert {c["type"] for c in contracts} == {"layers", "acyclic_siblings"}
    for contract in contracts:
        assert not contract.get("ignore_imports"), contract["name"]
    layers = next(c for c in contracts if c["type"] == "layers")
    assert layers["exhaustive"] is True  # a new top-level module must be given a layer
    assert layers["layers"][0] == "cli"
    assert "dictionary" in layers["layers"][-2]


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _subpackage(module: str) -> str:
    """``konsel_analysis.targeting.expected`` -> ``konsel_analysis.targeting``; a top-level
    module is its own subpackage."""
    return ".".join(module.split(".")[:2])


def private_imports(module: str, source: str) -> list[tuple[str, str, str]]:
    """(importer, imported module, name) of every private name ``module`` imports from
    another subpackage of the package (dunder names such as ``__version__`` are public)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if node.module.split(".")[0] != PACKAGE:
            continue
        for alias in node.names:
            name = alias.name
            private = name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
            if private and _subpackage(node.module) != _subpackage(module):
                found.append((module, node.module, name))
    return found


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        # (importer, its source, what the scan must find)
        (
            "konsel_analysis.scale.replicates",
            "from konsel_analysis.targeting.expected import _fit, expected_table\n",
            [("konsel_analysis.scale.replicates", "konsel_analysis.targeting.expected", "_fit")],
        ),
        (  # a function-level import counts as much as a top-level one
            "konsel_analysis.impact",
            "def f():\n    from konsel_analysis.targeting.receipt_model import _folds\n",
            [("konsel_analysis.impact", "konsel_analysis.targeting.receipt_model", "_folds")],
        ),
        (  # within a subpackage a private helper may be shared
            "konsel_analysis.intake.checked",
            "from konsel_analysis.intake.checks import _survey_rules\n",
            [],
        ),
        ("konsel_analysis.build.keys", "from konsel_analysis import __version__\n", []),
        ("konsel_analysis.cli", "from pandas import _libs\n", []),
    ],
)
def test_the_private_import_scan_finds_what_it_should(module, source, expected):
    assert private_imports(module, source) == expected


def test_no_module_imports_a_private_name_from_another_subpackage():
    found = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        found.update(private_imports(_module_name(path), path.read_text(encoding="utf-8")))
    assert found - KNOWN_PRIVATE_IMPORTS == set()
