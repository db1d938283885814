"""The survey-measured targeting errors step: inclusion and exclusion errors per area.

The entry of ``konsel targeting`` (:mod:`.cli` parses its arguments) and of the main
job's step (:mod:`konsel_analysis.build.steps`). On any survey a dataset config
describes, :func:`run` writes ``targeting_by_area.csv`` (the stable contract: one row
per programme and area, plus area ``ALL``; see
:data:`~konsel_analysis.measured.targeting.CONTRACT_COLUMNS`), where the config names a
cluster ``targeting_by_cluster.csv`` (the same per cluster, e.g. desa, nearly every one
shrunk towards the regency value), and the tables per group of households
(:mod:`konsel_analysis.measured.groups`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic


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


def run(
    data: Path,
    config: Path,
    *,
    programs: str | None = None,
    ci: float,
    reps: int,
    out: Path,
    seed: int = 0,
    rejected_dir: Path | None = None,
    groups: str | None = None,
) -> list[Path]:
    """Measure targeting errors and write the tables; returns the paths written.

    ``programs`` (``--programs p1,p2``): the 0/1 columns measured (default: the
    config's ``programs``), with ``pkh_or_bpnt``-style "any" when more than one.
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
