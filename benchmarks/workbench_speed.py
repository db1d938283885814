"""CPU seconds of loading the workbench and of one slider move, on the default data.

    .venv/bin/python benchmarks/workbench_speed.py [--out DIR]

writes the default synthetic regency (83,000 households) to DIR (default a
temporary folder), loads the workbench (model and 40 bootstrap replicates) and
times each callback twice at the default controls; docs/workbench.md quotes it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from konsel_analysis import explore
from konsel_analysis.synth import generate_konsel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    out = Path(parser.parse_args().out or tempfile.mkdtemp())
    data = generate_konsel()
    data.survey.to_parquet(out / "survey.parquet")
    data.register.to_parquet(out / "register.parquet")
    started = time.process_time()
    wb = explore.load_workbench(out / "survey.parquet", out / "register.parquet")
    print(f"load: {time.process_time() - started:.1f} s CPU, {len(wb.replicates)} replicates")
    c = explore.default_controls(wb)
    calls = {
        "expected_errors": lambda: explore.expected_errors(wb, c.poverty_line, c.extreme_line),
        "visit_split": lambda: explore.visit_split(
            wb, c.budget, c.minimum_per_area, c.audit_share, c.poverty_line, c.extreme_line
        ),
        "coverage": lambda: explore.coverage(wb, c.poverty_line, c.extreme_line),
    }
    for repeat in (1, 2):
        for name, call in calls.items():
            started = time.process_time()
            call()
            print(f"run {repeat} {name}: {time.process_time() - started:.3f} s CPU")


if __name__ == "__main__":
    main()
