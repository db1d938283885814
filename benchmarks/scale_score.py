"""Benchmark: scoring + aggregation of a partitioned register with dask, at several sizes.

For each size: ``konsel synth --partitioned`` writes the register to a scratch
folder (not timed), then ``konsel score-partitioned`` runs in a fresh process:
fit once on the survey (200 replicates), score every partition, expected errors
per kecamatan with intervals, the ranking and allocation of the verification
budget, per-household scores written. Wall time, CPU time (user + system of
every process of the tree) and the peak resident memory of the whole process tree (sum over
the processes, sampled every 0.2 s with psutil) are recorded.

For one regency (83,000 households) the single-process ``konsel score`` and
``konsel score-partitioned`` run on the same data too (``--single-repeat N``:
alternating, the fastest of each kept); the commands do different work, see
``scale_one_regency.py`` for the same computation by both paths.

Targets (issue 7): wall time from 1M to 10M grows near-linearly (ratio <= 12);
peak memory at 10M under 8 GB on the 2-core, 24 GB machine.

    .venv/bin/python benchmarks/scale_score.py [--sizes 100000 1000000 10000000]
    .venv/bin/python benchmarks/scale_score.py --sizes --single-repeat 3 \
        --results benchmarks/results/scale_score_regency.json

Writes benchmarks/results/scale_score.json (or ``--results``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scale_score.json"
CONFIG = ROOT / "konsel_analysis" / "configs" / "konsel_survey.yml"
KONSEL = str(Path(sys.executable).with_name("konsel"))


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds and peak RSS (GiB) of its process tree.

    CPU: user + system time of every process of the tree, from the kernel's account
    of waited-for children (``RUSAGE_CHILDREN``, before and after), as
    ``reports_floor.py`` does. Peak memory: the sum of the tree's resident sizes,
    sampled every 0.2 s with psutil.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass  # a process ended between listing and reading
        time.sleep(0.2)
    wall = time.perf_counter() - started
    output = proc.stdout.read()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:2])} failed ({proc.returncode}):\n{output[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_memory_gib": round(peak / 2**30, 2),
    }


def measure(households: int, scratch: Path) -> dict:
    data = scratch / f"national-{households}"
    if not (data / "register").exists():
        cmd = [
            KONSEL,
            "synth",
            "--partitioned",
            "--households",
            str(households),
            "--out",
            str(data),
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    row = {"households": households, "path": "dask (konsel score-partitioned)"}
    row |= run_measured(
        [
            KONSEL,
            "score-partitioned",
            "--survey",
            str(data / "survey.parquet"),
            "--register",
            str(data / "register"),
            "--config",
            str(CONFIG),
            "--out",
            str(scratch / f"scores-{households}"),
        ]
    )
    return row


def measure_single(scratch: Path) -> dict:
    """``konsel score`` (one process; row checks, reasons and field lists included) on
    one regency."""
    from konsel_analysis.synth import generate_konsel, write_konsel

    raw = scratch / "regency"
    data = generate_konsel()
    if not (raw / "register.parquet").exists():
        write_konsel(data, raw)
    row = {"households": len(data.register), "path": "single process (konsel score)"}
    row |= run_measured(
        [
            KONSEL,
            "score",
            "--survey",
            str(raw / "survey.parquet"),
            "--register",
            str(raw / "register.parquet"),
            "--config",
            str(CONFIG),
            "--out",
            str(scratch / "single-out"),
            "--restricted-out",
            str(scratch / "single-restricted"),
        ]
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--no-single", action="store_true", help="skip the one-regency comparison")
    parser.add_argument(
        "--single-repeat",
        type=int,
        default=1,
        help="one-regency runs of each path, alternating; the fastest of each is kept",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="konsel-scale-") as tmp:
        scratch = Path(tmp)
        if not args.no_single:
            runs = []
            for _ in range(args.single_repeat):
                single = measure_single(scratch)
                runs.append((single, measure(single["households"], scratch)))
            rows += [min((r[i] for r in runs), key=lambda row: row["seconds"]) for i in (0, 1)]
            print(json.dumps(runs), flush=True)
        for n in sorted(args.sizes):
            rows.append(measure(n, scratch))
            print(json.dumps(rows[-1]), flush=True)
    dask_rows = {r["households"]: r for r in rows if r["path"].startswith("dask")}
    summary = {}
    if 1_000_000 in dask_rows and 10_000_000 in dask_rows:
        ratio = dask_rows[10_000_000]["seconds"] / dask_rows[1_000_000]["seconds"]
        cpu_ratio = dask_rows[10_000_000]["cpu_seconds"] / dask_rows[1_000_000]["cpu_seconds"]
        summary = {
            "ratio_10m_to_1m_wall": round(ratio, 2),
            "ratio_10m_to_1m_cpu": round(cpu_ratio, 2),
            "ratio_target": 12,
            "peak_memory_10m_gib": dask_rows[10_000_000]["peak_memory_gib"],
            "peak_memory_target_gb": 8,
        }
    result = {
        "benchmark": "benchmarks/scale_score.py",
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "rows": rows,
        "summary": summary,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for row in rows:
        per_million = row["seconds"] / row["households"] * 1e6
        print(
            f"{row['households']:>11,} {row['path']:<32} {row['seconds']:7.1f} s wall "
            f"({per_million:6.1f} s per million) {row['cpu_seconds']:7.1f} s CPU, "
            f"peak {row['peak_memory_gib']:.2f} GiB"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
