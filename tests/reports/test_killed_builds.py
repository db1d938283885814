"""A build killed at any point, then run again, leaves exactly what a clean build leaves.

The build is killed with SIGKILL (no cleanup runs) twice: while the analysis steps run,
and while the reports are being rendered. The next run must sweep what was left
half-written and finish; its processed tables and pages are then byte for byte those of
the session's clean build of the same data (tests/reports/conftest.py), and no worker of
the killed runs is still alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import BUILT_CODES, SEED, make_project
from test_pipeline_intake import _digests

_RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from conftest import BUILT_CODES, FAST
    from konsel_analysis.paths import ProjectPaths
    from konsel_analysis.reports.main_job import run_pipeline
    sys.exit(run_pipeline(ProjectPaths(Path({root!r})), only=list(BUILT_CODES), settings=FAST))
    """
)


def _start(root: Path) -> subprocess.Popen:
    script = _RUN.format(tests=str(Path(__file__).parent), root=str(root))
    env = {**os.environ, "KONSEL_PROJECT_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )


def _kill_when(build: subprocess.Popen, words: str, timeout: float = 300) -> list[int]:
    """SIGKILL the build when a line of its output holds ``words``; its workers' pids."""
    deadline = time.monotonic() + timeout
    for line in build.stdout:
        if words in line or time.monotonic() > deadline:
            break
    workers = _children(build.pid)
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    return workers


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_build_killed_twice_then_run_again_equals_a_clean_build(built, tmp_path):
    root = make_project(tmp_path / "killed", seed=SEED)
    key = ".konsel_secret_key"  # the same pseudonymisation key, as on the same machine
    (root / key).write_bytes((built.root / key).read_bytes())

    workers = _kill_when(_start(root), "[done] PMT validation")  # mid-steps
    workers += _kill_when(_start(root), "[running] HTML reports")  # mid-pages
    deadline = time.monotonic() + 30
    while any(_running(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_running(p) for p in workers), "a killed build's worker outlived it"

    last = _start(root)
    out, _ = last.communicate(timeout=600)
    assert last.returncode == 0, out

    clean = _digests(built.root / "data" / "processed")
    again = _digests(root / "data" / "processed")
    assert again == {k: clean[k] for k in again} and len(again) >= 20
    pages = [
        "regency.html",
        *(f"kecamatan/{p.name}" for p in (built.reports / "kecamatan").iterdir()),
    ]
    assert len(pages) == 1 + len(BUILT_CODES)
    for page in pages:
        assert (root / "reports" / page).read_bytes() == (built.reports / page).read_bytes(), page
    leftovers = [p for p in root.rglob(".*") if ".tmp" in p.name]
    assert leftovers == []
