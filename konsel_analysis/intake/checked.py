"""Checked tables, read once per process.

:func:`read_checked` reads a table, applies the row checks and keeps the accepted
rows in this process, so that a table read again unchanged is not checked again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from konsel_analysis.intake.checks import (
    IntakeReport,
    Role,
    as_dictionary_types,
    check_columns,
    max_rejected_share,
    rejected_path,
    table_rules,
    write_rejected,
)
from konsel_analysis.intake.config import DatasetConfig, DatasetError
from konsel_analysis.intake.read import TableError, read_raw_table
from konsel_analysis.intake.rows import AreaCodes, RowCheck, check_rows, read_crosswalk

#: config and role: the main job's steps read the same two files one after another.
_CHECKED: dict[tuple, tuple[pd.DataFrame, IntakeReport]] = {}
_CHECKED_KEEP = 4


def _memo_key(data_path: Path, config: DatasetConfig, role: Role) -> tuple | None:
    """What a checked table is remembered by: the file (size, modification time), its
    config and role; ``None`` for a path that is no file."""
    if not data_path.is_file():
        return None
    stat = data_path.stat()
    return (data_path.resolve(), stat.st_size, stat.st_mtime_ns, config, role)


def read_checked(
    data_path: Path | str,
    config: DatasetConfig,
    role: Role,
    rejected_dir: Path | str | None = None,
) -> tuple[pd.DataFrame, IntakeReport]:
    """Read a table, apply the row checks, set rejected rows aside; the accepted rows.

    With ``rejected_dir`` the report says where the rejected rows (personal columns
    left out) go, ``rejected_dir/<file stem>.csv``; :func:`write_rejected` writes them
    once the caller's own checks pass. More rejected rows than
    :func:`max_rejected_share` allows stop with a :class:`DatasetError`, after
    writing that file, so that the rows can be fixed. A file read again unchanged
    (same size and modification time) with the same config is not checked again.
    """
    data_path = Path(data_path)
    key = _memo_key(data_path, config, role)
    if key is not None and key in _CHECKED:
        frame, report = _CHECKED[key]
        where = rejected_path(Path(rejected_dir), data_path) if rejected_dir is not None else None
        return frame.copy(), replace(report, data_path=data_path, rejected_path=where)
    frame, report = _read_checked(data_path, config, role, rejected_dir)
    if key is not None:
        _remember(key, (frame.copy(), report))
    return frame, report


def _remember(key: tuple, checked: tuple[pd.DataFrame, IntakeReport]) -> None:
    while len(_CHECKED) >= _CHECKED_KEEP:
        _CHECKED.pop(next(iter(_CHECKED)))
    _CHECKED[key] = checked


def _read_checked(
    data_path: Path, config: DatasetConfig, role: Role, rejected_dir: Path | str | None
) -> tuple[pd.DataFrame, IntakeReport]:
    try:
        table = read_raw_table(data_path, config.read, expect=config.household_id)
    except TableError as err:
        raise DatasetError(str(err)) from None
    check_columns(table.frame, config, data_path, role)
    try:
        codes = None
        if config.area_codes:
            crosswalk = (
                read_crosswalk(config.area_crosswalk, config.path) if config.area_crosswalk else {}
            )
            codes = AreaCodes.konsel(crosswalk)
        rules = table_rules(config, role, table.frame.columns)
        check: RowCheck = check_rows(
            table,
            rules,
            config.household_id,
            config.read,
            codes,
            area=config.area,
            personal=config.personal,
        )
    except TableError as err:
        raise DatasetError(str(err)) from None
    report = IntakeReport(
        data_path,
        check.rows_read,
        check.accepted,
        len(check.rejected),
        check.reason_counts,
        rejected_path(Path(rejected_dir), data_path) if rejected_dir is not None else None,
        check.rejected,
    )
    limit = max_rejected_share(config)
    if check.rejected_share > limit or check.accepted == 0:
        written = write_rejected(report)
        where = (
            f"the reason for each row is in {written}"
            if written is not None
            else "pass rejected_dir (or use a konsel command) to see the reason for each row"
        )
        top = f"most often {report.reason_counts.index[0]}, {report.reason_counts.iloc[0]:,} rows"
        if check.accepted == 0:
            raise DatasetError(
                f"{data_path}: every one of its {report.rows_read:,} rows fails the row "
                f"checks ({top}); {where}: fix the table or its dataset config {config.path}"
            )
        raise DatasetError(
            f"{data_path}: {report.rejected:,} of {report.rows_read:,} rows "
            f"({check.rejected_share:.1%}) fail the row checks, more than the {limit:.0%} "
            f"allowed ({top}); {where}: fix those rows, or set max_rejected_share in "
            f"{config.path}"
        )
    frame = check.clean
    if not table.typed:
        as_dictionary_types(frame, {r.column for r in rules}, config)
    return frame, report
