"""How the main job hands its analysis steps to the report workers (build/schedule.py)."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from konsel_analysis.build.schedule import _run_in_pool
from konsel_analysis.build.steps import STEPS, PipelineSettings, StepContext
from konsel_analysis.paths import ProjectPaths

CTX = StepContext(ProjectPaths(Path("/nowhere")), PipelineSettings())


class _Pool:
    """A pool that notes what was submitted and hands back finished futures: each step
    reused, except the steps named in ``failing``, which raise."""

    def __init__(self, events: list[str], failing: tuple[str, ...] = ()):
        self.events, self.failing = events, failing

    def submit(self, fn, index, ctx):
        name = STEPS[index].name.split(" (")[0]
        self.events.append(name)
        future: Future = Future()
        if name in self.failing:
            future.set_exception(RuntimeError(name))
        else:
            future.set_result((index, [], True, 0.0, ""))
        return future


def test_every_step_is_handed_out_in_table_order():
    events: list[str] = []
    said: list[str] = []
    outcomes = _run_in_pool(_Pool(events), CTX, said.append)
    names = [s.name.split(" (")[0] for s in STEPS]
    assert events == names
    assert [o.step for o in outcomes] == STEPS
    assert said == [f"  [reused] {s.name}: inputs, code and settings unchanged" for s in STEPS]


def test_the_first_failing_step_in_table_order_is_raised():
    events: list[str] = []
    failing = ("desa poverty map", "PMT validation")  # the PMT comes first in the table
    with pytest.raises(RuntimeError, match="^PMT validation$"):
        _run_in_pool(_Pool(events, failing), CTX, lambda line: None)
