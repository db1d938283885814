"""The main job behind ``make reports``: every step that exists, in order.

Each step reads data/raw (never writes it) and writes under data/processed or
reports. The run says what each step produced and which steps are not built
yet, so an unattended run leaves an honest log.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from konsel_analysis.dictionary import PROGRAM_FLAGS
from konsel_analysis.geography import load_kecamatan
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.synth import TABLE_FILES, has_raw_data


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[ProjectPaths], list[Path]]


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV under a temporary name, then rename: never a half-written table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def summarise_register(paths: ProjectPaths) -> list[Path]:
    """Households, persons and programme shares per kecamatan, from the register only."""
    register = pd.read_parquet(
        paths.raw / TABLE_FILES["register"],
        columns=["kecamatan_code", "village_code", "household_size", *PROGRAM_FLAGS],
    )
    grouped = register.groupby("kecamatan_code")
    summary = (
        grouped.agg(
            villages=("village_code", "nunique"),
            households=("household_size", "size"),
            persons=("household_size", "sum"),
            **{
                f"share_{flag.removeprefix('is_').removesuffix('_recipient')}": (flag, "mean")
                for flag in PROGRAM_FLAGS
            },
        )
        .round(4)
        .reset_index()
    )
    names = load_kecamatan()[["kecamatan_code", "kecamatan_name"]]
    summary = names.merge(summary, on="kecamatan_code", how="left")
    return [write_csv_atomic(summary, paths.processed / "register_summary_by_kecamatan.csv")]


STEPS: list[Step] = [
    Step("register summary by kecamatan", summarise_register),
]

NOT_YET_BUILT = [
    "report sections that need the PMT (issue 3) and the targeting-error model (issue 4): "
    "priority households, verification allocation, impact simulation, PMT model card; "
    "the reports show them as 'belum tersedia / not yet available'",
]


def run_pipeline(
    paths: ProjectPaths,
    language: str = "id",
    only: Sequence[str] | None = None,
    jobs: int = 2,
    engine: str = "local",
) -> int:
    """Run every step on data/raw and say what each produced; returns the exit code.

    The last step builds the HTML reports (all 25 kecamatan, or ``only`` those, and
    the regency); it exits 1 when any report failed, after building the others.
    """
    from konsel_analysis.errors import UserError
    from konsel_analysis.reports.runner import build_reports, check_options, summarise_outcome

    check_options(only, jobs, language, engine)  # bad options stop before any step runs
    if not has_raw_data(paths.raw):
        raise UserError(
            f"{paths.raw} has no {TABLE_FILES['register']} and {TABLE_FILES['survey']}; "
            "run `konsel synth` (or `make reports`, which does) to create the default data"
        )
    print(f"konsel reports: data from {paths.raw} (language: {language})")
    for step in STEPS:
        produced = step.run(paths)
        print(f"  [done] {step.name}")
        for path in produced:
            print(f"         wrote {path.relative_to(paths.root)}")
    print("  [running] HTML reports (papermill; one line per finished report)", flush=True)
    outcome = build_reports(
        paths,
        only=only,
        jobs=jobs,
        language=language,
        engine=engine,
        echo=lambda line: print(line, flush=True),
    )
    status = "done" if not outcome.failures else f"{len(outcome.failures)} FAILED"
    print(f"  [{status}] HTML reports")
    for line in summarise_outcome(outcome, paths):
        print(line)
    for missing in NOT_YET_BUILT:
        print(f"  [not built yet] {missing}")
    return 1 if outcome.failures else 0
