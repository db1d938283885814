"""Do the build's speed tricks earn their place? Each one switched off, measured cold.

Issue 12 (item 7): keep a speed trick only if it saves more than 5% of the cold
``konsel reports``. For one commit (default ``HEAD``) this script unpacks one clean
tree per variant (``git archive``, as :mod:`compare_builds` does: the repository and
its worktrees are never touched): the baseline as committed, and each variant with
ONE trick switched off by a small source patch (:data:`VARIANTS`). A patch whose text
is not found exactly once stops the script before anything is built, so that it can
never measure an unpatched tree (tests/test_speed_tricks_benchmark.py checks every
patch against the current tree).

Then, on the same raw data (``konsel synth`` once, in the baseline tree, copied to
the others) and the same pseudonymisation key: a cold ``konsel reports`` in each tree
(``data/processed``, ``reports`` and ``restricted`` emptied before every run), timed
from the outside: wall time and CPU time (user + system) of every process of the
build, workers and notebook kernels included (``RUSAGE_CHILDREN``). Baseline builds
alternate with couples of variant builds (:func:`schedule`), ``--repeat`` builds of
each variant, and each variant build is paired with the baseline build next to it,
half of them run before it, half after; a paired ratio is variant / baseline of one
pair (the machine is shared: two builds run one after the other see about the same
load; absolute times do not compare across runs). Reported: the median of the paired
ratios and their range, wall and CPU.

After each variant's first build its outputs (every file under ``data/processed``
and ``reports``) are compared with the baseline's first build, byte for byte, with
:func:`compare_builds.compare_file` (which ignores only cache keys and timings): a
trick must not change an output. Cache files a variant does not write (the chart
drawings when they are not shared) are named, not counted as differences.

Decision rule: keep a trick when the median paired wall ratio (off / on) exceeds
1.05, i.e. it saves more than 5% of the cold build's wall time; otherwise remove it.
On a loaded machine whole builds vary by more than that: benchmarks/speed_tricks_parts.py
then measures the CPU each trick saves on its own part of the build
(docs/speed_tricks.md).

    .venv/bin/python benchmarks/speed_tricks.py [--commit HEAD] [--repeat 3]
        [--variants shaded shared_tables ...] [--jobs 2] [--only 74.05.01]
        [--work /tmp/speed_tricks] [--json benchmarks/results/speed_tricks.json]

``--only`` passes kecamatan codes to ``konsel reports`` (a quick smoke run; the
figures that count are those of the whole build).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_builds import (  # noqa: E402 - benchmarks/ is not a package
    SHARED_KEY,
    check_imports_from,
    compare_file,
    resolve,
    snapshot,
    tree_env,
    unpack,
)
from reports_floor import clear_outputs  # noqa: E402

#: Keep a trick when switching it off makes the cold build more than this much slower.
KEEP_ABOVE = 1.05
KONSEL = "import sys; from konsel_analysis.cli import main; sys.exit(main(sys.argv[1:]))"
COMPARED = ("data/processed", "reports")  # data/raw is the same copy in every tree
NOT_COMPARED = {"reports/executed/kernels.log"}  # a log of processes (compare_builds)


@dataclass(frozen=True)
class Patch:
    """Replace ``old`` (found exactly once) by ``new`` in ``file`` (relative to the tree)."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Variant:
    """A tree with one speed trick switched off."""

    name: str
    trick: str  # the trick, in a few words
    what: str  # what it does, in one sentence
    patches: tuple[Patch, ...]
    #: Files the baseline writes and this variant need not (caches of the trick itself).
    not_written: str = r"(?!)"


# --------------------------------------------------------------------------------------
# The variants: one small table of patches each. After a refactor moves the code, adapt
# the texts here (tests/test_speed_tricks_benchmark.py fails until every one is found).
# --------------------------------------------------------------------------------------

# Three more variants were measured at bb676e6 and their tricks removed for saving 5% or
# less of a cold build (docs/speed_tricks.md): "shared_tables" (checked tables pickled for
# the workers), "step_order" (longest step first) and "import_pattern" (imports found by
# a regular expression). Run that commit's script to measure them again.
VARIANTS: tuple[Variant, ...] = (
    Variant(
        "shaded",
        "shared chart drawings cut by pixel rows",
        "Three charts of all 25 kecamatan are drawn twice per build (no row marked, every "
        "row marked), kept as .npz under report_inputs/charts/ behind a file lock, and each "
        "kecamatan page cuts its own row's band of pixels from the second drawing.",
        (
            # Off: each report draws its own chart with its own row marked. The PNG is
            # encoded as the shared path encodes it (shaded.png, from the drawn pixels),
            # not by matplotlib's savefig, whose PNG bytes differ for the same pixels.
            Patch(
                "konsel_analysis/reports/shaded.py",
                "    made = drawings(chart, draw, folder, inputs_key, language)\n"
                "    return charts.png_html(png(made.picture(highlight)), alt, caption)\n",
                "    import matplotlib.pyplot as plt\n\n"
                "    fig = draw(highlight)\n"
                "    picture = _pixels(fig)\n"
                "    plt.close(fig)\n"
                "    return charts.png_html(png(picture), alt, caption)\n",
            ),
        ),
        not_written=r"^data/processed/report_inputs/charts/",
    ),
    Variant(
        "steps_in_workers",
        "analysis steps run inside the report workers",
        "The report worker pool is started first and the analysis steps run side by side "
        "in it, instead of one after another in the driver while the workers start.",
        (
            # Off: run_steps without a pool runs the steps one after another in the driver.
            Patch(
                "konsel_analysis/reports/main_job.py",
                "            pool=pool,\n        )\n",
                "            pool=None,\n        )\n",
            ),
        ),
    ),
)
BY_NAME = {v.name: v for v in VARIANTS}


class PatchNotFoundError(RuntimeError):
    """A variant's text to patch is not in the tree (the code moved): adapt VARIANTS."""


def patched(text: str, patch: Patch) -> str:
    """``text`` with ``patch.old`` replaced; :class:`PatchNotFoundError` unless found once."""
    found = text.count(patch.old)
    if found != 1:
        first = patch.old.strip().splitlines()[0]
        raise PatchNotFoundError(
            f"{patch.file}: the text to patch ({first!r} ...) is found {found} times, not "
            "once; adapt VARIANTS in benchmarks/speed_tricks.py to the code as it is now"
        )
    return text.replace(patch.old, patch.new)


def apply_variant(tree: Path, variant: Variant) -> list[str]:
    """Switch the variant's trick off in ``tree``: every patch applied, every patched file
    still Python; the files changed. Nothing is written unless every patch applies."""
    texts: dict[str, str] = {}
    for patch in variant.patches:
        if patch.file not in texts:
            texts[patch.file] = (tree / patch.file).read_text(encoding="utf-8")
        texts[patch.file] = patched(texts[patch.file], patch)
    for file, text in texts.items():
        compile(text, file, "exec")  # a patch that breaks the syntax fails here, not mid-build
    for file, text in texts.items():
        (tree / file).write_text(text, encoding="utf-8")
    return sorted(texts)


# --------------------------------------------------------------------------------------
# Building and timing
# --------------------------------------------------------------------------------------


def _konsel(tree: Path, log: Path, *args: str) -> tuple[float, float]:
    """``konsel ARGS`` imported from ``tree``: wall and CPU seconds of it and every process
    it waited for (workers, kernels)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ konsel {' '.join(args)}  (in {tree})\n")
        fh.flush()
        done = subprocess.run(
            [sys.executable, "-c", KONSEL, *args],
            cwd=tree,
            env=tree_env(tree),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"konsel {' '.join(args)} failed in {tree} (exit {done.returncode}); see {log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def prepare_trees(sha: str, names: list[str], work: Path, log: Path) -> dict[str, Path]:
    """One tree per variant (and the baseline), patched, with the same raw data and key.

    Every patch is applied before anything is built: a missing text stops here.
    """
    trees = {name: work / name for name in ["baseline", *names]}
    for name, tree in trees.items():
        unpack(sha, tree)
        if name != "baseline":
            changed = apply_variant(tree, BY_NAME[name])
            print(f"  {name}: patched {', '.join(changed)}", flush=True)
        check_imports_from(tree)
        (tree / ".konsel_secret_key").write_text(SHARED_KEY, encoding="utf-8")
        (tree / ".konsel_secret_key").chmod(0o600)
    _konsel(trees["baseline"], log, "synth")
    for name, tree in trees.items():
        if name != "baseline":
            shutil.copytree(
                trees["baseline"] / "data" / "raw", tree / "data" / "raw", dirs_exist_ok=True
            )
    return trees


def cold_build(tree: Path, log: Path, jobs: int, only: list[str]) -> tuple[float, float]:
    clear_outputs(tree)  # data/processed, reports and restricted/ (the shared tables)
    return _konsel(tree, log, "reports", "--jobs", str(jobs), *(["--only", *only] if only else []))


#: Lines two builds of one commit write differently, beyond those compare_builds ignores
#: (its list predates them): a manifest's sha256 of an XLSX it lists (an XLSX carries the
#: second it was saved, docProps/core.xml) and the render keys' digest of a page and its
#: executed notebook (both carry the page's key and execution times).
STAMPED_LINES = re.compile(rb'^\s*"(?:[^"\n]+\.xlsx|page)": "[0-9a-f]{64}",?$', re.MULTILINE)


def _compare(name: str, a: bytes, b: bytes) -> tuple[bool, str]:
    """compare_builds.compare_file, then once more without :data:`STAMPED_LINES`."""
    ok, said = compare_file(name, a, b)
    if ok:
        return ok, said
    a, b = (STAMPED_LINES.sub(b"<stamped>", x) for x in (a, b))
    again, _ = compare_file(name, a, b)
    return (True, f"same but XLSX or page digests: {name}") if again else (False, said)


def same_outputs(base: dict[str, bytes], other: dict[str, bytes], variant: Variant) -> dict:
    """How the variant's outputs compare with the baseline's (compare_builds' rules, and
    :data:`STAMPED_LINES`)."""
    skipped = re.compile(variant.not_written)
    missing = sorted(n for n in set(base) - set(other) if not skipped.match(n))
    not_written = sorted(n for n in set(base) - set(other) if skipped.match(n))
    extra = sorted(set(other) - set(base))
    differ, same_but = [], 0
    for name in sorted((set(base) & set(other)) - NOT_COMPARED):
        ok, said = _compare(name, base[name], other[name])
        if not ok:
            differ.append(said.splitlines()[0])
        same_but += ok and bool(said)
    compared = len((set(base) & set(other)) - NOT_COMPARED)
    return {
        "identical": not (missing or extra or differ),
        "files_compared": compared,
        "byte_identical": compared - same_but - len(differ),
        "identical_but_keys_or_timings": same_but,
        "differ": differ,
        "missing": missing,
        "extra": extra,
        "cache_files_not_written": len(not_written),
    }


def _summary(pairs: list[tuple[float, float, float, float]]) -> dict:
    """Median and range of the paired ratios; pairs are (base wall, base cpu, var wall, var cpu)."""
    wall = sorted(v / b for b, _, v, _ in pairs)
    cpu = sorted(v / b for _, b, _, v in pairs)
    return {
        "baseline_wall_s": [round(p[0], 1) for p in pairs],
        "baseline_cpu_s": [round(p[1], 1) for p in pairs],
        "off_wall_s": [round(p[2], 1) for p in pairs],
        "off_cpu_s": [round(p[3], 1) for p in pairs],
        "paired_wall_ratios": [round(r, 3) for r in wall],
        "paired_cpu_ratios": [round(r, 3) for r in cpu],
        "paired_wall_median": round(statistics.median(wall), 3),
        "paired_cpu_median": round(statistics.median(cpu), 3),
    }


def schedule(variants: list[str], repeat: int) -> list[str]:
    """The order of the builds: a baseline, then two variant builds, then a baseline, ...

    Each variant build is next to a baseline build, and paired with it: the first of a
    couple with the baseline just before it, the second with the one just after (so
    that half the pairs run baseline first, half variant first). ``repeat`` builds of
    each variant, taken in turn; the sequence ends with a baseline.

    >>> schedule(["a", "b", "c"], 2)
    ['baseline', 'a', 'b', 'baseline', 'c', 'a', 'baseline', 'b', 'c', 'baseline']
    """
    turns = [name for _ in range(repeat) for name in variants]
    order = ["baseline"]
    for i in range(0, len(turns), 2):
        order.extend([*turns[i : i + 2], "baseline"])
    return order


def decide(wall_median: float) -> str:
    return "keep" if wall_median > KEEP_ABOVE else "remove"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="HEAD", help="the commit to measure (default HEAD)")
    parser.add_argument("--variants", nargs="+", choices=list(BY_NAME), default=list(BY_NAME))
    parser.add_argument("--repeat", type=int, default=3, help="pairs per variant (default 3)")
    parser.add_argument("--jobs", type=int, default=2, help="konsel reports --jobs (default 2)")
    parser.add_argument("--only", nargs="+", default=[], help="kecamatan codes (smoke runs)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--table", type=Path, default=None, help="only print the markdown table of this JSON"
    )
    parser.add_argument(
        "--compare-only",
        action="store_true",
        help="build nothing: compare the outputs left in the --work trees with the baseline's "
        "(the last build of each) and update the outputs in --json",
    )
    args = parser.parse_args(argv)
    if args.compare_only:
        return compare_only(args)
    if args.table:
        print(markdown_table(json.loads(args.table.read_text(encoding="utf-8"))))
        return 0
    if args.repeat < 1:
        parser.error("--repeat: give at least 1")

    return measure(args)


def measure(args) -> int:
    """Every build of :func:`schedule`, each variant paired with the baseline next to it."""
    sha = resolve(args.commit)
    work = Path(args.work or tempfile.mkdtemp(prefix="speed_tricks_"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    print(f"commit {args.commit} = {sha[:12]}; work in {work}; log {log}", flush=True)
    trees = prepare_trees(sha, args.variants, work, log)

    pairs: dict[str, list[tuple[float, float, float, float]]] = {n: [] for n in args.variants}
    outputs: dict[str, dict] = {}
    base_files: dict[str, bytes] | None = None
    figures: dict = {}
    baseline: tuple[float, float] | None = None  # the last baseline build
    waiting: str | None = None  # a variant built before its baseline (second of a couple)
    order = schedule(args.variants, args.repeat)
    for position, which in enumerate(order):
        wall, cpu = cold_build(trees[which], log, args.jobs, args.only)
        print(
            f"  [{position + 1}] {which:<17} {wall:6.1f} s wall {cpu:6.1f} s CPU "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        if which == "baseline":
            baseline = (wall, cpu)
            if base_files is None:
                base_files = snapshot(trees["baseline"], trees["baseline"])
            if waiting is not None:  # the variant just before this baseline
                pairs[waiting[0]].append((wall, cpu, *waiting[1]))
                waiting = None
        else:
            if order[position - 1] == "baseline":  # right after a baseline: paired with it
                pairs[which].append((*baseline, wall, cpu))
            else:  # right before the next baseline: paired with that one
                waiting = (which, (wall, cpu))
            if which not in outputs:
                tree = trees[which]
                outputs[which] = same_outputs(base_files, snapshot(tree, tree), BY_NAME[which])
                print(f"    outputs against the baseline's: {_said(outputs[which])}", flush=True)
        figures = _figures(args, sha, pairs, outputs)
        if args.json:  # after every build: an interrupted run keeps what it measured
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print_table(figures)
    print("\n" + markdown_table(figures))
    return 0 if all(o["identical"] for o in outputs.values()) else 1


def compare_only(args) -> int:
    """Compare the outputs the trees in ``--work`` hold now (the last build of each)."""
    if args.work is None:
        sys.exit("--compare-only: name the --work folder of an earlier run")
    base_tree = args.work / "baseline"
    base = snapshot(base_tree, base_tree)
    figures = json.loads(args.json.read_text(encoding="utf-8")) if args.json else None
    results = {}
    for name in args.variants:
        tree = args.work / name
        if not (tree / "reports" / "index.html").is_file():
            print(f"  {name}: no finished build in {tree}")
            continue
        results[name] = same_outputs(base, snapshot(tree, tree), BY_NAME[name])
        print(f"  {name}: {_said(results[name])}")
        if figures and name in figures["variants"]:
            figures["variants"][name]["outputs"] = results[name]
    if args.json and figures:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if all(o["identical"] for o in results.values()) else 1


def _said(o: dict) -> str:
    if o["identical"]:
        extra = (
            f" ({o['cache_files_not_written']} cache files of the trick not written)"
            if o["cache_files_not_written"]
            else ""
        )
        return (
            f"IDENTICAL: {o['files_compared']} files, {o['byte_identical']} byte-identical, "
            f"{o['identical_but_keys_or_timings']} but cache keys or timings{extra}"
        )
    return "DIFFER: " + "; ".join([*o["differ"], *o["missing"], *o["extra"]][:5])


def _figures(args, sha: str, pairs: dict, outputs: dict) -> dict:
    variants = {}
    for name, measured in pairs.items():
        if not measured:
            continue
        summary = _summary(measured)
        variant = BY_NAME[name]
        variants[name] = {
            "trick": variant.trick,
            "what": variant.what,
            **summary,
            "decision": decide(summary["paired_wall_median"]),
            "outputs": outputs.get(name),
        }
    return {
        "commit": sha,
        "jobs": args.jobs,
        "repeat": args.repeat,
        "only": args.only,
        "rule": f"keep when the median paired wall ratio (off / on) > {KEEP_ABOVE}",
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "variants": variants,
    }


def markdown_table(figures: dict) -> str:
    """The docs/benchmarks.md table of a run (``--table FILE`` prints it from a JSON)."""

    def times(values: list[float]) -> str:
        return f"{statistics.median(values):.0f}"

    def ratio(v: dict, kind: str) -> str:
        r = v[f"paired_{kind}_ratios"]
        return f"{v[f'paired_{kind}_median']:.2f} ({r[0]:.2f}-{r[-1]:.2f})"

    lines = [
        "| trick (switched off) | what it does | cold build off / on, wall s (median) "
        "| CPU s | paired off/on, wall: median (range) | CPU | pairs | outputs | decision |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, v in figures["variants"].items():
        o = v["outputs"] or {}
        same = "identical" if o.get("identical") else "**differ**"
        lines.append(
            f"| {v['trick']} (`{name}`) | {v['what']} "
            f"| {times(v['off_wall_s'])} / {times(v['baseline_wall_s'])} "
            f"| {times(v['off_cpu_s'])} / {times(v['baseline_cpu_s'])} "
            f"| {ratio(v, 'wall')} | {ratio(v, 'cpu')} | {len(v['off_wall_s'])} | {same} "
            f"| **{v['decision']}** |"
        )
    return "\n".join(lines)


def print_table(figures: dict) -> None:
    print(f"\ncommit {figures['commit'][:12]}, --jobs {figures['jobs']}; {figures['rule']}")
    print(f"{'trick off':<18} {'wall off/on median (range)':<30} {'CPU off/on':<26} decision")
    for name, v in figures["variants"].items():
        w, c = v["paired_wall_ratios"], v["paired_cpu_ratios"]
        print(
            f"{name:<18} {v['paired_wall_median']:.3f} ({w[0]:.3f}-{w[-1]:.3f}){'':<11} "
            f"{v['paired_cpu_median']:.3f} ({c[0]:.3f}-{c[-1]:.3f})   {v['decision']}"
            f"{'' if v['outputs'] and v['outputs']['identical'] else '  OUTPUTS DIFFER'}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
