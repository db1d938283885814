"""The analysis steps in the report workers, side by side, in the order of the table.

The report workers are idle until the notebooks can start, so the main job runs its
steps there, side by side (no step reads another's outputs), in the order of
:data:`~konsel_analysis.build.steps.STEPS`. Each worker checks the raw tables its steps
read once (:func:`konsel_analysis.datasets.read_checked` remembers them in the process).

Two tricks that once sat here were measured and removed (docs/speed_tricks.md): the
driver checking each table once and sharing the accepted rows with the workers as
pickles (0.7% of a cold build), and starting the longest steps first by a hand-kept
cost per step (within 3% of a cold build either way).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from pathlib import Path

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
    o = run_step(STEPS[index], ctx)
    return index, o.written, o.reused, o.seconds, o.headline


def _run_in_pool(
    pool: Executor,
    ctx: StepContext,
    echo: Callable[[str], None],
) -> list:
    """Every step in the worker processes at once, in table order; each reads only
    data/raw, so none waits for another. Says what each wrote, in step order, as soon
    as it and the steps before it are done; the first failure (in step order) is raised
    once the running steps have stopped."""
    futures = {pool.submit(_run_step_at, i, ctx): i for i in range(len(STEPS))}
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
) -> list[StepOutcome]:
    """Every shared step, each computed or reused; says what each wrote.

    With ``pool`` (the report workers, idle until the steps are done) the steps run
    side by side in its processes; without, one after the other here.
    """
    ctx = StepContext(paths, settings or PipelineSettings())
    if pool is not None:
        echo(f"  [running] {len(STEPS)} analysis steps side by side in the report workers")
        outcomes = _run_in_pool(pool, ctx, echo)
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
