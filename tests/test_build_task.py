"""The one run-or-reuse decision of the build (build/task.py), on toy tasks."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from konsel_analysis.build.task import Made, Task, run_or_reuse, run_or_reuse_all, task_key


def _toy(tmp_path, runs: list, *, seed: int = 0, **fields) -> Task:
    data = tmp_path / "data.csv"
    out = tmp_path / "out" / "table.csv"

    def run():
        runs.append(seed)
        out.parent.mkdir(exist_ok=True)
        out.write_text(f"seed,n\n{seed},{len(runs)}\n")
        return Made([out], {"rows": 1}, value=len(runs))

    return Task(
        name="toy",
        manifest=tmp_path / "out" / "manifest.json",
        root=tmp_path,
        run=run,
        inputs=(data,),
        code=("konsel_analysis.errors",),
        settings={"seed": seed},
        **fields,
    )


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a\n1\n")
    return path


def test_a_task_runs_once_then_is_reused_and_records_one_manifest(tmp_path, data):
    runs: list = []
    first = run_or_reuse(_toy(tmp_path, runs))
    assert not first.reused and first.value == 1 and runs == [0]
    again = run_or_reuse(_toy(tmp_path, runs))
    assert again.reused and again.value is None and runs == [0]
    assert again.outputs == [tmp_path / "out" / "table.csv"]
    record = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert record == {
        "task": "toy",
        "key": task_key(_toy(tmp_path, runs)),
        "outputs": ["out/table.csv"],
        "digests": {"out/table.csv": hashlib.sha256(b"seed,n\n0,1\n").hexdigest()},
        "rows": 1,  # a free field
    }


def test_a_changed_input_setting_or_force_runs_it_again(tmp_path, data):
    runs: list = []
    run_or_reuse(_toy(tmp_path, runs))
    data.write_text("a\n2\n")
    assert not run_or_reuse(_toy(tmp_path, runs)).reused
    assert not run_or_reuse(_toy(tmp_path, runs, seed=3)).reused
    assert run_or_reuse(_toy(tmp_path, runs, seed=3)).reused
    assert not run_or_reuse(_toy(tmp_path, runs, seed=3), force=True).reused
    assert runs == [0, 0, 3, 3]


def test_an_edited_output_is_named_and_computed_again(tmp_path, data, caplog):
    runs: list = []
    run_or_reuse(_toy(tmp_path, runs))
    (tmp_path / "out" / "table.csv").write_text("seed,n\n0,2\n")  # same size, one figure
    with caplog.at_level("WARNING", logger="konsel_analysis.build.manifest"):
        assert not run_or_reuse(_toy(tmp_path, runs)).reused
    assert "out/table.csv changed since it was written (edited or damaged)" in caplog.text
    assert (tmp_path / "out" / "table.csv").read_text() == "seed,n\n0,2\n"  # its second run's


def test_tasks_sharing_a_manifest_keep_each_others_records(tmp_path, data):
    """Pages: one file of records; a build of some of them keeps the others', forgets a
    failed one and runs only what is not current."""
    book = tmp_path / "book.json"

    def page(name: str, fail: bool = False) -> Task:
        out = tmp_path / f"{name}.html"
        return Task(
            name=f"page {name}",
            manifest=book,
            root=tmp_path,
            run=lambda: [out],
            inputs=(data,),
            settings={"page": name},
            entry=name,
        )

    ran: list[list[str]] = []

    def run_many(todo):
        ran.append([t.entry for t in todo])
        made = []
        for t in todo:
            if t.entry == "c":
                made.append(None)  # c fails
                continue
            (tmp_path / f"{t.entry}.html").write_text(t.entry)
            made.append(Made([tmp_path / f"{t.entry}.html"]))
        return made

    outcomes = run_or_reuse_all([page("a"), page("b"), page("c")], run_many)
    assert [o is not None and not o.reused for o in outcomes] == [True, True, False]
    assert sorted(json.loads(book.read_text())) == ["a", "b"]
    outcomes = run_or_reuse_all([page("b"), page("c")], run_many)  # a build of two pages
    assert ran == [["a", "b", "c"], ["c"]]
    assert outcomes[0].reused and outcomes[1] is None
    assert sorted(json.loads(book.read_text())) == ["a", "b"]  # a kept, c still forgotten
    assert json.loads(book.read_text())["a"]["digests"] == {
        "a.html": hashlib.sha256(b"a").hexdigest()
    }


def test_under_a_lock_processes_asking_at_once_run_it_once(tmp_path, data):
    runs: list = []
    task = _toy(tmp_path, runs, lock=tmp_path / "toy.lock")
    slow = Task(**{**vars(task), "run": lambda: time.sleep(0.3) or task.run()})
    got = []
    threads = [threading.Thread(target=lambda: got.append(run_or_reuse(slow))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert runs == [0]
    assert sorted(o.reused for o in got) == [False, True]


def test_a_run_that_leaves_a_declared_output_unwritten_is_an_error(tmp_path, data):
    promised = tmp_path / "out" / "promised.csv"
    task = _toy(tmp_path, [], outputs=(promised,))
    with pytest.raises(RuntimeError, match="toy: its run did not write .*promised.csv"):
        run_or_reuse(task)
    assert not (tmp_path / "out" / "manifest.json").exists()  # nothing recorded
