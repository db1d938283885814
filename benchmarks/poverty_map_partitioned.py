"""Peak memory of ``konsel poverty-map`` on one register file against a partitioned folder.

Generates a synthetic register of ``--households`` households (default 10x the
regency's 83,000) and its survey, writes the register as one Parquet file and as
a folder of one Parquet file per kecamatan (``regency=74.05/kecamatan=<code>/
part-0.parquet``, the layout of ``konsel synth --partitioned``), runs the command
on each in its own process (desa level, ``--reps`` replicates) and reports each
run's peak resident memory (the child's ``ru_maxrss``), its wall time and the
largest difference between the two ``poverty_map.csv``.

    .venv/bin/python benchmarks/poverty_map_partitioned.py [--households 830000] [--reps 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel

CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def run(survey: Path, census: Path, out: Path, reps: int) -> dict:
    """One ``konsel poverty-map`` in a child process: peak RSS (GiB) and wall seconds."""
    code = (
        "import sys; from konsel_analysis.cli import main; "
        f"sys.exit(main(['poverty-map', '--survey', {str(survey)!r}, '--census', "
        f"{str(census)!r}, '--config', {str(CONFIG)!r}, '--out', {str(out)!r}, "
        f"'--level', 'cluster', '--reps', '{reps}']))"
    )
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"poverty-map on {census} failed ({proc.returncode})")
    return {
        "peak_rss_gib": round(usage.ru_maxrss / 2**20, 2),  # ru_maxrss is in KiB on Linux
        "wall_s": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=830_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = generate_konsel(households=args.households, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data.survey.to_parquet(tmp / "survey.parquet")
        data.register.to_parquet(tmp / "register.parquet")
        for code, part in data.register.groupby("kecamatan_code", sort=True):
            folder = tmp / "register" / "regency=74.05" / f"kecamatan={code}"
            folder.mkdir(parents=True)
            part.to_parquet(folder / "part-0.parquet", index=False)
        parts = len(list((tmp / "register").rglob("*.parquet")))
        households = len(data.register)
        del data
        single = run(tmp / "survey.parquet", tmp / "register.parquet", tmp / "a", args.reps)
        split = run(tmp / "survey.parquet", tmp / "register", tmp / "b", args.reps)
        a = pd.read_csv(tmp / "a" / "poverty_map.csv", dtype={"area": str})
        b = pd.read_csv(tmp / "b" / "poverty_map.csv", dtype={"area": str})
        num = a.select_dtypes("number").columns
        diff = float(np.nanmax(np.abs(a[num].to_numpy() - b[num].to_numpy())))
    result = {
        "households": households,
        "partitions": parts,
        "desa": len(a),
        "reps": args.reps,
        "single_file": single,
        "partitioned": split,
        "max_abs_difference": diff,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
