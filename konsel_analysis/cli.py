"""The ``konsel`` command: one sub-command per step of the work.

Expected problems (bad input, missing data) end with one message naming the
file, the column and the fix, and a non-zero exit; never a traceback. Personal
data (NIK, names) never appears in a message.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from konsel_analysis import __version__
from konsel_analysis.build.guard import os_error_sentence
from konsel_analysis.errors import UserError
from konsel_analysis.paths import project_paths


def _cmd_synth(args: argparse.Namespace) -> int:
    from konsel_analysis.synth import TABLE_FILES, generate_konsel, has_raw_data, write_konsel

    out = Path(args.out) if args.out else project_paths().raw
    _check_synth_sizes(args)
    if args.partitioned:
        return _synth_partitioned(args, out)
    if has_raw_data(out) and not args.force:
        raise UserError(
            f"{out} already holds {TABLE_FILES['register']} and {TABLE_FILES['survey']}; "
            "raw data is never overwritten: pass --force to replace it "
            "or --out DIR to write elsewhere"
        )
    started = time.perf_counter()
    data = generate_konsel(
        households=args.households, seed=args.seed, survey_households=args.survey_households
    )
    if args.drift:
        from dataclasses import replace

        from konsel_analysis.pmt.drift import shift_wave

        data = replace(
            data,
            survey=shift_wave(data.survey, args.seed),
            register=shift_wave(data.register, args.seed),
        )
    written = write_konsel(data, out)
    if not args.no_round:
        from konsel_analysis.paths import DEFAULT_DATASET_CONFIG
        from konsel_analysis.verification.rounds import write_demo_round

        # A completed first round (plan and simulated results), so the reports show it.
        written += write_demo_round(out, data.register_truth, DEFAULT_DATASET_CONFIG, args.seed)
    seconds = time.perf_counter() - started
    print(
        f"Synthetic Konsel (seed {args.seed}{', changed wave' if args.drift else ''}): "
        f"{len(data.register):,} register households, "
        f"{len(data.survey):,} survey households, in {seconds:.1f} s"
    )
    for path in written:
        print(f"  wrote {path}")
    return 0


def _check_synth_sizes(args: argparse.Namespace) -> None:
    """Refuse sizes below one household (0 was a traceback, -5 survey households silent)."""
    if args.households is not None and args.households < 1:
        raise UserError(f"--households {args.households}: give at least 1 household")
    if args.survey_households is not None and args.survey_households < 1:
        raise UserError(
            f"--survey-households {args.survey_households}: give a positive target "
            "sample size, e.g. 3000"
        )


def _synth_partitioned(args: argparse.Namespace, out: Path) -> int:
    from konsel_analysis.scale.national import REGISTER_FOLDER, write_national_register
    from konsel_analysis.synth import load_calibration

    if (out / REGISTER_FOLDER).exists() and not args.force:
        raise UserError(
            f"{out / REGISTER_FOLDER} already exists; raw data is never overwritten: pass "
            "--force to replace it or --out DIR to write elsewhere"
        )
    started = time.perf_counter()
    households = args.households or int(load_calibration()["households"]["value"])
    written = write_national_register(
        households, out, seed=args.seed, echo=lambda line: print(line, flush=True)
    )
    seconds = time.perf_counter() - started
    print(
        f"Synthetic partitioned register (seed {args.seed}): {households:,} households "
        f"in {seconds:.1f} s"
    )
    for path in written:
        print(f"  wrote {path}")
    return 0


def _cmd_reports(args: argparse.Namespace) -> int:
    from konsel_analysis.build.steps import PipelineSettings
    from konsel_analysis.reports.main_job import run_pipeline

    return run_pipeline(
        project_paths(),
        language=args.language,
        only=args.only,
        jobs=args.jobs,
        engine=args.engine,
        settings=PipelineSettings(pmt_left_out=()) if args.all_pmt_estimators else None,
        scheduler=args.scheduler,
    )


def build_parser() -> argparse.ArgumentParser:
    from konsel_analysis.synth import DEFAULT_SEED

    parser = argparse.ArgumentParser(
        prog="konsel", description="Targeting social assistance in Kabupaten Konawe Selatan."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    synth = sub.add_parser("synth", help="write the calibrated synthetic Konsel data to data/raw")
    synth.add_argument(
        "--households",
        type=int,
        default=None,
        help="register households (default: the whole regency, about 83,000)",
    )
    synth.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    synth.add_argument(
        "--survey-households",
        type=int,
        default=None,
        help="target survey sample size (default 3,000)",
    )
    synth.add_argument("--out", default=None, help="folder to write (default data/raw)")
    synth.add_argument("--force", action="store_true", help="replace existing raw data")
    synth.add_argument(
        "--no-round",
        action="store_true",
        help="leave out the completed first verification round (data/raw/verification/)",
    )
    synth.add_argument(
        "--partitioned",
        action="store_true",
        help="write a register of any size as Parquet partitions, regency by regency "
        "(regency=/kecamatan= folders; no NIK or names), with the first regency's survey",
    )
    synth.add_argument(
        "--drift",
        action="store_true",
        help="write a changed second wave: assets moved, consumption did not "
        "(konsel_analysis.pmt.drift.shift_wave), to try konsel drift on",
    )
    synth.set_defaults(handler=_cmd_synth)

    reports = sub.add_parser(
        "reports", help="run the main job on data/raw: shared tables, then the HTML reports"
    )
    reports.add_argument(
        "--language",
        choices=["id", "en"],
        default="id",
        help="report language (default Bahasa Indonesia)",
    )
    reports.add_argument(
        "--only",
        nargs="+",
        metavar="CODE",
        default=None,
        help="build only these kecamatan (Kemendagri codes, e.g. 74.05.01), plus the regency",
    )
    reports.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="notebooks executed in parallel (default 2: one per core of the 2-core machine)",
    )
    reports.add_argument(
        "--engine",
        choices=["local", "dask"],
        default="local",
        help="local worker processes (default), or the workers of a dask.distributed cluster",
    )
    reports.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: the cluster's scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: start a local cluster of --jobs workers)",
    )
    reports.add_argument(
        "--all-pmt-estimators",
        action="store_true",
        help="validate every PMT estimator, as konsel validate-pmt does (default: leave out "
        "the three slowest, quantile regression, gradient boosting and random forest)",
    )
    reports.set_defaults(handler=_cmd_reports)

    _register_step_commands(sub)
    return parser


def _register_step_commands(sub: argparse._SubParsersAction) -> None:
    """Sub-commands defined next to the step they run (each adds its parser and handler)."""
    from konsel_analysis.intake.cli import register_check
    from konsel_analysis.pmt.cli import register_validate_pmt
    from konsel_analysis.pmt.drift_cli import register_drift
    from konsel_analysis.pmt.export_cli import register_export
    from konsel_analysis.poverty_map.cli import register_poverty_map
    from konsel_analysis.scale.cli import register_score_partitioned
    from konsel_analysis.targeting.cli import register_score, register_targeting
    from konsel_analysis.verification.cli import register_verification

    for register in (
        register_check,
        register_validate_pmt,
        register_targeting,
        register_score,
        register_score_partitioned,
        register_poverty_map,
        register_verification,
        register_drift,
        register_export,
    ):
        register(sub)


class _Echo(logging.Handler):
    """Log records of the package as plain lines on the current stdout (what a command says)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), flush=True)


def _echo_package_log() -> None:
    logger = logging.getLogger("konsel_analysis")
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, _Echo) for h in logger.handlers):
        logger.addHandler(_Echo())


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a `kill`, a CI timeout) ends the command as Ctrl-C does: through its
    cleanup (temporary files removed, workers stopped), not in the middle of a write."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _echo_package_log()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return int(args.handler(args) or 0)
    except UserError as err:
        print(f"konsel {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        sentence = os_error_sentence(err)
        if sentence is None:
            raise
        print(f"konsel {args.command}: error: {sentence}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"konsel {args.command}: stopped before the end; outputs written completely so "
            "far are kept, nothing is half-written; run it again to finish",
            file=sys.stderr,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
