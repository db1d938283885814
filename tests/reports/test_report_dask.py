"""`konsel reports --engine dask`: the same pages, built on the workers of a LocalCluster.

The session's build (local engine) is copied; its steps and report tables are
current, so only the notebooks run again, this time on a real dask.distributed
LocalCluster of two worker processes. Every page must be byte for byte the page
the local engine made: the engine changes where a notebook runs, nothing else.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket

from konsel_analysis.build.steps import STEPS
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports.main_job import run_pipeline
from konsel_analysis.scale import cluster


def test_the_dask_engine_builds_the_same_pages_on_a_local_cluster(
    built, tmp_path, pipeline_settings, monkeypatch
):
    root = tmp_path / "project"
    shutil.copytree(built.root, root, symlinks=True)
    shutil.rmtree(root / "reports")
    (root / "reports").mkdir()
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(root))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_pipeline(
            ProjectPaths(root),
            only=["74.05.01", "74.05.11"],
            jobs=2,
            engine="dask",
            settings=pipeline_settings,  # the session build's: every step is reused
        )
    assert code == 0
    # every step is reused: only the notebooks run again
    assert out.getvalue().count("[reused]") == len(STEPS)
    assert "3 of 3 reports built" in out.getvalue()
    pages = sorted(p.relative_to(root) for p in (root / "reports").rglob("*.html"))
    assert [str(p) for p in pages] == [
        "reports/index.html",
        "reports/kecamatan/74.05.01-tinanggea.html",
        "reports/kecamatan/74.05.11-laonti.html",
        "reports/regency.html",
    ]
    for page in pages[1:]:
        assert (root / page).read_bytes() == (built.root / page).read_bytes(), page
    status = json.loads((root / "reports" / "build.json").read_text())
    assert [r["error"] for r in status["reports"]] == [None, None, None]


def test_the_dask_pool_runs_work_on_dask_workers(tmp_path):
    import os

    from konsel_analysis.reports.dask_pool import start_dask_pool

    pool = start_dask_pool(1, tmp_path / "kernels.log")
    try:
        pid = pool.submit(os.getpid).result(timeout=60)
        worker = pool.submit(_worker_address).result(timeout=60)
        jupyter_path = pool.submit(_jupyter_path).result(timeout=60)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    assert pid != os.getpid()
    assert worker.startswith("tcp://127.0.0.1:")
    assert "konsel-kernels-" in jupyter_path  # the worker declared the report kernel


def _jupyter_path() -> str:
    import os

    return os.environ.get("JUPYTER_PATH", "")


def _worker_address() -> str:
    from distributed import get_worker

    return get_worker().address


def test_an_unreachable_scheduler_stops_before_any_step(tmp_path, konsel_project, monkeypatch):
    make_project, run_konsel = konsel_project
    root = make_project(tmp_path, households=1_000, seed=3)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    code, out, err = run_konsel(root, ["reports", "--engine", "dask", "--scheduler", address])
    assert code == 2
    assert f"--scheduler {address}: no dask scheduler answered" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (root / "data/processed/register_summary_by_kecamatan.csv").exists()
    assert not (root / "reports" / "index.html").exists()
