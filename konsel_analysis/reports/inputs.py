"""The shared computation behind every report, done once and cached.

Reports draw; they do not compute. This step reads the register and the survey
(never the personal columns), computes every figure the reports show into a
handful of small tables, and writes them to ``data/processed/report_inputs/``
with a ``manifest.json`` holding the cache key: a hash of the input files, the
report settings (poverty lines, budget), ``parameters.yml`` and the code of the
computing modules. While the key is unchanged the tables are reused, so the 25
kecamatan notebooks read a few kilobytes each instead of the raw data.

Tables (CSV, one row per area, where the regency is the area ``74.05``):

``area_summary``
    register counts and programme shares; survey sample size and poverty rates.
``targeting_errors``
    measured inclusion and exclusion error per area and programme (survey).
``welfare_bands``
    share of recipients and non-recipients in bands of consumption set by the
    poverty and extreme-poverty lines (survey).
``coverage_points``
    share of households and of poor households reached when households are
    ranked by the number of programmes they receive (survey).
``desa_composition``
    households and programme shares per desa (register), small cells suppressed.

From the outputs of the pipeline steps (:mod:`.step_tables`; data/processed/pmt,
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

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.build.keys import file_digest
from konsel_analysis.build.task import Made, Task, run_or_reuse
from konsel_analysis.dictionary import PERSONAL_COLUMNS, PROGRAM_FLAGS
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_atomic
from konsel_analysis.geography import REGENCY_CODE, load_kecamatan, load_villages
from konsel_analysis.paths import ProjectPaths, project_paths
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
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

#: Programmes whose targeting the reports measure; "pkh_or_bpnt" is either one.
MEASURED_PROGRAMMES = ("pkh", "bpnt", "pkh_or_bpnt")

_REGISTER_COLUMNS = [
    "household_id",  # joins the register scores to their desa; never published
    "kecamatan_code",
    "village_code",
    "household_size",
    *PROGRAM_FLAGS,
    "desil",
]
_SURVEY_COLUMNS = [
    "kecamatan_code",
    "village_code",
    "design_weight",
    "household_size",
    "consumption_pc_month_idr",
    *PROGRAM_FLAGS,
]
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
# Survey-weighted measures: plain functions of arrays and weights
# --------------------------------------------------------------------------------------


def weighted_share(is_in: np.ndarray, weights: np.ndarray) -> float:
    """Weighted share of ``True`` in ``is_in``; NaN when the weights sum to zero.

    >>> weighted_share(np.array([True, False, False]), np.array([2.0, 1.0, 1.0]))
    0.5
    """
    total = float(np.sum(weights))
    return float(np.sum(weights[np.asarray(is_in, dtype=bool)]) / total) if total > 0 else np.nan


def inclusion_error(is_recipient: np.ndarray, is_poor: np.ndarray, weights: np.ndarray) -> float:
    """Share of recipients who are not poor (weighted); NaN without recipients.

    >>> inclusion_error(np.array([1, 1, 0, 1]), np.array([1, 0, 1, 0]), np.ones(4))
    0.6666666666666666
    """
    rec = np.asarray(is_recipient, dtype=bool)
    return weighted_share(~np.asarray(is_poor, dtype=bool)[rec], np.asarray(weights)[rec])


def exclusion_error(is_recipient: np.ndarray, is_poor: np.ndarray, weights: np.ndarray) -> float:
    """Share of the poor who do not receive (weighted); NaN without poor households.

    >>> exclusion_error(np.array([1, 1, 0, 1]), np.array([1, 0, 1, 0]), np.ones(4))
    0.5
    """
    poor = np.asarray(is_poor, dtype=bool)
    return weighted_share(~np.asarray(is_recipient, dtype=bool)[poor], np.asarray(weights)[poor])


# --------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------


def _areas(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each kecamatan of the geography (empty frame when it has no rows), then the regency."""
    groups = dict(tuple(frame.groupby("kecamatan_code", sort=True)))
    for code in load_kecamatan()["kecamatan_code"]:
        yield code, groups.get(code, frame.iloc[0:0])
    yield REGENCY_CODE, frame


def _receives(frame: pd.DataFrame, programme: str) -> np.ndarray:
    if programme == "pkh_or_bpnt":
        return (frame["is_pkh_recipient"] | frame["is_bpnt_recipient"]).to_numpy(bool)
    return frame[f"is_{programme}_recipient"].to_numpy(bool)


def _prepare_survey(survey: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    consumption = survey["consumption_pc_month_idr"]
    return survey.assign(
        is_poor=consumption < settings.poverty_line_idr,
        is_extreme_poor=consumption < settings.extreme_poverty_line_idr,
        person_weight=survey["design_weight"] * survey["household_size"],
    )


def summarise_areas(
    register: pd.DataFrame, survey: pd.DataFrame, settings: ReportSettings
) -> pd.DataFrame:
    """One row per kecamatan and one for the regency: register counts, survey poverty."""
    rows = []
    survey_by_area = dict(_areas(survey))
    for code, reg in _areas(register):
        sample = survey_by_area[code]
        w, pw = sample["design_weight"].to_numpy(), sample["person_weight"].to_numpy()
        eligible = reg["desil"].to_numpy() <= settings.eligible_desil_max
        row = {
            "area_code": code,
            "households": len(reg),
            "persons": int(reg["household_size"].sum()),
            "villages": reg["village_code"].nunique(),
            "share_desil_eligible": float(eligible.mean()) if len(reg) else np.nan,
            "survey_households": len(sample),
            "survey_villages": sample["village_code"].nunique(),
            "survey_poor_households": int(sample["is_poor"].sum()),
            "survey_extreme_poor_households": int(sample["is_extreme_poor"].sum()),
            "poverty_rate_persons": weighted_share(sample["is_poor"].to_numpy(), pw),
            "extreme_poverty_rate_persons": weighted_share(
                sample["is_extreme_poor"].to_numpy(), pw
            ),
            "poverty_rate_households": weighted_share(sample["is_poor"].to_numpy(), w),
        }
        for flag in PROGRAM_FLAGS:
            short = flag.removeprefix("is_").removesuffix("_recipient")
            receives = reg[flag].to_numpy(bool)
            row[f"share_{short}"] = float(receives.mean()) if len(reg) else np.nan
            # DTSEN (Inpres 4/2025): social assistance goes to desil 1-4; recipients
            # outside them are ineligible by the register's own rule.
            outside = int((receives & ~eligible).sum())
            row[f"share_{short}_outside_eligible_desil"] = (
                outside / receives.sum() if receives.sum() >= MIN_CELL_HOUSEHOLDS else np.nan
            )
        rows.append(row)
    summary = pd.DataFrame(rows)
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    summary.insert(1, "area_name", summary["area_code"].map(names).fillna("Konawe Selatan"))
    return summary


def measure_targeting_errors(survey: pd.DataFrame) -> pd.DataFrame:
    """Inclusion and exclusion error per area and programme, with their sample sizes.

    A rate from fewer than :data:`MIN_CELL_HOUSEHOLDS` sample households is left
    empty (suppressed); the sample sizes say how far each rate can be trusted.
    """
    rows = []
    for code, sample in _areas(survey):
        w, poor = sample["design_weight"].to_numpy(), sample["is_poor"].to_numpy(bool)
        for programme in MEASURED_PROGRAMMES:
            receives = _receives(sample, programme)
            n_recipients, n_poor = int(receives.sum()), int(poor.sum())
            inclusion = inclusion_error(receives, poor, w)
            exclusion = exclusion_error(receives, poor, w)
            rows.append(
                {
                    "area_code": code,
                    "programme": programme,
                    "survey_recipients": n_recipients,
                    "survey_poor_households": n_poor,
                    "inclusion_error": inclusion if n_recipients >= MIN_CELL_HOUSEHOLDS else np.nan,
                    "exclusion_error": exclusion if n_poor >= MIN_CELL_HOUSEHOLDS else np.nan,
                    "coverage_households": weighted_share(receives, w),
                    "coverage_poor": 1 - exclusion if n_poor >= MIN_CELL_HOUSEHOLDS else np.nan,
                }
            )
    return pd.DataFrame(rows)


def welfare_band_edges(settings: ReportSettings) -> list[tuple[str, float, float]]:
    """Consumption bands (Rp per capita per month) set by the two lines.

    Below the extreme-poverty line; between the two lines; vulnerable (1 to 1.5
    times the poverty line, BPS's "rentan miskin"); and not poor (1.5 times the
    line or more). Four bands keep each cell large enough to show in a
    kecamatan sample of about a hundred households.
    """
    gk, ext = settings.poverty_line_idr, settings.extreme_poverty_line_idr
    return [
        ("extreme_poor", 0.0, ext),
        ("poor", ext, gk),
        ("vulnerable", gk, 1.5 * gk),
        ("not_poor", 1.5 * gk, np.inf),
    ]


def tabulate_welfare_bands(survey: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """Weighted share of PKH-or-BPNT recipients and of non-recipients in each band."""
    edges = welfare_band_edges(settings)
    rows = []
    for code, sample in _areas(survey):
        receives = _receives(sample, "pkh_or_bpnt")
        consumption = sample["consumption_pc_month_idr"].to_numpy()
        w = sample["design_weight"].to_numpy()
        for group, members in (("recipient", receives), ("non_recipient", ~receives)):
            group_weight = w[members].sum()
            for band, low, high in edges:
                in_band = members & (consumption >= low) & (consumption < high)
                n = int(in_band.sum())
                share = w[in_band].sum() / group_weight if group_weight > 0 else np.nan
                rows.append(
                    {
                        "area_code": code,
                        "group": group,
                        "band": band,
                        "lower_idr": low,
                        "upper_idr": high,
                        "group_households": int(members.sum()),
                        "share_households": share if n >= MIN_CELL_HOUSEHOLDS else np.nan,
                        "is_suppressed": n < MIN_CELL_HOUSEHOLDS,
                    }
                )
    return pd.DataFrame(rows)


def tabulate_coverage(survey: pd.DataFrame) -> pd.DataFrame:
    """Coverage when households are ranked by how many programmes they receive.

    The survey has no DTSEN desil and no PMT score yet, so the best stand-in for
    the current ranking is the number of programmes (PKH, BPNT, PBI-JK, BLT-DD) a
    household gets: households with all four come first. Each point says which
    share of households and which share of poor households are reached when
    every household with at least ``min_programmes`` is covered.
    """
    rows = []
    for code, sample in _areas(survey):
        w, poor = sample["design_weight"].to_numpy(), sample["is_poor"].to_numpy(bool)
        n_programmes = sample[list(PROGRAM_FLAGS)].sum(axis=1).to_numpy()
        for k in range(len(PROGRAM_FLAGS), 0, -1):
            covered = n_programmes >= k
            rows.append(
                {
                    "area_code": code,
                    "ranking": "programmes_received",
                    "min_programmes": k,
                    "share_households": weighted_share(covered, w),
                    "share_poor": weighted_share(covered[poor], w[poor]),
                    "is_suppressed": int(covered.sum()) < MIN_CELL_HOUSEHOLDS,
                }
            )
    return pd.DataFrame(rows)


def compose_desa(register: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """Households and programme shares per desa; cells from fewer than 5 households hidden."""
    eligible = register["desil"] <= settings.eligible_desil_max
    counts = (
        register.assign(n_desil_eligible=eligible)
        .groupby("village_code")
        .agg(
            households=("household_size", "size"),
            persons=("household_size", "sum"),
            n_desil_eligible=("n_desil_eligible", "sum"),
            **{
                f"n_{f.removeprefix('is_').removesuffix('_recipient')}": (f, "sum")
                for f in PROGRAM_FLAGS
            },
        )
    )
    villages = load_villages().set_index("village_code")
    table = villages[["kecamatan_code", "village_name", "is_kelurahan"]].join(counts, how="left")
    table[["households", "persons"]] = table[["households", "persons"]].fillna(0).astype(int)
    share_columns = [c for c in counts.columns if c.startswith("n_")]
    for col in share_columns:
        n = table[col].fillna(0)
        share = n / table["households"].where(table["households"] > 0)
        table[f"share_{col.removeprefix('n_')}"] = share.where(n >= MIN_CELL_HOUSEHOLDS)
    small = table["households"] < MIN_CELL_HOUSEHOLDS
    table["is_suppressed"] = small
    table.loc[small, ["households", "persons"]] = np.nan
    # Counts of recipients are not published; the shares carry the information.
    return table.drop(columns=share_columns).reset_index()


def _targeting_errors(data: ReportData) -> pd.DataFrame:
    """The targeting step's point estimates; measured here only when that step did not
    run (or ran on other data), so that the pages still show the sample's figures."""
    if data.steps.has("targeting"):
        return step_tables.tabulate_targeting_errors(data)
    return measure_targeting_errors(data.survey)


@dataclass(frozen=True)
class Table:
    """How one report table is built, and the pipeline steps whose outputs it reads."""

    build: Callable[[ReportData], pd.DataFrame]
    needs: tuple[str, ...] = ()


#: name -> how to build it. Tables from raw data first, then those from the
#: pipeline steps' outputs; report sections test ``inputs.has(name)``.
TABLE_BUILDERS: dict[str, Table] = {
    "area_summary": Table(lambda d: summarise_areas(d.register, d.survey, d.settings)),
    "targeting_errors": Table(_targeting_errors),
    "welfare_bands": Table(lambda d: tabulate_welfare_bands(d.survey, d.settings)),
    "coverage_points": Table(lambda d: tabulate_coverage(d.survey)),
    "desa_composition": Table(lambda d: compose_desa(d.register, d.settings)),
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


def check_raw_tables(paths: ProjectPaths) -> None:
    """Read and check the raw tables now, in this process (the main job's driver, while
    the steps run in the workers), so that the report tables find the check done. A
    table that fails its checks is left for the steps, which say why."""
    from konsel_analysis.datasets import DatasetError

    sources = ReportSources.of(paths)
    for role in ("survey", "register"):
        with contextlib.suppress(DatasetError):
            _checked_source(sources, role)


def _load_sources(sources: ReportSources) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw tables' accepted rows, the columns the report tables use."""
    register = _checked_source(sources, "register")[_REGISTER_COLUMNS]
    survey = _checked_source(sources, "survey")[_SURVEY_COLUMNS]
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
    """
    paths = paths or project_paths()
    sources = ReportSources.of(paths, register_path, survey_path)
    sources.check()
    settings = settings or resolve_settings()
    folder = Path(inputs_dir) if inputs_dir else paths.processed / INPUTS_DIRNAME
    steps = locate_step_outputs(paths, sources.digests(), settings)
    is_synthetic = (sources.register.parent / MANIFEST_FILE).is_file()

    def build() -> Made:
        register, survey = _load_sources(sources)
        data = ReportData(register, _prepare_survey(survey, settings), settings, steps, paths.root)
        folder.mkdir(parents=True, exist_ok=True)
        built, unavailable = [], {}
        for name, table_spec in TABLE_BUILDERS.items():
            missing = [s for s in table_spec.needs if not steps.has(s)]
            if missing:
                unavailable[name] = steps.unavailable[missing[0]]
                (folder / f"{name}.csv").unlink(missing_ok=True)  # never an earlier run's table
                continue
            table = table_spec.build(data)
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
    outcome = run_or_reuse(task, force=force)
    record = outcome.record
    return ReportInputs(
        folder,
        outcome.key,
        settings,
        outcome.reused,
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
