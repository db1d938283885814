"""The order in which the main job starts its analysis steps in the report workers."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from konsel_analysis.build.schedule import _submit_steps
from konsel_analysis.build.steps import STEPS, PipelineSettings, StepContext
from konsel_analysis.paths import ProjectPaths


class _Recorder:
    """A pool that only notes what was submitted, and when, among the table checks."""

    def __init__(self, events: list[str]):
        self.events = events

    def submit(self, fn, index, ctx):
        self.events.append(STEPS[index].name.split(" (")[0])
        return Future()


def _order(workers: int) -> list[str]:
    events: list[str] = []
    _submit_steps(
        _Recorder(events),
        StepContext(ProjectPaths(Path(".")), PipelineSettings()),
        lambda table: events.append(f"checked {table}"),
        workers,
    )
    return events


def test_long_steps_first_and_short_ones_after_the_register_is_checked():
    # Two workers: the PMT validation and the targeting errors start on the survey; the
    # impact simulation (short) waits, so that the register scoring (long) gets the first
    # worker free once the register is checked (after the desa poverty map, the longest).
    assert _order(2) == [
        "checked survey",
        "PMT validation",
        "survey-measured targeting errors",
        "checked register",
        "desa poverty map",
        "register scoring",
        "verification round",
        "validated inputs",
        "impact simulation",
        "register summary by kecamatan",
    ]


def test_with_more_workers_every_survey_step_starts_on_the_survey():
    events = _order(4)
    assert events.index("impact simulation") < events.index("checked register")
    assert sorted(events) == sorted(_order(2))  # every step, once
