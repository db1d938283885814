"""What the CPU-saving speed tricks save, measured on their own part of the build.

On a loaded shared machine a whole cold build varies by more than the 5% that
decides whether a trick stays (benchmarks/speed_tricks.py measures whole builds,
paired). This script measures, in CPU seconds of one process (``time.process_time``,
which moves far less with other work than wall time), the part of the build each
CPU-saving trick changes, with the trick and without it, on a project where
``konsel reports`` has run (its data/processed is read, never written):

- ``shaded``: the three charts of all 25 kecamatan for 25 kecamatan pages: with the
  trick, drawn twice per chart and kept in a folder (``shaded.drawings``), each page
  reading them back and cutting its row; without, each page drawing its own chart.

Two more parts were measured at bb676e6 and their tricks removed for saving too little
(docs/speed_tricks.md, benchmarks/results/speed_tricks_parts.json): the checked tables
pickled for the workers (0.7% of a cold build) and the imports found by a pattern for
the cache keys (1.6%). With ``--steps-log`` the script replays the steps' durations of
logged builds on two workers, in the order the removed step-ordering heuristics
submitted them and in table order.

Each is run ``--repeat`` times, alternating with and without; medians are printed
and written to ``--json``. What a trick saves in a build is then counted from how
often the build does the part (printed beside each).

    .venv/bin/python benchmarks/speed_tricks_parts.py PROJECT [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


KECAMATAN_PAGES = 25


def _cpu(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def shaded_parts(project: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    """The three charts for every kecamatan page, with the shared drawings and without."""
    import matplotlib.pyplot as plt
    import numpy as np

    from konsel_analysis.reports import charts, sections, shaded

    report = sections.open_kecamatan_report("74.05.01", project_root=str(project))
    names, kecamatan = report.summary["area_name"], report.kecamatan_names
    intervals = report.table("targeting_intervals")
    expected = report.table("expected_errors")
    allocation = report.table("verification_allocation")
    draws = {
        "errors_by_kecamatan": lambda h: charts.plot_errors_by_kecamatan(intervals, names, "id", h),
        "expected_errors": lambda h: charts.plot_expected_errors(expected, kecamatan, "id", h),
        "allocation": lambda h: charts.plot_allocation(allocation, kecamatan, "id", h),
    }
    codes = list(kecamatan.index)

    def with_trick() -> None:
        with tempfile.TemporaryDirectory() as folder:  # a cold build: nothing drawn yet
            for code in codes:
                for chart, draw in draws.items():
                    made = shaded.drawings(chart, draw, Path(folder), report.inputs.key, "id")
                    charts.png_html(shaded.png(made.picture(code)), "", "")

    def without() -> None:
        for code in codes:
            for draw in draws.values():
                fig = draw(code)
                fig.canvas.draw()
                pixels = np.array(fig.canvas.buffer_rgba())[..., :3]
                plt.close(fig)
                charts.png_html(shaded.png(pixels), "", "")

    return with_trick, without


#: The order the steps were submitted in at bb676e6 (indices into build.steps.STEPS): with
#: the ordering heuristics (longest first; two at most before the register was checked)
#: and without (the survey's steps, then the others, in table order).
SUBMITTED = {"with_trick": [2, 3, 6, 4, 7, 0, 5, 1], "without": [2, 3, 5, 0, 1, 4, 6, 7]}


def makespan(order: list[int], seconds: dict[int, float], workers: int = 2) -> float:
    """When the last step ends, each step taken first-come by the next free worker
    (a process pool's queue), with the steps' durations of one build."""
    free = [0.0] * workers
    for step in order:
        worker = free.index(min(free))
        free[worker] += seconds[step]
    return max(free)


def step_seconds_by_build(log: Path) -> list[tuple[str, dict[int, float]]]:
    """Each build's step durations from a speed_tricks.py build log, by step index."""
    import re

    from konsel_analysis.build.steps import STEPS

    index = {step.name: i for i, step in enumerate(STEPS)}
    builds: list[tuple[str, dict[int, float]]] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        start = re.match(r"\$ konsel reports .*\(in .*/([\w]+)\)$", line)
        if start:
            builds.append((start.group(1), {}))
        done = re.match(r"  \[done\] (.+) in ([0-9.]+) s$", line)
        if done and builds and done.group(1) in index:
            builds[-1][1][index[done.group(1)]] = float(done.group(2))
    return [(tree, seconds) for tree, seconds in builds if len(seconds) == len(STEPS)]


def _alternate(with_trick, without, repeat: int) -> dict:
    on, off = [], []
    for _ in range(repeat):
        on.append(with_trick())
        off.append(without())
    return {
        "with_trick_cpu_s": [round(x, 4) for x in on],
        "without_cpu_s": [round(x, 4) for x in off],
        "with_trick_median_s": round(statistics.median(on), 4),
        "without_median_s": round(statistics.median(off), 4),
    }


def schedule_only(log: Path) -> int:
    """The steps' makespan on 2 workers with and without the ordering, per logged build
    whose steps ran in the workers (side by side)."""
    for tree, seconds in step_seconds_by_build(log):
        if tree == "steps_in_workers":
            continue  # one after another in the driver: no schedule
        on, off = (makespan(SUBMITTED[k], seconds) for k in ("with_trick", "without"))
        print(
            f"  {tree:<17} steps {sum(seconds.values()):6.1f} s in all; on 2 workers "
            f"{on:6.1f} s with the ordering, {off:6.1f} s without (off/on {off / on:.3f})"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, help="a project where konsel reports has run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--steps-log", type=Path, default=None, help="only the step schedule, from this build log"
    )
    args = parser.parse_args(argv)
    if args.steps_log:
        return schedule_only(args.steps_log)
    os.environ["KONSEL_PROJECT_ROOT"] = str(args.project)
    figures: dict = {}

    on, off = shaded_parts(args.project)
    figures["shaded"] = {
        "part": f"3 charts x {KECAMATAN_PAGES} kecamatan pages, one build",
        **_alternate(lambda: _cpu(on), lambda: _cpu(off), args.repeat),
    }
    print("shaded:", figures["shaded"], flush=True)

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
