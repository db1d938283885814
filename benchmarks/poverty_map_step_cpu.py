"""CPU seconds of the main job's desa poverty map step, run several times in one process.

On a scratch project with the default synthetic data (made on first use), every
derived file is removed before each run (``reports_floor.clear_outputs``: a cold
step, its row checks included); the first run also pays the imports (sklearn,
scipy.stats), the later ones show the step itself. CPU time, not wall time: the
machine is shared.

    .venv/bin/python benchmarks/poverty_map_step_cpu.py [--project DIR] [--runs 3]

To compare with another commit, unpack it (``git archive COMMIT | tar -x -C DIR``)
and run this file from there with ``PYTHONPATH=DIR``, alternating the two
(docs/speed_tricks.md, "Step CPU, session 7").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports_floor import clear_outputs, make_project  # noqa: E402

STEP = "desa poverty map"


def step_cpu(project: Path, runs: int) -> list[float]:
    """CPU seconds of each cold run of the poverty map step."""
    from konsel_analysis.build.steps import STEPS, PipelineSettings, StepContext
    from konsel_analysis.paths import ProjectPaths

    if not (project / "data" / "raw").exists():
        make_project(project)
    os.environ["KONSEL_PROJECT_ROOT"] = str(project)
    (step,) = [s for s in STEPS if s.name.startswith(STEP)]
    ctx = StepContext(ProjectPaths(project), PipelineSettings())
    seconds = []
    for _ in range(runs):
        clear_outputs(project)
        started = time.process_time()
        step.run(ctx)
        seconds.append(time.process_time() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None, help="scratch project folder")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="konsel-pm-cpu-") as scratch:
        project = args.project or Path(scratch) / "project"
        seconds = step_cpu(project, args.runs)
    print("poverty map step, CPU s per run:", " ".join(f"{s:.1f}" for s in seconds))


if __name__ == "__main__":
    main()
