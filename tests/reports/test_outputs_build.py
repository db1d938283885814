"""Every file a real build writes is a declared output, with the declared columns.

On the session's small build (tests/reports/conftest.py): every file under
data/processed/ and restricted/ matches an output of konsel_analysis/outputs.py, and
every CSV and Parquet table's columns equal the declaration, names and order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from konsel_analysis import outputs


def _columns(path: Path) -> tuple[str, ...]:
    if path.suffix == ".parquet":
        return tuple(pd.read_parquet(path).columns)
    if path.suffix == ".xlsx":
        return tuple(pd.read_excel(path, nrows=0).columns)
    return tuple(pd.read_csv(path, nrows=0).columns)


def check_against_registry(root: Path) -> list[str]:
    """What in a project's outputs the registry does not declare (empty when all is)."""
    problems = []
    files = [p for sub in ("data/processed", "restricted") for p in (root / sub).rglob("*")]
    for path in sorted(p for p in files if p.is_file()):
        relative = path.relative_to(root).as_posix()
        declared = outputs.find(relative)
        if declared is None:
            problems.append(f"{relative}: not declared")
        elif declared.columns and path.suffix in (".csv", ".parquet", ".xlsx"):
            found, expected = _columns(path), declared.expected_columns()
            if found != expected:
                problems.append(f"{relative}: columns {found} declared as {expected}")
    return problems


def test_every_file_of_the_build_is_declared_with_its_columns(built):
    assert built.exit_code == 0, built.stderr
    written = list((built.root / "data/processed").rglob("*.csv"))
    assert len(written) >= 30  # the steps and the report tables did write
    assert check_against_registry(built.root) == []


def test_an_undeclared_file_or_column_is_found(built, tmp_path):
    """The check fails on an extra column, a reordered table and a stray file."""
    root = tmp_path / "copy"
    for sub in ("data/processed/score", "data/processed/intake", "restricted/verification_lists"):
        shutil.copytree(built.root / sub, root / sub)
    expected = root / "data/processed/score/expected_errors_by_area.csv"
    pd.read_csv(expected).assign(extra=1).to_csv(expected, index=False)
    summary = root / "data/processed/intake/intake_summary.csv"
    table = pd.read_csv(summary)
    table[list(reversed(table.columns))].to_csv(summary, index=False)
    (root / "data/processed/score/expected_errors_by_desa.csv").write_text("area\n")
    problems = check_against_registry(root)
    assert [p.split(":")[0] for p in problems] == [
        "data/processed/intake/intake_summary.csv",
        "data/processed/score/expected_errors_by_area.csv",
        "data/processed/score/expected_errors_by_desa.csv",
    ]
    assert "'interval_note', 'extra')" in problems[1]
