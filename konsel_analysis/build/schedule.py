"""The analysis steps in the report workers: the longest first, each as soon as the raw
tables it reads are checked.

The report workers are idle until the notebooks can start, so the main job runs its
steps there, side by side (no step reads another's outputs). The driver checks each
raw table once (:mod:`.shared_tables`) and a step starts as soon as the tables it reads
are checked; until the last is, only as many steps start as there are workers, the
longest first (longest-processing-time-first scheduling, by :attr:`Step.cost`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from pathlib import Path

from konsel_analysis.build.shared_tables import share_tables, table_checker
from konsel_analysis.build.steps import (
    STEPS,
    PipelineSettings,
    StepContext,
    StepOutcome,
    describe_outcome,
    run_step,
    shown_path,
)
from konsel_analysis.paths import ProjectPaths


def _run_step_at(index: int, ctx: StepContext) -> tuple[int, list[Path], bool, float, str]:
    """:func:`run_step` of ``STEPS[index]`` in a worker process; plain values come back
    (a :class:`Step` holds lambdas, which do not travel between processes)."""
    step = STEPS[index]
    # The tables it reads, as the driver checked them (checked here when not kept).
    share_tables(
        ctx.paths.checked_tables,
        [(getattr(ctx, role), role) for role in step.inputs],
        ctx.settings.config,
    )
    o = run_step(step, ctx)
    return index, o.written, o.reused, o.seconds, o.headline


def _submit_steps(
    pool: Executor, ctx: StepContext, check: Callable[[str], None] | None, workers: int
) -> dict:
    """Every step, the longest first, each once ``check`` has checked the tables it reads.

    Until the last table is checked, only as many steps start as there are ``workers``
    (the longest of those ready): a short step queued early would take the worker that
    the register scoring, ready a moment later, needs; short steps go last
    (longest-processing-time-first scheduling).
    """
    order = sorted(range(len(STEPS)), key=lambda i: -STEPS[i].cost)
    tables = ("survey", "register")  # the survey first: most steps read only it
    futures: dict = {}
    checked: set[str] = set()
    for table in tables:
        if check is not None:
            check(table)
        checked.add(table)
        for i in order:
            if i in futures.values() or not set(STEPS[i].inputs) <= checked:
                continue
            if table != tables[-1] and len(futures) >= workers:
                break
            futures[pool.submit(_run_step_at, i, ctx)] = i
    return futures


def _run_in_pool(
    pool: Executor,
    ctx: StepContext,
    echo: Callable[[str], None],
    check: Callable[[str], None] | None = None,
    workers: int = 2,
) -> list:
    """Every step in the worker processes at once, the longest first; each reads only
    data/raw, so none waits for another. With ``check``, the raw tables are checked
    here first, one by one: a step starts as soon as the tables it reads are. Says
    what each wrote, in step order, as soon as it and the steps before it are done;
    the first failure (in step order) is raised once the running steps have stopped."""
    futures = _submit_steps(pool, ctx, check, workers)
    outcomes: dict[int, StepOutcome] = {}
    failures: dict[int, BaseException] = {}
    shown = 0  # steps said so far, in order
    for future in as_completed(futures):
        if future.cancelled():  # after a failure: not started, nothing to say
            continue
        try:
            index, written, reused, seconds, headline = future.result()
        except BaseException as err:  # noqa: BLE001 - re-raised below, after the others
            failures[futures[future]] = err
            for other in futures:
                other.cancel()
            continue
        outcomes[index] = StepOutcome(STEPS[index], written, reused, seconds, headline)
        while shown in outcomes:
            for line in describe_outcome(outcomes[shown], ctx.paths.root):
                echo(line)
            shown += 1
    if failures:
        raise failures[min(failures)]
    return [outcomes[i] for i in range(len(STEPS))]


def run_steps(
    paths: ProjectPaths,
    settings: PipelineSettings | None = None,
    echo: Callable[[str], None] = print,
    pool: Executor | None = None,
    workers: int = 2,
) -> list[StepOutcome]:
    """Every shared step, each computed or reused; says what each wrote.

    With ``pool`` (the report workers, idle until the steps are done) the steps run
    side by side in its processes, each once this process has checked the raw tables
    it reads and kept them in ``restricted/checked_tables/`` for the workers
    (:mod:`.shared_tables`); without, one after the other here.
    """
    ctx = StepContext(paths, settings or PipelineSettings())
    if pool is not None:
        echo(f"  [running] {len(STEPS)} analysis steps side by side in the report workers")
        check = table_checker(
            paths.checked_tables,
            {"survey": ctx.survey, "register": ctx.register},
            ctx.settings.config,
        )
        outcomes = _run_in_pool(pool, ctx, echo, check, workers)
    else:
        outcomes = []
        for step in STEPS:
            outcome = run_step(step, ctx)
            for line in describe_outcome(outcome, paths.root):
                echo(line)
            outcomes.append(outcome)
    if paths.restricted.is_dir():
        echo(
            f"  field lists with names and NIK: {shown_path(paths.restricted, paths.root)}/ "
            "(git-ignored; for authorised staff only, never published)"
        )
    return outcomes
