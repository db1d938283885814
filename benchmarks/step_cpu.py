"""Benchmark: CPU seconds of each analysis step, this tree against another commit, paired.

Each run is one fresh process that runs the chosen steps of
:data:`konsel_analysis.build.steps.STEPS` one after the other (as the main job's
driver would with one worker) on a scratch project with the default synthetic data
(about 83,000 register households), outputs emptied first, and prints the CPU
seconds of each step. A step's figure includes the imports it is the first to
need (step 0 pays for pandas' readers, step 2 for scikit-learn and scipy.stats).

With ``--base COMMIT`` the committed tree of COMMIT is unpacked (``git archive``:
the repository is not touched) and run alternately with this tree, ``--rounds``
times each, the package imported from each tree (``PYTHONPATH``). CPU time on a
shared machine still moves with the load (caches, hyper-threads), so the median
of the paired ratios (each run over the other tree's run just before it) is the
figure to read; the load average is printed.

    .venv/bin/python benchmarks/step_cpu.py /tmp/step-cpu 0 2 3 --base a9351ad --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path.cwd() / "benchmarks"))
from reports_floor import clear_outputs, make_project
project, which = Path(sys.argv[1]), sys.argv[2:]
if not (project / "data" / "raw").exists():
    make_project(project)
clear_outputs(project)
os.environ["KONSEL_PROJECT_ROOT"] = str(project)
from konsel_analysis.build.steps import STEPS, PipelineSettings, StepContext
from konsel_analysis.paths import ProjectPaths
context = StepContext(ProjectPaths(project), PipelineSettings())
for i, step in enumerate(STEPS):
    if which and str(i) not in which:
        continue
    start = time.process_time()
    step.run(context)
    print(f"STEP {i} {time.process_time() - start:.3f} {step.name}", flush=True)
"""


def run_steps(tree: Path, project: Path, steps: list[str]) -> dict[int, tuple[float, str]]:
    """CPU seconds and name of each step, from one process importing the package from tree."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(project), *steps],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {}
    for line in out.splitlines():
        if line.startswith("STEP "):
            _, index, cpu, name = line.split(" ", 3)
            figures[int(index)] = (float(cpu), name)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="scratch project (made when absent)")
    parser.add_argument("steps", nargs="*", help="step indices (default: all)")
    parser.add_argument("--base", help="a commit to compare with, run alternately")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree")
    args = parser.parse_args()
    trees = {"this": HERE}
    with tempfile.TemporaryDirectory() as scratch:
        if args.base:
            base = Path(scratch) / "base"
            base.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(HERE), "archive", args.base], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            trees = {"base": base, "this": HERE}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(run_steps(tree, args.project, args.steps))
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds, median of {args.rounds} runs")
    this = runs["this"]
    for index in sorted(this[0]):
        name = this[0][index][1][:42]
        mine = statistics.median(r[index][0] for r in this)
        line = f"{index} {name:42s} {mine:6.2f}"
        if "base" in runs:
            before = statistics.median(r[index][0] for r in runs["base"])
            paired = statistics.median(
                t[index][0] / b[index][0] for t, b in zip(this, runs["base"], strict=True)
            )
            line = f"{index} {name:42s} base {before:6.2f}  this {mine:6.2f}  ratio {paired:.2f}"
        print(line)


if __name__ == "__main__":
    main()
