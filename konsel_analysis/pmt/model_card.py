"""The model card: what was fitted, on what, how well out of sample, and which model won.

One dictionary (written as ``model_card.json``) that the reports read, and the
same content as Markdown (``model_card.md``) for people. Sections: data,
validation design, per-estimator metrics, the chosen model and why, the
linear model's coefficient table, the calibration (reliability) table of the
chosen model and the targeting errors of the programmes already in the data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from konsel_analysis import __version__
from konsel_analysis.pmt import metrics
from konsel_analysis.pmt.validation import LINEAR_MODEL, ValidationResult

FOLD_DESIGN = (
    "K-fold cross-validation grouped by cluster (no cluster is split between "
    "folds), stratified by the poor flag (scikit-learn StratifiedGroupKFold); "
    "survey weights in every fit and every metric; metrics on the pooled "
    "out-of-sample predictions"
)


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become None, NumPy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return to_jsonable(frame.to_dict(orient="records"))


def _data_section(result: ValidationResult) -> dict:
    ds = result.dataset
    cfg = ds.config
    line_source = cfg.poverty_line.describe() if cfg.poverty_line else None
    missing = {c: int(ds.X[c].isna().sum()) for c in cfg.numeric if ds.X[c].isna().any()}
    return {
        "name": cfg.name,
        "file": ds.data_path.name,
        "config": cfg.path.name,
        "mode": ds.mode,
        "n": ds.n,
        "welfare": cfg.welfare or cfg.welfare_class,
        "weight": cfg.weight,
        "weighted_households": float(np.sum(ds.weight)),
        "cluster": cfg.cluster,
        "n_clusters": int(len(np.unique(ds.cluster))),
        "area": cfg.area,
        "n_areas": int(len(np.unique(ds.area))),
        "area_effects": cfg.area_effects,
        "poverty_line": ds.poverty_line,
        "poverty_line_source": line_source,
        "poor_classes": list(cfg.poor_classes) or None,
        "poverty_rate": ds.poverty_rate,
        "extreme_poverty_line": ds.extreme_poverty_line,
        "extreme_poor_classes": list(cfg.extreme_poor_classes) or None,
        "extreme_poverty_rate": ds.extreme_poverty_rate,
        "n_poor": int(ds.is_poor.sum()),
        "proxies": {
            "numeric": list(cfg.numeric),
            "categorical": list(cfg.categorical),
            "squared": list(cfg.squared),
        },
        "missing_values": missing,
        "rates_are": "weighted shares of households (survey weights), not of persons",
    }


def _linear_section(result: ValidationResult) -> dict | None:
    model = result.linear_model
    if model is None:
        return None
    table = model.coef_table_.reset_index()
    return {
        "estimator": LINEAR_MODEL,
        "description": "WLS of log per-capita welfare on all households, survey weights",
        "standard_errors": (
            "cluster-robust by " + str(result.dataset.config.cluster)
            if model.cov_type == "cluster"
            else "heteroskedasticity-robust (HC1)"
        ),
        "r2_in_sample": model.r2_,
        "transformed": _transformed(result),
        "n_terms": int(len(table) - 1),
        "reference_levels": model.features_.reference_,
        "coefficients": _records(table),
    }


def _transformed(result: ValidationResult) -> dict:
    """Which proxies the linear models took as log(1 + value), and by what rule."""
    from konsel_analysis.pmt.features import LOG1P_SKEWNESS

    setting = result.dataset.config.log1p
    features = result.linear_model.features_
    rule = {
        "auto": "auto: non-negative numeric proxies, not 0/1 and not squared, whose "
        f"weighted skewness in the training rows exceeds {LOG1P_SKEWNESS:g} "
        "(chosen again in every training fold; listed here: all households)",
        None: "none (transform: none)",
    }.get(setting if isinstance(setting, str | None) else "", "the config's transform.log1p")
    return {
        "rule": rule,
        "log1p": list(features.log1p_),
        "skewness": {c: features.skewness_[c] for c in features.log1p_},
    }


def _programs_section(result: ValidationResult) -> dict:
    ds = result.dataset
    out = {}
    for col in ds.programs.columns:
        out[col] = metrics.targeting_errors(ds.is_poor, ds.programs[col].to_numpy(), ds.weight)
    return out


def build_model_card(result: ValidationResult) -> dict:
    """The model card as a JSON-ready dictionary."""
    best = result.best
    calibration = result.reliability[result.reliability["estimator"] == best]
    estimators = {
        name: {**entry, **result.diagnostics[name]} for name, entry in result.results.items()
    }
    card = {
        "title": "Proxy-means test: out-of-sample validation",
        "toolkit": f"konsel_analysis {__version__} (konsel validate-pmt)",
        "data": _data_section(result),
        "validation": {
            "folds": result.folds,
            "seed": result.seed,
            "design": FOLD_DESIGN,
            "selection_rules": {
                "at_line": "predicted welfare strictly below the poverty line "
                "(classifiers: P(poor) >= 0.5)",
                "at_rate": "the poorest weighted share equal to the poverty rate, "
                "by predicted welfare (classifiers: by P(poor))",
            },
        },
        "estimators": estimators,
        "failed_estimators": result.failures,
        "linear_model_failure": result.linear_failure,
        "points_scorecard_failure": result.points_failure,
        # Estimators of ``konsel validate-pmt`` that this run did not compare (a setting).
        "left_out_estimators": result.left_out,
        "best": {
            "name": best,
            "reason": result.best_reason,
            "bootstrap_lead_over_runner_up": result.bootstrap,
        },
        "linear_model": _linear_section(result),
        "calibration": {
            "estimator": best,
            "bins": "deciles of predicted probability",
            "table": _records(calibration),
        },
        "programs": _programs_section(result),
    }
    from konsel_analysis.pmt.fairness import pmt_exclusion_by_group

    card["exclusion_by_group"] = _records(pmt_exclusion_by_group(result, seed=result.seed))
    return to_jsonable(card)


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def _fmt(value, digits: int = 3, general: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits + 1}g}" if general else f"{value:,.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list], general: bool = False) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v, general=general) for v in row) + " |" for row in rows]
    return lines + [""]


def _estimator_rows(card: dict) -> list[list]:
    rows = []
    for name, e in card["estimators"].items():
        rows.append(
            [
                ("**" + name + "**") if name == card["best"]["name"] else name,
                e["r2"],
                e["auc"],
                e["at_line"]["exclusion_error"],
                e["at_line"]["inclusion_error"],
                e["at_line"]["coverage"],
                e["at_rate"]["exclusion_error"],
                e["at_rate"]["inclusion_error"],
                e["mean_p_poor"],
            ]
        )
    return rows


def _data_lines(card: dict) -> list[str]:
    d = card["data"]
    line = (
        f"poverty line {d['poverty_line']:,.0f} ({d['poverty_line_source']})"
        if d["poverty_line"] is not None
        else f"poor classes {d['poor_classes']}"
    )
    return [
        "## Data",
        "",
        f"- {d['name'] or d['file']}: `{d['file']}` described by `{d['config']}`; "
        f"{d['n']:,} households, {d['n_clusters']:,} clusters "
        f"({d['cluster'] or 'each household its own'}), weight "
        f"{d['weight'] or 'none (all 1)'}.",
        f"- Welfare `{d['welfare']}` ({d['mode']}); {line}; weighted poverty rate "
        f"{d['poverty_rate']:.3f} ({d['n_poor']:,} poor households in the data)"
        + (
            f"; extreme poverty rate {d['extreme_poverty_rate']:.3f}"
            if d["extreme_poverty_rate"] is not None
            else ""
        )
        + ".",
        f"- Rates are {d['rates_are']}.",
        "",
    ]


def _linear_lines(card: dict) -> list[str]:
    lin = card["linear_model"]
    if lin is None:
        return []
    rows = [
        [c["term"], c["coef"], c["std_err"], c["t"], c["p_value"], c["ci_low"], c["ci_high"]]
        for c in lin["coefficients"]
    ]
    refs = ", ".join(f"{k}: {v}" for k, v in lin["reference_levels"].items())
    transformed = lin.get("transformed") or {}
    logged = ", ".join(
        f"{c} (skewness {transformed['skewness'][c]:.1f})" for c in transformed.get("log1p", [])
    )
    return [
        f"## Linear model ({lin['estimator']})",
        "",
        f"{lin['description']}; standard errors {lin['standard_errors']}; in-sample "
        f"R² {lin['r2_in_sample']:.3f}. Reference levels: {refs or 'none'}.",
        "",
        f"Proxies taken as log(1 + value) in the linear models: {logged or 'none'} "
        f"(rule: {transformed.get('rule', 'none')}).",
        "",
        *_table(["term", "coef", "std err", "t", "p", "95% low", "95% high"], rows, general=True),
    ]


def _scorecard_lines(card: dict) -> list[str]:
    sc = card.get("scorecard")
    if not sc:
        return []
    line = (
        f"; poverty line: fewer than {sc['cutoff_poverty_line']:,} points"
        if sc["cutoff_poverty_line"] is not None
        else ""
    )
    return [
        f"## Points scorecard ({sc['estimator']})",
        "",
        f"`scorecard_points.csv`: {sc['why']}. Whole points ({sc['points_per_unit']} per unit "
        f"of the score), {sc['rows']} rows. Selected: quota ({sc['quota_share']:.1%}) "
        f"fewer than {sc['cutoff_quota']:,} points{line}. Proxies it takes as log(1 + value): "
        f"{', '.join(sc.get('log1p') or []) or 'none'}.",
        "",
    ]


def render_markdown(card: dict) -> str:
    """The model card as Markdown."""
    best = card["best"]
    lines = [f"# {card['title']}", "", f"Generated by {card['toolkit']}.", ""]
    lines += _data_lines(card)
    lines += [
        "## Validation",
        "",
        f"{card['validation']['folds']} folds: {card['validation']['design']}.",
        "",
        "| estimator | R² (log) | AUC | excl. at line | incl. at line | coverage at line "
        "| excl. at rate | incl. at rate | mean P(poor) |",
        "|" + "---|" * 9,
    ]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in _estimator_rows(card)]
    lines += [""]
    if card["failed_estimators"]:
        lines += [
            "Estimators that failed (left out of the choice): "
            + "; ".join(card["failed_estimators"].values())
            + ".",
            "",
        ]
    if card.get("linear_model_failure"):
        lines += [f"No linear model or scorecard: {card['linear_model_failure']}.", ""]
    if card.get("left_out_estimators"):
        lines += [
            "Not compared in this run (left out by a setting, for speed): "
            + ", ".join(card["left_out_estimators"])
            + "; `konsel validate-pmt` compares every estimator.",
            "",
        ]
    lines += ["## Chosen model", "", f"**{best['name']}**: {best['reason']}."]
    boot = best["bootstrap_lead_over_runner_up"]
    if boot and boot["lead_std_err"] is not None:
        lines += [
            "",
            f"Cluster bootstrap ({boot['replicates']} replicates): the lead over "
            f"{boot['runner_up']} has standard error {boot['lead_std_err']:.3f}; "
            f"{best['name']} is ahead in {boot['share_replicates_best_ahead']:.0%} "
            "of replicates. A lead within about two standard errors is not a "
            "reliable difference.",
        ]
    lines += [""]
    lines += _scorecard_lines(card)
    lines += _linear_lines(card)
    cal = card["calibration"]
    rows = [
        [r["target"], r["bin"], r["n"], r["mean_predicted"], r["observed_rate"]]
        for r in cal["table"]
    ]
    lines += [
        f"## Calibration of P(poor) ({cal['estimator']}, {cal['bins']})",
        "",
        *_table(["target", "bin", "households", "mean predicted", "observed"], rows),
    ]
    if card["programs"]:
        rows = [
            [k, v["exclusion_error"], v["inclusion_error"], v["coverage"]]
            for k, v in card["programs"].items()
        ]
        lines += [
            "## Programmes already in the data (for comparison)",
            "",
            *_table(["programme", "exclusion", "inclusion", "coverage"], rows),
        ]
    from konsel_analysis.pmt.fairness import fairness_lines

    lines += fairness_lines(card.get("exclusion_by_group", []))
    return "\n".join(lines).rstrip() + "\n"
