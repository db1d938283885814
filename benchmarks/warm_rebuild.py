"""Warm `konsel reports` (nothing changed) in two project trees, paired: CPU seconds.

    .venv/bin/python benchmarks/warm_rebuild.py TREE_A TREE_B [--pairs 3] [--language en]

Each TREE is a whole project (a commit's tree with its data/, reports/ and restricted/
after one `konsel reports --language LANGUAGE`), e.g. a tree unpacked where
`benchmarks/compare_builds.py --keep` built it, with that build's outputs copied back
(the pages' keys name their absolute paths, so the same folder keeps them current).
Each tree runs twice first (not counted: the second confirms it is warm), then
``pairs`` pairs, alternating which tree goes first. The figure is the CPU time of the
command and every process it waited for (``getrusage(RUSAGE_CHILDREN)``), which a
loaded machine changes far less than the wall time; each tree imports its own package.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CODE = "import sys; from konsel_analysis.cli import main; sys.exit(main(sys.argv[1:]))"


def warm_run(tree: Path, language: str) -> tuple[float, float]:
    """CPU and wall seconds of one `konsel reports` in ``tree`` (it must exit 0)."""
    env = dict(os.environ, PYTHONPATH=str(tree), KONSEL_PROJECT_ROOT=str(tree))
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CODE, "reports", "--language", language],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"konsel reports failed in {tree}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs=2, type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--language", default="en", choices=["id", "en"])
    args = parser.parse_args(argv)
    names = [str(t) for t in args.trees]
    for tree in args.trees:
        for _ in range(2):
            warm_run(tree, args.language)
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for i in range(args.pairs):
        for tree in args.trees if i % 2 == 0 else args.trees[::-1]:
            seconds, wall = warm_run(tree, args.language)
            cpu[str(tree)].append(seconds)
            print(f"pair {i}: {tree}: {seconds:.2f} s CPU ({wall:.1f} s wall)", flush=True)
    for name in names:
        print(f"{name}: median {statistics.median(cpu[name]):.2f} s CPU")
    ratios = [b / a for a, b in zip(cpu[names[0]], cpu[names[1]], strict=True)]
    print(
        f"second / first, paired: median {statistics.median(ratios):.3f} "
        f"({', '.join(f'{r:.3f}' for r in ratios)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
