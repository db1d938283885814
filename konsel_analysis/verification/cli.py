"""``konsel verification simulate`` and ``konsel verification import``.

    konsel verification simulate --plan PLAN --register REG --truth TRUTH [--seed S]
                                 --out RESULTS.xlsx
    konsel verification import --results RESULTS --plan PLAN --survey SURVEY
                               --register REG --config C [--round N] --out DIR

``import`` checks everything it reads before it writes anything. It writes to DIR:
``verification_by_area.csv`` (the contract: :data:`BY_AREA_COLUMNS`),
``calibration_by_band.csv``, ``outcomes_by_area.csv`` and ``decisions_by_area.csv``
(counts), ``next_round_plan.csv`` (the plan's format), ``round.json`` (the round,
rows read/accepted/rejected, the recalibration's spread) and ``rejected/`` (the
rejected result rows: row, household ID, reason); the per-desa decisions go under
the restricted folder.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic, write_text_atomic
from konsel_analysis.targeting.visit_plan import PLAN_COLUMNS

#: The columns of verification_by_area.csv, in order (the stable contract).
BY_AREA_COLUMNS = [
    "area",
    "planned_visits",
    "visits_done",
    "audit_visits_done",
    "found_inclusion_errors",
    "found_exclusion_errors",
    "estimated_inclusion_errors",
    "estimated_inclusion_errors_low",
    "estimated_inclusion_errors_high",
    "estimated_exclusion_errors",
    "estimated_exclusion_errors_low",
    "estimated_exclusion_errors_high",
    "expected_inclusion_errors_before",
    "expected_inclusion_errors_after",
    "expected_inclusion_errors_after_low",
    "expected_inclusion_errors_after_high",
]


def read_plan(path: Path) -> pd.DataFrame:
    """A visit plan, checked: the columns of :data:`PLAN_COLUMNS` (``stratum`` optional)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file; give the verification_plan.csv konsel score wrote")
    plan = pd.read_csv(path, dtype={"household_id": str, "area": str, "stratum": str})
    for column in PLAN_COLUMNS[:-1]:
        if column not in plan.columns:
            raise UserError(
                f"{path}: column {column!r} is missing; give the plan as konsel score wrote it"
            )
    pi = pd.to_numeric(plan["inclusion_probability"], errors="coerce")
    if not (pi > 0).all() or not (pi <= 1).all():
        raise UserError(
            f"{path}: column 'inclusion_probability' must hold numbers in (0, 1]; "
            "give the plan as konsel score wrote it"
        )
    p = pd.to_numeric(plan["p_error"], errors="coerce")
    if not p.between(0, 1).all():
        raise UserError(f"{path}: column 'p_error' must hold probabilities from 0 to 1")
    audit = plan["is_audit"].astype(str).str.strip().str.lower()
    if not audit.isin(["true", "false", "1", "0"]).all():
        raise UserError(f"{path}: column 'is_audit' must hold True/False")
    if plan["household_id"].duplicated().any():
        raise UserError(f"{path}: column 'household_id' lists a household twice; one row each")
    plan["is_audit"] = audit.isin(["true", "1"])
    plan["inclusion_probability"], plan["p_error"] = pi, p
    if "stratum" not in plan:
        plan["stratum"] = ""
    plan["stratum"] = plan["stratum"].fillna("")
    return plan[PLAN_COLUMNS]


# -- simulate ---------------------------------------------------------------------------


def _read_truth(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise UserError(f"{path}: no such file; give the register_truth table konsel synth wrote")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"household_id": str})


def run_simulate(
    plan_path: Path, register_path: Path, truth_path: Path, out: Path, seed: int, config: Path
) -> list[Path]:
    from konsel_analysis.datasets import load_register
    from konsel_analysis.files import write_atomic
    from konsel_analysis.verification.simulate import simulate_outcomes

    plan = read_plan(plan_path)
    register = load_register(register_path, config)
    truth = _read_truth(Path(truth_path))
    for column in ("household_id", "consumption_pc_month_idr", "is_poor"):
        if column not in truth.columns:
            raise UserError(
                f"{truth_path}: column {column!r} is missing; give the register_truth "
                "table konsel synth wrote"
            )
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out}: name an .xlsx file (the shape the field teams return)")
    ids = pd.Index(register.household_id.astype(str))
    benef = pd.Series(
        np.logical_or.reduce([np.asarray(v, bool) for v in register.programs.values()]), index=ids
    )
    frame = register.frame.assign(household_id=ids).set_index("household_id")
    truth = truth.assign(household_id=truth["household_id"].astype(str)).set_index("household_id")
    result = simulate_outcomes(plan, benef, truth, frame, seed=seed)
    return [
        write_atomic(
            out,
            lambda p: result.to_excel(p, index=False, sheet_name="Hasil verifikasi"),
            mode=0o600,
        )
    ]


# -- import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedRound:
    """Every table ``konsel verification import`` writes (the decisions as lists)."""

    by_area: pd.DataFrame
    calibration: pd.DataFrame
    outcomes: pd.DataFrame
    decision_counts: pd.DataFrame
    next_plan: pd.DataFrame
    rejected: pd.DataFrame
    decisions: dict
    summary: dict
    pool: pd.DataFrame  # households not verified: household_id, area, is_beneficiary,
    # p_error (before the round) and p_error_after


def _apply_corrections(register, corrections: pd.DataFrame, results_path: Path):
    """The register with the proxies the teams corrected (numbers only), re-described."""
    from konsel_analysis.datasets import register_table

    if corrections.empty:
        return register
    unknown = sorted(set(corrections["column"]) - set(register.config.numeric))
    if unknown:
        raise UserError(
            f"{results_path}: correction column {unknown[0]!r} is not a numeric proxy of "
            "the config; name a numeric proxy column after 'Koreksi ' or leave the column out"
        )
    values = pd.to_numeric(corrections["value"], errors="coerce")
    if values.isna().any():
        column = corrections.loc[values.isna(), "column"].iloc[0]
        raise UserError(
            f"{results_path}: column 'Koreksi {column}' must hold numbers; "
            "write the corrected value as a number or leave it empty"
        )
    frame = register.frame.copy()
    position = pd.Series(np.arange(len(frame)), index=register.household_id.astype(str))
    for (column, household), value in zip(
        zip(corrections["column"], corrections["household_id"], strict=True), values, strict=True
    ):
        frame.iloc[position[household], frame.columns.get_loc(column)] = value
    return register_table(frame, register.config, register.data_path, register.intake)


def import_round(
    results_path: Path,
    plan_path: Path,
    survey: Path,
    register_path: Path,
    config: Path,
    *,
    round_number: int = 1,
    budget: int | None = None,
    minimum_per_area: int | None = None,
    audit_share: float | None = None,
    reps: int = 20,
    seed: int = 0,
) -> ImportedRound:
    """Read, check and estimate a round; plan the next (nothing is written)."""
    from konsel_analysis.datasets import load_dataset, load_register
    from konsel_analysis.targeting.score import score_register
    from konsel_analysis.targeting.verification import visit_budget
    from konsel_analysis.targeting.visit_plan import plan_round
    from konsel_analysis.verification.decisions import decision_counts, decision_rows
    from konsel_analysis.verification.estimate import (
        calibration_table,
        estimate_by_area,
        visit_table,
    )
    from konsel_analysis.verification.recalibrate import (
        expected_counts_after,
        recalibrate,
        recalibrated_p,
    )
    from konsel_analysis.verification.results import read_results

    if round_number < 1:
        raise UserError(f"--round {round_number}: number rounds from 1")
    budget, minimum = visit_budget(budget, minimum_per_area)
    plan = read_plan(plan_path)
    dataset = load_dataset(survey, config)
    register = load_register(register_path, dataset.config)
    ids = register.household_id.astype(str)
    unknown = ~plan["household_id"].isin(set(ids))
    if unknown.any():
        raise UserError(
            f"{plan_path}: column 'household_id' holds {int(unknown.sum())} household(s) the "
            f"register {register_path.name} does not; give the plan made from this register"
        )
    results = read_results(results_path, ids, plan["household_id"])
    if results.visits.empty:
        raise UserError(
            f"{results_path}: no row has a visit date and an outcome in 'Hasil kunjungan' "
            "(or 'outcome'); fill them in for the visits done, or wait for the lists to return"
        )
    register = _apply_corrections(register, results.corrections, results_path)
    scored = score_register(dataset, register, budget=1, minimum_per_area=0, reps=reps, seed=seed)
    scores = scored.scores.assign(household_id=ids)
    benef = pd.Series(scores["is_beneficiary"].to_numpy(bool), index=ids)
    table = visit_table(plan, results.visits[results.visits["on_plan"]], benef)
    by_area = estimate_by_area(table)

    # Learning: every met household (on the plan or not), at the P(error) the model gave
    # it before the visit (the plan's, else the register's score).
    visits = results.visits.assign(is_beneficiary=results.visits["household_id"].map(benef))
    met = visits[visits["outcome"].isin(["eligible", "not_eligible", "poor_not_receiving"])]
    before = scores.set_index("household_id")
    p_plan = plan.set_index("household_id")["p_error"]
    p_met = met["household_id"].map(p_plan).fillna(met["household_id"].map(before["p_error"]))
    hit = np.where(
        met["is_beneficiary"], met["outcome"] == "not_eligible", met["outcome"] != "not_eligible"
    )
    area_of = before["area"].astype(str)
    recal = recalibrate(
        p_met, met["is_beneficiary"], met["household_id"].map(area_of), hit, areas=area_of.unique()
    )
    left = set(visits.loc[visits["outcome"].isin(["moved", "deceased"]), "household_id"])
    verified = set(met["household_id"])
    pool = scores[~scores["household_id"].isin(verified | left)].copy()
    after = expected_counts_after(recal, pool, seed=seed)

    p_after = recalibrated_p(recal, pool["p_error"], pool["is_beneficiary"], pool["area"])
    ratio = np.divide(p_after, pool["p_error"], out=np.ones(len(pool)), where=pool["p_error"] > 0)
    candidates = pool.assign(priority=pool["priority"] * ratio, p_error=p_after)
    next_plan = plan_round(candidates, budget, minimum, audit_share, seed=seed + round_number)

    expected = scored.expected_by_area.set_index("area")["expected_inclusion_errors"]
    areas = [*sorted(area_of.unique()), "ALL"]
    by_area = by_area.set_index("area").reindex(areas)
    for column in ("planned_visits", "visits_done", "audit_visits_done"):
        by_area[column] = by_area[column].fillna(0).astype(int)
    for column in ("found_inclusion_errors", "found_exclusion_errors"):
        by_area[column] = by_area[column].fillna(0).astype(int)
    by_area["expected_inclusion_errors_before"] = expected.reindex(areas).to_numpy()
    after = after.set_index("area").reindex(areas)
    for column in after.columns:
        by_area[column] = after[column].to_numpy()
    by_area = by_area.reset_index()[BY_AREA_COLUMNS]

    outcomes = _outcome_counts(results.visits, area_of, table)
    village = _villages(register)
    lists = decision_rows(visits, results.corrections, village)
    counts = decision_counts(
        lists,
        village["village"]
        .groupby(village["village"])
        .first()
        .map(
            pd.Series(area_of.to_numpy(), index=village["village"].to_numpy())
            .groupby(level=0)
            .first()
        ),
    )
    summary = {
        "round": round_number,
        "rows_read": results.rows_read,
        "rows_accepted": len(results.visits),
        "rows_rejected": len(results.rejected),
        "visits_off_plan": int((~results.visits["on_plan"]).sum()),
        "recalibration_tau": recal.tau,
        "recalibration_shift_beneficiaries": round(float(recal.mean[0]), 4),
        "recalibration_shift_non_beneficiaries": round(float(recal.mean[1]), 4),
        "next_round_budget": int(budget),
    }
    return ImportedRound(
        by_area, calibration_table(table), outcomes, counts, next_plan,
        results.rejected, lists, summary,
        pool[["household_id", "area", "is_beneficiary", "p_error"]].assign(p_error_after=p_after),
    )  # fmt: skip


def _outcome_counts(visits: pd.DataFrame, area_of: pd.Series, planned) -> pd.DataFrame:
    """Per area and ALL: accepted visits by outcome, and among the planned visits met, the
    errors the model predicted (sum of P(error)) and those found."""
    from konsel_analysis.verification.outcomes import OUTCOME_CODES

    areas = [*sorted(area_of.unique())]
    table = pd.crosstab(visits["household_id"].map(area_of), visits["outcome"])
    table = table.reindex(index=areas, columns=list(OUTCOME_CODES), fill_value=0)
    met = planned[planned["met"]]
    table["predicted_errors_met"] = met.groupby("area")["p_error"].sum().reindex(areas).fillna(0)
    found = (met["y_inclusion"] + met["y_exclusion"]).groupby(met["area"]).sum()
    table["found_errors_met"] = found.reindex(areas).fillna(0).astype(int)
    table.loc["ALL"] = table.sum()
    table["predicted_errors_met"] = table["predicted_errors_met"].round(2)
    table.index.name, table.columns.name = "area", None
    return table.reset_index()


def _villages(register) -> pd.DataFrame:
    """Per household (index): its desa and the personal columns the office submits."""
    config = register.config
    frame = register.frame
    ids = register.household_id.astype(str)
    out = pd.DataFrame(index=pd.Index(ids, name="household_id"))
    cluster = config.cluster
    out["village"] = (
        frame[cluster].astype(str).to_numpy() if cluster and cluster in frame else "(tanpa desa)"
    )
    if config.nik and config.nik in frame:
        out["nik_head"] = frame[config.nik].astype(str).to_numpy()
    for i, column in enumerate(c for c in config.names if c in frame.columns):
        out["name_head" if i == 0 else f"name_{column}"] = frame[column].astype(str).to_numpy()
    return out


def write_round(result: ImportedRound, out: Path, restricted: Path | None) -> list[Path]:
    """Write what :func:`import_round` computed."""
    from konsel_analysis.verification.decisions import write_decisions

    written = [
        write_csv_atomic(result.by_area.round(3), out / "verification_by_area.csv"),
        write_csv_atomic(result.calibration.round(4), out / "calibration_by_band.csv"),
        write_csv_atomic(result.outcomes, out / "outcomes_by_area.csv"),
        write_csv_atomic(result.decision_counts, out / "decisions_by_area.csv"),
        write_csv_atomic(result.next_plan, out / "next_round_plan.csv"),
        write_csv_atomic(result.rejected, out / "rejected" / "verification_results.csv"),
        write_text_atomic(out / "round.json", json.dumps(result.summary, indent=2) + "\n"),
    ]
    if restricted is not None:
        folder = restricted / "verification_decisions" / f"round_{result.summary['round']}"
        written += write_decisions(result.decisions, folder)
    return written


# -- the command line -------------------------------------------------------------------


def _cmd_simulate(args: argparse.Namespace) -> int:
    from konsel_analysis.paths import DEFAULT_DATASET_CONFIG
    from konsel_analysis.targeting.cli import print_written

    config = Path(args.config) if args.config else DEFAULT_DATASET_CONFIG
    written = run_simulate(
        Path(args.plan), Path(args.register), Path(args.truth), Path(args.out), args.seed, config
    )
    return print_written(written)


def _cmd_import(args: argparse.Namespace) -> int:
    from konsel_analysis.paths import project_paths
    from konsel_analysis.targeting.cli import check_reps, print_written

    check_reps(args.reps)
    result = import_round(
        Path(args.results),
        Path(args.plan),
        Path(args.survey),
        Path(args.register),
        Path(args.config),
        round_number=args.round,
        budget=args.budget,
        audit_share=args.audit_share,
        reps=args.reps,
        seed=args.seed,
    )
    restricted = Path(args.restricted_out) if args.restricted_out else project_paths().restricted
    return print_written(write_round(result, Path(args.out), restricted))


def register_verification(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "verification", help="verification rounds: simulate field results, import them"
    )
    commands = parser.add_subparsers(dest="verification_command", required=True)
    sim = commands.add_parser("simulate", help="draw field outcomes for a plan (demos, tests)")
    sim.add_argument("--plan", required=True, help="verification_plan.csv")
    sim.add_argument("--register", required=True, help="the register the plan was made from")
    sim.add_argument("--truth", required=True, help="register_truth (synthetic data only)")
    sim.add_argument("--seed", type=int, default=0, help="seed of the draws")
    sim.add_argument("--config", default=None, help="dataset config (default: the synthetic)")
    sim.add_argument("--out", required=True, help="RESULTS.xlsx to write")
    sim.set_defaults(handler=_cmd_simulate)

    imp = commands.add_parser("import", help="read a round's results, estimate, plan the next")
    imp.add_argument("--results", required=True, help="returned list(s): XLSX/CSV or a folder")
    imp.add_argument("--plan", required=True, help="the round's verification_plan.csv")
    imp.add_argument("--survey", required=True, help="survey with welfare")
    imp.add_argument("--register", required=True, help="the register the plan was made from")
    imp.add_argument("--config", required=True, help="dataset config YAML")
    imp.add_argument("--round", type=int, default=1, help="the round's number (default 1)")
    imp.add_argument("--budget", type=int, default=None, help="visits of the next round")
    imp.add_argument("--audit-share", type=float, default=None, help="audit share, next round")
    imp.add_argument(
        "--reps",
        type=int,
        default=20,
        help="bootstrap replicates of the model (default 20: the import uses its point "
        "probabilities; its intervals come from the recalibration)",
    )
    imp.add_argument("--seed", type=int, default=0, help="seed")
    imp.add_argument("--out", required=True, help="output folder")
    imp.add_argument("--restricted-out", default=None, help="folder for per-desa decisions")
    imp.set_defaults(handler=_cmd_import)
