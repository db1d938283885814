"""The report tables: every figure the pages show, gathered once per build and cached.

Reports draw; they do not compute. The steps computed the figures (data/processed/);
this module gathers what the pages need into a handful of small tables in
``data/processed/report_inputs/``, with a ``manifest.json`` holding the cache key: a
hash of the raw files, the report settings (poverty lines, budget), ``parameters.yml``,
the steps' outputs read and the code of these modules. While the key is unchanged the
tables are reused, so the 25 kecamatan notebooks read a few kilobytes each.

Tables (CSV, one row per area, where the regency is the area ``74.05``):

``area_summary``, ``welfare_bands``, ``coverage_points``, ``desa_composition``
    the area summary step's tables (:mod:`konsel_analysis.describe`), copied as they
    are: register counts and programme shares, survey sample sizes and poverty rates,
    recipients by welfare band, coverage by programmes received, desa composition.
    Computed here from the raw tables only when that step did not run on these files
    and lines (a notebook run with other poverty lines).
``targeting_errors``
    the targeting step's point estimates of inclusion and exclusion error per area
    and programme (measured here from the survey only when that step did not run).

From the outputs of the other pipeline steps (:mod:`.step_tables`; data/processed/pmt,
targeting, score and impact, written by ``konsel reports`` before the notebooks run):

``targeting_intervals``
    measured errors with cluster-bootstrap intervals, small areas shrunk and flagged.
``expected_errors``, ``desa_expected_errors``
    expected inclusion and exclusion errors in the register (90% intervals per area).
``verification_allocation``, ``priority_households``
    the split of the visit budget; the first households to visit, by pseudonymous key.
``impact_simulation``
    poverty and extreme poverty before and after a correction round, two scenarios.
``pmt_estimators``, ``pmt_summary``, ``pmt_curve``
    the PMT model card: every estimator's out-of-sample accuracy, the chosen one,
    and its coverage of the poor for each share of households selected.
``group_errors``, ``group_expected_errors``
    targeting errors by group of households (:mod:`.group_tables`).

A table whose step has not run, or ran on other data or other poverty lines, is
left out and the manifest says why (``unavailable``); its section says so.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from konsel_analysis.build.keys import file_digest
from konsel_analysis.build.task import Made, Task, current_record, run_or_reuse
from konsel_analysis.describe.tables import (
    REGISTER_COLUMNS,
    SURVEY_COLUMNS,
    compose_desa,
    measure_targeting_errors,
    summarise_areas,
    tabulate_coverage,
    tabulate_welfare_bands,
)
from konsel_analysis.dictionary import PERSONAL_COLUMNS
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_atomic
from konsel_analysis.paths import ProjectPaths, project_paths
from konsel_analysis.reports import group_tables, step_tables, verification_tables
from konsel_analysis.reports.report_data import (
    MISSING,
    ReportData,
    ReportSettings,
    StepFiles,
    locate_step_outputs,
    resolve_settings,
)
from konsel_analysis.synth import MANIFEST_FILE, TABLE_FILES

INPUTS_DIRNAME = "report_inputs"
MANIFEST_NAME = "manifest.json"

# A survey rate whose denominator holds fewer sample households than this is
# called "small" in the reports' words (the usual rule of thumb of 30 observations).
SMALL_SAMPLE_HOUSEHOLDS = 30

#: The raw columns the report tables read when no usable step wrote a table: the area
#: summary's, and the household id that joins the register scores to their desa (never
#: published).
_REGISTER_COLUMNS = ["household_id", *REGISTER_COLUMNS]
_CODE_DTYPES = {"area_code": str, "kecamatan_code": str, "village_code": str}


@dataclass(frozen=True)
class ReportSources:
    """The raw files the report tables are computed from."""

    register: Path
    survey: Path

    @classmethod
    def of(
        cls,
        paths: ProjectPaths,
        register_path: str | Path | None = None,
        survey_path: str | Path | None = None,
    ) -> ReportSources:
        return cls(
            register=Path(register_path) if register_path else paths.raw / TABLE_FILES["register"],
            survey=Path(survey_path) if survey_path else paths.raw / TABLE_FILES["survey"],
        )

    def check(self) -> None:
        for name, path in (("register", self.register), ("survey", self.survey)):
            if not path.is_file():
                raise UserError(
                    f"{path} not found: the reports need the {name} table; "
                    "run `konsel synth` for the default data or give the path of the file"
                )

    def digests(self) -> dict[str, str]:
        """sha256 of each raw file (the pipeline steps record the same for theirs)."""
        return {"register": file_digest(self.register), "survey": file_digest(self.survey)}


@dataclass(frozen=True)
class ReportInputs:
    """The cached tables of one run: where they are, under which key, with which settings."""

    folder: Path
    key: str
    settings: ReportSettings
    reused: bool
    is_synthetic: bool
    tables: tuple[str, ...]
    unavailable: dict[str, str] = field(default_factory=dict)  # table -> why it is missing

    def has(self, name: str) -> bool:
        """Whether a table was computed (sections drawn from pipeline steps check this)."""
        return name in self.tables and (self.folder / f"{name}.csv").is_file()

    def why_missing(self, name: str) -> str:
        """Why a table is missing: ``missing``, ``other_data`` or ``other_settings``."""
        return self.unavailable.get(name, MISSING)

    def read(self, name: str) -> pd.DataFrame:
        """One cached table, with area and village codes kept as text."""
        if not self.has(name):
            raise UserError(
                f"{self.folder / (name + '.csv')} is missing: the report tables are incomplete; "
                "run `konsel reports` again to rebuild them"
            )
        return pd.read_csv(self.folder / f"{name}.csv", dtype=_CODE_DTYPES)


# --------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------


def _targeting_errors(data: ReportData) -> pd.DataFrame:
    """The targeting step's point estimates; measured here only when that step did not
    run (or ran on other data), so that the pages still show the sample's figures."""
    if data.steps.has("targeting"):
        return step_tables.tabulate_targeting_errors(data)
    return measure_targeting_errors(data.survey)


def _summary(name: str, compute: Callable[[ReportData], pd.DataFrame]) -> Table:
    """A table of the area summary step, copied as it is when that step ran on these raw
    files and lines; computed here only otherwise (a notebook run with other lines)."""

    def build(data: ReportData) -> pd.DataFrame | Path:
        if data.steps.has("register_summary"):
            return data.steps.path(f"summary_{name}")
        return compute(data)

    return Table(build)


@dataclass(frozen=True)
class Table:
    """How one report table is built (a table, or the step output that is the table), and
    the pipeline steps whose outputs it reads."""

    build: Callable[[ReportData], pd.DataFrame | Path]
    needs: tuple[str, ...] = ()


#: name -> how to build it; report sections test ``inputs.has(name)``.
TABLE_BUILDERS: dict[str, Table] = {
    "area_summary": _summary(
        "area_summary", lambda d: summarise_areas(d.register, d.survey, d.summary_settings)
    ),
    "targeting_errors": Table(_targeting_errors),
    "welfare_bands": _summary(
        "welfare_bands", lambda d: tabulate_welfare_bands(d.survey, d.summary_settings)
    ),
    "coverage_points": _summary("coverage_points", lambda d: tabulate_coverage(d.survey)),
    "desa_composition": _summary(
        "desa_composition", lambda d: compose_desa(d.register, d.summary_settings)
    ),
    "targeting_intervals": Table(step_tables.tabulate_targeting_intervals, ("targeting",)),
    "expected_errors": Table(step_tables.tabulate_expected_errors, ("score",)),
    "desa_expected_errors": Table(step_tables.tabulate_desa_expected_errors, ("score",)),
    "verification_allocation": Table(step_tables.tabulate_verification_allocation, ("score",)),
    "priority_households": Table(step_tables.list_priority_households, ("score",)),
    "impact_simulation": Table(step_tables.tabulate_impact, ("impact",)),
    "pmt_estimators": Table(step_tables.tabulate_pmt_estimators, ("pmt",)),
    "pmt_summary": Table(step_tables.summarise_pmt, ("pmt",)),
    "pmt_curve": Table(step_tables.tabulate_pmt_curve, ("pmt",)),
    "intake_counts": Table(step_tables.tabulate_intake, ("intake",)),
    "proxy_differences": Table(step_tables.tabulate_proxy_differences, ("intake",)),
    "poverty_map_desa": Table(step_tables.tabulate_poverty_map_desa, ("poverty_map",)),
    "poverty_map_kecamatan": Table(step_tables.tabulate_poverty_map_kecamatan, ("poverty_map",)),
    "group_errors": Table(group_tables.tabulate_group_errors, ("targeting",)),
    "group_expected_errors": Table(group_tables.tabulate_group_expected_errors, ("score",)),
    "verification_results": Table(
        verification_tables.tabulate_verification_results, ("verification",)
    ),
    "verification_calibration": Table(
        verification_tables.tabulate_verification_calibration, ("verification",)
    ),
}


# --------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------


def report_tables_task(
    folder: Path,
    sources: ReportSources,
    settings: ReportSettings,
    steps: StepFiles,
    pseudonym_key_digest: str,
    run: Callable[[], Made],
) -> Task:
    """The report tables as a build task: the raw files, the settings, the computing code
    (this module and every package module it imports), the step outputs read and a
    digest of the pseudonymisation key (the priority lists carry pseudonyms)."""
    step_part = {"files": steps.digests(), "missing": steps.unavailable}
    return Task(
        name="report tables",
        manifest=folder / MANIFEST_NAME,
        root=folder,
        run=run,
        inputs=(sources.register, sources.survey),
        code=(__name__,),
        settings={
            "settings": asdict(settings),
            "steps": step_part,
            "pseudonyms": pseudonym_key_digest,
        },
    )


def _checked_source(sources: ReportSources, role: str) -> pd.DataFrame:
    """The accepted rows of one raw table (the row checks of :mod:`konsel_analysis.intake`,
    done once per process: :func:`konsel_analysis.datasets.read_checked` keeps them)."""
    from konsel_analysis.datasets import load_dataset_config, read_checked
    from konsel_analysis.paths import DEFAULT_DATASET_CONFIG

    config = load_dataset_config(DEFAULT_DATASET_CONFIG)
    return read_checked(getattr(sources, role), config, role)[0]


def _load_sources(sources: ReportSources) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw tables' accepted rows, the columns the report tables use."""
    register = _checked_source(sources, "register")[_REGISTER_COLUMNS]
    survey = _checked_source(sources, "survey")[SURVEY_COLUMNS]
    # The column lists above name no personal column; keep it that way.
    assert not set(PERSONAL_COLUMNS) & (set(register.columns) | set(survey.columns))
    return register, survey


def prepare_report_inputs(
    paths: ProjectPaths | None = None,
    *,
    register_path: str | Path | None = None,
    survey_path: str | Path | None = None,
    inputs_dir: str | Path | None = None,
    settings: ReportSettings | None = None,
    force: bool = False,
    key: str = "",
) -> ReportInputs:
    """Compute the report tables, or reuse them while the cache key is unchanged.

    Parameters
    ----------
    paths
        Project folders (default: the project of ``KONSEL_PROJECT_ROOT``).
    register_path, survey_path
        Raw tables; default ``data/raw/register.parquet`` and ``survey.parquet``.
    inputs_dir
        Where the tables go; default ``data/processed/report_inputs``.
    settings
        Poverty lines and budget; default from ``parameters.yml``.
    force
        Recompute even when the cached key matches.
    key
        The tables' key when the caller has just made them under it (``konsel reports``
        gives its pages the key its driver made the tables under): reused when their
        record holds it and every table is intact, without working the key out again
        (following the code's imports is most of what opening the tables costs a page).
        Otherwise, or when empty, worked out here.
    """
    paths = paths or project_paths()
    sources = ReportSources.of(paths, register_path, survey_path)
    sources.check()
    settings = settings or resolve_settings()
    folder = Path(inputs_dir) if inputs_dir else paths.processed / INPUTS_DIRNAME
    steps = locate_step_outputs(paths, sources.digests(), settings)
    is_synthetic = (sources.register.parent / MANIFEST_FILE).is_file()

    def build() -> Made:
        data = ReportData(settings, steps, paths.root, lambda: _load_sources(sources))
        folder.mkdir(parents=True, exist_ok=True)
        built, unavailable = [], {}
        for name, table_spec in TABLE_BUILDERS.items():
            missing = [s for s in table_spec.needs if not steps.has(s)]
            if missing:
                unavailable[name] = steps.unavailable[missing[0]]
                (folder / f"{name}.csv").unlink(missing_ok=True)  # never an earlier run's table
                continue
            table = table_spec.build(data)
            if isinstance(table, Path):  # a step's table, as it is
                write_atomic(folder / f"{name}.csv", lambda tmp, t=table: shutil.copyfile(t, tmp))
            else:
                write_atomic(
                    folder / f"{name}.csv",
                    lambda tmp, t=table: t.to_csv(tmp, index=False, lineterminator="\n"),
                )
            built.append(name)
        extra = {
            "tables": built,
            "unavailable": unavailable,
            "settings": asdict(settings),
            "sources": {"register": sources.register.name, "survey": sources.survey.name},
            "is_synthetic": is_synthetic,
        }
        return Made([folder / f"{name}.csv" for name in built], extra)

    task = report_tables_task(
        folder, sources, settings, steps, _pseudonym_key_digest(paths, steps), build
    )
    record = current_record(task, key) if key and not force else None
    if record is None:
        outcome = run_or_reuse(task, force=force)
        key, record, reused = outcome.key, outcome.record, outcome.reused
    else:
        reused = True
    return ReportInputs(
        folder,
        key,
        settings,
        reused,
        is_synthetic,
        tuple(record.get("tables", [])),
        dict(record.get("unavailable", {})),
    )


def _pseudonym_key_digest(paths: ProjectPaths, steps: StepFiles) -> str:
    """A digest of the project's pseudonymisation key when the priority lists need it."""
    if not steps.has("score"):
        return ""
    from konsel_analysis.privacy import load_or_create_secret_key

    return hashlib.sha256(load_or_create_secret_key(paths.root)).hexdigest()
