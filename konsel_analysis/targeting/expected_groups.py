"""Expected targeting errors in the register by group of households (issue 18).

The register-side counterpart of :mod:`konsel_analysis.measured.groups`: for each
group level (in each kecamatan and the regency), the expected number of inclusion
errors, exclusion errors and extreme-poor households not covered, with intervals,
from **the same model and the same replicate draws** as the kecamatan figures of
:func:`~konsel_analysis.targeting.expected.estimate_expected_errors`: every
bootstrap refit of the model and every drawn village effect that moves a
kecamatan's count moves its groups' counts too (:class:`GroupDraws` is fed inside
that function's replicate loop). Only the household-chance part (the normal
approximation to the Poisson-binomial sum of independent Bernoulli outcomes) is
drawn per group cell, from a generator of its own, so that adding groups leaves
the kecamatan draws unchanged.

:func:`visit_shares` then sets the verification plan's share of visits in each
group level against the level's share of expected errors: does the priority
list under-visit a group?
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_array

from konsel_analysis.measured.groups import level_sort_key
from konsel_analysis.targeting.receipt_model import COUNTS, BinnedReplicate

#: Extra seed material for the group cells' household-chance draws (the issue number).
_GROUP_STREAM = 18


def _codes(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The levels in reading order and each household's position among them."""
    text = np.asarray(levels, dtype=str)
    uniques = np.array(sorted(set(text), key=level_sort_key), dtype=object)
    codes = pd.Index(uniques).get_indexer(text)
    return uniques, codes


class GroupDraws:
    """Replicate draws of the expected error counts per (group level, area).

    Built once per scoring run, then :meth:`add` is called with each replicate's
    binned register (the bins of the kecamatan totals: same area, receipt and index
    bin, so the same error probabilities) and village effects; :meth:`table` gives
    the point values and percentile intervals.
    """

    def __init__(
        self,
        groups: dict[str, np.ndarray],
        *,
        beneficiary: np.ndarray,
        area_idx: np.ndarray,
        areas: np.ndarray,
        village: np.ndarray | None,
        loadings: dict[str, np.ndarray] | None,
        expected: dict[str, np.ndarray],
        reps: int,
        seed: int,
    ):
        self.area_idx, self.areas = area_idx, areas
        self.beneficiary = beneficiary
        self.expected = expected
        self.levels = {g: _codes(v) for g, v in groups.items()}
        self.rng = np.random.default_rng([seed, _GROUP_STREAM])
        if village is None:
            self.village_idx, self.loadings = None, None
        else:
            self.village_idx = np.unique(np.asarray(village, dtype=str), return_inverse=True)[1]
            # Per household, a column per count: d P(error) / d (village effect).
            self.loadings = np.column_stack(list(loadings.values()))
            self.shift_column = {name: j for j, name in enumerate(loadings)}
        n_areas = len(areas)
        cells = [codes * n_areas + area_idx for _, codes in self.levels.values()]
        self.sizes = [n_areas * len(u) for u, _ in self.levels.values()]
        self.members = cell_members(cells, self.sizes, len(area_idx))
        self.draws = {
            g: {name: np.zeros((reps, n_areas * len(u))) for name in expected}
            for g, (u, _) in self.levels.items()
        }

    def add(self, r: int, binned: BinnedReplicate, u: np.ndarray) -> None:
        """Record replicate ``r``: its binned register and village effects."""
        # Per household and count: P(error) and its Bernoulli variance (from the
        # household's bin) and the village shift, summed per group cell by a product
        # that adds in household order, as np.bincount does: the same numbers to the
        # last bit.
        per_bin = []
        for q in binned.errors.values():
            per_bin += [q, q * (1 - q)]
        sums = self.members @ np.take(np.column_stack(per_bin), binned.slot, axis=0)
        shifts = None
        if self.loadings is not None:
            shifts = self.members @ (u[self.village_idx][:, None] * self.loadings)
        first = 0
        for group, size in zip(self.levels, self.sizes, strict=True):
            cells = slice(first, first + size)
            first += size
            for i, name in enumerate(binned.errors):
                mean, var = sums[cells, 2 * i], sums[cells, 2 * i + 1]
                draw = mean + np.sqrt(var) * self.rng.standard_normal(size)
                if shifts is not None and name in self.shift_column:
                    draw += shifts[cells, self.shift_column[name]]
                self.draws[group][name][r] = draw

    def table(self, ci: float, moves: dict | None = None) -> pd.DataFrame:
        """Per group, level and area (and area ``ALL``): households, beneficiaries and
        each expected count with ``_low``/``_high`` bounds of the ``ci`` interval.

        ``moves`` (count -> the areas' relative shift and the replicates' relative
        deviations, from :func:`~konsel_analysis.targeting.area_bias.apply_area_bias`)
        moves each level's share of an area's count as the area's count moved, so that
        the levels of a group still add up to the kecamatan figures."""
        alpha = (1 - ci) / 2
        n_areas = len(self.areas)
        frames = []
        for group, (uniques, codes) in self.levels.items():
            cell = codes * n_areas + self.area_idx
            size = n_areas * len(uniques)
            households = np.bincount(cell, minlength=size).reshape(len(uniques), n_areas)
            ben = np.bincount(cell, weights=self.beneficiary, minlength=size)
            ben = ben.reshape(len(uniques), n_areas)
            frame = pd.DataFrame(
                {
                    "group": group,
                    "level": np.repeat(uniques, n_areas + 1),
                    "area": np.tile([*self.areas, "ALL"], len(uniques)),
                    "households": _with_total(households).ravel().astype(int),
                    "beneficiaries": _with_total(ben).ravel().astype(int),
                }
            )
            for name, q in self.expected.items():
                point = np.bincount(cell, weights=q, minlength=size).reshape(len(uniques), n_areas)
                draws = self.draws[group][name].reshape(-1, len(uniques), n_areas)
                if moves and name in moves:
                    shift, deviation = moves[name]
                    draws = draws + point[None, :, :] * deviation[:, None, :]
                    point = np.maximum(point * (1 + shift), 0.0)
                draws = np.concatenate([draws, draws.sum(axis=2, keepdims=True)], axis=2)
                frame[name] = _with_total(point).ravel()
                frame[f"{name}_low"] = np.maximum(np.quantile(draws, alpha, axis=0), 0).ravel()
                frame[f"{name}_high"] = np.quantile(draws, 1 - alpha, axis=0).ravel()
            frames.append(frame[frame["households"] > 0])
        columns = ["group", "level", "area", "households", "beneficiaries"]
        columns += [f"{n}{s}" for n in COUNTS for s in ("", "_low", "_high")]
        if not frames:
            return pd.DataFrame(columns=columns)
        out = pd.concat(frames, ignore_index=True)

        out.insert(5, "non_beneficiaries", out["households"] - out["beneficiaries"])
        return out


def cell_members(cells: list[np.ndarray], sizes: list[int], n: int) -> csr_array:
    """The 0/1 matrix (cells of every grouping, stacked, x households) of which household
    lies in which cell: ``cell_members(...) @ w`` sums ``w`` per cell, adding each cell's
    households in household order as ``np.bincount(cell, weights=w)`` does (so to the
    same bits), for many columns of ``w`` and many groupings in one pass.

    >>> m = cell_members([np.array([1, 0, 1])], [2], 3)
    >>> (m @ np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]])).tolist()
    [[2.0, 20.0], [5.0, 50.0]]
    """
    indptr, indices, offset = [np.zeros(1, np.int64)], [], 0
    for cell, size in zip(cells, sizes, strict=True):
        indices.append(np.argsort(cell, kind="stable"))  # household order within a cell
        indptr.append(offset + np.cumsum(np.bincount(cell, minlength=size)))
        offset += n
    indices = np.concatenate(indices) if indices else np.zeros(0, np.int64)
    data = np.ones(len(indices))
    return csr_array((data, indices, np.concatenate(indptr)), shape=(sum(sizes), n))


def _with_total(values: np.ndarray) -> np.ndarray:
    """Levels x areas, with a last column summing the areas (the regency)."""
    return np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)


def visit_shares(
    by_group: pd.DataFrame,
    groups: dict[str, np.ndarray],
    area: np.ndarray,
    is_visited: np.ndarray,
) -> pd.DataFrame:
    """Add the verification plan's visits to the group table.

    Per group, level and area (and ``ALL``): ``visits``; ``share_of_visits`` (of the
    area's visits); ``share_of_expected_errors`` (the level's expected inclusion
    plus exclusion errors over the area's); and ``visit_error_ratio``, their ratio:
    below 1, the priority list visits the level less than its share of errors.

    >>> t = pd.DataFrame({"group": "g", "level": ["a", "b", "a", "b"],
    ...     "area": ["x", "x", "ALL", "ALL"], "expected_inclusion_errors": [1.0, 3, 1, 3],
    ...     "expected_exclusion_errors": [0.0, 0, 0, 0]})
    >>> out = visit_shares(t, {"g": np.array(["a", "b", "b"])}, np.array(["x"] * 3),
    ...     np.array([True, True, False]))
    >>> out["share_of_visits"].tolist(), out["visit_error_ratio"].tolist()
    ([0.5, 0.5, 0.5, 0.5], [2.0, 0.6666666666666666, 2.0, 0.6666666666666666])
    """
    out = by_group.copy()
    errors = out["expected_inclusion_errors"] + out["expected_exclusion_errors"]
    out["visits"] = 0
    visited = np.asarray(is_visited, bool)
    for group, levels in groups.items():
        frame = pd.DataFrame({"level": np.asarray(levels, dtype=str), "area": area, "v": visited})
        by_area = frame.groupby(["level", "area"])["v"].sum()
        overall = frame.groupby("level")["v"].sum()
        mine = out["group"] == group
        keys = zip(out.loc[mine, "level"], out.loc[mine, "area"], strict=True)
        out.loc[mine, "visits"] = [
            int(overall.get(lv, 0)) if a == "ALL" else int(by_area.get((lv, a), 0))
            for lv, a in keys
        ]
    totals = out.groupby(["group", "area"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_of_visits"] = out["visits"] / totals["visits"].transform("sum")
        out["share_of_expected_errors"] = errors / errors.groupby(
            [out["group"], out["area"]]
        ).transform("sum")
        out["visit_error_ratio"] = out["share_of_visits"] / out["share_of_expected_errors"]
    return out
