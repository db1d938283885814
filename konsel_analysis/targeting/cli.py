"""``konsel targeting`` and ``konsel score``: their arguments, and the measured errors.

``konsel targeting`` measures the targeting errors of any survey a dataset config describes:

    konsel targeting --data FILE --config DATASET.yml [--programs p1,p2] [--ci 0.95]
                     [--reps N] [--out DIR]

writes DIR/targeting_by_area.csv (the stable contract: one row per programme and
area, plus area ``ALL``; see :data:`~konsel_analysis.measured.targeting.CONTRACT_COLUMNS`)
and, where the config names a cluster, DIR/targeting_by_cluster.csv (the same
per cluster, e.g. desa; with about fifteen sampled households each, nearly every
cluster is shrunk towards the regency value and flagged).

``konsel score`` (the work: targeting/score.py) scores a register. The model code is
imported when a command runs, not when the command line is built.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic
from konsel_analysis.paths import project_paths


def _program_columns(
    option: str | None, configured: tuple[str, ...], config_path, frame: pd.DataFrame
) -> list[str]:
    names = [p.strip() for p in option.split(",") if p.strip()] if option else list(configured)
    if not names:
        raise UserError(
            f"{config_path}: no programme to measure; list 0/1 columns under "
            "'programs' in the config or pass --programs p1,p2"
        )
    missing = [p for p in names if p not in frame.columns]
    if missing:
        raise UserError(
            f"--programs names column(s) {', '.join(map(repr, missing))} that the "
            "data does not have; use columns of the table (see 'programs' in "
            f"{config_path})"
        )
    return names


def _flags(frame: pd.DataFrame, column: str, data_path) -> np.ndarray:
    values = pd.to_numeric(
        frame[column].astype("string").str.strip().str.lower().replace({"true": "1", "false": "0"}),
        errors="coerce",
    )
    if values.isna().any() or not values.isin([0, 1]).all():
        raise UserError(
            f"{data_path}: programme column {column!r} must hold only 0/1 "
            "(or true/false); fix the values or leave it out of --programs"
        )
    return values.to_numpy(dtype=bool)


def run_targeting(
    data: Path,
    config: Path,
    programs: str | None,
    ci: float,
    reps: int,
    out: Path,
    seed: int = 0,
    rejected_dir: Path | None = None,
    groups: str | None = None,
) -> list[Path]:
    """Measure targeting errors and write the tables; returns the paths written.

    ``groups`` (``--groups col1,col2``): the groups of targeting_by_group.csv
    (default: the dictionary's and the config's; see
    :mod:`konsel_analysis.measured.groups`).

    Rows that fail the row checks go to ``rejected_dir`` (the command: ``out/rejected``).
    """
    from konsel_analysis.datasets import load_dataset, write_rejected
    from konsel_analysis.measured.targeting import (
        TargetingDesign,
        measure_targeting,
        with_any_programme,
    )

    dataset = load_dataset(data, config, rejected_dir)
    if dataset.mode != "welfare" and not dataset.is_poor.any():
        raise UserError(f"{config}: no household is poor; check 'poor_classes'")
    names = _program_columns(programs, dataset.config.programs, config, dataset.frame)
    from konsel_analysis.measured.groups import requested_groups, write_group_tables

    group_names = requested_groups(groups, dataset.frame, data)  # checked before any write
    # The config's programmes were checked (0/1) when the table was read; others given
    # with --programs are checked here.
    flags = {
        name: dataset.programs[name].to_numpy(bool)
        if name in dataset.programs
        else _flags(dataset.frame, name, data)
        for name in names
    }
    if len(flags) > 1:
        flags = with_any_programme(flags)
    extreme = (
        dataset.is_extreme_poor
        if dataset.is_extreme_poor is not None
        else np.zeros(dataset.n, bool)
    )
    design = TargetingDesign(
        is_poor=dataset.is_poor,
        is_extreme_poor=extreme,
        weight=dataset.weight,
        area=dataset.area,
        cluster=dataset.cluster,
        strata=dataset.strata,
        persons=dataset.persons,
    )
    by_area = measure_targeting(design, flags, ci=ci, reps=reps, seed=seed)
    written = [write_csv_atomic(by_area, out / "targeting_by_area.csv")]
    if dataset.config.cluster:
        by_cluster_design = TargetingDesign(
            is_poor=dataset.is_poor,
            is_extreme_poor=extreme,
            weight=dataset.weight,
            area=dataset.cluster,
            cluster=np.arange(dataset.n).astype(str),
            persons=dataset.persons,
        )
        by_cluster = measure_targeting(by_cluster_design, flags, ci=ci, reps=reps, seed=seed)
        parent = pd.Series(dataset.area, index=dataset.cluster).groupby(level=0).first()
        by_cluster.insert(2, "parent_area", by_cluster["area"].map(parent).fillna(""))
        written.append(write_csv_atomic(by_cluster, out / "targeting_by_cluster.csv"))
    written += write_group_tables(
        dataset, design, flags, group_names, ci=ci, reps=reps, seed=seed, out=out
    )
    rejected = write_rejected(dataset.intake)
    return written + ([rejected] if rejected else [])


def _cmd_targeting(args: argparse.Namespace) -> int:
    if not 0 < args.ci < 1:
        raise UserError(f"--ci {args.ci} must lie between 0 and 1, e.g. 0.95")
    if args.reps < 20:
        raise UserError(f"--reps {args.reps} is too few for percentile intervals; use 200 or more")
    out = Path(args.out) if args.out else project_paths().targeting
    written = run_targeting(
        Path(args.data),
        Path(args.config),
        args.programs,
        args.ci,
        args.reps,
        out,
        rejected_dir=out / "rejected",
        groups=args.groups,
    )
    return print_written(written)


def register_targeting(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "targeting",
        help="survey-measured inclusion and exclusion errors "
        "by programme and area, with cluster-bootstrap intervals",
    )
    parser.add_argument("--data", required=True, help="household survey (CSV, Parquet or XLSX)")
    parser.add_argument("--config", required=True, help="dataset config YAML")
    parser.add_argument(
        "--programs",
        default=None,
        help="comma-separated 0/1 programme columns (default: the config's)",
    )
    parser.add_argument("--ci", type=float, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--reps", type=int, default=500, help="bootstrap replicates (default 500)")
    parser.add_argument(
        "--out", default=None, help="output folder (default data/processed/targeting)"
    )
    parser.add_argument(
        "--groups",
        default=None,
        help="comma-separated group columns of targeting_by_group.csv "
        "(default: the data dictionary's groups and the config's 'groups')",
    )
    parser.set_defaults(handler=_cmd_targeting)


def check_reps(reps: int) -> None:
    """Refuse too few bootstrap replicates for percentile intervals."""
    if reps < 20:
        raise UserError(f"--reps {reps} is too few for intervals; use 200 or more")


def add_scoring_arguments(
    parser: argparse.ArgumentParser, register_help: str, survey_required: bool = True
) -> None:
    """The arguments every scoring command takes (``score``, ``score-partitioned``)."""
    parser.add_argument(
        "--survey", required=survey_required, help="survey with welfare (CSV/Parquet/XLSX)"
    )
    parser.add_argument("--register", required=True, help=register_help)
    parser.add_argument("--config", required=True, help="dataset config YAML")
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="household visits for the whole regency (default parameters.yml)",
    )
    parser.add_argument(
        "--min-per-area",
        type=int,
        default=None,
        help="visits at least in each area (default parameters.yml)",
    )
    parser.add_argument("--reps", type=int, default=200, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")


def scoring_options(args: argparse.Namespace) -> dict:
    """What :func:`add_scoring_arguments` read, as the keywords of the scoring functions
    (the survey, register and config as paths); refuses too few replicates."""
    check_reps(args.reps)
    check_path_exists(args.survey, "--survey")
    return {
        "survey": Path(args.survey) if args.survey else None,
        "config": Path(args.config),
        "budget": args.budget,
        "minimum_per_area": args.min_per_area,
        "reps": args.reps,
        "seed": args.seed,
    }


def check_path_exists(given: str | None, option: str) -> None:
    """Refuse a path that does not exist, naming the option that gave it (an option not
    given is the caller's to judge: ``konsel score --model`` needs no survey)."""
    if given is not None and not Path(given).exists():
        raise UserError(f"{given}: not found; check the path given to {option}")


def print_written(written: list[Path]) -> int:
    """One ``wrote PATH`` line per file a command wrote; the exit code 0."""
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from konsel_analysis.privacy import load_or_create_secret_key
    from konsel_analysis.targeting.score import run_score

    options = scoring_options(args)
    check_path_exists(args.register, "--register")  # (score-partitioned: a folder, its own check)
    paths = project_paths()
    out = Path(args.out) if args.out else paths.score
    restricted = Path(args.restricted_out) if args.restricted_out else paths.restricted
    if args.model:
        return _score_with_saved_model(args, options, out, restricted)
    if options["survey"] is None:
        raise UserError("give --survey FILE (to fit the model) or --model MODEL_DIR (a saved PMT)")
    written = run_score(
        register_path=Path(args.register),
        out=out,
        restricted=restricted,
        rejected_dir=out / "rejected",
        # The field lists carry the pseudonyms the reports show, as the pipeline's do.
        pseudonym_key=load_or_create_secret_key(paths.root),
        audit_share=args.audit_share,
        **options,
    )
    return print_written(written)


def _score_with_saved_model(args, options: dict, out: Path, restricted: Path) -> int:
    from konsel_analysis.targeting.saved_score import run_score_with_model

    if options["survey"] is not None:
        raise UserError(
            "--model MODEL_DIR scores with the saved PMT and fits nothing on a survey; "
            "leave out --survey"
        )
    written = run_score_with_model(
        Path(args.model),
        Path(args.register),
        options["config"],
        budget=options["budget"],
        minimum_per_area=options["minimum_per_area"],
        out=out,
        restricted=restricted,
        rejected_dir=out / "rejected",
    )
    return print_written(written)


def register_score(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "score",
        help="score the register: P(poor), expected errors, "
        "priorities and the verification allocation",
    )
    add_scoring_arguments(parser, "register to score (same proxies)", survey_required=False)
    parser.add_argument(
        "--model",
        default=None,
        metavar="MODEL_DIR",
        help="score with a PMT saved by konsel validate-pmt --save instead of fitting "
        "one on --survey (then give no --survey)",
    )
    parser.add_argument("--out", default=None, help="output folder (default data/processed/score)")
    parser.add_argument(
        "--restricted-out",
        default=None,
        help="folder for field lists with names and NIK (default restricted/)",
    )
    parser.add_argument(
        "--audit-share",
        type=float,
        default=None,
        help="share of the budget visited at random with known probabilities "
        "(default parameters.yml verification.audit_share)",
    )
    parser.set_defaults(handler=_cmd_score)
