"""Do two commits build the same outputs? Byte for byte, on the default data.

A change that only moves code (issue 12: layers, entry points, benchmarks out of
the package) must leave every output as it was. This script shows it: for each of
two git commits it unpacks a clean tree of that commit (``git archive``, so the
repository and its worktrees are never touched), runs there

    konsel synth; konsel reports; konsel reports --language en

with the package imported from that tree (``PYTHONPATH``; the notebooks' kernels
inherit it), and compares every file under ``data/raw``, ``data/processed`` and
``reports/`` (after each language) byte for byte.

Both trees get the same pseudonymisation key (``.konsel_secret_key``, written
before the first run): the key is made at random on first use and the field lists'
pseudonyms are hashed under it, so two keys would differ by design, not by code.

What is ignored, and why (nothing else is):

- the build's own keys: the ``key`` of a step manifest (``manifest.json`` beside
  each step's outputs, ``report_inputs/manifest.json``), the render keys
  (``reports/render_keys.json``), the ``inputs_key`` of ``reports/build.json``, the
  report data key each page prints in its methods note ("Kunci data laporan:
  <12 hex digits>" / "Report data key: ..."), and the key in the names of the
  cached chart drawings (``report_inputs/charts/<chart>-<language>-<key>.npz``,
  whose contents are compared): a cache key hashes the source of the code it
  depends on, so *any* code change changes it; that is its job;
- timing lines: the seconds a step or a page took (``"seconds"`` fields of the
  build's JSON records), and the times papermill and the kernel write into the
  executed notebooks' metadata (``start_time``, ``end_time``, ``duration``, the
  ``iopub.*`` and ``shell.execute_reply`` stamps);
- the id papermill gives the cell it injects the parameters in (a random uuid), and
  the report tables' key it injects there (``inputs_key``);
- the build's own bookkeeping, by name (:data:`BOOKKEEPING`): the manifests the build
  layer writes beside the outputs (each step's ``manifest.json``, the report tables'
  ``report_inputs/manifest.json``, the chart drawings' ``report_inputs/charts/*.json``)
  and ``reports/executed/render_keys.json``. They record what the build decided
  (task, key, outputs and their sha256), not what the code computes; their format is
  the build layer's to change (issue 12 gave them one format). They are listed, set
  aside, not compared; every output they name is compared itself;
- ``reports/executed/kernels.log``: what the notebook kernels said on their way down
  (e.g. a ``KeyboardInterrupt`` when a worker stops one), a log of processes, not an
  output; it is listed, not compared;
- where the tree is: each build's own folder (in the manifests' ``settings.config``)
  is read as ``<tree>`` in both;
- the creation time an XLSX file carries (``docProps/core.xml``, written by openpyxl
  at the second it is saved): an XLSX is compared member by member, that one aside.

Each ignored line is named in the output (how many lines per file), so a reader
sees that only those differ. Exit code 0 when the builds are identical, 1 when a
file differs (the first differing lines are shown), 2 on bad arguments.

    .venv/bin/python benchmarks/compare_builds.py 51be304 arch [--languages id en]
        [--work /tmp/compare] [--keep]

Takes two cold builds per language (a few minutes on two busy cores). With
``--work DIR --keep`` the outputs of each commit are kept in DIR, and a later
comparison against the same commit reuses them instead of building it again.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPARED = ("data/raw", "data/processed", "reports")
#: The key in the name of a cached chart drawing (see the module docstring).
CHART_KEY = re.compile(r"(charts/[\w-]+-(?:id|en))-[0-9a-f]{12,64}\.npz$")
#: The report data key a page prints in its methods note.
# The report tables' key `konsel reports` passes each notebook (the injected cell).
INJECTED_KEY = re.compile(r'(inputs_key = ")[0-9a-f]{64}')
PAGE_KEY = re.compile(rb"(Kunci data laporan|Report data key): [0-9a-f]{12}")
#: Logs of processes (see the module docstring): listed, not compared.
NOT_COMPARED = {"reports/executed/kernels.log"}
#: The build's bookkeeping (see the module docstring), by name: listed, set aside.
BOOKKEEPING = re.compile(
    r"^(data/processed/(intake|pmt|targeting|score|impact|poverty_map|verification"
    r"|report_inputs)/manifest\.json"
    r"|data/processed/register_summary_by_kecamatan\.manifest\.json"
    r"|data/processed/report_inputs/charts/[\w-]+-(id|en)\.json"
    r"|reports/executed/render_keys\.json)$"
)
# A fixed pseudonymisation key for both trees (test-only; the real one is random).
SHARED_KEY = "5" * 64 + "\n"

# Lines that hold a cache key or a timing, in the text files the build writes (JSON
# records and executed notebooks); see the module docstring for why each is ignored.
IGNORED_LINES = {
    "cache key": re.compile(r'^\s*"(key|inputs_key)": "[0-9a-f]{64}",?$'),
    "render key": re.compile(r'^\s*"[^"]+\.html": "[0-9a-f]{64}",?$'),
    "timing": re.compile(
        r'^\s*"(seconds|duration|start_time|end_time|iopub\.execute_input|iopub\.status\.busy'
        r'|iopub\.status\.idle|shell\.execute_reply)": [^,]*,?$'
    ),
}


def _run(cmd: list[str], cwd: Path, env: dict, log: Path) -> None:
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed in {cwd} (exit {done.returncode}); see {log}")


def resolve(commit: str) -> str:
    """The full sha of ``commit``; exit 2 when the repository has no such commit."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if sha.returncode:
        print(f"compare_builds.py: {commit} is not a commit of {REPO}; name one", file=sys.stderr)
        sys.exit(2)
    return sha.stdout.strip()


def unpack(sha: str, dest: Path) -> None:
    """A clean tree of commit ``sha`` in ``dest`` (git archive: nothing in the repo changes)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", sha], capture_output=True, check=True
    )
    tar = dest.with_suffix(".tar")
    tar.write_bytes(archive.stdout)
    with tarfile.open(tar) as fh:
        fh.extractall(dest, filter="data")
    tar.unlink()


def tree_env(tree: Path) -> dict:
    """The environment of a build in ``tree``: its package first on the path, its root."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KONSEL_PROJECT_ROOT"] = str(tree)
    return env


def konsel(tree: Path, log: Path, *args: str) -> None:
    code = "import sys; from konsel_analysis.cli import main; sys.exit(main(sys.argv[1:]))"
    _run([sys.executable, "-c", code, *args], tree, tree_env(tree), log)


def check_imports_from(tree: Path) -> None:
    """The package the builds import is the tree's own, not the installed checkout."""
    code = "import konsel_analysis; print(konsel_analysis.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=tree_env(tree), capture_output=True, text=True
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"the build in {tree} imports konsel_analysis from {out}, not from the tree")


def snapshot(kept: Path, tree: Path) -> dict[str, bytes]:
    """Every file under the compared folders (as kept in ``kept``), by path relative to
    the tree; the path of the tree they were built in reads ``<tree>``."""
    files = {}
    for folder in COMPARED:
        for path in sorted((kept / folder).rglob("*")):
            if path.is_file() and path.name != ".gitkeep":
                data = path.read_bytes().replace(str(tree).encode(), b"<tree>")
                name = CHART_KEY.sub(r"\1-<key>.npz", str(path.relative_to(kept)))
                files[name] = data
    return files


def _xlsx_members(data: bytes) -> dict[str, bytes]:
    """The members of an XLSX (a zip), but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def ignored_kind(line: str) -> str | None:
    for kind, pattern in IGNORED_LINES.items():
        if pattern.match(line):
            return kind
    return None


def _kept_lines(data: bytes) -> tuple[list[str], dict[str, int]]:
    lines, ignored = [], {}
    for line in data.decode("utf-8").splitlines():
        kind = ignored_kind(line)
        if kind is None:
            lines.append(line)
        else:
            ignored[kind] = ignored.get(kind, 0) + 1
    return lines, ignored


def _notebook_without_stamps(data: bytes) -> dict:
    """An executed notebook without the times papermill and the kernel stamp on it and
    without the random id of papermill's injected-parameters cell."""
    notebook = json.loads(data)
    for holder in [notebook, *notebook.get("cells", [])]:
        meta = holder.get("metadata", {})
        meta.pop("execution", None)
        for stamp in ("start_time", "end_time", "duration"):
            meta.get("papermill", {}).pop(stamp, None)
        if "injected-parameters" in meta.get("tags", []):
            holder.pop("id", None)
            source = holder.get("source", "")
            text = "".join(source) if isinstance(source, list) else source
            holder["source"] = INJECTED_KEY.sub(r"\1<key>", text)
    return notebook


def compare_file(name: str, a: bytes, b: bytes) -> tuple[bool, str]:
    """Whether two versions of a file agree (up to ignored lines), and a line to say."""
    if a == b:
        return True, ""
    a, b = (PAGE_KEY.sub(rb"\1: <key>", x) for x in (a, b))
    if a == b:
        return True, f"same but the page's report data key: {name}"
    if name.endswith(".ipynb"):
        if _notebook_without_stamps(a) == _notebook_without_stamps(b):
            return True, f"same but execution times, the injected cell's id, page key: {name}"
        return False, _diff(name, *(_kept_lines(x)[0] for x in (a, b)))
    if name.endswith(".xlsx"):
        if _xlsx_members(a) == _xlsx_members(b):
            return True, f"same but its creation time: {name}"
        return False, f"DIFFERS (xlsx cells or styles) {name}"
    try:
        lines_a, ignored_a = _kept_lines(a)
        lines_b, ignored_b = _kept_lines(b)
    except UnicodeDecodeError:
        return False, f"DIFFERS (binary) {name}"
    if lines_a == lines_b:
        kinds = ", ".join(f"{n} {k} lines" for k, n in sorted(ignored_a.items()))
        return True, f"same but {kinds}: {name}"
    return False, _diff(name, lines_a, lines_b)


def _diff(name: str, lines_a: list[str], lines_b: list[str]) -> str:
    diff = difflib.unified_diff(lines_a, lines_b, "a/" + name, "b/" + name, n=1, lineterm="")
    shown = "\n".join(list(diff)[:20])
    return f"DIFFERS {name}\n{shown}"


def compare(a: dict[str, bytes], b: dict[str, bytes], stage: str) -> int:
    """Print the comparison of two snapshots; the number of files that differ."""
    problems = 0
    aside = sorted(n for n in set(a) | set(b) if BOOKKEEPING.match(n))
    for name in aside:
        print(f"  set aside (the build's bookkeeping, not an output): {name}")
    a = {n: data for n, data in a.items() if not BOOKKEEPING.match(n)}
    b = {n: data for n, data in b.items() if not BOOKKEEPING.match(n)}
    for name in sorted(set(a) - set(b)):
        print(f"  only in the first build: {name}")
        problems += 1
    for name in sorted(set(b) - set(a)):
        print(f"  only in the second build: {name}")
        problems += 1
    same_but = 0
    for name in sorted(NOT_COMPARED & set(a) & set(b)):
        print(f"  not compared (a log): {name}")
    for name in sorted((set(a) & set(b)) - NOT_COMPARED):
        ok, said = compare_file(name, a[name], b[name])
        problems += not ok
        same_but += ok and bool(said)
        if said and not ok:
            print("  " + said.replace("\n", "\n    "))
        elif said:
            print("  " + said)
    identical = len((set(a) & set(b)) - NOT_COMPARED) - same_but - problems
    print(
        f"[{stage}] {len(a)} files compared: {identical} byte-identical, {same_but} identical "
        f"but for key, timing or creation-time lines, {problems} differ or are missing; "
        f"{len(aside)} bookkeeping files set aside"
    )
    return problems


def build(tree: Path, sha: str, languages: list[str], log: Path) -> dict[str, dict[str, bytes]]:
    """Synthetic data, then the reports in each language; a copy of the outputs after each.

    The copies (``<work>/<sha>-<language>/``) are reused by a later comparison with the
    same ``--work``: comparing a new commit against the same base builds the base once.
    """
    kept = {language: tree.parent / f"{sha[:12]}-{language}" for language in languages}
    if all((folder / ".complete").is_file() for folder in kept.values()):
        print(f"  {sha[:12]}: reusing the build kept in {tree.parent}")
        return {language: snapshot(folder, tree) for language, folder in kept.items()}
    unpack(sha, tree)
    check_imports_from(tree)
    (tree / ".konsel_secret_key").write_text(SHARED_KEY, encoding="utf-8")
    (tree / ".konsel_secret_key").chmod(0o600)
    konsel(tree, log, "synth")
    for language in languages:
        started = time.perf_counter()
        konsel(tree, log, "reports", "--language", language)
        print(f"  {sha[:12]}: reports ({language}) in {time.perf_counter() - started:.0f} s")
        shutil.rmtree(kept[language], ignore_errors=True)
        for folder in COMPARED:
            shutil.copytree(tree / folder, kept[language] / folder)
        (kept[language] / ".complete").touch()
    shutil.rmtree(tree)
    return {language: snapshot(folder, tree) for language, folder in kept.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="a commit (e.g. main or 51be304)")
    parser.add_argument("second", help="another commit (e.g. arch)")
    parser.add_argument("--languages", nargs="+", default=["id", "en"], choices=["id", "en"])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the builds (a later run with --work reuses them)"
    )
    args = parser.parse_args(argv)

    work = Path(args.work or tempfile.mkdtemp(prefix="compare_builds_"))
    work.mkdir(parents=True, exist_ok=True)
    shas = [resolve(commit) for commit in (args.first, args.second)]
    print(f"first:  {args.first} = {shas[0][:12]}\nsecond: {args.second} = {shas[1][:12]}")
    log = work / "build.log"
    builds = [build(work / f"tree-{sha[:12]}", sha, args.languages, log) for sha in shas]
    problems = 0
    for language in args.languages:
        problems += compare(
            builds[0][language], builds[1][language], f"after --language {language}"
        )
    if not args.keep:
        shutil.rmtree(work)
    print("IDENTICAL" if not problems else f"{problems} FILES DIFFER")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
