"""Checked tables shared between the main job's processes: checked once, by the driver.

The main job's driver checks the survey and the register (the row checks of
:func:`konsel_analysis.datasets.read_checked`) and keeps the accepted rows, pickled,
in ``restricted/checked_tables/`` (the register's rows carry names and NIK: the folder
and its files are the owner's only). A step in a worker process is seeded with them
(:func:`konsel_analysis.datasets.remember_checked`) before it runs, and reads them
instead of checking again; the next build's driver reads them too, while the file,
its config, the reference files and the checking code are unchanged.

Each shared table is a :class:`~konsel_analysis.build.task.Task` like any other: its
key covers the raw file, the dataset config (and its area crosswalk), the checking
code, the role and the pandas and numpy that read the pickle back; its record holds
the pickle's sha256, read afresh before it is unpickled, so a copy cut short, with a
flipped bit or edited is never unpickled (a flipped bit once changed a household's
consumption, the chosen PMT and every field list without a word): it is checked again
and replaced, and the warning names it. A lock lets several workers ask at once: one
checks, the others wait and read.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.build.task import Made, Task, run_or_reuse
from konsel_analysis.datasets import (
    DatasetConfig,
    DatasetError,
    load_dataset_config,
    read_checked,
    remember_checked,
)
from konsel_analysis.files import write_atomic

log = logging.getLogger(__name__)


def _pickle_path(folder: Path, data_path: Path, role: str) -> Path:
    return folder / f"{data_path.stem}-{role}.pkl"


def shared_table_task(folder: Path, data_path: Path, config: DatasetConfig, role: str) -> Task:
    """The task that checks ``data_path`` and keeps its accepted rows in ``folder``."""
    folder, data_path = Path(folder), Path(data_path)
    named = (data_path, config.path, config.area_crosswalk)  # the crosswalk: resolved
    out = _pickle_path(folder, data_path, role)

    def check() -> Made:
        checked = read_checked(data_path, config, role)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                pickle.dump(checked, handle, protocol=pickle.HIGHEST_PROTOCOL)

        write_atomic(out, write, mode=0o600)
        # Copies named by their key (before the build layer kept a manifest): the rows
        # carry names and NIK, and nothing reads them any more.
        for older in folder.glob(f"{data_path.stem}-{role}-*.pkl"):
            older.unlink(missing_ok=True)
        return Made([out], value=checked)

    return Task(
        name=f"checked {role} table ({data_path.name})",
        manifest=folder / f"{data_path.stem}-{role}.json",
        root=folder,
        run=check,
        outputs=(out,),
        inputs=tuple(Path(p) for p in named if p is not None and Path(p).is_file()),
        code=("konsel_analysis.intake.checked",),
        # The pickled frame is read back by this pandas and numpy only.
        settings={
            "config": repr(config),
            "role": role,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        },
        lock=folder / f"{data_path.stem}-{role}.lock",
    )


def share_table(folder: Path, data_path: Path, config: DatasetConfig, role: str) -> bool:
    """Check ``data_path`` here, or read the accepted rows another process kept, and
    remember them in this process; whether they are kept in ``folder`` for the others.

    A table that fails its checks raises :class:`DatasetError` (nothing is kept).
    """
    try:
        Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)  # the owner's only
        outcome = run_or_reuse(shared_table_task(folder, data_path, config, role))
    except OSError as err:  # e.g. a folder that may not be written: checked here only
        log.warning("checked rows not kept for other processes (%s)", err.strerror)
        return False
    if outcome.reused:
        try:
            checked = pickle.loads(outcome.outputs[0].read_bytes())
        except Exception:  # noqa: BLE001 - another pandas could not read it: check here instead
            log.warning("%s could not be read back; checking the table again", outcome.outputs[0])
            return False
        remember_checked(data_path, config, role, checked)
    return True


def share_tables(
    folder: Path, tables: Iterable[tuple[Path, str]], config_path: Path
) -> None:
    """:func:`share_table` for each ``(file, role)``; a table that fails its checks, or a
    config that cannot be read, is left to the step that reads it, which says why."""
    with contextlib.suppress(DatasetError):
        config = load_dataset_config(config_path)
        for data_path, role in tables:
            with contextlib.suppress(DatasetError):
                share_table(folder, data_path, config, role)


def table_checker(
    folder: Path, raw: dict[str, Path], config_path: Path
) -> Callable[[str], None]:
    """What the driver calls before the steps that read a table start: check the table
    (``"survey"`` or ``"register"``) once and keep it for the workers."""

    def check(role: str) -> None:
        share_tables(folder, [(raw[role], role)], config_path)

    return check
