"""Faults on the build's write path: a second build, leftovers of a killed one, workers
outliving their command, a full disk, a read-only folder, a notebook cut mid-write."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from konsel_analysis import cli
from konsel_analysis.build.guard import (
    BuildLock,
    os_error_sentence,
    sweep_partial_files,
    sweep_stale_kernel_folders,
)
from konsel_analysis.errors import UserError
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports import main_job, runner


def _project(root: Path) -> ProjectPaths:
    for sub in ("data/raw", "data/processed", "reports", "restricted"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return ProjectPaths(root)


# --- one build at a time -----------------------------------------------------------------


def test_a_second_build_stops_with_one_sentence_naming_the_first(tmp_path):
    paths = _project(tmp_path)
    with BuildLock(paths), pytest.raises(UserError) as info, BuildLock(paths):
        pass
    message = str(info.value)
    assert "another build is running" in message
    assert f"process {os.getpid()}" in message  # the first holder, by process id
    assert "run `konsel reports` again" in message
    with BuildLock(paths):  # released at the end of the block: taken again
        pass


def test_the_lock_of_a_killed_build_is_released(tmp_path):
    """flock dies with its holder: a build killed with SIGKILL never leaves the project locked."""
    paths = _project(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from konsel_analysis.build.guard import BuildLock
                from konsel_analysis.paths import ProjectPaths
                with BuildLock(ProjectPaths(Path({str(tmp_path)!r}))):
                    print("locked", flush=True)
                    time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match=f"process {holder.pid}"), BuildLock(paths):
            pass
        holder.kill()
        holder.wait(timeout=10)
        with BuildLock(paths):
            pass
    finally:
        holder.kill()


def test_konsel_reports_during_another_build_exits_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    from konsel_analysis.synth import generate_konsel, write_konsel

    paths = _project(tmp_path)
    write_konsel(generate_konsel(households=300, seed=3), paths.raw)
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(tmp_path))
    before = sorted(p for p in tmp_path.rglob("*") if p.name != ".konsel-build.lock")
    with BuildLock(paths):
        code = cli.main(["reports"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("konsel reports: error: another build is running")
    assert sorted(p for p in tmp_path.rglob("*") if p.name != ".konsel-build.lock") == before


# --- what a killed build leaves ----------------------------------------------------------


def test_partial_files_of_a_killed_build_are_swept_and_nothing_else(tmp_path):
    paths = _project(tmp_path)
    partial = [
        paths.processed / "score" / ".expected_errors_by_area.csv.k2j3.tmp.csv",  # write_atomic
        paths.reports / "executed" / ".74.05.01-tinanggea.tmp.ipynb",  # an executed notebook
        paths.restricted / "field_lists" / ".74.05.01.xlsx.a1b2.tmp.xlsx",  # a field list
        paths.restricted / ".pseudonym_key.x9.tmp",  # the key writer
    ]
    kept = [
        paths.processed / "score" / "expected_errors_by_area.csv",
        paths.reports / "executed" / "74.05.01-tinanggea.ipynb",
        paths.restricted / "field_lists" / "74.05.01.xlsx",
        paths.processed / ".gitkeep",
        paths.reports / "notes.tmp.csv",  # not hidden: not one of ours
    ]
    for path in partial + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    assert sweep_partial_files(paths) == 4
    assert not any(p.exists() for p in partial)
    assert all(p.exists() for p in kept)


def test_the_checked_tables_earlier_builds_kept_are_removed(tmp_path):
    # Builds before the speed tricks were measured pickled the register's accepted rows
    # (names, NIK) into restricted/checked_tables/; nothing reads them now.
    paths = _project(tmp_path)
    retired = paths.restricted / "checked_tables"
    retired.mkdir(parents=True)
    (retired / "register-register-0123abcd.pkl").write_bytes(b"rows with names")
    (retired / "register-register.json").write_text("{}")
    kept = paths.restricted / "verification_lists" / "74.05.01.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text("nik\n")
    assert sweep_partial_files(paths) == 0  # no partial file; the folder goes all the same
    assert not retired.exists()
    assert kept.read_text() == "nik\n"


def test_kernel_folders_of_dead_workers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"konsel-kernels-{dead_pid}-abc123"
    alive = tmp_path / f"konsel-kernels-{os.getpid()}-def456"
    other = tmp_path / "konsel-kernels-notapid-x"
    for folder in (stale, alive, other):
        (folder / "runtime").mkdir(parents=True)
    assert sweep_stale_kernel_folders(tmp_path) == 1
    assert not stale.exists() and alive.exists() and other.exists()


def test_report_workers_end_when_the_command_is_killed(tmp_path):
    """kill -9 of the command: its report workers end too (they used to run on for minutes)."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from konsel_analysis.reports.runner import start_pool
        from konsel_analysis.reports.workers import warm_up
        pool = start_pool(2, Path({str(tmp_path / "kernels.log")!r}))
        pids = sorted({{pool.submit(warm_up).result() for _ in range(8)}})
        print(" ".join(map(str, pids)), flush=True)
        import time; time.sleep(120)
        """
    )
    command = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in command.stdout.readline().split()]
        assert workers and all(_alive(p) for p in workers)
        os.kill(command.pid, signal.SIGKILL)
        command.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers)
    finally:
        command.kill()


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its new parent, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


# --- executed notebooks are whole or absent ------------------------------------------------


def _fake_papermill(monkeypatch, body: bytes, error: BaseException | None):
    import papermill

    def execute_notebook(source, output, **kwargs):
        Path(output).write_bytes(body)
        if error is not None:
            raise error

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)


def test_a_notebook_cut_by_a_full_disk_never_takes_the_final_name(tmp_path, monkeypatch):
    executed = tmp_path / "executed" / "74.05.01-tinanggea.ipynb"
    executed.parent.mkdir()
    executed.write_text('{"cells": [], "earlier": true}')  # the last good build's notebook
    full = OSError(errno.ENOSPC, "No space left on device", str(executed))
    _fake_papermill(monkeypatch, b'{"cells": [{"cell_type": "code", "sou', full)
    with pytest.raises(OSError):
        runner._execute(tmp_path / "nb.ipynb", executed, {})
    assert json.loads(executed.read_text())["earlier"] is True  # kept, not cut
    assert list(executed.parent.iterdir()) == [executed]  # no partial left


def test_a_failed_but_whole_notebook_is_kept_for_audit(tmp_path, monkeypatch):
    executed = tmp_path / "executed" / "x.ipynb"
    _fake_papermill(monkeypatch, b'{"cells": [{"cell_type": "code"}]}', RuntimeError("cell 3"))
    with pytest.raises(RuntimeError):
        runner._execute(tmp_path / "nb.ipynb", executed, {})
    assert json.loads(executed.read_text())["cells"] == [{"cell_type": "code"}]
    assert list(executed.parent.iterdir()) == [executed]


# --- a full disk or a read-only folder: one sentence, exit 2 -------------------------------


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (errno.ENOSPC, "the disk is full; free some space"),
        (errno.EROFS, "the file system is read-only; make that folder writable"),
        (errno.EACCES, "permission denied; make that folder writable"),
    ],
)
def test_write_faults_end_in_one_sentence_naming_the_path(
    tmp_path, monkeypatch, capsys, number, words
):
    target = tmp_path / "reports" / "index.html"

    def fail(*args, **kwargs):
        raise OSError(number, os.strerror(number), str(target))

    monkeypatch.setattr(main_job, "run_pipeline", fail)
    code = cli.main(["reports"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(f"konsel reports: error: could not write {target}: {words}")


def test_other_os_errors_are_not_dressed_up_as_disk_faults():
    assert os_error_sentence(OSError(errno.EBADF, "Bad file descriptor")) is None
    assert "disk is full" in os_error_sentence(OSError(errno.ENOSPC, "x", "/a/b"))


def test_a_sigterm_ends_the_command_through_its_cleanup(tmp_path):
    """`kill` (SIGTERM) runs the command's cleanup: one line, exit 130, no traceback."""
    script = textwrap.dedent(
        """
        import sys, time
        from konsel_analysis import cli
        from konsel_analysis.reports import main_job
        def slow(*args, **kwargs):
            try:
                print("working", flush=True)
                time.sleep(60)
            finally:
                print("cleaned up", flush=True)
        main_job.run_pipeline = slow
        sys.exit(cli.main(["reports"]))
        """
    )
    command = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert command.stdout.readline().strip() == "working"
    command.send_signal(signal.SIGTERM)
    out, err = command.communicate(timeout=20)
    assert command.returncode == 130
    assert out.strip() == "cleaned up"
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "stopped before the end" in err
