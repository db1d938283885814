"""``konsel poverty-map``: an EBP poverty map from a survey and a census (or register).

    konsel poverty-map --survey FILE --census FILE|DIR --config DATASET.yml
                       [--census-config FILE] [--level area|cluster] [--reps N]
                       [--seed S] [--out DIR] [--benchmark]

The computation, its inputs and what it writes (in DIR, default
``data/processed/poverty_map``): :mod:`konsel_analysis.poverty_map.step`; this module
only parses the arguments and calls :func:`~konsel_analysis.poverty_map.step.run`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from konsel_analysis.poverty_map import step


def _cmd_poverty_map(args: argparse.Namespace) -> int:
    from konsel_analysis.errors import UserError
    from konsel_analysis.paths import project_paths

    if args.reps < 0:
        raise UserError(f"--reps {args.reps}: give 0 (no intervals) or more replicates")
    out = Path(args.out) if args.out else project_paths().processed / "poverty_map"
    cpu, wall = time.process_time(), time.perf_counter()
    pm, written = step.run(
        args.survey,
        args.census,
        args.config,
        out,
        args.census_config,
        args.level,
        args.reps,
        args.seed,
        benchmark=args.benchmark,
    )
    t = pm.table_
    eb = int((t.method == "EB").sum())
    print(
        f"{len(t):,} areas ({eb:,} EB, {len(t) - eb:,} synthetic); transformation "
        f"{pm.transformation_.describe()}; ICC {pm.model_.icc_:.3f}; {args.reps} bootstrap "
        f"replicates; {time.perf_counter() - wall:.1f} s ({time.process_time() - cpu:.1f} s CPU)"
    )
    for path in written:
        print(f"  wrote {path}")
    return 0


def register_poverty_map(sub) -> None:
    """Add ``poverty-map`` to the ``konsel`` sub-commands."""
    p = sub.add_parser(
        "poverty-map",
        help="desa/kecamatan poverty map (EBP) from a survey and a census or register",
        description="Empirical best prediction of poverty rates, gap, severity and poor "
        "persons by area, with parametric-bootstrap MSE and 90%% intervals.",
    )
    p.add_argument("--survey", required=True, help="survey table with welfare")
    p.add_argument(
        "--census",
        required=True,
        help="census or register with every household: a file, or a folder of Parquet "
        "partitions (read one partition at a time)",
    )
    p.add_argument("--config", required=True, help="dataset config YAML of the survey")
    p.add_argument("--census-config", default=None, help="dataset config of the census")
    p.add_argument("--level", choices=["area", "cluster"], default="area")
    p.add_argument("--reps", type=int, default=200, help="bootstrap replicates (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--benchmark",
        action="store_true",
        help="scale every area's poverty rate so that they add up to the survey's direct "
        "overall rate (in every bootstrap replicate too)",
    )
    p.add_argument("--out", default=None, help="output folder (default data/processed/poverty_map)")
    p.set_defaults(handler=_cmd_poverty_map)
