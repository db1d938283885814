"""Benchmark: the 26 reports (25 kecamatan and the regency) with the local and the dask engine.

One run, one machine, the same project: the default synthetic data (about
83,000 households) in a scratch folder; the pipeline steps run once first (not
timed here: both engines reuse them). Then, alternating, ``konsel reports
--engine local --jobs 2`` and ``konsel reports --engine dask --jobs 2`` (a
LocalCluster of two single-threaded workers, started and closed by the
command), each from a cold report cache (no report tables, no pages), timed
from the outside: wall time, CPU time and peak memory of the whole process
tree (:func:`scale_score.run_measured`). The fastest of ``--repeat`` runs of
each is kept.

    .venv/bin/python benchmarks/scale_reports.py [--repeat 2]

Writes benchmarks/results/scale_reports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scale_score import KONSEL, ROOT, run_measured

RESULTS = ROOT / "benchmarks" / "results" / "scale_reports.json"
STEPS_CHILD = """
from konsel_analysis.paths import project_paths
from konsel_analysis.build.schedule import run_steps
run_steps(project_paths(), echo=lambda line: None)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each engine, fastest kept")
    args = parser.parse_args()
    from konsel_analysis.synth import generate_konsel, write_konsel

    runs: dict[str, list[dict]] = {"local": [], "dask": []}
    with tempfile.TemporaryDirectory(prefix="konsel-bench-") as scratch:
        project = Path(scratch) / "project"
        for sub in ("data/raw", "data/processed", "reports"):
            (project / sub).mkdir(parents=True)
        write_konsel(generate_konsel(), project / "data" / "raw")
        os.environ["KONSEL_PROJECT_ROOT"] = str(project)
        subprocess.run([sys.executable, "-c", STEPS_CHILD], check=True)
        for _ in range(args.repeat):
            for engine in runs:
                shutil.rmtree(project / "data/processed/report_inputs", ignore_errors=True)
                shutil.rmtree(project / "reports", ignore_errors=True)
                (project / "reports").mkdir()
                cmd = [KONSEL, "reports", "--engine", engine, "--jobs", "2"]
                runs[engine].append(run_measured(cmd))
                pages = len(list((project / "reports" / "kecamatan").glob("*.html")))
                print(engine, runs[engine][-1], f"{pages} kecamatan pages", flush=True)
    best = {engine: min(rows, key=lambda r: r["seconds"]) for engine, rows in runs.items()}
    result = {
        "benchmark": "benchmarks/scale_reports.py",
        "reports": 26,
        "jobs": 2,
        "machine": f"{os.cpu_count()} cores",
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "runs": runs,
        "best": best,
        "dask_over_local_wall": round(best["dask"]["seconds"] / best["local"]["seconds"], 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for engine, row in best.items():
        print(
            f"{engine:<6} {row['seconds']:6.1f} s wall {row['cpu_seconds']:6.1f} s CPU "
            f"peak {row['peak_memory_gib']:.2f} GiB  (runs: "
            f"{', '.join(str(r['seconds']) for r in runs[engine])})"
        )
    print(f"dask / local wall: {result['dask_over_local_wall']}")


if __name__ == "__main__":
    main()
