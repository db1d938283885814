"""Benchmark: the PMT, and the real transfer by targeting method, on the Indonesian households
of Alatas, Banerjee, Hanna, Olken and Tobias (2012, "Targeting the Poor: Evidence from a
Field Experiment in Indonesia", AER 102(4)).

Not a test: the data are not in this repository (``../shared/data/indonesia_alatas/``,
its README). Two measurements, with the toolkit's own code:

1. **PMT validation**: the table read through ``konsel_analysis/configs/indonesia_alatas.yml``
   exactly as ``konsel validate-pmt`` reads it, every estimator cross-validated with
   folds grouped by village (:func:`konsel_analysis.pmt.validation.validate_pmt`).
2. **The real transfer by targeting method**: each village chose its recipients by a
   proxy-means test (``pmt``), a community ranking (``community``) or a hybrid
   (``hybrid``), at random. For each method, the inclusion error (the share of
   recipients who are not poor) and the exclusion error (the share of the poor who
   received nothing) of ``treated``, with village-cluster bootstrap intervals
   (villages drawn with replacement within each method), and the differences between
   methods with the same bootstrap.

Poor (the stated rule of the config): per capita consumption among the poorest 29.86%
of households, the share that received the transfer, so that as many households count
as poor as were chosen and the errors measure *who* was chosen. The sample carries no
weights (9 households in each village); households count equally.

    .venv/bin/python benchmarks/indonesia_alatas.py [CSV] [--folds 5] [--reps 1000]
        [--leave-out NAME,NAME] [--out benchmarks/results/indonesia_alatas.json]

CSV defaults to ``$KONSEL_ALATAS_CSV``, else ``../shared/data/indonesia_alatas/households.csv``
beside the checkout. Threads are capped at one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from konsel_analysis.datasets import Dataset, load_dataset
from konsel_analysis.paths import CONFIGS_DIR, project_root
from konsel_analysis.pmt import metrics
from konsel_analysis.pmt.validation import validate_pmt

CONFIG = CONFIGS_DIR / "indonesia_alatas.yml"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "indonesia_alatas.json"
METHODS = ("pmt", "community", "hybrid")
#: The 0/1 columns that say which method a village drew (exactly one is 1).
METHOD_COLUMNS = METHODS
RECEIVED = "treated"


def default_csv() -> Path:
    env = os.environ.get("KONSEL_ALATAS_CSV")
    if env:
        return Path(env)
    return project_root().parent / "shared" / "data" / "indonesia_alatas" / "households.csv"


def load(csv: Path | str, rejected_dir: Path | None = None) -> Dataset:
    """The households, read and checked through the dataset config as validate-pmt does."""
    return load_dataset(csv, CONFIG, rejected_dir)


def targeting_method(frame: pd.DataFrame) -> np.ndarray:
    """Each household's village method (``pmt``, ``community`` or ``hybrid``).

    Raises ValueError when a household's row does not have exactly one method set.
    """
    flags = frame[list(METHOD_COLUMNS)].to_numpy(dtype=float)
    if not np.all(np.nansum(flags, axis=1) == 1):
        raise ValueError("every household needs exactly one of pmt, community, hybrid set to 1")
    return np.asarray(METHODS, dtype=object)[np.argmax(flags, axis=1)]


def errors(poor: np.ndarray, received: np.ndarray) -> dict:
    """Inclusion and exclusion error of one group of households (equal weights)."""
    e = metrics.targeting_errors(poor, received, np.ones(len(poor)))
    return {"inclusion_error": e["inclusion_error"], "exclusion_error": e["exclusion_error"]}


def by_method(
    poor: np.ndarray,
    received: np.ndarray,
    method: np.ndarray,
    village: np.ndarray,
    reps: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """Errors of the transfer per method, and the differences between methods, each with a
    village-cluster percentile bootstrap interval (villages redrawn within each method)."""
    rng = np.random.default_rng(seed)
    groups = {}
    for m in METHODS:
        inside = method == m
        codes, villages = pd.factorize(pd.Series(village[inside], dtype=object))
        groups[m] = (poor[inside], received[inside], codes, len(villages))
    point = {m: errors(p, r) for m, (p, r, _, _) in groups.items()}
    draws = {
        m: {k: np.empty(reps) for k in ("inclusion_error", "exclusion_error")} for m in METHODS
    }
    for b in range(reps):
        for m, (p, r, codes, k) in groups.items():
            times = np.bincount(rng.integers(0, k, k), minlength=k)[codes].astype(float)
            e = metrics.targeting_errors(p, r, times)
            for key in ("inclusion_error", "exclusion_error"):
                draws[m][key][b] = e[key]
    tail = (1 - level) / 2
    out: dict = {"methods": {}, "differences": {}}
    for m in METHODS:
        out["methods"][m] = {
            "households": int(len(groups[m][0])),
            "villages": int(groups[m][3]),
            "poor": int(groups[m][0].sum()),
            "recipients": int(groups[m][1].sum()),
        }
        for key in ("inclusion_error", "exclusion_error"):
            values = draws[m][key][np.isfinite(draws[m][key])]
            out["methods"][m][key] = point[m][key]
            out["methods"][m][key + "_interval"] = [
                float(np.quantile(values, tail)),
                float(np.quantile(values, 1 - tail)),
            ]
    for a, b in (("pmt", "community"), ("pmt", "hybrid"), ("hybrid", "community")):
        for key in ("inclusion_error", "exclusion_error"):
            diff = draws[a][key] - draws[b][key]
            diff = diff[np.isfinite(diff)]
            out["differences"][f"{a} - {b}: {key}"] = {
                "estimate": point[a][key] - point[b][key],
                "interval": [float(np.quantile(diff, tail)), float(np.quantile(diff, 1 - tail))],
                "share_of_replicates_below_zero": float(np.mean(diff < 0)),
            }
    out["bootstrap"] = {"replicates": reps, "level": level, "unit": "village (ea), within method"}
    return out


def pmt_validation(dataset: Dataset, folds: int, left_out: list[str]) -> dict:
    started = time.process_time()
    result = validate_pmt(dataset, folds=folds, seed=0, left_out=left_out)
    entries = result.estimator_entries()
    return {
        "folds": folds,
        "cpu_seconds": round(time.process_time() - started, 1),
        "best": result.best,
        "best_reason": result.best_reason,
        "estimators": {
            name: (
                {
                    "status": "ok",
                    "r2": e["r2"],
                    "auc": e["auc"],
                    "exclusion_error_at_rate": e["at_rate"]["exclusion_error"],
                    "inclusion_error_at_rate": e["at_rate"]["inclusion_error"],
                }
                if e["status"] == "ok"
                else e
            )
            for name, e in entries.items()
        },
        "left_out": result.left_out,
        "log1p_transformed": (
            list(result.linear_model.features_.log1p_) if result.linear_model else None
        ),
        "bootstrap_lead": result.bootstrap,
    }


def run(csv: Path, folds: int, reps: int, left_out: list[str]) -> dict:
    dataset = load(csv)
    frame = dataset.frame
    method = targeting_method(frame)
    received = dataset.programs[RECEIVED].to_numpy(dtype=bool)
    with threadpool_limits(limits=1):
        validation = pmt_validation(dataset, folds, left_out)
    return {
        "data": {
            "file": csv.name,
            "rows_read": dataset.intake.rows_read,
            "households": dataset.n,
            "rejected": dataset.intake.rejected,
            "villages": int(len(np.unique(dataset.cluster))),
            "poverty_line_thousand_rp": dataset.poverty_line,
            "poverty_rate": dataset.poverty_rate,
            "share_received": float(received.mean()),
        },
        "pmt_validation": validation,
        "transfer_by_method": by_method(
            dataset.is_poor, received, method, dataset.cluster, reps=reps
        ),
    }


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def report(result: dict) -> str:
    data = result["data"]
    lines = [f"{data['households']:,} households, poor rate {data['poverty_rate']:.3f}"]
    v = result["pmt_validation"]
    lines.append(f"PMT validation ({v['folds']} folds by village), best {v['best']}:")
    for name, e in v["estimators"].items():
        if e["status"] != "ok":
            lines.append(f"  {name:<18} failed: {e['reason']}")
            continue
        r2 = "   -  " if e["r2"] is None else f"{e['r2']:.3f}"
        lines.append(
            f"  {name:<18} R2 {r2}  AUC {e['auc']:.3f}  "
            f"excl@rate {e['exclusion_error_at_rate']:.3f}"
        )
    lines.append("The real transfer, by method (95% village-bootstrap intervals):")
    for m, e in result["transfer_by_method"]["methods"].items():
        lo_i, hi_i = e["inclusion_error_interval"]
        lo_e, hi_e = e["exclusion_error_interval"]
        lines.append(
            f"  {m:<10} inclusion {_pct(e['inclusion_error'])} ({_pct(lo_i)}-{_pct(hi_i)}), "
            f"exclusion {_pct(e['exclusion_error'])} ({_pct(lo_e)}-{_pct(hi_e)})"
        )
    for name, d in result["transfer_by_method"]["differences"].items():
        lo, hi = d["interval"]
        lines.append(
            f"  {name}: {100 * d['estimate']:+.1f} pp ({100 * lo:+.1f} to {100 * hi:+.1f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--leave-out", default="")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    csv = Path(args.csv) if args.csv else default_csv()
    if not csv.is_file():
        print(f"{csv}: not found; pass the households.csv of the Alatas data", file=sys.stderr)
        return 2
    left_out = [n.strip() for n in args.leave_out.split(",") if n.strip()]
    result = run(csv, args.folds, args.reps, left_out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(report(result))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
