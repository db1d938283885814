"""Benchmark: the full report build against its floor, in one run on one machine.

(a) ``konsel reports`` from cold: the analysis steps (register summary, PMT
    validation, survey-measured targeting errors, register scoring, impact
    simulation), the report tables, all 25 kecamatan reports and the regency
    report, with nothing computed before (data/processed, reports/ and restricted/
    emptied before every run), on the default synthetic data (about 83,000
    households), in a scratch project so the real data folders are not touched.
    Its own per-step lines give the split (printed below).
(b) The floor: papermill executing, as many times as there are reports and with
    the same parallelism and the same worker pool, a notebook that holds only the
    import cell of the report notebooks (the same libraries: pandas, matplotlib,
    seaborn and the report package). Starting a kernel and importing the stack is
    what no report can avoid.

Both are timed from the outside, whole command included (Python start-up, the
pool, every notebook): wall time, and CPU time of every process involved (less
sensitive to other work on the machine; the load average is printed too). Each
is run ``--repeat`` times, alternating (b) then (a), and two ratios are given: the
fastest (a) over the fastest (b), and the median of the paired ratios (each (a)
over the (b) run just before it, under about the same load from other work).
Target (issue 5): (a)/(b) <= 1.5. ``--json FILE`` writes the figures.

    .venv/bin/python benchmarks/reports_floor.py [--jobs 2] [--repeat 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
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


def _timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system, every descendant process) and the output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode:  # say which report failed instead of a bare exit status
        sys.exit(f"{' '.join(cmd[:2])} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def step_seconds(output: str) -> dict[str, float]:
    """Wall seconds of each analysis step and of the reports, from konsel's own lines."""
    found = {
        m.group(1).split(" (")[0]: float(m.group(2))
        for m in re.finditer(r"\[done\] (.+?) in ([0-9.]+) s$", output, re.MULTILINE)
    }
    built = re.search(r"reports built in ([0-9.]+) s", output)
    if built:
        found["report tables and notebooks"] = float(built.group(1))
    return found


def clear_outputs(project: Path) -> None:
    """Cold start: every derived file gone (raw data and the pseudonymisation key stay)."""
    for sub in ("data/processed", "reports", "restricted"):
        shutil.rmtree(project / sub, ignore_errors=True)
    for sub in ("data/processed", "reports"):
        (project / sub).mkdir(parents=True)


def make_project(root: Path) -> None:
    from konsel_analysis.synth import generate_konsel, write_konsel

    for sub in ("data/raw", "data/processed", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    write_konsel(generate_konsel(), root / "data" / "raw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel notebooks (default 2)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, fastest kept")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    from konsel_analysis.geography import load_kecamatan

    n_reports = len(load_kecamatan()) + 1  # every kecamatan and the regency
    konsel = str(Path(sys.executable).with_name("konsel"))
    with tempfile.TemporaryDirectory(prefix="konsel-bench-") as scratch:
        project = Path(scratch) / "project"
        make_project(project)
        env = {**os.environ, "KONSEL_PROJECT_ROOT": str(project)}
        full, floor, splits = [], [], []
        for _ in range(args.repeat):
            floor_dir = Path(scratch) / "floor"
            shutil.rmtree(floor_dir, ignore_errors=True)
            floor_dir.mkdir()
            floor_cmd = [sys.executable, "-c", FLOOR_CHILD, str(floor_dir)]
            floor.append(_timed([*floor_cmd, str(args.jobs), str(n_reports)], env)[:2])
            clear_outputs(project)
            wall, cpu, output = _timed([konsel, "reports", "--jobs", str(args.jobs)], env)
            full.append((wall, cpu))
            splits.append(step_seconds(output))
        pages = len(list((project / "reports" / "kecamatan").glob("*.html")))
    fastest = min(range(len(full)), key=lambda i: full[i][0])
    a, b = full[fastest][0], min(w for w, _ in floor)
    a_cpu, b_cpu = min(c for _, c in full), min(c for _, c in floor)
    runs_a = ", ".join(f"{w:.1f}" for w, _ in full)
    runs_b = ", ".join(f"{w:.1f}" for w, _ in floor)
    load = os.getloadavg()
    print(f"reports: {n_reports} ({pages} kecamatan pages + regency), {args.jobs} parallel jobs")
    print(f"(a) full cold build: {a:6.1f} s wall {a_cpu:6.1f} s CPU  (wall runs: {runs_a})")
    for name, seconds in splits[fastest].items():
        print(f"      {name:<40} {seconds:6.1f} s wall (side by side: they overlap)")
    print(
        f"(b) floor, import-only x{n_reports}: {b:6.1f} s wall {b_cpu:6.1f} s CPU  "
        f"(wall runs: {runs_b})"
    )
    paired_wall = sorted(f[0] / g[0] for f, g in zip(full, floor, strict=True))
    paired_cpu = sorted(f[1] / g[1] for f, g in zip(full, floor, strict=True))
    print(f"ratio (a)/(b): {a / b:.2f} wall, {a_cpu / b_cpu:.2f} CPU   (target <= 1.5, wall)")
    print(
        f"paired ratios, median (range): {statistics.median(paired_wall):.2f} wall "
        f"({paired_wall[0]:.2f}-{paired_wall[-1]:.2f}), {statistics.median(paired_cpu):.2f} "
        f"CPU ({paired_cpu[0]:.2f}-{paired_cpu[-1]:.2f})"
    )
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in load)}")
    if args.json:
        figures = {
            "jobs": args.jobs,
            "reports": n_reports,
            "full_wall_s": [round(w, 2) for w, _ in full],
            "full_cpu_s": [round(c, 2) for _, c in full],
            "floor_wall_s": [round(w, 2) for w, _ in floor],
            "floor_cpu_s": [round(c, 2) for _, c in floor],
            "ratio_wall": round(a / b, 3),
            "ratio_cpu": round(a_cpu / b_cpu, 3),
            "paired_ratios_wall": [round(r, 3) for r in paired_wall],
            "paired_ratios_cpu": [round(r, 3) for r in paired_cpu],
            "paired_ratio_wall_median": round(statistics.median(paired_wall), 3),
            "paired_ratio_cpu_median": round(statistics.median(paired_cpu), 3),
            "fastest_full_split_wall_s": splits[fastest],
            "load_average_at_end": [round(x, 2) for x in load],
            "cpus": os.cpu_count(),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
