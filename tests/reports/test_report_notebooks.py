"""The notebooks' contract: one parameters cell, documented, runnable; no code defined."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
PARAMETERIZED = [
    "kecamatan_report.ipynb",
    "regency_overview.ipynb",
    "survey_exploration.ipynb",
    "workbench.ipynb",
]


def _code_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _parameters_cell(path: Path):
    cells = [c for c in _code_cells(path) if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters', need exactly 1"
    return cells[0]


def test_the_expected_notebooks_exist():
    assert {p.name for p in ALL} >= set(PARAMETERIZED)


@pytest.mark.parametrize("name", PARAMETERIZED)
def test_exactly_one_parameters_cell_with_typed_documented_constants(name):
    cell = _parameters_cell(NOTEBOOKS / name)
    tree = ast.parse(cell.source)
    assert tree.body, "the parameters cell is empty"
    for node in tree.body:
        # Nothing is computed here: each line is `name: type = constant  # help`.
        assert isinstance(node, ast.AnnAssign), (
            f"{name}: {ast.unparse(node)!r} is not name: type = value"
        )
        assert isinstance(node.value, ast.Constant), (
            f"{name}: {ast.unparse(node)} computes its default"
        )
    for line in cell.source.splitlines():
        if line.strip():
            code, _, help_text = line.partition("  # ")
            assert help_text.strip(), f"{name}: {code.strip()!r} has no help comment"
            assert "=" not in help_text, f"{name}: papermill skips lines with '=' in the comment"


@pytest.mark.parametrize("name", PARAMETERIZED)
def test_parameter_defaults_run_as_they_are(name):
    cells = _code_cells(NOTEBOOKS / name)
    position = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    # The cells before it are imports (the annotations need typing.Optional).
    for cell in cells[:position]:
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, name, "exec"), namespace)
    exec(compile(cells[position].source, name, "exec"), namespace)
    assert all(node.target.id in namespace for node in ast.parse(cells[position].source).body)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_notebooks_define_no_function_or_class(path):
    for cell in _code_cells(path):
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ), f"{path.name}: a notebook defines no function or class; move it to the package"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    for cell in _code_cells(path):
        assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs"


def test_papermill_help_documents_every_parameter():
    path = NOTEBOOKS / "kecamatan_report.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    out = subprocess.run(
        [str(papermill), "--help-notebook", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for node in ast.parse(_parameters_cell(path).source).body:
        assert f"{node.target.id}: " in out, f"papermill --help-notebook misses {node.target.id}"
    assert 'kecamatan_code: str (default "74.05.01")' in out
    assert "Kemendagri code" in out
    assert "Optional[float] (default None)" in out
