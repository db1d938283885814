"""The main job behind ``make reports`` and ``konsel reports``: the steps, then the pages.

The analysis steps (:mod:`konsel_analysis.build.steps`) run in the report workers
(:mod:`konsel_analysis.build.schedule`) while they would otherwise wait; then the
report tables and the notebooks
(:mod:`.runner`). This module sits above both: the steps know nothing of reports, the
reports only read what the steps wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

from konsel_analysis.build.guard import (
    BuildLock,
    sweep_partial_files,
    sweep_stale_kernel_folders,
)
from konsel_analysis.build.schedule import run_steps
from konsel_analysis.build.steps import PipelineSettings
from konsel_analysis.errors import UserError
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports.runner import (
    build_reports,
    check_options,
    start_workers,
    summarise_outcome,
)
from konsel_analysis.synth import TABLE_FILES, has_raw_data


def run_pipeline(
    paths: ProjectPaths,
    language: str = "id",
    only: Sequence[str] | None = None,
    jobs: int = 2,
    engine: str = "local",
    settings: PipelineSettings | None = None,
    scheduler: str | None = None,
) -> int:
    """Run every step on data/raw and say what each produced; returns the exit code.

    The shared steps run once on the whole regency (or are reused, see
    :func:`run_step`); the last step builds the HTML reports (all 25 kecamatan,
    or ``only`` those, and the regency); it exits 1 when any report failed,
    after building the others. ``settings`` sets seed, folds and replicates.
    """
    check_options(only, jobs, language, engine, scheduler)  # bad options stop before any step
    if not has_raw_data(paths.raw):
        raise UserError(
            f"{paths.raw} has no {TABLE_FILES['register']} and {TABLE_FILES['survey']}; "
            "run `konsel synth` (or `make reports`, which does) to create the default data"
        )
    # One build per project at a time (a second stops here with one sentence); what a
    # killed build left half-written is removed before anything is read or written.
    with BuildLock(paths):
        sweep_partial_files(paths)
        sweep_stale_kernel_folders()
        return _run_locked(paths, language, only, jobs, engine, settings, scheduler)


def _run_locked(
    paths: ProjectPaths,
    language: str,
    only: Sequence[str] | None,
    jobs: int,
    engine: str,
    settings: PipelineSettings | None,
    scheduler: str | None,
) -> int:
    print(f"konsel reports: data from {paths.raw} (language: {language})", flush=True)
    # The report workers, started first: they run the steps side by side, then the notebooks
    # (an unreachable --scheduler stops here, before any step).
    pool = start_workers(paths, only, jobs, language, engine, scheduler)
    try:
        run_steps(
            paths,
            settings,
            echo=lambda line: print(line, flush=True),
            pool=pool,
        )
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    print("  [running] HTML reports (papermill; one line per finished report)", flush=True)
    outcome = build_reports(
        paths,
        only=only,
        jobs=jobs,
        language=language,
        engine=engine,
        echo=lambda line: print(line, flush=True),
        pool=pool,
        scheduler=scheduler,
    )
    status = "done" if not outcome.failures else f"{len(outcome.failures)} FAILED"
    print(f"  [{status}] HTML reports")
    for line in summarise_outcome(outcome, paths):
        print(line)
    return 1 if outcome.failures else 0
