"""Benchmark: time and peak memory of `konsel synth` at several sizes.

Each size runs in a fresh process (so peak memory is that run's own), writing
to a scratch folder. Targets (foundation issue): 2,000,000 households well
under 2 minutes and under 4 GB on the 2-core machine.

    .venv/bin/python benchmarks/synth_scale.py [--sizes 83000 2000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys
from pathlib import Path
from konsel_analysis.synth import generate_konsel, write_konsel
write_konsel(generate_konsel(households=int(sys.argv[1])), Path(sys.argv[2]))
"""


def measure(households: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", CHILD, str(households), out], check=True)
        seconds = time.perf_counter() - started
    # ru_maxrss of children is the largest child so far (KiB on Linux); sizes run
    # smallest first, so each reading is the current size's peak.
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return {
        "households": households,
        "seconds": round(seconds, 1),
        "peak_memory_gib": round(peak_gib, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[83_000, 2_000_000])
    args = parser.parse_args()
    rows = [measure(n) for n in sorted(args.sizes)]
    for row in rows:
        per_million = row["seconds"] / row["households"] * 1e6
        print(
            f"{row['households']:>10,} households: {row['seconds']:6.1f} s "
            f"({per_million:5.1f} s per million, process start included), "
            f"peak {row['peak_memory_gib']:.2f} GiB"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
