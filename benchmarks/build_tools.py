"""Benchmark: doit, Snakemake and DVC pipelines against our own build, same tree, same run.

Issue 12 asks whether an established tool should hold the task graph and its cache
instead of our own code. The prototypes in ``benchmarks/build_tools/`` (``dodo.py``,
``Snakefile``, ``dvc.yaml``, and ``tasks.py``, the task table they share) give each
tool the main job: the 8 analysis steps of ``pipeline.STEPS``, the report tables and
the pages (one task). Each tool builds its own clean tree of this commit (``git
archive``, the package imported from the tree, as ``compare_builds.py`` does), all on
the same default data (``konsel synth`` once, copied) and the same pseudonymisation
key; ``ours`` is ``konsel reports`` in a tree of its own. Then, scenario by scenario,
every tool runs one after the other (paired under about the same load):

- ``cold``: nothing computed before;
- ``warm``: again, nothing changed (a no-op build);
- ``edit_import``: a comment added to ``konsel_analysis/measured/targeting.py``, which
  the targeting step imports (the step names only ``targeting.step``);
- ``damage_silent``: one figure of ``score/expected_errors_by_area.csv`` changed, the
  file's modification time put back (a flipped bit, a restore from backup);
- ``edit_entry``: a comment added to ``konsel_analysis/targeting/step.py``, the module
  the step names;
- ``damage_edit``: the same change, modification time now (someone edited it);
- ``params_dry``: ``verification.budget_visits`` in parameters.yml from 3000 to 3100,
  then each tool's dry run (what it would run; nothing is built). ``--scenarios
  params`` builds instead (about a cold build per tool).

For each: wall and CPU seconds of the whole command (every descendant process), which
tasks ran (our own lines; for the tools, the line each task adds to ``.tool_tasks.log``),
whether the damaged output is the cold build's again, and whether the report tables
changed. After
the cold build every output of each tool is compared with ours, byte for byte (the
rules of ``compare_builds.py``: keys and timing lines aside). Also each tool's start-up
time (``--version``, best of 3) and install footprint (packages and MB in its venv), and
the lines of each prototype against the lines of our cache and build code.

The tools live in scratch venvs outside the project, never in pyproject.toml:

    python3 -m venv /tmp/tooleval-venv-doit && /tmp/tooleval-venv-doit/bin/pip install doit
    (the same for snakemake and dvc)
    .venv/bin/python benchmarks/build_tools.py [--venvs /tmp/tooleval-venv-{tool}]
        [--tools ours doit snakemake dvc] [--scenarios ...] [--work /tmp/build-tools]
        [--json FILE] [--resume] [--lines-only]

A tool whose venv is missing is skipped, with a line saying so.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROTOTYPES = HERE / "build_tools"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PROTOTYPES))

import compare_builds  # noqa: E402
import tasks  # noqa: E402

TOOLS = ("ours", "doit", "snakemake", "dvc")
#: Main when issue 12 began: the cache and build code the figures count is this commit's.
BASE_COMMIT = "bb676e6"
SCENARIOS = (  # the most telling first: a run cut short still answers them
    "cold",
    "warm",
    "edit_import",
    "damage_silent",
    "edit_entry",
    "damage_edit",
    "params_dry",
)
#: ``params`` builds for real (every task of every tool runs: about a cold build each);
#: ``params_dry`` (the default) asks each tool what it would run, without running it.
CHOICES = (*SCENARIOS, "params")
IMPORTED_MODULE = "konsel_analysis/measured/targeting.py"
ENTRY_MODULE = "konsel_analysis/targeting/step.py"
DAMAGED = "data/processed/score/expected_errors_by_area.csv"
PARAMETERS = "konsel_analysis/reference/parameters.yml"
BUDGET = ("value: 3000\n", "value: 3100\n")  # verification.budget_visits
# What each tool leaves in the tree to remember what it built.
TOOL_STATE = {
    "ours": (),
    "doit": (".doit.db",),
    "snakemake": (".snakemake",),
    "dvc": ("dvc.lock", ".dvc/tmp"),
}

# --------------------------------------------------------------------------------------
# Lines of code: the prototypes against what they would replace
# --------------------------------------------------------------------------------------

#: Our cache and build code that a tool would replace, at the evaluated commit (bb676e6,
#: before the build layer: the counts are read from that commit's sources): (file,
#: top-level names or None for the whole file). The step functions, the headlines and
#: the pages stay either way.
REPLACED = {
    "cache keys and manifests (cache.py)": ("konsel_analysis/cache.py", None),
    "step table, keys, run or reuse, pool (pipeline.py)": (
        "konsel_analysis/pipeline.py",
        (
            "Step",
            "STEPS",
            "step_key",
            "run_step",
            "_run_step_at",
            "_submit_steps",
            "_run_in_pool",
            "_pseudonym_key_digest",
            "_verification_round_files",
        ),
    ),
    "report tables' cache (reports/inputs.py)": (
        "konsel_analysis/reports/inputs.py",
        ("compute_cache_key", "_as_step_manifest", "_read_manifest", "_pseudonym_key_digest"),
    ),
    "render keys (reports/runner.py)": (
        "konsel_analysis/reports/runner.py",
        (
            "report_code_files",
            "render_key",
            "_read_render_keys",
            "_page_digest",
            "_is_current",
            "_write_render_keys",
            "_may_be_current",
        ),
    ),
}
#: Inside one task (a build-wide speed trick): no tool replaces it.
KEPT_EITHER_WAY = {
    "chart drawings kept between reports (reports/shaded.py)": (
        "konsel_analysis/reports/shaded.py",
        ("_code_digest", "_save", "_load", "_locked", "drawings"),
    ),
}
PROTOTYPE_FILES = {
    "doit": ("dodo.py", "tasks.py"),
    "snakemake": ("Snakefile", "tasks.py"),
    "dvc": ("dvc.yaml", "tasks.py"),
}


def code_lines(text: str) -> int:
    """Lines that are neither blank nor only a comment."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def definition_lines(source: str, names: tuple[str, ...] | None) -> int:
    """Code lines of the named top-level functions, classes and assignments (decorators
    included) of a module's ``source``; of the whole module when ``names`` is None.
    A name the module does not define is an error: the table above went stale."""
    if names is None:
        return code_lines(source)
    lines = source.splitlines()
    found: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            name = node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            name = next((t.id for t in targets if isinstance(t, ast.Name)), None)
        else:
            continue
        if name in names:
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            found[name] = code_lines("\n".join(lines[start - 1 : node.end_lineno]))
    missing = set(names) - set(found)
    if missing:
        raise ValueError(f"not defined at the top level: {', '.join(sorted(missing))}")
    return sum(found.values())


def source_at(commit: str, path: str) -> str:
    """A file's text at ``commit`` (the code before the change the figures are about)."""
    shown = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:{path}"], capture_output=True, check=True
    )
    return shown.stdout.decode("utf-8")


def count_replaced(commit: str, table: dict) -> dict[str, int]:
    """Code lines of each part of ``table`` at ``commit``."""
    return {
        what: definition_lines(source_at(commit, path), names)
        for what, (path, names) in table.items()
    }


def line_figures(base: str) -> dict:
    return {
        "base_commit": base,
        "replaced_by_a_tool": count_replaced(base, REPLACED),
        "kept_either_way": count_replaced(base, KEPT_EITHER_WAY),
        "prototypes": prototype_lines(),
    }


def prototype_lines(folder: Path = PROTOTYPES) -> dict[str, int]:
    """Code lines of each prototype (its tool's file and the shared task table)."""
    return {
        tool: sum(code_lines((folder / f).read_text(encoding="utf-8")) for f in files)
        for tool, files in PROTOTYPE_FILES.items()
    }


def prototype_tasks(folder: Path = PROTOTYPES) -> dict[str, list[str]]:
    """The task names each prototype declares, read from its file (not by running it)."""
    dodo = ast.parse((folder / "dodo.py").read_text(encoding="utf-8"))
    doit = []
    for node in dodo.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("task_"):
            base = node.name.removeprefix("task_")
            if any(isinstance(n, ast.Yield) for n in ast.walk(node)):  # one per step
                doit += [f"{base}:{s}" for s in tasks.STEP_IDS]
            else:
                doit.append(base)
    snakefile = (folder / "Snakefile").read_text(encoding="utf-8")
    snake = []
    for name in re.findall(r"^\s*rule\s+(\w+)\s*:|^\s*name:\s*f\"(\w+)\{step\}\"", snakefile, re.M):
        rule, prefix = name
        if rule and rule != "all":
            snake.append(rule)
        elif prefix:
            snake += [f"{prefix}{s}" for s in tasks.STEP_IDS]
    stages = re.findall(r"^  (\w+):$", (folder / "dvc.yaml").read_text(encoding="utf-8"), re.M)
    return {"doit": doit, "snakemake": sorted(snake), "dvc": sorted(stages)}


# --------------------------------------------------------------------------------------
# Which tasks ran: our own lines, or the tools' task log
# --------------------------------------------------------------------------------------


def ours_ran(output: str) -> list[str]:
    """The tasks ``konsel reports`` computed (not reused), from its own lines."""
    from konsel_analysis.build.steps import STEPS

    names = {step.name: sid for step, sid in zip(STEPS, tasks.STEP_IDS, strict=True)}
    ran = [f"step:{names[m]}" for m in re.findall(r"\[done\] (.+?) in [0-9.]+ s$", output, re.M)]
    if re.search(r"shared report tables: computed", output):
        ran.append("report_tables")
    built = re.search(r"^  (\d+) reports?, \d+ in parallel", output, re.M)
    if built:
        ran.append(f"pages ({built.group(1)})")
    return sorted(ran)


def tool_ran(log_text: str) -> list[str]:
    return sorted(line for line in log_text.splitlines() if line)


# --------------------------------------------------------------------------------------
# Running the builds
# --------------------------------------------------------------------------------------


def venv_of(pattern: str, tool: str) -> Path:
    return Path(pattern.format(tool=tool))


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python3*/site-packages"))


def command(tool: str, venv: Path, tree: Path) -> tuple[list[str], dict]:
    """The command that builds ``tree`` with ``tool``, and its environment."""
    env = compare_builds.tree_env(tree)
    project_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([project_bin, env.get("PATH", "")])  # `python` in commands
    env["DVC_NO_ANALYTICS"] = "1"
    if tool == "ours":
        code = "import sys; from konsel_analysis.cli import main; sys.exit(main(sys.argv[1:]))"
        return [sys.executable, "-c", code, "reports"], env
    if tool == "doit":
        # doit has no dependencies: it runs in the project's interpreter (its python
        # actions import the package), found on the path from its own venv.
        env["PYTHONPATH"] += os.pathsep + str(site_packages(venv))
        dodo = tree / "benchmarks/build_tools/dodo.py"
        return [
            sys.executable,
            "-m",
            "doit",
            "-f",
            str(dodo),
            "-d",
            str(tree),
            "-n",
            "2",
            "-P",
            "process",
        ], env
    if tool == "snakemake":
        snakefile = tree / "benchmarks/build_tools/Snakefile"
        return [
            str(venv / "bin/python"),
            "-m",
            "snakemake",
            "-s",
            str(snakefile),
            "-d",
            str(tree),
            "-c",
            "2",
            "--config",
            f"python={sys.executable}",
            "--quiet",
        ], env
    if tool == "dvc":
        return [str(venv / "bin/dvc"), "repro", "--quiet", "dvc.yaml"], env
    raise ValueError(tool)


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, str, int]:
    """Wall seconds, CPU seconds (user + system of every waited-for descendant), output, exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout, done.returncode


def copy_prototypes(tree: Path) -> None:
    """The prototypes as they are now (they may be newer than the commit built). DVC
    would also run a dvc.yaml it finds below the root: the one it runs is written at
    the root (from tasks.py, for this tree), the copy here is left out."""
    shutil.rmtree(tree / "benchmarks/build_tools", ignore_errors=True)
    shutil.copytree(
        PROTOTYPES,
        tree / "benchmarks/build_tools",
        ignore=shutil.ignore_patterns("__pycache__", "dvc.yaml"),
    )


def prepare_tree(tool: str, sha: str, work: Path, raw: Path, venv: Path) -> Path:
    """A clean tree of ``sha`` with the default data, the shared key and the prototypes."""
    tree = work / tool
    compare_builds.unpack(sha, tree)
    shutil.rmtree(tree / "data/raw")
    shutil.copytree(raw, tree / "data/raw")
    (tree / ".konsel_secret_key").write_text(compare_builds.SHARED_KEY, encoding="utf-8")
    (tree / ".konsel_secret_key").chmod(0o600)
    copy_prototypes(tree)
    if tool == "dvc":
        env = compare_builds.tree_env(tree)
        dvc_yaml = subprocess.run(
            [sys.executable, str(tree / "benchmarks/build_tools/tasks.py"), "dvc-yaml"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (tree / "dvc.yaml").write_text(dvc_yaml, encoding="utf-8")
        env["DVC_NO_ANALYTICS"] = "1"
        subprocess.run(
            [str(venv / "bin/dvc"), "init", "--no-scm", "--quiet"], cwd=tree, env=env, check=True
        )
        subprocess.run(
            [str(venv / "bin/dvc"), "config", "core.analytics", "false"],
            cwd=tree,
            env=env,
            check=True,
        )
    return tree


def report_table_digests(tree: Path) -> dict[str, str]:
    from konsel_analysis.build.keys import content_digest

    folder = tree / "data/processed/report_inputs"
    return {p.name: content_digest(p) for p in sorted(folder.glob("*.csv"))}


def damage(path: Path, keep_mtime: bool) -> bytes:
    """Change one figure of a CSV (the last digit of its second line); the bytes before."""
    original = path.read_bytes()
    first, second, rest = original.split(b"\n", 2)
    i = max(i for i, c in enumerate(second) if chr(c).isdigit())
    digit = second[i : i + 1]
    damaged = second[:i] + (b"1" if digit != b"1" else b"2") + second[i + 1 :]
    stat = path.stat()
    path.write_bytes(b"\n".join([first, damaged, rest]))
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return original


def change(scenario: str, tree: Path) -> bytes | None:
    """Make the scenario's change in ``tree``; the damaged file's original bytes, if any."""
    if scenario in ("edit_import", "edit_entry"):
        path = tree / (IMPORTED_MODULE if scenario == "edit_import" else ENTRY_MODULE)
        path.write_text(
            path.read_text(encoding="utf-8") + "\n# edited (build_tools.py)\n", encoding="utf-8"
        )
    elif scenario.startswith("damage"):
        return damage(tree / DAMAGED, keep_mtime=scenario == "damage_silent")
    elif scenario in ("params", "params_dry"):
        path = tree / PARAMETERS
        text = path.read_text(encoding="utf-8")
        if text.count(BUDGET[0]) != 1:
            raise RuntimeError(f"{PARAMETERS}: expected one '{BUDGET[0].strip()}'")
        path.write_text(text.replace(*BUDGET), encoding="utf-8")
    return None


#: Our build's dry run: the steps whose key no longer matches their manifest.
OURS_DRY_RUN = """
from konsel_analysis.build.steps import STEPS, PipelineSettings, StepContext, step_task
from konsel_analysis.build.task import current_record, task_key
from konsel_analysis.paths import ProjectPaths
import os
from pathlib import Path
paths = ProjectPaths(Path(os.environ["KONSEL_PROJECT_ROOT"]))
ctx = StepContext(paths, PipelineSettings())
for step in STEPS:
    task = step_task(step, ctx)
    if current_record(task, task_key(task)) is None:
        print(step.name)
"""


def _output(cmd: list[str], env: dict, tree: Path) -> str:
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return done.stdout


def dry_run(tool: str, venv: Path, tree: Path) -> list[str]:
    """What ``tool`` would run now, by its own dry run (nothing is built)."""
    cmd, env = command(tool, venv, tree)
    if tool == "ours":
        out = _output([sys.executable, "-c", OURS_DRY_RUN], env, tree)
        names = dict(zip((s.name for s in _pipeline_steps()), tasks.STEP_IDS, strict=True))
        return sorted(f"step:{names[line]}" for line in out.splitlines() if line)
    if tool == "doit":  # R: would run (its own file_dep changed), U: up to date
        listed = _output([*cmd[:3], "list", *cmd[3:7], "--all", "--status"], env, tree)
        rows = [line.split() for line in listed.splitlines()]
        return sorted(r[1] for r in rows if len(r) > 1 and r[0] == "R" and r[1] != "step")
    if tool == "snakemake":
        out = _output([*(c for c in cmd if c != "--quiet"), "-n"], env, tree)
        table = out.split("Job stats:", 1)[-1]
        # the job table is printed twice (planned, then the summary)
        return sorted(set(re.findall(r"^(\w+)\s+\d+$", table, re.M)) - {"all", "total"})
    out = _output([str(venv / "bin/dvc"), "repro", "--dry", "dvc.yaml"], env, tree)
    return sorted(set(re.findall(r"Running stage '(?:[^']*:)?(\w+)'", out)))


def _pipeline_steps() -> list:
    from konsel_analysis.build.steps import STEPS

    return STEPS


def run_scenario(scenario: str, tool: str, tree: Path, venv: Path) -> dict:
    if scenario == "cold":
        compare_builds_clear(tree)
    original = change(scenario, tree)
    if scenario == "params_dry":
        return {"dry_run": True, "exit": 0, "would_run": dry_run(tool, venv, tree)}
    tables_before = report_table_digests(tree)
    log = tree / tasks.LOG
    log.unlink(missing_ok=True)
    cmd, env = command(tool, venv, tree)
    wall, cpu, output, code = timed(cmd, env, tree)
    (tree.parent / f"{tool}-{scenario}.log").write_text(output, encoding="utf-8")
    ran = (
        ours_ran(output)
        if tool == "ours"
        else tool_ran(log.read_text(encoding="utf-8") if log.exists() else "")
    )
    result = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "exit": code, "ran": ran}
    if scenario == "cold":  # what a damaged output must be put back to
        shutil.copyfile(tree / DAMAGED, tree.parent / f"{tool}-clean-output.csv")
    if original is not None:
        # against the cold build's bytes: a tool that left an earlier damage in place
        # has not put it back either
        clean = (tree.parent / f"{tool}-clean-output.csv").read_bytes()
        result["damaged_output_put_back"] = (tree / DAMAGED).read_bytes() == clean
        result["report_tables_changed"] = report_table_digests(tree) != tables_before
    if code:
        print(f"  {tool} {scenario}: exit {code}; last lines:\n{output[-1500:]}")
    return result


def compare_builds_clear(tree: Path) -> None:
    """Cold: every derived file and the tool's record gone (raw data and the key stay)."""
    for sub in ("data/processed", "reports", "restricted"):
        shutil.rmtree(tree / sub, ignore_errors=True)
    for sub in ("data/processed", "reports"):
        (tree / sub).mkdir(parents=True)
    for tool_state in (".doit.db", ".snakemake", "dvc.lock", ".dvc/tmp"):
        target = tree / tool_state
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def same_outputs(a: Path, b: Path) -> dict:
    """Files of two builds compared by compare_builds' rules: how many differ, which."""
    first, second = compare_builds.snapshot(a, a), compare_builds.snapshot(b, b)
    differ = sorted(set(first) ^ set(second))
    for name in sorted((set(first) & set(second)) - compare_builds.NOT_COMPARED):
        if not compare_builds.compare_file(name, first[name], second[name])[0]:
            differ.append(name)
    return {"files": len(first), "differ": len(differ), "first_differing": differ[:5]}


def start_up(tool: str, venv: Path) -> float | None:
    """Best of 3 wall seconds of the tool's ``--version`` (Python start-up and its imports)."""
    cmd = {
        "doit": [sys.executable, "-m", "doit", "--version"],
        "snakemake": [str(venv / "bin/python"), "-m", "snakemake", "--version"],
        "dvc": [str(venv / "bin/dvc"), "--version"],
        "ours": [sys.executable, "-c", "import konsel_analysis.reports.main_job"],
    }[tool]
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    if tool == "doit":
        env["PYTHONPATH"] = str(site_packages(venv))
    best = None
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    return round(best, 3)


BASE = (
    "pip",
    "setuptools",
    "_distutils_hack",
    "pkg_resources",
    "distutils-precedence.pth",
    "__pycache__",
)


def footprint(venv: Path) -> dict:
    """Packages the tool brought into its bare venv, and their size on disk."""
    site = site_packages(venv)
    listed = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    packages = [p for p in listed if p.split("==")[0].lower() not in ("pip", "setuptools")]
    size = 0
    for entry in site.iterdir():
        if entry.name.split("-")[0] in BASE or entry.name in BASE:
            continue
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        size += sum(p.stat().st_size for p in files)
    return {"packages": len(packages), "mb": round(size / 1e6, 1)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--scenarios", nargs="+", choices=CHOICES, default=list(SCENARIOS))
    parser.add_argument(
        "--venvs",
        default="/tmp/tooleval-venv-{tool}",
        help="each tool's venv, {tool} replaced (default %(default)s)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/build-tools"))
    parser.add_argument("--json", type=Path, default=HERE / "results" / "build_tools.json")
    parser.add_argument("--commit", default="HEAD", help="the tree built (default HEAD)")
    parser.add_argument(
        "--base",
        default=BASE_COMMIT,
        help="whose cache and build code the prototypes' lines are set against",
    )
    parser.add_argument(
        "--lines-only",
        action="store_true",
        help="recount the lines only, into the figures already in --json",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the figures in --json and the trees in --work; run what is missing",
    )
    return parser.parse_args(argv)


def installed_tools(names: list[str], venvs: str) -> list[str]:
    """The tools asked for whose venv exists; a line for each one skipped."""
    tools = []
    for tool in names:
        venv = venv_of(venvs, tool)
        if tool != "ours" and not (venv / "bin/python").exists():
            print(f"{tool}: not installed in {venv}: skipped")
            continue
        tools.append(tool)
    return tools


def default_data(sha: str, work: Path) -> Path:
    """``konsel synth`` of the built commit, once per work folder (every tree copies it)."""
    raw = work / "raw"
    if not (raw / "survey.parquet").is_file():
        synth = work / "synth"
        compare_builds.unpack(sha, synth)
        compare_builds.konsel(synth, work / "synth.log", "synth")
        shutil.copytree(synth / "data/raw", raw)
        shutil.rmtree(synth)
    return raw


def say(scenario: str, tool: str, outcome: dict) -> None:
    if outcome.get("dry_run"):
        print(
            f"{scenario:<14} {tool:<10} would run: {', '.join(outcome['would_run']) or 'nothing'}"
        )
        return
    damage_said = (
        f"  put back: {outcome['damaged_output_put_back']}, report tables changed: "
        f"{outcome['report_tables_changed']}"
        if "damaged_output_put_back" in outcome
        else ""
    )
    print(
        f"{scenario:<14} {tool:<10} {outcome['wall_s']:7.1f} s wall "
        f"{outcome['cpu_s']:7.1f} s CPU  ran: {', '.join(outcome['ran']) or 'nothing'}"
        + damage_said,
        flush=True,
    )


def write_json(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def tree_for(tool: str, args: argparse.Namespace, sha: str, raw: Path) -> Path:
    """The tool's tree: a clean one, or with ``--resume`` the one an earlier run left."""
    tree = args.work / tool
    if args.resume and (tree / "konsel_analysis").is_dir():
        copy_prototypes(tree)
        return tree
    return prepare_tree(tool, sha, args.work, raw, venv_of(args.venvs, tool))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = compare_builds.resolve(args.base)[:12]
    if args.lines_only:
        results = json.loads(args.json.read_text(encoding="utf-8"))
        results["lines"] = line_figures(base)
        write_json(args.json, results)
        print(f"lines: {results['lines']}")
        return 0

    tools = installed_tools(args.tools, args.venvs)
    if not tools:
        print("no tool to run")
        return 0
    sha = compare_builds.resolve(args.commit)
    args.work.mkdir(parents=True, exist_ok=True)
    raw = default_data(sha, args.work)
    results: dict = {"commit": sha[:12], "cpus": os.cpu_count(), "scenarios": {}}
    if args.resume and args.json.is_file():
        results = json.loads(args.json.read_text(encoding="utf-8"))
    trees = {tool: tree_for(tool, args, sha, raw) for tool in tools}
    for scenario in args.scenarios:
        results["scenarios"].setdefault(scenario, {})
        for tool in tools:
            done = results["scenarios"][scenario].get(tool)
            if done is not None and done["exit"] == 0:
                continue  # --resume: measured in an earlier run
            outcome = run_scenario(scenario, tool, trees[tool], venv_of(args.venvs, tool))
            results["scenarios"][scenario][tool] = outcome
            say(scenario, tool, outcome)
        if scenario == "cold" and "ours" in tools:
            results["cold_outputs_against_ours"] = {
                t: same_outputs(trees["ours"], trees[t]) for t in tools if t != "ours"
            }
            print(f"cold outputs against ours: {results['cold_outputs_against_ours']}")
        results["load_average_after_" + scenario] = [round(x, 2) for x in os.getloadavg()]
        write_json(args.json, results)  # what is done so far
    results["start_up_s"] = {t: start_up(t, venv_of(args.venvs, t)) for t in tools}
    results["footprint"] = {t: footprint(venv_of(args.venvs, t)) for t in tools if t != "ours"}
    results["lines"] = line_figures(base)
    for key in ("start_up_s", "footprint", "lines"):
        print(f"{key}: {results[key]}")
    write_json(args.json, results)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
