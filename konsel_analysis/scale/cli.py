"""``konsel score-partitioned``: its arguments and what it prints (the work: scale/score.py).

Kept apart from the scoring code so that building the command line imports no
model code: ``konsel --help`` and every other command start without scikit-learn.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from konsel_analysis.targeting.cli import add_scoring_arguments, print_written, scoring_options


def _cmd_score_partitioned(args: argparse.Namespace) -> int:
    from konsel_analysis.paths import project_paths
    from konsel_analysis.scale.score import run_score_partitioned

    options = scoring_options(args)
    started = time.perf_counter()
    out = Path(args.out) if args.out else project_paths().scale
    written = run_score_partitioned(
        register_root=Path(args.register), out=out, scheduler=args.scheduler, **options
    )
    print(f"scored the partitioned register in {time.perf_counter() - started:.1f} s")
    return print_written(written)


def register_score_partitioned(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "score-partitioned",
        help="score a partitioned register with dask: the tables of `konsel score` at any size",
    )
    add_scoring_arguments(
        parser, "folder of the partitioned register (regency=.../kecamatan=.../*.parquet)"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="address of a dask scheduler (default: this process's threads)",
    )
    parser.add_argument("--out", default=None, help="output folder (default data/processed/scale)")
    parser.set_defaults(handler=_cmd_score_partitioned)
