"""How far the selection model misses in each area, and what that adds to the intervals.

The selection model of :mod:`.expected` assumes that in every kecamatan the
village meetings see log consumption through normal noise. When targeting quality
differs between kecamatan in ways the model does not follow (receipt close to
random in some, driven by a shock or by connections in others, heavy-tailed
welfare), its area counts are biased, and bootstrap refits of the same model
cannot see that: they only measure how the model's own fit varies.

So the model's errors are checked where the truth is known, on the survey, and
out of bag: a household's probability is the mean over the Rao-Wu replicates
whose resample left its village out (the model never saw it). Per area and per
count (inclusion: among beneficiaries the share not poor; exclusion and extreme
poor not covered: among non-beneficiaries the share poor, extreme poor), the
survey-weighted relative residual ``r_a = sum w (error - P(error)) / sum w
P(error)`` estimates the area's relative bias ``b_a`` with a sampling variance
``v_a`` (clustered linearisation, floored at the binomial variance). The residuals
follow a Fay-Herriot model (Fay & Herriot 1979) centred on the model: ``r_a = b_a +
e_a``, ``b_a ~ N(0, s2)``, ``e_a ~ N(0, v_a)``. Centred on zero, not on a fitted
regency mean: the probit's free intercept and the calibrated welfare make the model
match the survey at regency level, and a fitted mean would bring back the sampling
error of the survey's direct estimate, which the model exists to avoid. ``s2`` is
estimated by adjusted maximum likelihood (Li & Lahiri 2010), which is never exactly
zero: on a survey of about 3,000 households plain maximum likelihood finds no spread
between areas beyond sampling noise even where targeting quality differs from close
to random to close to perfect (benchmarks, docs/targeting.md), so the data cannot
rule out a spread of the size the adjusted estimate gives, and the intervals keep
it. The area's bias given its residual is ``N(gamma_a r_a, gamma_a v_a)``, ``gamma_a
= s2 / (s2 + v_a)``: a well-sampled area keeps some of its own
residual, a thinly sampled one gets the full ``s2``.

An area whose survey cannot inform its targeting quality (fewer than
:data:`MIN_SAMPLED_BENEFICIARIES` sampled beneficiaries, or one sampled
village: one village meeting says nothing about the others) gets no residual of
its own: it takes the prior, ``N(0, s2)``, and is flagged (``is_uninformed``).
So does a register area the survey never visited.

An area's count ``m_a`` (the model's) becomes ``m_a (1 + E b_a)``; each
replicate draw adds ``m_a`` times an independent draw of the area's bias. The
extreme poor not covered keep the model's count (:data:`SHIFTED`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

#: An area with fewer sampled beneficiaries than this (or one sampled village) cannot
#: tell how well its meetings targeted: the inclusion error rate of 5 beneficiaries has
#: a standard error near 0.2, the whole range between good and random targeting.
MIN_SAMPLED_BENEFICIARIES = 5

#: Counts whose points move by the areas' posterior mean bias. The extreme poor not
#: covered only get the wider draws: their residuals rest on the 6-16 extreme-poor
#: non-beneficiaries a survey of 3,000 holds, and moving the points by them took the
#: regency estimate further from the truth in 7 of 8 runs of the default generator
#: (docs/targeting.md).
SHIFTED = frozenset({"expected_inclusion_errors", "expected_exclusion_errors"})

#: (households counted, error event) per count, as ``expected.COUNTS``.
GROUPS = {
    "expected_inclusion_errors": True,  # beneficiaries
    "expected_exclusion_errors": False,  # non-beneficiaries
    "expected_extreme_poor_not_covered": False,
}


@dataclass(frozen=True)
class AreaBias:
    """Posterior of each survey area's bias, per count, on the scale of a rate."""

    areas: tuple[str, ...]  # survey areas (as strings, sorted)
    shift: dict[str, np.ndarray]  # posterior mean per area (relative to the model's count)
    sd: dict[str, np.ndarray]  # posterior sd per area
    between_sd: dict[str, float]  # sqrt(s2) per count: the prior sd
    uninformed: np.ndarray  # per survey area
    sampled_beneficiaries: np.ndarray
    sampled_villages: np.ndarray

    def for_areas(self, areas) -> tuple[dict, dict, np.ndarray]:
        """Shift and sd per count and the uninformed flag of ``areas`` (e.g. the register's);
        an area the survey did not visit takes the prior and is uninformed."""
        position = {a: i for i, a in enumerate(self.areas)}
        idx = np.array([position.get(str(a), -1) for a in areas], dtype=np.int64)
        known = idx >= 0
        shift, sd = {}, {}
        for name, between in self.between_sd.items():
            shift[name] = np.where(known, self.shift[name][idx], 0.0)
            sd[name] = np.where(known, self.sd[name][idx], between)
        return shift, sd, np.where(known, self.uninformed[idx], True)


def _clustered_variance(weight, residual, cluster, total: float) -> float:
    """Variance of ``sum(w * residual) / total`` under with-replacement sampling of clusters
    (households, when there is one cluster)."""
    units = np.unique(cluster, return_inverse=True)[1]
    if units.max(initial=0) == 0:
        units = np.arange(len(residual))
    m = units.max(initial=-1) + 1
    if m < 2:
        return np.nan
    sums = np.bincount(units, weights=weight * residual, minlength=m)
    return float(m / (m - 1) * np.sum(sums**2) / total**2)


def area_residuals(
    error: np.ndarray,
    probability: np.ndarray,
    in_group: np.ndarray,
    weight: np.ndarray,
    area: np.ndarray,
    cluster: np.ndarray,
    areas: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Per area: the relative residual ``sum w (error - probability) / sum w probability``
    among the group's sampled households and its sampling variance (nan where the group
    has none, or the model expects none).

    Relative, not a difference of rates: an area's count is then moved in proportion
    to itself, which keeps rare counts (the extreme poor) from being pushed below zero.

    >>> r, v = area_residuals(np.array([1, 0, 1, 1.0]), np.full(4, 0.5), np.ones(4, bool),
    ...                       np.ones(4), np.array(["A"] * 4), np.array([1, 1, 2, 2]), ("A",))
    >>> float(r[0]), float(v[0])  # village sums 0 and 1 less 0.5 x 2 x 0.5: 2 x 0.5 / 4
    (0.5, 0.25)
    """
    area = np.asarray(area, dtype=str)
    residuals = np.full(len(areas), np.nan)
    variances = np.full(len(areas), np.nan)
    for i, a in enumerate(areas):
        rows = in_group & (area == a)
        w, e, p = weight[rows], error[rows], probability[rows]
        expected = float(w @ p)
        if not rows.any() or expected <= 0:
            continue
        r = float(w @ (e - p)) / expected
        v = _clustered_variance(w, e - (1 + r) * p, cluster[rows], expected)
        # binomial floor: the relative variance of a sum of Bernoulli(p), sample weights
        floor = float(np.sum(w**2 * p * (1 - p)) / expected**2)
        residuals[i], variances[i] = r, max(v, floor) if np.isfinite(v) else floor
    return residuals, variances


def between_area_variance(residual: np.ndarray, variance: np.ndarray) -> float:
    """``s2`` of ``r_a ~ N(0, s2 + v_a)`` by adjusted maximum likelihood (Li & Lahiri 2010):
    the log-likelihood plus ``log(s2)``, so that the estimate is strictly positive."""

    def negative_adjusted_loglik(log_s2: float) -> float:
        total = np.exp(log_s2) + variance
        return 0.5 * np.sum(np.log(total) + residual**2 / total) - log_s2

    scale = max(float(np.mean(residual**2)), float(np.mean(variance)), 1e-8)
    found = optimize.minimize_scalar(
        negative_adjusted_loglik,
        method="bounded",
        bounds=(np.log(scale * 1e-6), np.log(scale * 100)),
    )
    return float(np.exp(found.x))


def fay_herriot_posterior(residual, variance, informed):
    """Posterior mean and sd of each area's bias, and ``sqrt(s2)`` (module docstring).

    Areas not ``informed`` (or without a residual) take the prior ``N(0, s2)``.
    """
    use = informed & np.isfinite(residual) & np.isfinite(variance)
    if use.sum() < 2:  # no spread between areas can be measured: no correction, no width
        return np.zeros(len(residual)), np.zeros(len(residual)), 0.0
    s2 = between_area_variance(residual[use], variance[use])
    with np.errstate(invalid="ignore"):
        gamma = np.where(use, s2 / (s2 + variance), 0.0)
    shift = np.where(use, gamma * residual, 0.0)
    sd = np.sqrt(np.where(use, gamma * variance, s2))
    return shift, sd, float(np.sqrt(s2))


def estimate_area_bias(
    errors: dict[str, np.ndarray],
    oob: dict[str, np.ndarray],
    beneficiary: np.ndarray,
    weight: np.ndarray,
    area: np.ndarray,
    cluster: np.ndarray,
) -> AreaBias:
    """The :class:`AreaBias` of surveyed households' error flags and out-of-bag
    probabilities (both keyed by count name, as ``expected.COUNTS``)."""
    area = np.asarray(area, dtype=str)
    cluster = np.asarray(cluster, dtype=str)
    areas = tuple(sorted(set(area)))
    sampled_ben = np.array([np.sum(beneficiary & (area == a)) for a in areas])
    villages = np.array([len(np.unique(cluster[area == a])) for a in areas])
    uninformed = (sampled_ben < MIN_SAMPLED_BENEFICIARIES) | (villages < 2)
    shift, sd, between = {}, {}, {}
    for name, error in errors.items():
        group = beneficiary if GROUPS[name] else ~beneficiary
        r, v = area_residuals(error, oob[name], group, weight, area, cluster, areas)
        shift[name], sd[name], between[name] = fay_herriot_posterior(r, v, ~uninformed)
        if name not in SHIFTED:
            shift[name] = np.zeros(len(areas))
    return AreaBias(areas, shift, sd, between, uninformed, sampled_ben, villages)


def apply_area_bias(
    bias: AreaBias,
    areas,
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
    rng: np.random.Generator,
    moves: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Move the area points (the model's expected counts) and the replicate draws
    (``reps x (areas + 1)``, the last column the regency total; changed in place) by the
    areas' relative biases: a count ``m_a`` becomes ``m_a (1 + b_a)``.

    Deviates: per count, one ``reps x areas`` block. The regency draw is the sum of the
    area draws, left unclipped so that it is not pushed up (the reported lower bounds
    are clipped at zero). Returns the moved points and the uninformed flags; with
    ``moves``, also fills it per count with the areas' relative shift and the replicates'
    relative deviations (``reps x areas``), so that parts of an area's count (its group
    levels, :mod:`.expected_groups`) move with it.
    """
    shift, sd, uninformed = bias.for_areas(areas)
    points = {}
    for name, draw in draws.items():
        m = point[name]
        points[name] = np.maximum(m * (1 + shift[name]), 0.0)
        deviation = shift[name] + sd[name] * rng.standard_normal((draw.shape[0], len(m)))
        draw[:, :-1] += m * deviation
        if moves is not None:
            moves[name] = (shift[name], deviation)
        draw[:, -1] = draw[:, :-1].sum(axis=1)
    return points, uninformed
