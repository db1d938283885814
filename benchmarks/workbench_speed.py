"""CPU seconds of opening the workbench and of each kind of slider move, on what
``make reports`` left.

    make reports && .venv/bin/python benchmarks/workbench_speed.py [--processed DIR]

reads data/processed (default: this checkout's), as the notebook does, and times
:func:`konsel_analysis.explore.summarise` (every table the workbench shows) for a
move of each control, twice each. A move of a line meets new lines (every
probability is re-evaluated); a move of the plan (budget, minimum, audit share) or
of the programme reuses the last lines' probabilities. docs/workbench.md quotes it.
"""

from __future__ import annotations

import argparse
import io
import time
from dataclasses import replace
from pathlib import Path

from konsel_analysis import explore


def _cpu(wb, controls) -> tuple[float, float]:
    """CPU seconds of the tables, and of the tables and the figure drawn to a PNG."""
    import matplotlib.pyplot as plt

    started = time.process_time()
    tables = explore.summarise(wb, controls)
    middle = time.process_time()
    fig = explore.draw(tables, controls)
    fig.savefig(io.BytesIO(), format="png")  # what the notebook's inline display does
    plt.close(fig)
    return middle - started, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=None)
    processed = parser.parse_args().processed
    started = time.process_time()
    wb = explore.load_workbench(processed)
    print(
        f"open: {time.process_time() - started:.2f} s CPU ({wb.seconds_to_load:.2f} s wall); "
        f"{len(wb.area):,} register households, {len(wb.survey):,} surveyed, "
        f"{wb.replicates} replicates in {len(wb.groups):,} groups"
    )
    c = explore.default_controls(wb)
    explore.summarise(wb, c)  # the first drawing, as the notebook does
    moves = {
        "poverty line": lambda k: replace(c, poverty_line=c.poverty_line * (1 + 0.02 * (k + 1))),
        "extreme line": lambda k: replace(c, extreme_line=c.extreme_line * (1 - 0.02 * (k + 1))),
        "budget": lambda k: replace(c, budget=c.budget + 500 * (k + 1)),
        "minimum": lambda k: replace(c, minimum_per_area=c.minimum_per_area + 5 * (k + 1)),
        "audit share": lambda k: replace(c, audit_share=c.audit_share + 0.05 * (k + 1)),
        "programme": lambda k: replace(c, programme=("is_pkh_recipient", "is_bpnt_recipient")[k]),
        "kecamatan": lambda k: replace(c, area=wb.areas[k]),
    }
    for name, move in moves.items():
        seconds = [_cpu(wb, move(k)) for k in (0, 1)]
        print(
            f"{name}: tables " + ", ".join(f"{t:.2f}" for t, _ in seconds) + " s CPU; "
            "with the charts " + ", ".join(f"{a:.2f}" for _, a in seconds) + " s CPU"
        )
        explore.summarise(wb, c)  # back to the defaults' lines


if __name__ == "__main__":
    main()
