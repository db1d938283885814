"""Does the register look like the survey the PMT was fitted on?

A PMT fitted on the survey predicts well in the register only where the two
describe the same kind of households. For every proxy the survey's weighted
distribution is compared with the register's by the standardised difference
(Austin 2009): for a numeric proxy

    d = (mean_survey - mean_register) / sqrt((var_survey + var_register) / 2)

and for each level of a categorical proxy the same with shares p and variances
p(1 - p). ``|d|`` above ``data_quality.comparability_warning_smd`` of
parameters.yml (0.1) marks a proxy whose register distribution differs from the
survey's enough to matter; the reports say so. The survey's means use its design
weights, the register's count every household once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _weighted_mean_var(values: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(values)
    if not ok.any() or weight[ok].sum() <= 0:
        return np.nan, np.nan
    mean = float(np.average(values[ok], weights=weight[ok]))
    var = float(np.average((values[ok] - mean) ** 2, weights=weight[ok]))
    return mean, var


def _std_difference(m_s: float, v_s: float, m_r: float, v_r: float) -> float:
    pooled = np.sqrt((v_s + v_r) / 2)
    if not np.isfinite(pooled):
        return np.nan
    if pooled == 0:
        return 0.0 if m_s == m_r else np.inf
    return float((m_s - m_r) / pooled)


def standardised_differences(
    survey: pd.DataFrame,
    survey_weight: np.ndarray,
    register: pd.DataFrame,
    numeric: tuple[str, ...],
    threshold: float,
) -> pd.DataFrame:
    """One row per numeric proxy and per level of each categorical proxy.

    Columns: ``proxy, level, survey_mean, register_mean, std_difference, differs``
    (``level`` empty for numeric proxies; means of a level are shares).

    >>> s = pd.DataFrame({"x": [1.0, 3.0], "k": ["a", "b"]})
    >>> r = pd.DataFrame({"x": [1.0, 3.0, 3.0, 1.0], "k": ["a", "a", "a", "b"]})
    >>> t = standardised_differences(s, np.array([1.0, 1.0]), r, ("x",), 0.1)
    >>> t[["proxy", "level", "std_difference"]].round(3).values.tolist()
    [['x', '', 0.0], ['k', 'a', -0.535], ['k', 'b', 0.535]]
    """
    w = np.asarray(survey_weight, dtype=float)
    rows = []
    for column in survey.columns:
        if column not in register.columns:
            continue
        if column in numeric:
            m_s, v_s = _weighted_mean_var(survey[column].to_numpy(dtype=float), w)
            r = register[column].to_numpy(dtype=float)
            m_r, v_r = _weighted_mean_var(r, np.ones(len(r)))
            rows.append((column, "", m_s, m_r, _std_difference(m_s, v_s, m_r, v_r)))
            continue
        s_text = survey[column].astype(str).to_numpy()
        r_text = register[column].astype(str).to_numpy()
        for level in sorted(set(s_text) | set(r_text)):
            p_s = float(np.sum(w * (s_text == level)) / np.sum(w))
            p_r = float(np.mean(r_text == level))
            d = _std_difference(p_s, p_s * (1 - p_s), p_r, p_r * (1 - p_r))
            rows.append((column, level, p_s, p_r, d))
    table = pd.DataFrame(
        rows, columns=["proxy", "level", "survey_mean", "register_mean", "std_difference"]
    )
    table["differs"] = table["std_difference"].abs() > threshold
    return table


def compare_survey_register(dataset, register, threshold: float | None = None) -> pd.DataFrame:
    """:func:`standardised_differences` of a loaded survey and register (same config)."""
    if threshold is None:
        from konsel_analysis.parameters import load_parameters

        threshold = float(load_parameters().value("data_quality.comparability_warning_smd"))
    return standardised_differences(
        dataset.X, dataset.weight, register.X, dataset.config.numeric, threshold
    )


def comparability_warning(table: pd.DataFrame) -> str | None:
    """One sentence naming the proxies that differ, or None when none does."""
    differing = table[table["differs"]]
    if differing.empty:
        return None
    worst = (
        differing.assign(size=differing["std_difference"].abs())
        .sort_values("size", ascending=False)
        .drop_duplicates("proxy")
    )
    named = ", ".join(
        f"{r.proxy}{f' = {r.level}' if r.level else ''} (d = {r.std_difference:+.2f})"
        for r in worst.head(5).itertuples()
    )
    more = f" and {len(worst) - 5} more" if len(worst) > 5 else ""
    return (
        f"the register differs from the survey the PMT was fitted on in {len(worst)} "
        f"proxies: {named}{more}; predictions for those households rest on fewer "
        "comparable survey households"
    )
