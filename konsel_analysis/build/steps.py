"""The main job's table of tasks: every analysis step of the work, in order.

0. validated inputs: the row checks on the survey and the register (rejected rows
   -> data/processed/rejected/, counts -> data/processed/intake/), and how far the
   register's proxies differ from the survey's;
1. area summary: register counts and shares, survey poverty rates, welfare bands,
   coverage and desa composition -> data/processed/summary/, and the register summary
   by kecamatan;
2. PMT validation: every estimator cross-validated on the survey -> data/processed/pmt/;
3. survey-measured targeting errors with bootstrap intervals -> data/processed/targeting/;
4. register scoring: expected errors in the register, priorities, the verification
   allocation -> data/processed/score/, and the field lists with names and NIK
   -> restricted/ (git-ignored, for authorised staff only);
5. impact simulation of a correction round -> data/processed/impact/;
6. the desa poverty map -> data/processed/poverty_map/;
7. the latest verification round -> data/processed/verification/;
then the report tables and the HTML reports (:mod:`konsel_analysis.reports`):
:func:`konsel_analysis.reports.main_job.run_pipeline` runs both.

Each :class:`Step` names what it reads, the code and settings its outputs depend on,
and its entry function (in the step's own subpackage: the analysis code knows
nothing of keys or manifests). :func:`run_step` makes it a
:class:`~konsel_analysis.build.task.Task` and runs it or reuses what it wrote
(:func:`~konsel_analysis.build.task.run_or_reuse`); :mod:`.schedule` runs the steps
side by side in the report workers. Each step reads data/raw (never writes it, never
reads another step's outputs) and says what it wrote. A fixed seed makes every
output reproducible.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from konsel_analysis import outputs
from konsel_analysis.build.keys import file_digest
from konsel_analysis.build.task import Task, run_or_reuse
from konsel_analysis.paths import DEFAULT_DATASET_CONFIG, ProjectPaths
from konsel_analysis.pmt import SLOW_ESTIMATORS
from konsel_analysis.synth import TABLE_FILES

__all__ = ["STEPS", "PipelineSettings", "Step", "StepContext", "run_step"]

#: The dataset config that describes the default data (data/raw/survey.parquet).
DEFAULT_CONFIG = DEFAULT_DATASET_CONFIG


@dataclass(frozen=True)
class PipelineSettings:
    """How the shared steps run. Policy numbers (lines, budget) come from parameters.yml.

    The defaults are those of the step commands (``konsel validate-pmt``,
    ``konsel targeting``, ``konsel score``), except that the PMT validation leaves out
    the slowest estimators (``pmt_left_out``); tests pass fewer replicates to stay fast.
    """

    seed: int = 0  # every fold assignment, bootstrap and model fit
    pmt_folds: int = 5  # cross-validation folds of the PMT validation
    # PMT estimators the main job does not compare: the three slowest (about 15 of the
    # validation's 19 CPU seconds on the Konsel survey), so that the unattended build
    # stays near its floor. The model card and the regency report name them;
    # ``konsel validate-pmt`` compares every estimator; () compares them all here too.
    pmt_left_out: tuple[str, ...] = SLOW_ESTIMATORS
    targeting_reps: int = 500  # cluster-bootstrap replicates of the survey-measured errors
    targeting_ci: float = 0.95  # coverage of the survey-measured intervals
    score_reps: int = 200  # replicates of the expected register errors (90% intervals)
    poverty_map_reps: int = 200  # parametric-bootstrap replicates of the desa poverty map
    config: Path = field(default=DEFAULT_CONFIG)  # dataset config of the survey and register


@dataclass(frozen=True)
class StepContext:
    """What a step runs on: the project's folders, the raw files, the settings."""

    paths: ProjectPaths
    settings: PipelineSettings

    @property
    def survey(self) -> Path:
        return self.paths.raw / TABLE_FILES["survey"]

    @property
    def register(self) -> Path:
        return self.paths.raw / TABLE_FILES["register"]


@dataclass(frozen=True)
class Step:
    """One step: what it reads, the code and settings its outputs depend on, how it runs."""

    name: str
    manifest: Callable[[ProjectPaths], Path]  # where its cache key and output list go
    inputs: tuple[str, ...]  # raw tables it reads ("survey", "register")
    modules: tuple[str, ...]  # package modules whose code decides its outputs
    settings: Callable[[StepContext], dict]  # the settings its outputs depend on
    run: Callable[[StepContext], list[Path]]
    uses_config: bool = True
    headline: Callable[[StepContext], str] | None = None  # one line on what it found


@dataclass(frozen=True)
class StepOutcome:
    step: Step
    written: list[Path]
    reused: bool
    seconds: float
    headline: str = ""


# --------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------


def check_inputs(ctx: StepContext) -> list[Path]:
    """The row checks on both raw tables, their counts, and survey-register comparability."""
    from konsel_analysis.intake import step

    paths = ctx.paths
    return step.run(
        ctx.survey,
        ctx.register,
        ctx.settings.config,
        intake_dir=paths.intake,
        rejected_dir=paths.rejected,
    )


def _intake_headline(ctx: StepContext) -> str:
    from konsel_analysis.intake.comparability import comparability_warning

    summary = pd.read_csv(outputs.path(ctx.paths, "intake_summary"))
    counts = "; ".join(
        f"{r.table}: {r.accepted:,} of {r.rows_read:,} rows accepted"
        + (f" ({r.rejected:,} rejected, most often {r.most_common_reason})" if r.rejected else "")
        for r in summary.itertuples()
    )
    comparability = pd.read_csv(
        outputs.path(ctx.paths, "comparability"), keep_default_na=False, dtype={"level": str}
    )
    warning = comparability_warning(comparability)
    return counts + (f"\n         warning: {warning}" if warning else "")


def _summarise_areas(ctx: StepContext) -> list[Path]:
    from konsel_analysis.describe import step
    from konsel_analysis.describe.tables import TABLES

    return step.run(
        ctx.survey,
        ctx.register,
        ctx.settings.config,
        _summary_settings(),
        {name: outputs.path(ctx.paths, f"summary_{name}") for name in TABLES},
        outputs.path(ctx.paths, "register_summary_by_kecamatan"),
    )


def _validate_pmt(ctx: StepContext) -> list[Path]:
    from konsel_analysis.pmt import step

    s = ctx.settings
    _, written = step.run(
        ctx.survey,
        s.config,
        folds=s.pmt_folds,
        seed=s.seed,
        out=ctx.paths.pmt,
        left_out=s.pmt_left_out,
    )
    return written


def _measure_targeting(ctx: StepContext) -> list[Path]:
    from konsel_analysis.targeting import step

    s = ctx.settings
    return step.run(
        ctx.survey,
        s.config,
        ci=s.targeting_ci,
        reps=s.targeting_reps,
        out=ctx.paths.targeting,
        seed=s.seed,
    )


def _score_register(ctx: StepContext) -> list[Path]:
    from konsel_analysis.privacy import load_or_create_secret_key
    from konsel_analysis.targeting.score import run_score
    from konsel_analysis.targeting.score_settings import ScoreSettings

    s = ctx.settings
    return run_score(
        ctx.survey,
        ctx.register,
        s.config,
        ScoreSettings(reps=s.score_reps, seed=s.seed),  # the budget: parameters.yml
        out=ctx.paths.score,
        restricted=ctx.paths.restricted,
        pseudonym_key=load_or_create_secret_key(ctx.paths.root),
    )


def _poverty_map(ctx: StepContext) -> list[Path]:
    from konsel_analysis.poverty_map.step import run as run_poverty_map

    _, written = run_poverty_map(
        ctx.survey,
        ctx.register,
        ctx.settings.config,
        outputs.step_folder(ctx.paths, "poverty_map"),
        level="cluster",
        reps=ctx.settings.poverty_map_reps,
        seed=ctx.settings.seed,
        drop_unknown_areas=True,
    )
    return written


def _summary_settings():
    """The area summary's policy numbers (parameters.yml)."""
    from konsel_analysis.describe.tables import SummarySettings

    return SummarySettings.from_parameters()


def _simulate_impact(ctx: StepContext) -> list[Path]:
    from konsel_analysis import impact

    s = ctx.settings
    return impact.run(ctx.survey, s.config, ctx.paths.impact, seed=s.seed)


def _pseudonym_key_digest(ctx: StepContext) -> str:
    """A digest of the pseudonymisation key (never the key): field lists carry pseudonyms."""
    from konsel_analysis.privacy import load_or_create_secret_key

    return hashlib.sha256(load_or_create_secret_key(ctx.paths.root)).hexdigest()


# -- one line per step on what it found (read back from its outputs) ---------------------


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _pmt_headline(ctx: StepContext) -> str:
    import json

    card = json.loads(outputs.path(ctx.paths, "model_card").read_text(encoding="utf-8"))
    best = card["best"]["name"]
    excl = card["estimators"][best]["at_rate"]["exclusion_error"]
    return f"chosen PMT: {best} (out-of-sample exclusion error at the poverty rate {_pct(excl)})"


def _targeting_headline(ctx: StepContext) -> str:
    table = pd.read_csv(outputs.path(ctx.paths, "targeting_by_area"), dtype={"area": str})
    pkh = table[table["program"] == "is_pkh_recipient"]
    row = pkh[pkh["area"] == "ALL"]
    if row.empty:
        return ""
    r = row.iloc[0]
    return (
        f"PKH, regency: inclusion error {_pct(r['inclusion_error'])} "
        f"({_pct(r['inclusion_error_low'])}-{_pct(r['inclusion_error_high'])}), "
        f"exclusion error {_pct(r['exclusion_error'])} "
        f"({_pct(r['exclusion_error_low'])}-{_pct(r['exclusion_error_high'])}); "
        f"{int(pkh['is_shrunk'].sum())} of {len(pkh) - 1} kecamatan estimates shrunk "
        "towards the regency (small samples)"
    )


def _score_headline(ctx: StepContext) -> str:
    table = pd.read_csv(outputs.path(ctx.paths, "expected_errors_by_area"), dtype={"area": str})
    r = table[table["area"] == "ALL"].iloc[0]
    return (
        f"expected in the register: {r['expected_inclusion_errors']:,.0f} inclusion errors "
        f"among {r['beneficiaries']:,} beneficiaries (90%: "
        f"{r['expected_inclusion_errors_low']:,.0f}-{r['expected_inclusion_errors_high']:,.0f}), "
        f"{r['expected_exclusion_errors']:,.0f} exclusion errors "
        f"({r['expected_exclusion_errors_low']:,.0f}-{r['expected_exclusion_errors_high']:,.0f})"
    )


def _impact_headline(ctx: StepContext) -> str:
    table = pd.read_csv(outputs.path(ctx.paths, "impact_by_area"), dtype={"area": str})
    rows = table[table["area"] == "ALL"].set_index("scenario")
    verified, model = rows.loc["verified"], rows.loc["model only"]
    return (
        f"verified round: {verified['extreme_poor_lifted_persons']:,.0f} extreme-poor people "
        f"lifted, {verified['extreme_poor_added_persons']:,.0f} pushed below; acting on "
        f"predictions alone: {model['extreme_poor_lifted_persons']:,.0f} lifted, "
        f"{model['extreme_poor_added_persons']:,.0f} pushed below"
    )


def _poverty_map_headline(ctx: StepContext) -> str:
    import json

    meta = json.loads(outputs.path(ctx.paths, "poverty_map_meta").read_text(encoding="utf-8"))
    areas = pd.read_csv(outputs.path(ctx.paths, "poverty_map_areas"), dtype={"area": str})
    return (
        f"{meta['sampled_areas']} desa EB, {meta['areas'] - meta['sampled_areas']} synthetic; "
        f"{meta['model']['transformation']['formula']}; ICC {meta['model']['icc']:.3f}; "
        f"{int((areas['stands_out'] == 'above').sum())} desa poorer than the regency beyond "
        "their 90% interval"
    )


def _import_verification_round(ctx: StepContext) -> list[Path]:
    from konsel_analysis.verification.rounds import import_latest_round

    return import_latest_round(
        ctx.paths.raw,
        ctx.survey,
        ctx.register,
        ctx.settings.config,
        outputs.step_folder(ctx.paths, "verification"),
        ctx.paths.restricted,
        seed=ctx.settings.seed,
    )


def _verification_round_files(ctx: StepContext) -> dict:
    """The digests of the latest complete round's raw files (none: no round yet)."""
    from konsel_analysis.verification.rounds import round_files

    rounds = round_files(ctx.paths.raw)
    if not rounds:
        return {"round": "none"}
    n, plan, results = rounds[-1]
    return {"round": n, "plan": file_digest(plan), "results": file_digest(results)}


def _verification_headline(ctx: StepContext) -> str:
    path = outputs.path(ctx.paths, "verification_by_area")
    if not path.exists():
        return "no verification round in data/raw/verification yet"
    r = pd.read_csv(path, dtype={"area": str}).set_index("area").loc["ALL"]
    return (
        f"round results: {int(r['visits_done']):,} of {int(r['planned_visits']):,} visits done; "
        f"{int(r['found_inclusion_errors']):,} inclusion and "
        f"{int(r['found_exclusion_errors']):,} "
        f"exclusion errors found; estimated inclusion errors in the register "
        f"{r['estimated_inclusion_errors']:,.0f} (90%: {r['estimated_inclusion_errors_low']:,.0f}"
        f"-{r['estimated_inclusion_errors_high']:,.0f})"
    )


STEPS: list[Step] = [
    Step(
        "validated inputs (row checks, survey-register comparability)",
        manifest=lambda p: outputs.path(p, "intake_manifest"),
        inputs=("survey", "register"),
        modules=("konsel_analysis.intake.step",),
        settings=lambda ctx: {},
        run=check_inputs,
        headline=_intake_headline,
    ),
    Step(
        "area summary (register counts and shares, survey poverty, welfare bands, coverage, desa)",
        manifest=lambda p: outputs.path(p, "register_summary_manifest"),
        inputs=("survey", "register"),
        modules=("konsel_analysis.describe.step",),
        settings=lambda ctx: {"summary": asdict(_summary_settings())},
        run=_summarise_areas,
    ),
    Step(
        "PMT validation",
        manifest=lambda p: outputs.path(p, "pmt_manifest"),
        inputs=("survey",),
        modules=("konsel_analysis.pmt.step",),
        settings=lambda ctx: {
            "seed": ctx.settings.seed,
            "folds": ctx.settings.pmt_folds,
            "left_out": list(ctx.settings.pmt_left_out),
        },
        run=_validate_pmt,
        headline=_pmt_headline,
    ),
    Step(
        "survey-measured targeting errors",
        manifest=lambda p: outputs.path(p, "targeting_manifest"),
        inputs=("survey",),
        modules=("konsel_analysis.targeting.step",),
        settings=lambda ctx: {
            "seed": ctx.settings.seed,
            "reps": ctx.settings.targeting_reps,
            "ci": ctx.settings.targeting_ci,
        },
        run=_measure_targeting,
        headline=_targeting_headline,
    ),
    Step(
        "register scoring (expected errors, priorities, visit allocation, field lists)",
        manifest=lambda p: outputs.path(p, "score_manifest"),
        inputs=("survey", "register"),
        modules=(
            "konsel_analysis.targeting.score",
            "konsel_analysis.targeting.field_lists",
            "konsel_analysis.targeting.workbench_tables",
        ),
        settings=lambda ctx: {
            "seed": ctx.settings.seed,
            "reps": ctx.settings.score_reps,
            "pseudonym_key_sha256": _pseudonym_key_digest(ctx),
        },
        run=_score_register,
        headline=_score_headline,
    ),
    Step(
        "impact simulation (verified round vs acting on predictions alone)",
        manifest=lambda p: outputs.path(p, "impact_manifest"),
        inputs=("survey",),
        modules=("konsel_analysis.impact", "konsel_analysis.targeting.workbench_tables"),
        settings=lambda ctx: {"seed": ctx.settings.seed},
        run=_simulate_impact,
        headline=_impact_headline,
    ),
    Step(
        "desa poverty map (EBP, parametric bootstrap)",
        manifest=lambda p: outputs.path(p, "poverty_map_manifest"),
        inputs=("survey", "register"),
        modules=("konsel_analysis.poverty_map.step", "konsel_analysis.poverty_map.diagnostics"),
        settings=lambda ctx: {"seed": ctx.settings.seed, "reps": ctx.settings.poverty_map_reps},
        run=_poverty_map,
        headline=_poverty_map_headline,
    ),
    Step(
        "verification round (the latest returned results: estimates, next round's plan)",
        manifest=lambda p: outputs.path(p, "verification_manifest"),
        inputs=("survey", "register"),
        modules=("konsel_analysis.verification.rounds", "konsel_analysis.verification.cli"),
        settings=lambda ctx: {"seed": ctx.settings.seed, **_verification_round_files(ctx)},
        run=_import_verification_round,
        headline=_verification_headline,
    ),
]


# --------------------------------------------------------------------------------------
# Running a step, or reusing what it wrote
# --------------------------------------------------------------------------------------


def _policy() -> dict:
    """The policy numbers every step reads from parameters.yml (recorded for the reports)."""
    from konsel_analysis.parameters import load_parameters

    params = load_parameters()
    return {
        "poverty_line_idr": float(params.value("poverty_lines.poverty_line")),
        "extreme_poverty_line_idr": float(params.value("poverty_lines.extreme_poverty_line")),
        "verification_budget_visits": int(params.value("verification.budget_visits")),
    }


def step_task(step: Step, ctx: StepContext) -> Task:
    """The step as a :class:`~konsel_analysis.build.task.Task`: its raw tables and dataset
    config, its code, its settings; its record also keeps the digests of the raw tables
    it read, the policy numbers and the settings (the reports check the first two)."""
    sources = {name: getattr(ctx, name) for name in step.inputs}
    settings = {
        **step.settings(ctx),
        # The step's own function decides which arguments the step code gets.
        "run": hashlib.sha256(inspect.getsource(step.run).encode()).hexdigest(),
    }
    return Task(
        name=step.name,
        manifest=step.manifest(ctx.paths),
        root=ctx.paths.root,
        run=lambda: step.run(ctx),
        inputs=(*sources.values(), *([ctx.settings.config] if step.uses_config else [])),
        code=step.modules,
        settings=settings,
        extra=lambda: {
            "sources": {name: file_digest(path) for name, path in sources.items()},
            "policy": _policy(),
            "settings": {k: str(v) for k, v in asdict(ctx.settings).items()},
        },
    )


def run_step(step: Step, ctx: StepContext) -> StepOutcome:
    """Run one step, or reuse its outputs while its key is unchanged."""
    started = time.perf_counter()
    outcome = run_or_reuse(step_task(step, ctx))
    headline = step.headline(ctx) if step.headline else ""
    return StepOutcome(
        step, outcome.outputs, outcome.reused, time.perf_counter() - started, headline
    )


def shown_path(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def describe_outcome(outcome: StepOutcome, root: Path) -> list[str]:
    """Lines for the terminal: status, time, what it found, what it wrote (or kept)."""
    if outcome.reused:
        lines = [f"  [reused] {outcome.step.name}: inputs, code and settings unchanged"]
        verb = "kept "
    else:
        lines = [f"  [done] {outcome.step.name} in {outcome.seconds:.1f} s"]
        verb = "wrote"
    if outcome.headline:
        lines.append(f"         {outcome.headline}")
    by_folder: dict[Path, list[Path]] = {}
    for path in outcome.written:
        by_folder.setdefault(path.parent, []).append(path)
    for folder, files in by_folder.items():
        if len(files) > 4:  # e.g. one field list per kecamatan, in two formats
            suffixes = ", ".join(sorted({p.suffix.lstrip(".").upper() for p in files}))
            lines.append(
                f"         {verb} {shown_path(folder, root)}/ ({len(files)} files: {suffixes})"
            )
        else:
            lines.extend(f"         {verb} {shown_path(p, root)}" for p in files)
    return lines
