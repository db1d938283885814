"""What a register scoring is asked for, shared by ``konsel score`` (one register file,
:func:`konsel_analysis.targeting.score.run_score`) and ``konsel score-partitioned`` (a
partitioned register, :func:`konsel_analysis.scale.score.run_score_partitioned`).

Kept free of model code so that building the command line imports no scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreSettings:
    """The visit budget and the replicates of one scoring.

    ``budget`` and ``minimum_per_area`` of ``None`` take parameters.yml's
    ``verification.budget_visits`` and ``verification.min_visits_per_kecamatan``.
    """

    budget: int | None = None  # verification visits in the round
    minimum_per_area: int | None = None  # visits every kecamatan gets at least
    reps: int = 200  # bootstrap replicates of the expected errors (90% intervals)
    seed: int = 0  # every replicate and draw
