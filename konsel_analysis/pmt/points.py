"""The PMT as a points scorecard a field office adds up by hand.

``konsel validate-pmt`` writes ``scorecard_points.csv``: whole points per proxy
value, a base, and two cut-offs. Which model it is:

- the chosen PMT (:func:`~konsel_analysis.pmt.validation.choose_best`) when it is
  linear: WLS with or without selection, quantile regression, poverty-weighted
  WLS (linear in log welfare), or the logit/probit of the poor flag (linear in
  the index); the model card says so;
- otherwise (a tree ensemble or the multinomial logit won) the best-ranked
  linear estimator, and the model card says that the chosen PMT is not linear
  and which linear one the scorecard is.

Points. A welfare model's score is its predicted log per-capita welfare; a
logit/probit's score is minus its index (so that, for both, more points mean
better off). One point is 0.01 of the score: for welfare models about 1% more
predicted welfare (:data:`POINTS_PER_UNIT`). Each row's points are
``round(100 x its contribution)``:

- ``base``: the intercept;
- a numeric proxy with at most :data:`MAX_VALUE_ROWS` distinct values in the
  survey gets one row per value (a value not listed scores as the nearest
  listed one); one with more gets one row per weighted quintile band, scored at
  the band's weighted median. The points combine every
  term of the proxy (the value, its square, its log(1 + value)); a missing value
  is scored at the model's fill value, plus the ``missing`` row's points;
- a categorical proxy gets one row per level with its own weight; the reference
  level, and levels too rare for their own weight, score 0.

A household's total is the base plus one row per proxy. Cut-offs, both applied
as "fewer points than the cut-off: selected":

- ``cutoff_poverty_line``: welfare models: ``round(100 x log(poverty line))``
  (predicted welfare below the line); logit/probit: 0 (P(poor) above 0.5);
- ``cutoff_quota``: the smallest total that selects at least the quota's
  weighted share of the survey's households (the poverty rate, the at-rate rule
  of the validation), by their totals.

Rounding each row to a whole point moves a total by at most half a point per
row; the totals and cut-offs in the file are the rounded ones, so a field
office that adds the printed points gets exactly the file's decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from konsel_analysis.pmt.features import MISSING_SUFFIX, category_values, numeric_values
from konsel_analysis.weighted import weighted_quantile

#: Points per unit of the score (log welfare, or minus the logit/probit index).
POINTS_PER_UNIT = 100
#: A numeric proxy with at most this many distinct values gets one row per value.
MAX_VALUE_ROWS = 12
#: The estimators whose score is linear in the design matrix.
LINEAR_WELFARE = ("wls", "wls_stepwise", "wls_lasso", "quantile", "poverty_weighted")
LINEAR_INDEX = ("logit", "probit")
POINTS_COLUMNS = [
    "row",
    "variable",
    "label_id",
    "label_en",
    "value_id",
    "value_en",
    "low",
    "high",
    "level",
    "points",
]


def is_linear(name: str) -> bool:
    """Whether the estimator of this name scores households linearly in the proxies."""
    return name in LINEAR_WELFARE or name in LINEAR_INDEX


@dataclass
class PointsScorecard:
    """The points table, its two cut-offs and which estimator it is, and why."""

    estimator: str
    why_id: str
    why_en: str
    table: pd.DataFrame
    cutoff_poverty_line: int | None
    cutoff_quota: int
    quota_share: float
    log1p: list[str]  # proxies the scorecard's model took as log(1 + value)

    def summary(self) -> dict:
        return {
            "estimator": self.estimator,
            "why": self.why_en,
            "why_id": self.why_id,
            "points_per_unit": POINTS_PER_UNIT,
            "cutoff_poverty_line": self.cutoff_poverty_line,
            "cutoff_quota": self.cutoff_quota,
            "quota_share": self.quota_share,
            "rows": int(len(self.table)),
            "log1p": list(self.log1p),
        }

    def csv_table(self) -> pd.DataFrame:
        """The table with the two cut-offs as its last rows (``row`` = cutoff_...)."""
        cuts = [
            _cut_row(
                "cutoff_quota",
                self.cutoff_quota,
                f"batas kuota: {self.quota_share:.1%} rumah tangga termiskin",
                f"quota cut-off: the poorest {self.quota_share:.1%} of households",
            )
        ]
        if self.cutoff_poverty_line is not None:
            cuts.append(
                _cut_row(
                    "cutoff_poverty_line",
                    self.cutoff_poverty_line,
                    "batas garis kemiskinan",
                    "poverty-line cut-off",
                )
            )
        return pd.concat([self.table, pd.DataFrame(cuts)], ignore_index=True)[POINTS_COLUMNS]


def _cut_row(row: str, points: int, text_id: str, text_en: str) -> dict:
    return {
        "row": row,
        "variable": "",
        "label_id": text_id + " (terpilih jika total poin di bawahnya)",
        "label_en": text_en + " (selected when the total is below it)",
        "value_id": "",
        "value_en": "",
        "low": np.nan,
        "high": np.nan,
        "level": "",
        "points": int(points),
    }


def choose_scorecard_estimator(best: str, ranked: list[str]) -> tuple[str | None, str, str]:
    """The estimator the scorecard shows and why (Indonesian, English); None if none is linear."""
    if is_linear(best):
        return (
            best,
            f"PMT terpilih ({best}) linier: kartu skor ini adalah PMT terpilih",
            f"the chosen PMT ({best}) is linear: this scorecard is the chosen PMT",
        )
    linear = [name for name in ranked if is_linear(name)]
    if not linear:
        return None, "", ""
    return (
        linear[0],
        f"PMT terpilih ({best}) tidak linier; kartu skor ini memakai model linier "
        f"terbaik, {linear[0]}",
        f"the chosen PMT ({best}) is not linear; this scorecard is the best linear one, "
        f"{linear[0]}",
    )


def linear_score_terms(model, name: str) -> tuple[float, dict[str, float]]:
    """Intercept and per-term coefficients of the score (more = better off)."""
    names = list(model.feature_names_)
    if name in LINEAR_INDEX:
        intercept, coef = model.original_scale()
        return -intercept, dict(zip(names, -np.asarray(coef), strict=True))
    return float(model.intercept_), dict(zip(names, np.asarray(model.coef_), strict=True))


def _labels(column: str, config) -> tuple[str, str]:
    from konsel_analysis.dictionary import COLUMNS

    if config is not None and config.follows_dictionary(column):
        entry = COLUMNS[column]
        return entry.label("id"), entry.label("en")
    return column, column


def _level_labels(column: str, level: str, config) -> tuple[str, str]:
    from konsel_analysis.dictionary import COLUMNS

    if config is not None and config.follows_dictionary(column):
        entry = COLUMNS[column]
        if level in entry.categories:
            return entry.category_label(level, "id"), entry.category_label(level, "en")
    return level, level


def _number(value: float) -> str:
    return f"{value:g}"


def _bands(values: np.ndarray, w: np.ndarray) -> list[tuple[float, float, float]]:
    """(low, high, representative) per row: each value, or weighted quintile bands."""
    distinct = np.unique(values)
    if len(distinct) <= MAX_VALUE_ROWS:
        return [(v, v, v) for v in distinct]
    edges = np.unique([weighted_quantile(values, w, q) for q in (0.2, 0.4, 0.6, 0.8)])
    bounds = [-np.inf, *edges, np.inf]
    out = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        inside = (values >= low) & (values < high) if np.isfinite(high) else values >= low
        if inside.any():
            rep = weighted_quantile(values[inside], w[inside], 0.5)
            out.append((low, high, rep))
    return out


def _contribution(coef: dict[str, float], column: str, x: float, logged: bool) -> float:
    linear = coef.get(f"log1p({column})" if logged else column, 0.0)
    value = np.log1p(max(x, 0.0)) if logged else x
    return linear * value + coef.get(f"{column}^2", 0.0) * x * x


def points_table(model, name: str, X: pd.DataFrame, w: np.ndarray, config=None) -> pd.DataFrame:
    """The points rows of a fitted linear model, banded on the survey's proxies X."""
    features = model.features_
    intercept, coef = linear_score_terms(model, name)
    logged = set(getattr(features, "log1p_", ()))
    rows = [
        {
            "row": "base",
            "variable": "",
            "label_id": "poin dasar",
            "label_en": "base points",
            "value_id": "",
            "value_en": "",
            "low": np.nan,
            "high": np.nan,
            "level": "",
            "points": _points(intercept),
        }
    ]
    for col in features.numeric_:
        label_id, label_en = _labels(col, config)
        values = numeric_values(X[col], col)
        seen = ~np.isnan(values)
        filled = np.where(seen, values, features.fill_values_[col])
        for low, high, rep in _bands(filled, w):
            exact = low == high
            text = _number(low) if exact else _band_text(low, high)
            rows.append(
                {
                    "row": "value" if exact else "band",
                    "variable": col,
                    "label_id": label_id,
                    "label_en": label_en,
                    "value_id": text,
                    "value_en": text,
                    "low": low,
                    "high": high,
                    "level": "",
                    "points": _points(_contribution(coef, col, rep, col in logged)),
                }
            )
        if col in features.with_missing_:
            rows.append(
                {
                    "row": "missing",
                    "variable": col,
                    "label_id": label_id,
                    "label_en": label_en,
                    "value_id": "tidak diisi (tambahkan ke poin nilai pengganti "
                    f"{_number(features.fill_values_[col])})",
                    "value_en": "missing (add to the points of the fill value "
                    f"{_number(features.fill_values_[col])})",
                    "low": features.fill_values_[col],
                    "high": features.fill_values_[col],
                    "level": "",
                    "points": _points(coef.get(f"{col}{MISSING_SUFFIX}", 0.0)),
                }
            )
    for col in features.categorical_:
        label_id, label_en = _labels(col, config)
        levels = [
            features.reference_[col],
            *features.levels_[col],
            *features.pooled_levels_[col],
        ]
        for level in levels:
            text_id, text_en = _level_labels(col, level, config)
            rows.append(
                {
                    "row": "level",
                    "variable": col,
                    "label_id": label_id,
                    "label_en": label_en,
                    "value_id": text_id,
                    "value_en": text_en,
                    "low": np.nan,
                    "high": np.nan,
                    "level": level,
                    "points": _points(coef.get(f"{col}={level}", 0.0)),
                }
            )
    return pd.DataFrame(rows, columns=POINTS_COLUMNS)


def _band_text(low: float, high: float) -> str:
    if not np.isfinite(low):
        return f"< {high:g}"
    if not np.isfinite(high):
        return f">= {low:g}"
    return f"{low:g} - < {high:g}"


def _points(score: float) -> int:
    return int(np.round(POINTS_PER_UNIT * score))


def total_points(table: pd.DataFrame, X: pd.DataFrame) -> np.ndarray:
    """Each household's total, as a field office adds the table's rows by hand."""
    total = np.full(len(X), int(table.loc[table["row"] == "base", "points"].sum()))
    for column, rows in table[table["variable"] != ""].groupby("variable", sort=False):
        if (rows["row"] == "level").any():
            text = category_values(X[column])
            points = dict(zip(rows["level"], rows["points"], strict=True))
            total += np.array([points.get(str(t), 0) for t in text], dtype=np.int64)
            continue
        values = numeric_values(X[column], column)
        missing = rows[rows["row"] == "missing"]
        fill = float(missing["low"].iloc[0]) if len(missing) else np.nan
        x = np.where(np.isnan(values), fill, values)
        scored = rows[rows["row"].isin(["value", "band"])]
        if (scored["row"] == "value").all():  # a value not listed scores as the nearest one
            listed = scored["low"].to_numpy(dtype=float)
            nearest = np.abs(np.nan_to_num(x)[:, None] - listed[None, :]).argmin(axis=1)
            total += scored["points"].to_numpy(dtype=np.int64)[nearest]
        else:
            for r in scored.itertuples():
                total += np.where((x >= r.low) & (x < r.high), int(r.points), 0)
        if len(missing):
            total += np.where(np.isnan(values), int(missing["points"].iloc[0]), 0)
    return total


def build_points_scorecard(result, estimators: dict | None = None) -> PointsScorecard | None:
    """The points scorecard of a validation result (None when no linear estimator worked).

    The chosen linear estimator is refitted on every household (as the published WLS
    is); WLS itself is the result's linear model.
    """
    from konsel_analysis.pmt.validation import default_estimators, rank_estimators

    ds = result.dataset
    name, why_id, why_en = choose_scorecard_estimator(result.best, rank_estimators(result.results))
    if name is None:
        return None
    if name == "wls" and result.linear_model is not None:
        model = result.linear_model
    else:
        estimators = estimators or result.estimators or default_estimators(ds, result.seed)
        model = clone(estimators[name]).fit(ds.X, ds.y, sample_weight=ds.weight, groups=ds.cluster)
    table = points_table(model, name, ds.X, ds.weight, ds.config)
    totals = total_points(table, ds.X)
    line = None
    if name in LINEAR_WELFARE and ds.poverty_line is not None:
        line = _points(np.log(ds.poverty_line))
    elif name in LINEAR_INDEX:
        line = 0
    quota = quota_cutoff(totals, ds.weight, ds.poverty_rate)
    logged = list(getattr(model.features_, "log1p_", ()))
    return PointsScorecard(name, why_id, why_en, table, line, quota, ds.poverty_rate, logged)


def quota_cutoff(totals: np.ndarray, w: np.ndarray, share: float) -> int:
    """The smallest whole total ``c`` such that households with fewer than ``c`` points hold
    at least ``share`` of the weight.

    >>> quota_cutoff(np.array([10, 20, 30, 40]), np.ones(4), 0.5)
    21
    """
    order = np.argsort(totals, kind="stable")
    cumulative = np.cumsum(w[order]) / np.sum(w)
    k = int(np.searchsorted(cumulative, share - 1e-12))
    return int(totals[order][min(k, len(totals) - 1)]) + 1
