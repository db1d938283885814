"""The cache of derived tables: which code a step depends on, and when it is recomputed."""

from __future__ import annotations

from pathlib import Path

import pytest

from konsel_analysis.cache import code_files, compute_key
from konsel_analysis.paths import PACKAGE_DIR, ProjectPaths
from konsel_analysis.pipeline import PipelineSettings, Step, StepContext, run_step


def _names(modules: str) -> set[str]:
    return {str(p.relative_to(PACKAGE_DIR)) for p in code_files(modules)}


@pytest.mark.parametrize(
    ("module", "included", "excluded"),
    [
        # (entry module, code its outputs depend on, code they do not depend on)
        (
            "konsel_analysis.pmt.cli",
            {"pmt/validation.py", "pmt/estimators.py", "datasets.py"},
            {"targeting/score.py", "reports/sections.py", "pipeline.py"},
        ),
        (
            "konsel_analysis.targeting.score",
            {"targeting/expected.py", "targeting/reasons.py", "impact.py", "files.py"},
            {"reports/sections.py", "reports/charts.py", "pipeline.py"},
        ),
        (
            "konsel_analysis.reports.inputs",
            {"reports/step_tables.py", "privacy.py", "geography.py"},
            {"reports/sections.py", "reports/charts.py", "reports/runner.py"},
        ),
    ],
)
def test_a_step_depends_on_the_code_it_imports_and_no_other(module, included, excluded):
    names = _names(module)
    assert included <= names, included - names
    assert not excluded & names, excluded & names


def test_the_key_changes_with_an_input_and_a_setting(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    key = compute_key([data], [], {"reps": 10})
    assert compute_key([data], [], {"reps": 10}) == key
    assert compute_key([data], [], {"reps": 11}) != key
    data.write_text("a\n2\n")
    assert compute_key([data], [], {"reps": 10}) != key


def test_a_step_runs_once_while_its_inputs_are_unchanged(tmp_path):
    paths = ProjectPaths(tmp_path)
    paths.raw.mkdir(parents=True)
    (paths.raw / "survey.parquet").write_bytes(b"survey v1")
    runs: list[int] = []

    def count(ctx: StepContext) -> list[Path]:
        runs.append(1)
        out = ctx.paths.processed / "toy" / "table.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"run {len(runs)}\n")
        return [out]

    toy = Step(
        "toy step",
        manifest=lambda p: p.processed / "toy" / "manifest.json",
        inputs=("survey",),
        modules=("konsel_analysis.errors",),
        settings=lambda ctx: {"seed": ctx.settings.seed},
        run=count,
        uses_config=False,
    )
    ctx = StepContext(paths, PipelineSettings())
    assert not run_step(toy, ctx).reused and len(runs) == 1
    assert run_step(toy, ctx).reused and len(runs) == 1
    (paths.raw / "survey.parquet").write_bytes(b"survey v2")  # the input changes
    assert not run_step(toy, ctx).reused and len(runs) == 2
    assert not run_step(toy, StepContext(paths, PipelineSettings(seed=3))).reused
    (paths.processed / "toy" / "table.csv").unlink()  # a derived table deleted by hand
    assert not run_step(toy, StepContext(paths, PipelineSettings(seed=3))).reused
    assert len(runs) == 4
