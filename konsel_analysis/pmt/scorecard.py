"""The linear PMT as a plain table of weights, the way register systems apply a PMT.

A register system (DTSEN, a village spreadsheet) cannot run Python. It applies
a PMT as a sum: the intercept, plus each numeric proxy times its weight, plus
each squared proxy's square times its weight, plus the weight of the level
each categorical proxy takes. The result is predicted *log* per-capita welfare;
``exp`` of it is predicted welfare in currency, compared with the poverty line.

One row per term, with columns:

- ``term``: the model's name of the term (``intercept``, ``COL``, ``log1p(COL)``,
  ``COL^2``, ``COL__missing``, ``COL=LEVEL``);
- ``kind``: ``intercept``, ``numeric`` (value x weight), ``log1p`` (log(1 +
  value) x weight, for a skewed proxy the config's ``transform`` logs; a negative
  value counts as 0), ``squared`` (value² x weight), ``missing`` (weight when
  the value is missing), ``level`` (weight when the proxy takes this level),
  ``reference`` (the reference level: weight 0, every other level's weight is
  relative to it) or ``pooled`` (a level too rare in the survey for its own
  weight: weight 0, scored like the reference);
- ``variable``, ``level``: the proxy and, for categoricals, the level;
- ``weight``: the number to add;
- ``fill_value``: for numeric proxies, the value to use when it is missing;
- ``note``: plain-language remarks.

Any level that is not listed scores as the reference level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.pmt.features import MISSING_SUFFIX

SCORECARD_COLUMNS = ["term", "kind", "variable", "level", "weight", "fill_value", "note"]


def _row(term, kind, variable, weight, level="", fill_value=np.nan, note="") -> dict:
    return {
        "term": term,
        "kind": kind,
        "variable": variable,
        "level": level,
        "weight": float(weight),
        "fill_value": fill_value,
        "note": note,
    }


def scorecard_table(model: LinearPMT) -> pd.DataFrame:
    """The scoring table of a fitted linear PMT (see the module documentation)."""
    features = model.features_
    weight = dict(zip(model.feature_names_, model.coef_, strict=True))
    kept = set(model.feature_names_[model.model_.columns])

    def note(term: str) -> str:
        return "" if term in kept else "not in the model (collinear or not selected): weight 0"

    rows = [
        _row(
            "intercept",
            "intercept",
            "",
            model.intercept_,
            note="predicted log per-capita welfare = sum of all applicable weights",
        )
    ]
    logged = set(getattr(features, "log1p_", ()))
    for col in features.numeric_:
        term = f"log1p({col})" if col in logged else col
        rows.append(
            _row(
                term,
                "log1p" if col in logged else "numeric",
                col,
                weight[term],
                fill_value=features.fill_values_[col],
                note=note(term) or ("log(1 + value) x weight" if col in logged else ""),
            )
        )
    for col in features.squared_:
        term = f"{col}^2"
        rows.append(
            _row(
                term,
                "squared",
                col,
                weight[term],
                fill_value=features.fill_values_[col],
                note=note(term),
            )
        )
    for col in features.with_missing_:
        term = f"{col}{MISSING_SUFFIX}"
        rows.append(_row(term, "missing", col, weight[term], note=note(term)))
    for col in features.categorical_:
        reference = features.reference_[col]
        rows.append(
            _row(
                f"{col}={reference}",
                "reference",
                col,
                0.0,
                level=reference,
                note="reference level: other levels' weights are relative to it",
            )
        )
        for level in features.levels_[col]:
            term = f"{col}={level}"
            rows.append(_row(term, "level", col, weight[term], level=level, note=note(term)))
        for level in features.pooled_levels_[col]:
            rows.append(
                _row(
                    f"{col}={level}",
                    "pooled",
                    col,
                    0.0,
                    level=level,
                    note="too rare in the survey for its own weight: scored as the reference level",
                )
            )
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def _numeric(values: pd.Series, fill: float) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_bool_dtype(values):
        x = values.astype(float).to_numpy()
    else:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(x)
    return np.where(missing, fill, x), missing


def apply_scorecard(table: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Predicted log welfare by summing the table's weights, as a register system would.

    Uses nothing but the table and the proxies, so it checks that the table
    alone reproduces the model.
    """
    score = np.zeros(len(frame))
    for row in table.itertuples(index=False):
        if row.kind == "intercept":
            score += row.weight
        elif row.kind in ("numeric", "log1p", "squared", "missing"):
            x, missing = _numeric(frame[row.variable], row.fill_value)
            value = {
                "numeric": x,
                "log1p": np.log1p(np.maximum(x, 0.0)),
                "squared": x**2,
                "missing": missing.astype(float),
            }[row.kind]
            score += row.weight * value
        elif row.kind == "level":
            text = frame[row.variable].astype("string").fillna("(missing)")
            score += row.weight * (text == row.level).to_numpy(dtype=float)
    return score
