"""Checked tables, read once: per process, and shared between the main job's processes.

:func:`read_checked` reads a table, applies the row checks and keeps the accepted
rows, so that a table read again unchanged is not checked again; with
:func:`share_checked_tables` the main job's driver checks each raw table once and
its steps, in other processes, read the accepted rows it left (``restricted/``:
the register's rows carry names and NIK).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
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

log = logging.getLogger(__name__)

#: config and role: the main job's steps read the same two files one after another.
_CHECKED: dict[tuple, tuple[pd.DataFrame, IntakeReport]] = {}
_CHECKED_KEEP = 4
#: Where this process shares checked tables with the other processes of one run
#: (:func:`share_checked_tables`); ``None``: it keeps them to itself.
_SHARED: list[Path] = []


def share_checked_tables(folder: Path | None) -> None:
    """Keep the tables this process checks in ``folder``, and read the ones other processes
    checked there, for as long as the file, its config, the reference files and the
    checking code are unchanged (a :func:`~konsel_analysis.build.keys.compute_key` of them).

    The main job's driver checks the survey and the register once; its steps, in other
    processes, read the accepted rows instead of checking again. The folder is the
    owner's only (the register's rows carry names and NIK): ``restricted/``. ``None``
    stops sharing.
    """
    _SHARED.clear()
    if folder is not None:
        _SHARED.append(Path(folder))


def _shared_file(data_path: Path, config: DatasetConfig, role: Role) -> Path:
    from konsel_analysis.build.keys import code_files, compute_key

    named = (data_path, config.path, config.area_crosswalk)  # the crosswalk: resolved
    files = [Path(p) for p in named if p is not None and Path(p).is_file()]
    key = compute_key(
        files,
        code_files(__name__),
        # The pickled frame is read back by this pandas and numpy only.
        {"config": repr(config), "role": role, "pandas": pd.__version__, "numpy": np.__version__},
    )
    return _SHARED[0] / f"{data_path.stem}-{role}-{key[:24]}.pkl"


def _intact_payload(path: Path) -> bytes | None:
    """The pickled payload of a shared copy when its bytes are those written (its sha256
    comes first), else ``None``; ``FileNotFoundError`` when there is no copy."""
    blob = path.read_bytes()
    recorded, payload = blob[:32], blob[32:]
    if len(blob) <= 32 or hashlib.sha256(payload).digest() != recorded:
        return None
    return payload


def remove_damaged_shared_tables(folder: Path) -> list[str]:
    """Delete the shared copies in ``folder`` whose digest differs; their names.

    The main job's driver calls it before any step starts, so that the message reaches
    its terminal (a worker's would reach only the kernels' log) and no step reads one.
    """
    removed = []
    for path in sorted(Path(folder).glob("*.pkl")) if Path(folder).is_dir() else []:
        try:
            intact = _intact_payload(path) is not None
        except OSError:
            continue
        if not intact:
            path.unlink(missing_ok=True)
            removed.append(path.name)
            log.warning("%s is damaged (its digest differs): removed, checked again", path.name)
    return removed


def _read_shared(path: Path) -> tuple[pd.DataFrame, IntakeReport] | None:
    """The shared checked table, only when its bytes are those written.

    A copy cut short, with a flipped bit or edited is never unpickled: the table is
    checked again from the raw file instead (a flipped bit once changed a household's
    consumption, the chosen PMT and every field list without a word).
    """
    import pickle

    try:
        payload = _intact_payload(path)
    except OSError:  # not there (yet), or a folder that cannot hold it
        return None
    if payload is None:
        log.warning("%s is damaged (its digest differs); checking the table again", path.name)
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - another pandas could not read it: check again instead
        log.warning("%s could not be read back; checking the table again", path.name)
        return None


def _write_shared(path: Path, checked: tuple[pd.DataFrame, IntakeReport]) -> None:
    import pickle

    from konsel_analysis.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = path.name.rsplit("-", 1)[0]
    for older in path.parent.glob(f"{stem}-*.pkl"):
        older.unlink(missing_ok=True)  # an earlier version of the file: never read again

    def write(tmp: str) -> None:
        payload = pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL)
        with open(tmp, "wb") as handle:
            handle.write(hashlib.sha256(payload).digest())  # read back only if it matches
            handle.write(payload)

    write_atomic(path, write, mode=0o600)


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
    key = None
    if data_path.is_file():
        stat = data_path.stat()
        key = (data_path.resolve(), stat.st_size, stat.st_mtime_ns, config, role)
    shared = None
    if key is not None and key not in _CHECKED and _SHARED:  # checked by another process?
        shared = _shared_file(data_path, config, role)
        checked = _read_shared(shared)
        if checked is not None:
            _remember(key, checked)
    if key in _CHECKED:
        frame, report = _CHECKED[key]
        where = rejected_path(Path(rejected_dir), data_path) if rejected_dir is not None else None
        return frame.copy(), replace(report, data_path=data_path, rejected_path=where)
    frame, report = _read_checked(data_path, config, role, rejected_dir)
    if key is not None:
        _remember(key, (frame.copy(), report))
        if shared is not None:
            try:
                _write_shared(shared, _CHECKED[key])
            except OSError as err:  # e.g. a worker that may not write there: check on
                log.warning("checked rows not kept for other processes (%s)", err.strerror)
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
