"""`konsel reports --engine dask --scheduler ADDRESS` with every page current still needs
the scheduler: with a warm cache it exited 0 although nothing answered at ADDRESS."""

from __future__ import annotations

import socket

import pytest

from konsel_analysis.errors import UserError
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports import runner
from konsel_analysis.scale import cluster


def test_an_unreachable_scheduler_stops_a_warm_build(built, monkeypatch):
    monkeypatch.setattr(runner, "_may_be_current", lambda *_: True)  # a warm cache
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # closed once the block ends
    with pytest.raises(UserError, match=f"--scheduler {address}: no dask scheduler answered"):
        runner.start_workers(ProjectPaths(built.root), ["74.05.01"], 2, "id", "dask", address)
    # Without --scheduler (a LocalCluster would be started) a warm build starts nothing.
    assert runner.start_workers(ProjectPaths(built.root), ["74.05.01"], 2, "id", "dask") is None
