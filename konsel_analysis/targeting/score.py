"""Score the register: P(poor), expected errors, priorities, the visit allocation, reasons.

``konsel score --survey FILE --register FILE --config DATASET.yml [--budget N] [--out DIR]``
fits the receipt-aware model (:mod:`.expected`) on the survey and writes to DIR:

- ``register_scores.parquet``: household_id, area, cluster (desa), predicted_welfare,
  p_poor, p_extreme_poor, is_beneficiary, priority, reasons (and reasons_en, p_error, worth,
  is_visited, rank_in_area);
- ``expected_errors_by_area.csv``: area, beneficiaries, expected inclusion and
  exclusion errors and extreme-poor households not covered, each with
  ``_low``/``_high`` (90% intervals);
- ``verification_allocation.csv``: the budget split across areas and its
  expected yield;
- ``expected_errors_by_group.csv``: the expected errors per group level (female
  head, a member aged 70+, ...; :mod:`konsel_analysis.measured.groups`) and area,
  with 90% intervals from the same replicates, and the visits against the level's share of errors
  (:mod:`.expected_groups`).
- ``verification_allocation.csv``: the priority visits' split across areas and
  their expected yield;
- ``verification_plan.csv``: every planned visit, priority and audit
  (:mod:`konsel_analysis.targeting.visit_plan`; ``--audit-share`` of the budget, default
  parameters.yml, goes to audit visits drawn at random with known probabilities).
  ``is_visited`` in the scores marks the priority visits.

Field lists with names and NIK (for the teams who visit) are written only under
the restricted folder, never under reports/ (see :mod:`.field_lists`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.benefits import household_benefit_per_month
from konsel_analysis.datasets import (
    Dataset,
    RegisterTable,
    load_dataset,
    load_register,
    write_rejected,
)
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic, write_parquet_atomic
from konsel_analysis.targeting.expected import (
    ExpectedErrors,
    RegisterHouseholds,
    SurveySample,
    estimate_expected_errors,
)
from konsel_analysis.targeting.reasons import proxy_contributions, reason_texts
from konsel_analysis.targeting.score_checks import (
    check_budget,
    warn_incomparable,
    warn_overlapping_ids,
)
from konsel_analysis.targeting.score_settings import ScoreSettings
from konsel_analysis.targeting.verification import (
    allocate_visits,
    priority_scores,
    visit_budget,
)


def survey_sample(dataset: Dataset) -> SurveySample:
    """The survey as the receipt-aware model needs it (continuous welfare only)."""
    if dataset.mode != "welfare":
        raise UserError(
            f"{dataset.config.path}: expected errors in a register need a "
            "continuous per-capita 'welfare' column in the survey; this config "
            "gives a welfare class"
        )
    if not dataset.config.programs:
        raise UserError(
            f"{dataset.config.path}: list the programme columns under 'programs' "
            "so that beneficiaries and non-beneficiaries can be told apart"
        )
    return SurveySample(
        X=dataset.X,
        log_welfare=np.log(dataset.y),
        weight=dataset.weight,
        cluster=dataset.cluster,
        area=dataset.area,
        programs={p: dataset.programs[p].to_numpy(dtype=bool) for p in dataset.config.programs},
        strata=dataset.strata,
    )


def register_households(register: RegisterTable) -> RegisterHouseholds:
    """The register as the model needs it, with the village when the register has it."""
    cluster_column = register.config.cluster
    cluster = (
        register.frame[cluster_column].astype(str).to_numpy()
        if cluster_column
        and cluster_column in register.frame.columns
        and register.frame[cluster_column].notna().all()
        else None
    )
    return RegisterHouseholds(
        X=register.X, programs=register.programs, area=register.area, cluster=cluster
    )


def benefit_worth(frame: pd.DataFrame, programs: dict[str, np.ndarray]) -> np.ndarray:
    """What correcting a household is worth: Rp per month of benefit moved.

    A beneficiary's own package (the programmes it receives) would be freed; a
    non-beneficiary would get the package it qualifies for (BPNT, and PKH if it
    has PKH components). Known Konsel programme columns are valued from
    parameters.yml; for any other data set every correction is worth 1, so that
    priorities rank expected corrections.
    """
    try:
        amounts = household_benefit_per_month(frame)
    except KeyError:  # the register lacks the PKH component columns
        return np.ones(len(frame))
    known = [p for p in programs if p in amounts]
    if not known:
        return np.ones(len(frame))
    flags = np.column_stack([np.asarray(programs[p], bool) for p in known])
    values = np.column_stack([amounts[p] for p in known])
    beneficiary = flags.any(axis=1)
    return np.where(beneficiary, (values * flags).sum(axis=1), values.sum(axis=1))


def household_scores(
    register: RegisterTable, p: pd.DataFrame, beneficiary: np.ndarray
) -> pd.DataFrame:
    """Each household's predicted welfare, P(poor), P(extreme poor), priority and worth.

    The columns every scoring path publishes (``konsel score`` adds reasons and
    visits; ``konsel score-partitioned`` a position): ``p`` holds the point
    probabilities (``p_poor``, optionally ``p_extreme``, ``log_welfare_index``).
    """
    p_extreme = p["p_extreme"].to_numpy() if "p_extreme" in p else np.zeros(register.n)
    worth = benefit_worth(register.frame, register.programs)
    p_error, priority = priority_scores(beneficiary, p["p_poor"], p_extreme, worth)
    return pd.DataFrame(
        {
            "household_id": register.household_id,
            "area": register.area,
            "predicted_welfare": np.exp(p["log_welfare_index"].to_numpy()).round(0),
            "p_poor": p["p_poor"].to_numpy(),
            "p_extreme_poor": p_extreme,
            "is_beneficiary": beneficiary,
            "priority": priority,
            "p_error": p_error,
            "worth": worth,
        }
    )


@dataclass(frozen=True)
class ScoreResult:
    scores: pd.DataFrame
    expected_by_area: pd.DataFrame
    allocation: pd.DataFrame
    expected_by_group: pd.DataFrame | None = None
    expected: ExpectedErrors | None = None  # the fit and its replicates (the workbench's)


def score_register(
    dataset: Dataset,
    register: RegisterTable,
    *,
    budget: int,
    minimum_per_area: int,
    reps: int = 200,
    seed: int = 0,
    language: str = "id",
) -> ScoreResult:
    """Everything ``konsel score`` writes, as tables."""
    sample = survey_sample(dataset)
    households = register_households(register)
    squared = dataset.config.squared
    from konsel_analysis.measured.groups import form_groups

    groups = form_groups(register.frame, dataset.config.groups, personal=dataset.config.personal)
    expected = estimate_expected_errors(
        sample,
        households,
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=squared,
        reps=reps,
        ci=0.90,
        seed=seed,
        groups=groups.levels,
    )
    scores = household_scores(register, expected.probabilities, households.is_beneficiary)
    beneficiary, priority = households.is_beneficiary, scores["priority"].to_numpy()
    allocation = allocate_visits(
        register.area, priority, scores["p_error"].to_numpy(), budget, minimum_per_area
    )

    model = expected.model
    Z = expected.design[:, 1:]  # the proxies' terms (model.features.transform(register.X))
    Zs = model.features.transform(sample.X)
    reference = np.average(Zs, axis=0, weights=sample.weight)
    contributions, proxies = proxy_contributions(
        Z,
        model.pmt_beta[1:],
        reference,
        model.features.get_feature_names_out(),
        exclude=(dataset.config.area,),
    )
    reasons = {
        lang: reason_texts(contributions, proxies, register.X, push_up=beneficiary, language=lang)
        for lang in dict.fromkeys((language, "en"))
    }

    scores.insert(7, "reasons", reasons[language])
    # English too, for reports in English (the field lists keep ``language``).
    scores.insert(8, "reasons_en", reasons["en"])
    # Each household's desa (empty without one), so that readers need not go back to the
    # register for it.
    desa = households.cluster if households.cluster is not None else [pd.NA] * register.n
    scores.insert(2, "cluster", pd.array(desa, dtype="string"))
    scores["is_visited"] = allocation.is_visited
    order = np.lexsort((np.arange(register.n), -priority))
    rank = np.empty(register.n, dtype=np.int64)
    rank[order] = pd.Series(register.area[order]).groupby(register.area[order]).cumcount() + 1
    scores["rank_in_area"] = rank
    return ScoreResult(
        scores,
        expected.by_area,
        allocation.by_area,
        _group_table(expected.by_group, groups, register.area, allocation.is_visited),
        expected,
    )


def _group_table(by_group, groups, area, is_visited) -> pd.DataFrame:
    """The register-side group table with visits, and a row per skipped group."""
    from konsel_analysis.targeting.expected_groups import visit_shares

    if by_group is None:  # no group could be formed from the register's columns
        table = pd.DataFrame(columns=["group", "level", "area"])
    else:
        table = visit_shares(by_group, groups.levels, np.asarray(area, dtype=str), is_visited)
    table["note"] = ""
    skipped = pd.DataFrame(
        {"group": list(groups.skipped), "level": "", "area": "ALL", "note": groups.skipped.values()}
    )
    return pd.concat([table, skipped], ignore_index=True) if len(skipped) else table


def run_score(
    survey: Path,
    register_path: Path,
    config: Path,
    settings: ScoreSettings,
    *,
    out: Path,
    restricted: Path | None = None,
    pseudonym_key: bytes | None = None,
    rejected_dir: Path | None = None,
    audit_share: float | None = None,
) -> list[Path]:
    """Run ``konsel score`` and return the files written.

    Rows of the survey or register that fail the row checks go to ``rejected_dir``
    (the command: ``out/rejected``).

    Field lists go under ``restricted`` when given; with ``pseudonym_key`` they
    also carry the pseudonymous key the reports show for each household.
    """
    from konsel_analysis.targeting.visit_plan import audit_visits, plan_round, planned_scores
    from konsel_analysis.targeting.workbench_tables import write_register_tables

    budget_given = settings.budget is not None
    minimum_given = settings.minimum_per_area is not None
    budget, minimum = visit_budget(settings.budget, settings.minimum_per_area)
    dataset = load_dataset(survey, config, rejected_dir)
    register = load_register(register_path, dataset.config, rejected_dir)
    survey_sample(dataset)  # a survey the model cannot use stops before any warning
    budget = check_budget(
        budget,
        minimum,
        register.area,
        register_path,
        budget_given=budget_given,
        minimum_given=minimum_given,
    )
    warn_overlapping_ids(
        dataset.frame[dataset.config.household_id], register.household_id, survey, register_path
    )
    warn_incomparable(dataset, register)
    share, n_audit = audit_visits(budget, audit_share)
    result = score_register(
        dataset,
        register,
        budget=budget - n_audit,
        minimum_per_area=minimum,
        reps=settings.reps,
        seed=settings.seed,
    )
    plan = plan_round(result.scores, budget, minimum, share, seed=settings.seed)
    written = [
        write_parquet_atomic(result.scores, out / "register_scores.parquet"),
        write_csv_atomic(result.expected_by_area, out / "expected_errors_by_area.csv"),
        write_csv_atomic(result.allocation, out / "verification_allocation.csv"),
        write_csv_atomic(result.expected_by_group, out / "expected_errors_by_group.csv"),
        write_csv_atomic(plan, out / "verification_plan.csv"),
        *write_register_tables(register, result.expected, result.scores["worth"], out),
    ]
    if restricted is not None:
        from konsel_analysis.targeting.field_lists import write_field_lists

        # The field lists hold every planned visit in plan order, audits unmarked.
        lists = planned_scores(result.scores, plan)
        written += write_field_lists(lists, register, restricted, pseudonym_key)
    for intake in (dataset.intake, register.intake):
        rejected = write_rejected(intake)
        written += [rejected] if rejected else []
    return written
