"""Score a partitioned register with dask.dataframe: the same numbers as ``konsel score``.

``konsel score-partitioned --survey FILE --register DIR --config DATASET.yml
[--budget N] [--min-per-area N] [--reps N] [--scheduler ADDRESS] [--out DIR]``

1. **Fit once.** The receipt-aware model and its bootstrap refits are fitted on
   the survey (small) in this process (:mod:`.replicates`) and handed to every
   partition.
2. **Score partitions** (``map_partitions``, a kecamatan file or a few): P(poor),
   P(extreme poor), predicted welfare, what a correction is worth and the
   priority of every household, written to ``register_scores/`` (one Parquet
   file per partition).
3. **Expected errors per area** from additive sums (``map_partitions`` then a
   group-by sum): per area the expected inclusion and exclusion errors and, for
   every bootstrap replicate, the sum of the error probabilities and of their
   variances. Sums of probabilities add across partitions; so do the
   replicates' sums, so the interval is computed from them exactly as on one
   machine.
4. **Rank.** Each partition offers its ``budget`` highest priorities and its
   ``minimum`` highest per area; a tree reduction keeps the same of the union.
   Every household the budget can reach is among them (a visited household has
   fewer than ``budget`` households above it), so the allocation of
   :func:`targeting.verification.allocate_visits` on the candidates is the
   allocation on the whole register.

Writes ``expected_errors_by_area.csv`` and ``verification_allocation.csv`` (the
tables of ``konsel score``, same columns), ``verification_priority.parquet``
(the households to visit: id, area, scores, rank in area; no name, no NIK) and
``register_scores/``. Nothing is written unless everything succeeded. Reasons
texts and field lists stay with the single-process ``konsel score``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from konsel_analysis.datasets import DatasetConfig, load_dataset, register_table
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic, write_parquet_atomic
from konsel_analysis.scale.partitioned import (
    PartitionedRegister,
    open_partitioned_register,
    staged_folder,
)
from konsel_analysis.targeting.score import (
    household_scores,
    register_households,
    survey_sample,
)
from konsel_analysis.targeting.score_settings import ScoreSettings
from konsel_analysis.targeting.verification import (
    allocate_visits,
    visit_budget,
)

if TYPE_CHECKING:
    from konsel_analysis.scale.replicates import ReplicatedModel

# The model code (scale.replicates, which follows targeting.expected step by step) is
# imported where it is used, not here: `konsel` builds its parser from this module,
# and every other command must keep working whatever happens to the estimator.

#: Rows per partition in the position key (partition number x this + row).
_ROWS_PER_PARTITION = 2**32

SCORE_COLUMNS = {
    "household_id": "str",
    "area": "str",
    "predicted_welfare": "float64",
    "p_poor": "float64",
    "p_extreme_poor": "float64",
    "is_beneficiary": "bool",
    "priority": "float64",
    "p_error": "float64",
    "worth": "float64",
    "position": "int64",  # order in the register: the allocation's tie-break
}


def _register(frame: pd.DataFrame, config: DatasetConfig, root: Path):
    return register_table(frame.reset_index(drop=True), config, root)


def score_partition(
    frame: pd.DataFrame, fitted: ReplicatedModel, config: DatasetConfig, root: Path, number: int
) -> pd.DataFrame:
    """Point scores and priority of one partition's households (no survey needed)."""
    from konsel_analysis.scale.replicates import point_probabilities

    register = _register(frame, config, root)
    households = register_households(register)
    p = point_probabilities(fitted, households)
    out = household_scores(register, p, households.is_beneficiary)
    out["position"] = number * _ROWS_PER_PARTITION + np.arange(register.n, dtype=np.int64)
    return out.astype(SCORE_COLUMNS)


def _score_numbered(frame, fitted, config, root, partition_info=None) -> pd.DataFrame:
    return score_partition(frame, fitted, config, root, partition_info["number"])


def sum_partition(
    frame: pd.DataFrame,
    fitted: ReplicatedModel,
    config: DatasetConfig,
    root: Path,
    lows: np.ndarray,
) -> pd.DataFrame:
    """Additive per-area sums of one partition (:func:`replicates.area_sums`), area as a column."""
    from konsel_analysis.scale.replicates import area_sums

    households = register_households(_register(frame, config, root))
    return area_sums(fitted, households, lows).reset_index()


def village_partition(
    frame: pd.DataFrame, fitted: ReplicatedModel, config: DatasetConfig, root: Path
) -> pd.DataFrame:
    """Per-village loading sums of one partition (:func:`replicates.village_sums`)."""
    from konsel_analysis.scale.replicates import village_sums

    return village_sums(fitted, register_households(_register(frame, config, root)))


def lowest_partition(
    frame: pd.DataFrame, fitted: ReplicatedModel, config: DatasetConfig, root: Path
) -> pd.DataFrame:
    """One row: the lowest PMT index of the partition under each replicate."""
    from konsel_analysis.scale.replicates import lowest_indexes

    lows = lowest_indexes(fitted, register_households(_register(frame, config, root)))
    return pd.DataFrame([lows], columns=[str(r) for r in range(len(lows))])


def candidates(scores: pd.DataFrame, budget: int, per_area: int) -> pd.DataFrame:
    """The ``budget`` highest priorities and each area's ``per_area`` highest, in register order.

    Ties in priority go to the earlier household, as in ``allocate_visits``.
    """
    scores = scores.reset_index(drop=True)  # concatenated partitions repeat their labels
    ranked = scores.sort_values(["priority", "position"], ascending=[False, True], kind="stable")
    keep = ranked.head(budget).index.union(ranked.groupby("area", sort=False).head(per_area).index)
    return scores.loc[keep].sort_values("position", kind="stable")


def _meta_sums(fitted: ReplicatedModel) -> pd.DataFrame:
    names = list(fitted.names)
    columns = ["households", "beneficiaries", *names]
    columns += [f"{n}|{s}|{r}" for r in range(fitted.reps) for n in names for s in ("mean", "var")]
    meta = pd.DataFrame({c: pd.Series(dtype="float64") for c in [*columns, "partitions"]})
    meta.insert(0, "area", pd.Series(dtype="str"))
    return meta


def _meta_villages(fitted: ReplicatedModel) -> pd.DataFrame:
    meta = pd.DataFrame({n: pd.Series(dtype="float64") for n in fitted.names})
    meta.insert(0, "area", pd.Series(dtype="str"))
    meta.insert(0, "village", pd.Series(dtype="str"))
    return meta


@dataclass(frozen=True)
class PartitionedScores:
    """What :func:`score_partitioned` computes: the tables of ``konsel score`` and the
    households to visit."""

    expected_by_area: pd.DataFrame
    allocation: pd.DataFrame
    visits: pd.DataFrame
    households: int


def plan_scoring(
    register: PartitionedRegister,
    fitted: ReplicatedModel,
    config: DatasetConfig,
    budget: int,
    minimum_per_area: int,
):
    """The dask collections: per-household scores, per-area sums, per-village sums,
    ranking candidates. Computes the replicates' lowest indexes first (one pass)."""
    import dask

    frame = register.read()
    # One key in the graph for the fitted model: a cluster sends it once to each worker,
    # not once with every task.
    model = dask.delayed(fitted, pure=True)
    low_meta = pd.DataFrame({str(r): pd.Series(dtype="float64") for r in range(fitted.reps)})
    lowest = frame.map_partitions(lowest_partition, model, config, register.root, meta=low_meta)
    lows = lowest.min().compute().to_numpy()
    scores = frame.map_partitions(
        _score_numbered,
        model,
        config,
        register.root,
        meta=pd.DataFrame({c: pd.Series(dtype=t) for c, t in SCORE_COLUMNS.items()}),
    )
    sums = frame.map_partitions(
        sum_partition, model, config, register.root, lows, meta=_meta_sums(fitted)
    )
    villages = frame.map_partitions(
        village_partition, model, config, register.root, meta=_meta_villages(fitted)
    )
    per_area = max(minimum_per_area, 1)  # at least one each, so that every area is seen
    reduce = {"budget": budget, "per_area": per_area}
    chosen = scores.reduction(
        candidates,
        aggregate=candidates,
        combine=candidates,
        chunk_kwargs=reduce,
        aggregate_kwargs=reduce,
        combine_kwargs=reduce,
        meta=scores._meta,
        split_every=8,
    )
    return scores, sums.groupby("area").sum(), villages, chosen


def allocate_from_candidates(
    chosen: pd.DataFrame, households: pd.Series, budget: int, minimum_per_area: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The allocation by area and the households to visit (with their rank in area)."""
    chosen = chosen.sort_values("position", kind="stable").reset_index(drop=True)
    allocation = allocate_visits(
        chosen["area"].to_numpy(),
        chosen["priority"].to_numpy(),
        chosen["p_error"].to_numpy(),
        budget,
        minimum_per_area,
    )
    by_area = allocation.by_area.copy()
    # The candidates are a subset: the households per area come from the full sums.
    by_area["households"] = households.reindex(by_area["area"]).round().astype(int).to_numpy()
    order = np.lexsort((chosen["position"].to_numpy(), -chosen["priority"].to_numpy()))
    ranked = chosen.iloc[order]
    rank = ranked.groupby("area", sort=False).cumcount() + 1
    chosen["rank_in_area"] = rank.reindex(chosen.index).to_numpy()
    visits = chosen[allocation.is_visited].drop(columns="position")
    return by_area, visits.sort_values(["area", "rank_in_area"], ignore_index=True)


def score_partitioned(
    register: PartitionedRegister,
    fitted: ReplicatedModel,
    config: DatasetConfig,
    *,
    budget: int,
    minimum_per_area: int,
    scores_folder: Path | None = None,
) -> PartitionedScores:
    """Run the three collections in one pass over the register (one ``dask.compute``).

    With ``scores_folder`` the per-household scores are written there (one Parquet
    file per partition); the caller makes the folder appear atomically.
    """
    import dask
    from threadpoolctl import threadpool_limits

    from konsel_analysis.scale.replicates import expected_errors_from_sums

    # Partitions run in parallel; one BLAS thread each keeps them from fighting over cores.
    with threadpool_limits(limits=1):
        scores, sums, villages, chosen = plan_scoring(
            register, fitted, config, budget, minimum_per_area
        )
        todo = [sums, villages, chosen]
        if scores_folder is not None:
            todo.append(scores.to_parquet(str(scores_folder), compute=False, write_index=False))
        area_totals, village_totals, best = dask.compute(*todo)[:3]
    split = area_totals.index[area_totals["partitions"] > 1]
    if len(split):
        raise UserError(
            f"{register.root}: kecamatan {split[0]} is spread over files that are read as "
            "different partitions; write one file per kecamatan (regency=<code>/"
            "kecamatan=<code>/part-0.parquet), as `konsel synth --partitioned` does"
        )
    expected = expected_errors_from_sums(fitted, area_totals, village_totals)
    allocation, visits = allocate_from_candidates(
        best, area_totals["households"], budget, minimum_per_area
    )
    return PartitionedScores(expected, allocation, visits, int(area_totals["households"].sum()))


def run_score_partitioned(
    survey: Path,
    register_root: Path,
    config: Path,
    settings: ScoreSettings,
    *,
    out: Path,
    scheduler: str | None = None,
    workers: int = 2,
) -> list[Path]:
    """``konsel score-partitioned``: check inputs, fit once, score, write; the files written."""
    from konsel_analysis.scale.replicates import fit_replicated_model

    budget, minimum = visit_budget(settings.budget, settings.minimum_per_area)
    dataset = load_dataset(survey, config)
    register = open_partitioned_register(register_root, dataset.config)
    cluster = None
    if scheduler is not None:  # before the fit: an unreachable scheduler fails at once
        from konsel_analysis.scale.cluster import connect

        cluster = connect(scheduler, workers)
    try:
        fitted = fit_replicated_model(
            survey_sample(dataset),
            dataset.poverty_line,
            dataset.extreme_poverty_line,
            squared=dataset.config.squared,
            reps=settings.reps,
            seed=settings.seed,
        )
        with staged_folder(out / "register_scores") as folder:
            result = score_partitioned(
                register,
                fitted,
                dataset.config,
                budget=budget,
                minimum_per_area=minimum,
                scores_folder=folder,
            )
            written = [
                write_csv_atomic(result.expected_by_area, out / "expected_errors_by_area.csv"),
                write_csv_atomic(result.allocation, out / "verification_allocation.csv"),
                write_parquet_atomic(result.visits, out / "verification_priority.parquet"),
            ]
    finally:
        if cluster is not None:
            cluster.close()
    return [*written, out / "register_scores"]
