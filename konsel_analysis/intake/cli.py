"""``konsel check``: the row checks alone, before anything is fitted.

A data manager checks an export the day it arrives::

    konsel check --data DTKS_Konsel.xlsx --config konsel_survey.yml --table register
    konsel check --data register_partitions/ --config national.yml --table register

It says, per file, how many rows were read, accepted and rejected, and writes the
rejected rows with their reasons to ``OUT/rejected/`` (default
``data/processed/rejected/``). Given a folder (a partitioned register,
``regency=.../kecamatan=.../*.parquet``), every Parquet file in it is checked the
same way, one at a time: its rejected rows go to ``OUT/rejected/<its path>.csv``
and its accepted rows to ``OUT/accepted/<its path>.parquet``, the same layout, which
``konsel score-partitioned --register OUT/accepted`` then scores: the intake step of
the national path. Exit code 2 when a file breaks a whole-table rule
or rejects more than ``max_rejected_share`` of its rows.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from konsel_analysis.errors import UserError


def _files(data: Path) -> list[tuple[Path, Path]]:
    """(file, where its rejected rows go, relative to the rejected folder)."""
    if not data.is_dir():
        return [(data, Path(data.stem))]
    files = sorted(data.rglob("*.parquet"))
    if not files:
        raise UserError(
            f"{data}: the folder holds no .parquet file; give a table or a partitioned register"
        )
    return [(f, f.relative_to(data).with_suffix("")) for f in files]


def run_check(data: Path, config_path: Path, table: str, out: Path) -> tuple[int, list[Path]]:
    """Check every file; returns how many were checked and the files written. Stops at the
    first file that breaks a whole-table rule or the rejected share."""
    from konsel_analysis.files import write_parquet_atomic
    from konsel_analysis.intake.checked import read_checked
    from konsel_analysis.intake.checks import rejected_path, write_rejected
    from konsel_analysis.intake.config import load_dataset_config

    config = load_dataset_config(config_path)
    files = _files(data)
    written = []
    for path, relative in files:
        folder = out / "rejected" / relative.parent
        try:
            accepted, report = read_checked(path, config, table, rejected_dir=folder)
        except UserError:
            _suggest_other_table(path, config, table)
            raise
        assert report.rejected_path == rejected_path(folder, path)
        label = path.name if not data.is_dir() else path.relative_to(data).as_posix()
        written.append(write_rejected(replace(report, label=label)))
        if data.is_dir():  # the checked partitions, in the same layout, for scoring
            target = out / "accepted" / relative.with_suffix(".parquet")
            written.append(write_parquet_atomic(accepted, target))
    return len(files), written


def _suggest_other_table(path: Path, config, table: str) -> None:
    """Raise a one-sentence fix when the file is the other kind of table (a survey checked
    as the register, the default, or a register as a survey); return when it is not."""
    from konsel_analysis.intake.read import TableError, read_raw_table

    try:
        columns = set(read_raw_table(path, config.read, expect=config.household_id).frame)
    except TableError:
        return
    survey_columns = set(config.columns())
    personal = set(config.personal)
    if table == "register" and survey_columns <= columns and not personal <= columns:
        other, why = "survey", "has the survey's welfare and weight columns but no NIK or names"
    elif table == "survey" and not survey_columns <= columns and personal and personal <= columns:
        other, why = "register", "has the register's NIK and names but not the survey's columns"
    else:
        return
    raise UserError(f"{path} {why}: it is a {other}; check it with --table {other}")


def _cmd_check(args: argparse.Namespace) -> int:
    from konsel_analysis.paths import project_paths

    out = Path(args.out) if args.out else project_paths().processed
    data = Path(args.data)
    files, _ = run_check(data, Path(args.config), args.table, out)
    accepted = f"; accepted rows under {out / 'accepted'}" if data.is_dir() else ""
    print(f"checked {files} file(s); rejected rows under {out / 'rejected'}{accepted}")
    return 0


def register_check(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check",
        help="the row checks alone: rows read, accepted and rejected (with reasons) per file",
    )
    parser.add_argument(
        "--data", required=True, help="table (CSV/XLSX/Parquet) or a folder of Parquet partitions"
    )
    parser.add_argument("--config", required=True, help="dataset config YAML")
    parser.add_argument(
        "--table",
        choices=["survey", "register"],
        default="register",
        help="survey (welfare and weight required) or register (NIK checked) (default register)",
    )
    parser.add_argument("--out", default=None, help="folder for rejected/ (default data/processed)")
    parser.set_defaults(handler=_cmd_check)
