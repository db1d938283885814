"""``konsel score --model MODEL_DIR``: score a register with a saved PMT, without refitting.

The saved model (``konsel validate-pmt --save``) gives each register household
its predicted welfare, P(poor) and P(extreme poor); priorities, the visit
allocation and the field lists then follow exactly as in :mod:`.score`.

What differs from a survey-fitted ``konsel score``: the saved PMT sees the
proxies only, not programme receipt (the receipt-aware model of
:mod:`.expected` needs the survey), and it carries no bootstrap replicates, so
``expected_errors_by_area.csv`` holds the expected counts (sums of each
household's probability of an error) without ``_low``/``_high`` intervals.
Reasons are given for linear models (their terms add up); other models get none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.datasets import load_dataset_config, load_register, write_rejected
from konsel_analysis.files import write_csv_atomic, write_parquet_atomic
from konsel_analysis.pmt.artifact import SavedModel, load_model
from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.targeting.reasons import proxy_contributions, reason_texts
from konsel_analysis.targeting.score import household_scores
from konsel_analysis.targeting.verification import allocate_visits, visit_budget


def saved_probabilities(saved: SavedModel, X: pd.DataFrame) -> pd.DataFrame:
    """``p_poor``, ``p_extreme`` and ``log_welfare_index`` of each row, as :mod:`.score` reads them.

    Classifiers predict no welfare: their index is the log of a monotone stand-in,
    1 - P(poor), so that the ordering (lower is poorer) still holds.
    """
    proba = saved.poverty_proba(X)
    log_welfare = saved.log_welfare(X)
    out = pd.DataFrame({"p_poor": proba["p_poor"].to_numpy()})
    if "p_extreme_poor" in proba:
        out["p_extreme"] = proba["p_extreme_poor"].to_numpy()
    out["log_welfare_index"] = (
        log_welfare if log_welfare is not None else np.log1p(-np.minimum(out["p_poor"], 1 - 1e-12))
    )
    return out


def expected_counts_by_area(area: np.ndarray, p: pd.DataFrame, beneficiary: np.ndarray):
    """Per area and ``ALL``: beneficiaries, non-beneficiaries and the expected error counts."""
    frame = pd.DataFrame(
        {
            "area": area,
            "beneficiaries": beneficiary.astype(int),
            "non_beneficiaries": (~beneficiary).astype(int),
            "expected_inclusion_errors": np.where(beneficiary, 1 - p["p_poor"], 0.0),
            "expected_exclusion_errors": np.where(~beneficiary, p["p_poor"], 0.0),
        }
    )
    if "p_extreme" in p:
        frame["expected_extreme_poor_not_covered"] = np.where(~beneficiary, p["p_extreme"], 0.0)
    by_area = frame.groupby("area", sort=True).sum().reset_index()
    total = by_area.drop(columns="area").sum().to_frame().T.assign(area="ALL")
    out = pd.concat([by_area, total[by_area.columns]], ignore_index=True)
    return out.astype({"beneficiaries": int, "non_beneficiaries": int})


def _reasons(saved: SavedModel, X: pd.DataFrame, beneficiary, area_column: str, language: str):
    model = saved.model
    reference = saved.profile.get("design_reference")
    if not isinstance(model, LinearPMT) or reference is None:
        return [""] * len(X), [""] * len(X)
    Z = model.features_.transform(X[saved.proxies])
    contributions, proxies = proxy_contributions(
        Z, model.coef_, np.asarray(reference), model.feature_names_, exclude=(area_column,)
    )
    texts = {
        lang: reason_texts(contributions, proxies, X, push_up=beneficiary, language=lang)
        for lang in dict.fromkeys((language, "en"))
    }
    return texts[language], texts["en"]


def score_with_model(
    saved: SavedModel, register, *, budget: int, minimum_per_area: int, language: str = "id"
):
    """Scores, expected counts by area and the allocation of a register under a saved PMT."""
    from konsel_analysis.targeting.score import ScoreResult

    saved.check_columns(register.X.columns, register.data_path)
    p = saved_probabilities(saved, register.X)
    programs = [np.asarray(v, bool) for v in register.programs.values()]
    beneficiary = np.logical_or.reduce(programs) if programs else np.zeros(register.n, bool)
    scores = household_scores(register, p, beneficiary)
    priority = scores["priority"].to_numpy()
    allocation = allocate_visits(
        register.area, priority, scores["p_error"].to_numpy(), budget, minimum_per_area
    )
    reasons, reasons_en = _reasons(saved, register.X, beneficiary, register.config.area, language)
    scores.insert(7, "reasons", reasons)
    scores.insert(8, "reasons_en", reasons_en)
    scores["is_visited"] = allocation.is_visited
    order = np.lexsort((np.arange(register.n), -priority))
    rank = np.empty(register.n, dtype=np.int64)
    rank[order] = pd.Series(register.area[order]).groupby(register.area[order]).cumcount() + 1
    scores["rank_in_area"] = rank
    return ScoreResult(
        scores, expected_counts_by_area(register.area, p, beneficiary), allocation.by_area
    )


def run_score_with_model(
    model_dir: Path,
    register_path: Path,
    config: Path,
    *,
    budget: int | None,
    minimum_per_area: int | None,
    out: Path,
    restricted: Path | None = None,
    pseudonym_key: bytes | None = None,
    rejected_dir: Path | None = None,
) -> list[Path]:
    """Run ``konsel score --model`` and return the files written."""
    budget, minimum = visit_budget(budget, minimum_per_area)
    saved = load_model(model_dir)
    register = load_register(register_path, load_dataset_config(config), rejected_dir)
    result = score_with_model(saved, register, budget=budget, minimum_per_area=minimum)
    written = [
        write_parquet_atomic(result.scores, out / "register_scores.parquet"),
        write_csv_atomic(result.expected_by_area, out / "expected_errors_by_area.csv"),
        write_csv_atomic(result.allocation, out / "verification_allocation.csv"),
    ]
    if restricted is not None:
        from konsel_analysis.targeting.field_lists import write_field_lists

        written += write_field_lists(result.scores, register, restricted, pseudonym_key)
    rejected = write_rejected(register.intake)
    return written + ([rejected] if rejected else [])
