"""benchmarks/build_tools.py without the tools: line counts, task lists, the damage, parsing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import build_tools  # noqa: E402
import tasks  # noqa: E402  (benchmarks/build_tools/tasks.py, put on the path by build_tools)

MODULE = '''"""Doc."""
import os

LIMIT = 3  # a comment


@decorated
def first(x):
    # only a comment
    return x + 1


class Second:
    """Doc
    on two lines."""

    def method(self):
        return 2


def third():
    pass
'''


def test_code_lines_leave_out_blank_and_comment_lines():
    assert build_tools.code_lines("a = 1\n\n   # note\nb = 2  # kept\n") == 2


def test_definition_lines_count_the_named_definitions_with_their_decorators():
    # first: "@decorated", "def first(x):", "return x + 1" (its comment line left out)
    assert build_tools.definition_lines(MODULE, ("first",)) == 3
    # Second: class line, 2 docstring lines, def, return
    assert build_tools.definition_lines(MODULE, ("Second",)) == 5
    assert build_tools.definition_lines(MODULE, ("LIMIT", "third")) == 3
    # the whole module: 13 lines neither blank nor only a comment
    assert build_tools.definition_lines(MODULE, None) == 13


def test_a_name_the_module_no_longer_defines_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="gone"):
        build_tools.definition_lines(MODULE, ("first", "gone"))


def test_every_prototype_declares_the_eight_steps_the_report_tables_and_the_pages():
    steps = [f"step_{s}" for s in tasks.STEP_IDS]
    expected = sorted([*steps, "report_tables", "pages"])
    found = build_tools.prototype_tasks()
    assert sorted(n.replace("step:", "step_") for n in found["doit"]) == expected
    assert found["snakemake"] == expected
    assert found["dvc"] == expected
    assert len(tasks.STEP_IDS) == 8


def test_the_prototypes_step_table_is_the_packages(monkeypatch):
    """tasks.py spells the table (Snakemake and DVC read it without pandas) and reads the
    reports' STEP_OUTPUTS from its source: both must say what the package says."""
    from konsel_analysis.build.steps import STEPS
    from konsel_analysis.reports.report_data import STEP_OUTPUTS

    assert [(s.inputs, s.modules) for s in STEPS] == list(tasks.STEPS.values())
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(REPO))
    assert tasks.reports_read() == STEP_OUTPUTS


def test_declared_paths_exist_in_the_project(monkeypatch, tmp_path):
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(REPO))
    for step in tasks.STEP_IDS:
        code = [p for p in tasks.step_inputs(step) if p.endswith(".py")]
        assert code and all((REPO / p).is_file() for p in code), step
    assert "konsel_analysis/reference/parameters.yml" in tasks.step_inputs("pmt")
    assert tasks.step_outputs("targeting") == [
        "data/processed/targeting/targeting_by_area.csv",
        "data/processed/targeting/manifest.json",
    ]


def test_verification_declares_its_tables_only_when_a_round_was_returned(monkeypatch, tmp_path):
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(tmp_path))
    (tmp_path / "konsel_analysis").symlink_to(REPO / "konsel_analysis")
    assert tasks.step_outputs("verification") == ["data/processed/verification/manifest.json"]
    (tmp_path / "data/raw/verification").mkdir(parents=True)
    (tmp_path / "data/raw/verification/round_1_plan.csv").write_text("x\n")
    assert len(tasks.step_outputs("verification")) == 7
    assert "data/raw/verification/round_1_plan.csv" in tasks.step_inputs("verification")


def test_ours_ran_reads_konsel_reports_own_lines():
    output = "\n".join(
        [
            "  [reused] validated inputs (row checks, survey-register comparability): inputs",
            "  [done] survey-measured targeting errors in 3.2 s",
            "         wrote data/processed/targeting/targeting_by_area.csv",
            "  [done] PMT validation in 11.0 s",
            "  shared report tables: computed (data/processed/report_inputs, key 0123456789ab)",
            "  [reused] 20 of 26 reports: their tables, notebook and report code are unchanged",
            "  6 reports, 2 in parallel:",
        ]
    )
    assert build_tools.ours_ran(output) == [
        "pages (6)",
        "report_tables",
        "step:pmt",
        "step:targeting",
    ]
    warm = "  shared report tables: reused (x, key 0)\n  [reused] 26 of 26 reports: ..."
    assert build_tools.ours_ran(warm) == []


def test_damage_changes_one_byte_and_can_keep_the_modification_time(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"area,n\nALL,1234.5\n7401,3\n")
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    original = build_tools.damage(path, keep_mtime=True)
    assert original == b"area,n\nALL,1234.5\n7401,3\n"
    assert path.read_bytes() == b"area,n\nALL,1234.1\n7401,3\n"
    assert path.stat().st_mtime_ns == 2_000_000_000
    build_tools.damage(path, keep_mtime=False)  # a 1 becomes a 2
    assert path.read_bytes() == b"area,n\nALL,1234.2\n7401,3\n"
    assert path.stat().st_mtime_ns != 2_000_000_000


def test_the_recorded_line_counts_are_those_of_the_code_they_name():
    """The figures in benchmarks/results/build_tools.json count the base commit's code."""
    recorded = json.loads((REPO / "benchmarks/results/build_tools.json").read_text())
    base = recorded["lines"]["base_commit"]
    shown = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{base}^{{commit}}"], capture_output=True
    )
    if shown.returncode:
        pytest.skip(f"this clone has no commit {base}")
    counted = build_tools.count_replaced(base, build_tools.REPLACED)
    assert counted == recorded["lines"]["replaced_by_a_tool"]
    assert build_tools.prototype_lines() == recorded["lines"]["prototypes"]


def test_a_tool_without_its_venv_is_skipped_with_a_line(tmp_path, capsys):
    (tmp_path / "dvc/bin").mkdir(parents=True)
    (tmp_path / "dvc/bin/python").touch()
    venvs = str(tmp_path / "{tool}")
    assert build_tools.installed_tools(["ours", "doit", "dvc"], venvs) == ["ours", "dvc"]
    assert capsys.readouterr().out == f"doit: not installed in {tmp_path / 'doit'}: skipped\n"
