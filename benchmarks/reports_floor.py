"""Benchmark: the full report build against its floor, in one run on one machine.

(a) ``konsel reports``: all 25 kecamatan reports and the regency report, from a
    cold report cache (no report tables, no reports), on the default synthetic
    data (about 83,000 households), in a scratch project so the real data
    folders are not touched. The pipeline steps before the reports (PMT
    validation, targeting errors, register scoring, impact simulation) are
    modelling, not report overhead: they run once before the timings, cold, and
    their time is printed as (s); in (a) ``konsel reports`` finds them current
    and reuses them, as a second ``make reports`` does.
(b) The floor: papermill executing, as many times as there are reports and with
    the same parallelism and the same worker pool, a notebook that holds only the
    import cell of the report notebooks (the same libraries: pandas, matplotlib,
    seaborn and the report package). Starting a kernel and importing the stack is
    what no report can avoid.

Both are timed from the outside, whole command included (Python start-up, the
pool, every notebook): wall time, and CPU time of every process involved (less
sensitive to other work on the machine; the load average is printed too). Each
is run ``--repeat`` times, alternating, and the fastest of each is kept.
Target (issue 5): (a)/(b) <= 1.5.

    .venv/bin/python benchmarks/reports_floor.py [--jobs 2] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_CHILD = """
import sys, time
from pathlib import Path
import nbformat
from konsel_analysis.reports import runner

out, jobs, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
source = nbformat.read(runner.NOTEBOOKS_DIR / runner.KECAMATAN_NOTEBOOK, as_version=4)
imports = next(c for c in source.cells if c.cell_type == "code")
floor = nbformat.v4.new_notebook(metadata=source.metadata, cells=[imports])
notebook = out / "floor.ipynb"
nbformat.write(floor, notebook)
tasks = [
    runner.ReportTask(kind="floor", code=str(i), name="floor", notebook=notebook,
                      executed=out / "executed" / f"floor-{i}.ipynb", html=out / "unused.html",
                      title="", language="id", index_href="")
    for i in range(n)
]
pool = runner.start_pool(jobs, out / "kernels.log")
try:
    results = runner.run_tasks(pool, tasks, runner.execute_only, lambda line: None)
finally:
    pool.shutdown(wait=True)
failed = [r.error for r in results if not r.ok]
if failed:
    sys.exit(f"floor notebook failed: {failed[0]}")
"""


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, every descendant process) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode:  # say which report failed instead of a bare exit status
        sys.exit(f"{' '.join(cmd[:2])} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def make_project(root: Path) -> None:
    from konsel_analysis.synth import generate_konsel, write_konsel

    for sub in ("data/raw", "data/processed", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    write_konsel(generate_konsel(), root / "data" / "raw")


STEPS_CHILD = """
from konsel_analysis.paths import project_paths
from konsel_analysis.pipeline import run_steps
run_steps(project_paths(), echo=lambda line: None)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel notebooks (default 2)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, fastest kept")
    args = parser.parse_args()

    from konsel_analysis.geography import load_kecamatan

    n_reports = len(load_kecamatan()) + 1  # every kecamatan and the regency
    konsel = str(Path(sys.executable).with_name("konsel"))
    with tempfile.TemporaryDirectory(prefix="konsel-bench-") as scratch:
        project = Path(scratch) / "project"
        make_project(project)
        env = {**os.environ, "KONSEL_PROJECT_ROOT": str(project)}
        steps = _timed([sys.executable, "-c", STEPS_CHILD], env)
        full, floor = [], []
        for _ in range(args.repeat):
            floor_dir = Path(scratch) / "floor"
            shutil.rmtree(floor_dir, ignore_errors=True)
            floor_dir.mkdir()
            floor.append(
                _timed(
                    [
                        sys.executable,
                        "-c",
                        FLOOR_CHILD,
                        str(floor_dir),
                        str(args.jobs),
                        str(n_reports),
                    ],
                    env,
                )
            )
            # Cold start every time: no report tables, no reports (the steps' outputs stay).
            shutil.rmtree(project / "data" / "processed" / "report_inputs", ignore_errors=True)
            shutil.rmtree(project / "reports", ignore_errors=True)
            (project / "reports").mkdir()
            full.append(_timed([konsel, "reports", "--jobs", str(args.jobs)], env))
        pages = len(list((project / "reports" / "kecamatan").glob("*.html")))
    a, b = min(w for w, _ in full), min(w for w, _ in floor)
    a_cpu, b_cpu = min(c for _, c in full), min(c for _, c in floor)
    runs_a = ", ".join(f"{w:.1f}" for w, _ in full)
    runs_b = ", ".join(f"{w:.1f}" for w, _ in floor)
    print(f"reports: {n_reports} ({pages} kecamatan pages + regency), {args.jobs} parallel jobs")
    print(
        f"(s) pipeline steps, cold, once: {steps[0]:6.1f} s wall {steps[1]:6.1f} s CPU  "
        "(PMT validation, targeting errors, register scoring, impact: modelling, not reports)"
    )
    print(f"(a) full build, cold cache: {a:6.1f} s wall {a_cpu:6.1f} s CPU  (wall runs: {runs_a})")
    print(
        f"(b) floor, import-only x{n_reports}: {b:6.1f} s wall {b_cpu:6.1f} s CPU  "
        f"(wall runs: {runs_b})"
    )
    print(f"ratio (a)/(b): {a / b:.2f} wall, {a_cpu / b_cpu:.2f} CPU   (target <= 1.5, wall)")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
