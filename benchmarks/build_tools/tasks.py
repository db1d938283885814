"""The task table the three prototypes share: what each task reads, writes and runs.

The prototypes (``dodo.py`` for doit, ``Snakefile`` for Snakemake, ``dvc.yaml`` for DVC
pipelines) give these tasks to an established tool, which then decides what to run: the
8 analysis steps of :data:`konsel_analysis.build.steps.STEPS`, the report tables and the
pages (all of them, one task). Each task runs the package's own function and nothing of
our cache: a step's manifest is removed before :func:`konsel_analysis.build.steps.run_step`
runs it (the manifest's ``sources`` and ``policy`` are what the reports read to trust a
step's tables, so the record stays, its key unused); the report tables are computed with
``force=True``; the pages are built with the render keys removed.

What a task depends on is what a contributor would declare: the raw tables, the dataset
config, the reference files (parameters.yml, ...) and the modules the step names
(:attr:`konsel_analysis.build.steps.Step.modules`), not the modules those import. Paths are
relative to the project root (``KONSEL_PROJECT_ROOT``, the tool's working folder).

    python benchmarks/build_tools/tasks.py step NAME | report-tables | pages | dvc-yaml
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROCESSED = "data/processed"
#: The folder of each step's outputs (its manifest.json goes there too).
STEP_FOLDERS = {
    "intake": f"{PROCESSED}/intake",
    "pmt": f"{PROCESSED}/pmt",
    "targeting": f"{PROCESSED}/targeting",
    "score": f"{PROCESSED}/score",
    "impact": f"{PROCESSED}/impact",
    "poverty_map": f"{PROCESSED}/poverty_map",
    "verification": f"{PROCESSED}/verification",
}
RAW = ("data/raw/survey.parquet", "data/raw/register.parquet")
CONFIG = "konsel_analysis/configs/konsel_survey.yml"
REPORT_TABLES = f"{PROCESSED}/report_inputs/manifest.json"
PAGES = "reports/index.html"
LOG = ".tool_tasks.log"  # one line per task run: which tasks a tool chose to run


def root() -> Path:
    return Path(os.environ.get("KONSEL_PROJECT_ROOT", ".")).resolve()


def _module_path(name: str) -> str:
    parts = name.split(".")
    base = Path(*parts)
    return str(base / "__init__.py") if (root() / base).is_dir() else f"{base}.py"


def reference_files() -> list[str]:
    folder = root() / "konsel_analysis" / "reference"
    return sorted(str(p.relative_to(root())) for p in folder.rglob("*") if p.is_file())


#: Per step: the raw tables it reads and the modules it names. Spelled here, not
#: imported: Snakemake and DVC read this table in their own venvs, without pandas
#: (tests/test_build_tools_benchmark.py keeps it equal to build.steps.STEPS).
STEPS = {
    "intake": (("survey", "register"), ("konsel_analysis.intake.step",)),
    "register_summary": (("survey", "register"), ("konsel_analysis.describe.step",)),
    "pmt": (("survey",), ("konsel_analysis.pmt.step",)),
    "targeting": (("survey",), ("konsel_analysis.targeting.step",)),
    "score": (
        ("survey", "register"),
        (
            "konsel_analysis.targeting.score",
            "konsel_analysis.targeting.field_lists",
            "konsel_analysis.targeting.workbench_tables",
        ),
    ),
    "impact": (
        ("survey",),
        ("konsel_analysis.impact", "konsel_analysis.targeting.workbench_tables"),
    ),
    "poverty_map": (
        ("survey", "register"),
        ("konsel_analysis.poverty_map.step", "konsel_analysis.poverty_map.diagnostics"),
    ),
    "verification": (
        ("survey", "register"),
        ("konsel_analysis.verification.rounds", "konsel_analysis.verification.cli"),
    ),
}


def reports_read() -> dict[str, tuple[str, ...]]:
    """The step outputs the reports read (``STEP_OUTPUTS`` of reports/report_data.py: names
    in the output registry), taken from its source: importing it needs pandas."""
    source = (root() / "konsel_analysis/reports/report_data.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "STEP_OUTPUTS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError("reports/report_data.py no longer defines STEP_OUTPUTS")


STEP_IDS = tuple(STEPS)  # in the order of build.steps.STEPS


def step_outputs(step: str) -> list[str]:
    """The files a step is declared to write: the ones the reports read, and its manifest.

    The verification step writes its tables only when data/raw/verification holds a
    returned round (the default data has one): without, its manifest alone is declared.
    """
    if step == "register_summary":
        name = f"{PROCESSED}/register_summary_by_kecamatan"
        tables = [_declared_path(n) for n in reports_read()[step]]
        return [f"{name}.csv", *tables, f"{name}.manifest.json"]
    names = () if step == "verification" and not _round_files() else reports_read()[step]
    return [*(_declared_path(n) for n in names), f"{STEP_FOLDERS[step]}/manifest.json"]


def _declared_path(name: str) -> str:
    """An output's path in the project, from the output registry (which imports neither
    pandas nor numpy, so the tools' own Pythons can read it from the tree)."""
    if str(root()) not in sys.path:
        sys.path.insert(0, str(root()))
    from konsel_analysis import outputs

    declared = outputs.output(name)
    return f"{declared.folder}/{declared.file}"


def _round_files() -> list[str]:
    """The verification rounds' plans and results (data/raw/verification), if any."""
    folder = root() / "data/raw/verification"
    return sorted(str(p.relative_to(root())) for p in folder.glob("round_*") if p.is_file())


def step_inputs(step: str) -> list[str]:
    tables, modules = STEPS[step]
    raw = [f"data/raw/{table}.parquet" for table in tables]
    raw += _round_files() if step == "verification" else []
    return [*raw, CONFIG, *reference_files(), *(_module_path(m) for m in modules)]


def report_tables_inputs() -> list[str]:
    steps = [path for step in STEP_IDS for path in step_outputs(step)]
    return [*RAW, *reference_files(), "konsel_analysis/reports/inputs.py", *steps]


def pages_inputs() -> list[str]:
    notebooks = sorted(str(p.relative_to(root())) for p in (root() / "notebooks").glob("*.ipynb"))
    code = sorted(
        str(p.relative_to(root())) for p in (root() / "konsel_analysis/reports").rglob("*.py")
    )
    return [REPORT_TABLES, *notebooks, *code]


def _ran(task: str) -> None:
    with open(root() / LOG, "a", encoding="utf-8") as fh:
        fh.write(task + "\n")


def run_step(step: str) -> None:
    """One analysis step, computed (never reused): the package's own step function."""
    from konsel_analysis.build import steps
    from konsel_analysis.paths import ProjectPaths

    spec = steps.STEPS[STEP_IDS.index(step)]
    ctx = steps.StepContext(ProjectPaths(root()), steps.PipelineSettings())
    spec.manifest(ctx.paths).unlink(missing_ok=True)
    steps.run_step(spec, ctx)
    _ran(f"step:{step}")


def report_tables() -> None:
    from konsel_analysis.paths import ProjectPaths
    from konsel_analysis.reports.inputs import prepare_report_inputs

    prepare_report_inputs(ProjectPaths(root()), force=True)
    _ran("report_tables")


def pages(language: str = "id") -> None:
    """Every page (25 kecamatan and the regency) and the index, two notebooks at a time."""
    from konsel_analysis.paths import ProjectPaths
    from konsel_analysis.reports.runner import RENDER_KEYS, build_reports

    paths = ProjectPaths(root())
    (paths.reports / "executed" / RENDER_KEYS).unlink(missing_ok=True)
    outcome = build_reports(paths, jobs=2, language=language, echo=lambda line: None)
    if outcome.failures:
        sys.exit(f"{len(outcome.failures)} reports failed: {outcome.failures[0].error}")
    _ran("pages")


def dvc_yaml() -> str:
    """dvc.yaml for this table (DVC's stages are YAML: written from here, not by hand).

    Outputs are not copied into DVC's cache (``cache: false``): the field lists and
    checked tables carry names and NIK and must stay in restricted/ only.
    """
    script = "benchmarks/build_tools/tasks.py"
    stages = [(f"step_{s}", f"step {s}", step_inputs(s), step_outputs(s)) for s in STEP_IDS] + [
        ("report_tables", "report-tables", report_tables_inputs(), [REPORT_TABLES]),
        ("pages", "pages", pages_inputs(), [PAGES]),
    ]
    lines = ["stages:"]
    for name, args, deps, outs in stages:
        lines += [f"  {name}:", f"    cmd: python {script} {args}", "    deps:"]
        lines += [f"      - {d}" for d in deps]
        lines += ["    outs:"]
        lines += [f"      - {o}:\n          cache: false" for o in outs]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["step"] and len(argv) == 2 and argv[1] in STEP_IDS:
        run_step(argv[1])
    elif argv == ["report-tables"]:
        report_tables()
    elif argv == ["pages"]:
        pages()
    elif argv == ["dvc-yaml"]:
        sys.stdout.write(dvc_yaml())
    else:
        print(f"usage: tasks.py step {{{','.join(STEP_IDS)}}} | report-tables | pages | dvc-yaml")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
