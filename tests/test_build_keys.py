"""The cache of derived tables: which code a step depends on, and when it is recomputed."""

from __future__ import annotations

from pathlib import Path

import pytest

from konsel_analysis.build import keys as cache
from konsel_analysis.build.keys import code_files, compute_key
from konsel_analysis.build.steps import PipelineSettings, Step, StepContext, run_step
from konsel_analysis.paths import PACKAGE_DIR, ProjectPaths


def _names(modules: str) -> set[str]:
    return {str(p.relative_to(PACKAGE_DIR)) for p in code_files(modules)}


@pytest.mark.parametrize(
    ("module", "included", "excluded"),
    [
        # (entry module, code its outputs depend on, code they do not depend on)
        (
            "konsel_analysis.pmt.step",
            {"pmt/validation.py", "pmt/estimators.py", "datasets.py"},
            {"targeting/score.py", "reports/sections/__init__.py", "build/steps.py"},
        ),
        (
            "konsel_analysis.targeting.score",
            {"targeting/expected.py", "targeting/reasons.py", "benefits.py", "files.py"},
            {"reports/sections/__init__.py", "reports/charts.py", "build/steps.py"},
        ),
        (
            "konsel_analysis.reports.inputs",
            {"reports/step_tables.py", "privacy.py", "geography.py"},
            {"reports/sections/__init__.py", "reports/charts.py", "reports/runner.py"},
        ),
    ],
)
def test_a_step_depends_on_the_code_it_imports_and_no_other(module, included, excluded):
    names = _names(module)
    assert included <= names, included - names
    assert not excluded & names, excluded & names


def test_every_form_of_import_is_followed(tmp_path, monkeypatch):
    package = tmp_path / "konsel_analysis"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__", "a", "b", "c", "d", "e", "sub/__init__", "sub/f", "sub/g"):
        (package / f"{name}.py").write_text("", encoding="utf-8")
    source = package / "sub" / "mod.py"
    source.write_text(
        "import konsel_analysis.a as x, konsel_analysis.b\n"
        "from konsel_analysis import (\n    c,  # a comment\n    d as dd,\n)\n"
        "from . import f\n"
        "from ..e import something\n"
        "def later():\n    from .g import h  # noqa\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    found = cache._parsed_imports(source, 0, 0)
    assert found == {
        "konsel_analysis",
        "konsel_analysis.a",
        "konsel_analysis.b",
        "konsel_analysis.c",
        "konsel_analysis.d",
        "konsel_analysis.sub",
        "konsel_analysis.sub.f",
        "konsel_analysis.e",
        "konsel_analysis.sub.g",
    }


def test_the_code_followed_is_remembered_only_while_no_file_of_it_changed(tmp_path, monkeypatch):
    package = tmp_path / "konsel_analysis"
    package.mkdir()
    for name, source in (("__init__", ""), ("a", "from konsel_analysis import b\n"), ("b", "")):
        (package / f"{name}.py").write_text(source, encoding="utf-8")
    (package / "c.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)

    def names():
        return sorted(p.name for p in code_files("konsel_analysis.a"))

    assert names() == ["__init__.py", "a.py", "b.py"]
    assert names() == ["__init__.py", "a.py", "b.py"]  # remembered
    (package / "b.py").write_text("from konsel_analysis import c\n", encoding="utf-8")
    assert names() == ["__init__.py", "a.py", "b.py", "c.py"]  # b changed: followed again


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


# --- a damaged output is recomputed, never trusted (issue 13) ------------------------------


def _written(tmp_path):
    from konsel_analysis.build.manifest import output_digests

    (tmp_path / "t.csv").write_text("area,n\nA,223\n")
    return {"key": "k", "outputs": ["t.csv"], "digests": output_digests(tmp_path, ["t.csv"])}


def test_an_untouched_output_is_current(tmp_path):
    from konsel_analysis.build.manifest import is_current

    assert is_current(_written(tmp_path), "k", tmp_path)
    assert not is_current(_written(tmp_path), "other key", tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_text("area,n\nA,224\n"),  # one figure edited (same size)
        lambda p: p.write_bytes(p.read_bytes()[:5]),  # cut short
        lambda p: p.write_bytes(bytes([p.read_bytes()[0] ^ 0x20]) + p.read_bytes()[1:]),  # a bit
        lambda p: p.unlink(),  # deleted
    ],
    ids=["edited", "truncated", "bit flip", "deleted"],
)
def test_a_damaged_output_is_not_current_and_is_named(tmp_path, caplog, damage):
    import os

    from konsel_analysis.build.manifest import is_current

    manifest = _written(tmp_path)
    path = tmp_path / "t.csv"
    stat = path.stat()
    damage(path)
    if path.exists():  # the modification time put back: the content decides, not the clock
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with caplog.at_level("WARNING", logger="konsel_analysis.build.manifest"):
        assert not is_current(manifest, "k", tmp_path)
    assert ("t.csv changed since it was written" in caplog.text) == path.exists()


def test_a_manifest_from_before_digests_is_not_trusted(tmp_path):
    from konsel_analysis.build.manifest import is_current

    manifest = _written(tmp_path)
    del manifest["digests"]
    assert not is_current(manifest, "k", tmp_path)
