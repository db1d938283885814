"""``konsel targeting`` and ``konsel score``: their arguments, and the measured errors.

``konsel targeting`` measures the targeting errors of any survey a dataset config describes:

    konsel targeting --data FILE --config DATASET.yml [--programs p1,p2] [--ci 0.95]
                     [--reps N] [--out DIR]

writes DIR/targeting_by_area.csv (the stable contract: one row per programme and
area, plus area ``ALL``; see :data:`~konsel_analysis.measured.targeting.CONTRACT_COLUMNS`)
and, where the config names a cluster, DIR/targeting_by_cluster.csv (the same
per cluster, e.g. desa; with about fifteen sampled households each, nearly every
cluster is shrunk towards the regency value and flagged).

The work is done by :func:`konsel_analysis.targeting.step.run`; ``konsel score`` (the
work: targeting/score.py) scores a register. The model code is imported when a
command runs, not when the command line is built.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from konsel_analysis.errors import UserError
from konsel_analysis.paths import project_paths
from konsel_analysis.targeting import step


def _cmd_targeting(args: argparse.Namespace) -> int:
    if not 0 < args.ci < 1:
        raise UserError(f"--ci {args.ci} must lie between 0 and 1, e.g. 0.95")
    if args.reps < 20:
        raise UserError(f"--reps {args.reps} is too few for percentile intervals; use 200 or more")
    out = Path(args.out) if args.out else project_paths().targeting
    written = step.run(
        Path(args.data),
        Path(args.config),
        programs=args.programs,
        ci=args.ci,
        reps=args.reps,
        out=out,
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
    (the survey and config as paths, the rest as a ``ScoreSettings``); refuses too few
    replicates."""
    from konsel_analysis.targeting.score_settings import ScoreSettings

    check_reps(args.reps)
    check_path_exists(args.survey, "--survey")
    return {
        "survey": Path(args.survey) if args.survey else None,
        "config": Path(args.config),
        "settings": ScoreSettings(
            budget=args.budget, minimum_per_area=args.min_per_area, reps=args.reps, seed=args.seed
        ),
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
        budget=options["settings"].budget,
        minimum_per_area=options["settings"].minimum_per_area,
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
