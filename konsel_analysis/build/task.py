"""One task, one decision: run it, or reuse what it wrote while its key is unchanged.

Every cache of the build is a :class:`Task` and goes through :func:`run_or_reuse` (or
:func:`run_or_reuse_all`, for tasks run together in the report workers):

- the analysis steps (:mod:`.steps`), each recorded in its folder's ``manifest.json``;
- the report tables (``data/processed/report_inputs/manifest.json``);
- the pages (one record per page in ``reports/executed/render_keys.json``; a page's
  settings hold the report tables' key, so new tables mean new pages);
- the chart drawings shared by the 25 kecamatan reports (a ``lock``: the first report
  that needs them draws, the others wait and read them).

A task's key (:func:`task_key`) is :func:`.keys.compute_key` of its input files, the
code of its entry modules and every package module they import, and its settings.
Its record (:mod:`.manifest`) is current while it holds that key and each output's
sha256, read afresh, is the one recorded; a damaged or edited output is named on the
terminal and the task runs again.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konsel_analysis.build.keys import code_files, compute_key
from konsel_analysis.build.manifest import is_current, new_record, read_manifest, write_manifest


@dataclass(frozen=True)
class Made:
    """What a task's run made: the files written, free fields for its record, and
    (optionally) the value in memory, so that a caller need not read it back."""

    outputs: Sequence[Path]
    extra: Mapping[str, Any] = field(default_factory=dict)
    value: Any = None


@dataclass(frozen=True)
class Task:
    """A derived result: what it is computed from, where it is recorded, how it runs.

    ``run`` returns the files it wrote (a list of paths) or a :class:`Made`; a run that
    leaves one of its declared ``outputs`` unwritten is an error. ``extra`` adds free fields
    to the record after a run (e.g. the digests of the raw files a step read and the
    policy numbers it used, which the reports check).
    """

    name: str
    manifest: Path  # the JSON file that records it
    root: Path  # outputs are recorded relative to this folder
    run: Callable[[], Sequence[Path] | Made]
    inputs: tuple[Path, ...] = ()  # files it is computed from, by content
    outputs: tuple[Path, ...] = ()  # files it must write (more may come: one per area, ...)
    code: tuple[str, ...] = ()  # entry modules: their code and every package module they import
    settings: Mapping[str, Any] = field(default_factory=dict)
    entry: str | None = None  # its record's name in a manifest file of several tasks
    lock: Path | None = None  # a lock file: several processes may ask for it at once
    extra: Callable[[], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Outcome:
    """A task's result: its key, its record, whether it was reused, its outputs."""

    task: Task
    key: str
    record: dict
    reused: bool
    value: Any = None  # what the run made in memory (``None`` when reused)

    @property
    def outputs(self) -> list[Path]:
        return [self.task.root / name for name in self.record.get("outputs", [])]


def task_key(task: Task) -> str:
    """The task's key: its inputs, the reference files, its code, its settings."""
    return task_keys([task])[0]


def task_keys(tasks: Sequence[Task]) -> list[str]:
    """:func:`task_key` of each task, the code they share followed once (the 26 pages
    share theirs: following it is most of what a page's key costs)."""
    code: dict[tuple[str, ...], list[Path]] = {}
    return [
        compute_key(
            t.inputs,
            code[t.code] if t.code in code else code.setdefault(t.code, code_files(*t.code)),
            dict(t.settings),
        )
        for t in tasks
    ]


def read_record(task: Task) -> dict | None:
    """The task's record as last written, or ``None``."""
    manifest = read_manifest(task.manifest)
    if task.entry is None or manifest is None:
        return manifest
    record = manifest.get(task.entry)
    return record if isinstance(record, dict) else None


def current_record(task: Task, key: str) -> dict | None:
    """The task's record when it is current for ``key`` (outputs intact), else ``None``."""
    record = read_record(task)
    return record if is_current(record, key, task.root) else None


def _made(task: Task, result: Sequence[Path] | Made) -> Made:
    made = result if isinstance(result, Made) else Made(list(result))
    written = {Path(p) for p in made.outputs}
    for path in task.outputs:
        if Path(path) not in written or not Path(path).is_file():
            raise RuntimeError(f"{task.name}: its run did not write {path}, a declared output")
    return made


def _relative(paths: Sequence[Path], root: Path) -> list[str]:
    return [str(Path(p).relative_to(root)) for p in paths]


def make_record(task: Task, key: str, made: Made) -> dict:
    """The record of a run of ``task`` (outputs' digests read now)."""
    extra = {**(task.extra() if task.extra is not None else {}), **made.extra}
    return new_record(task.name, key, task.root, _relative(made.outputs, task.root), **extra)


def record_all(tasks: Sequence[Task], records: Sequence[dict | None]) -> None:
    """Write the records of ``tasks`` (``None``: forget that task's record).

    Records of one manifest file of several tasks are merged into it in one write,
    keeping the records of tasks not named here (a build of some pages keeps the others').
    """
    books: dict[Path, dict] = {}
    for task, record in zip(tasks, records, strict=True):
        if task.entry is None:
            if record is not None:
                write_manifest(task.manifest, record)
            else:
                task.manifest.unlink(missing_ok=True)
            continue
        if task.manifest not in books:
            books[task.manifest] = dict(read_manifest(task.manifest) or {})
        if record is not None:
            books[task.manifest][task.entry] = record
        else:
            books[task.manifest].pop(task.entry, None)
    for path, book in books.items():
        write_manifest(path, dict(sorted(book.items())))


@contextlib.contextmanager
def _held(lock: Path | None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock`` (no lock: nothing to hold)."""
    if lock is None:
        yield
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_or_reuse(task: Task, force: bool = False) -> Outcome:
    """Reuse the task's outputs while its record is current for its key; else run it
    and record what it wrote.

    With a ``lock`` the decision is taken again once the lock is held: another
    process may have run the task while this one waited, and then it is reused.
    """
    key = task_key(task)
    record = None if force else current_record(task, key)
    if record is not None:
        return Outcome(task, key, record, reused=True)
    with _held(task.lock):
        if task.lock is not None and not force:
            record = current_record(task, key)
            if record is not None:
                return Outcome(task, key, record, reused=True)
        made = _made(task, task.run())
        record = make_record(task, key, made)
        record_all([task], [record])
    return Outcome(task, key, record, reused=False, value=made.value)


def run_or_reuse_all(
    tasks: Sequence[Task],
    run_many: Callable[[Sequence[Task]], Sequence[Sequence[Path] | Made | None]],
    # for each task: what it made, or None when it failed
    keys: Sequence[str] | None = None,
) -> list[Outcome | None]:
    """:func:`run_or_reuse` for tasks run together (the pages, in the report workers).

    The tasks whose records are current are reused; ``run_many`` runs the others at
    once (it is called even with none to run) and gives, for each, what it made or
    ``None`` when it failed (a failed task's record is forgotten, and its outcome is
    ``None``). ``keys``: the tasks' keys, when the caller computed them already.
    """
    keys = list(keys) if keys is not None else task_keys(tasks)
    records = [current_record(t, k) for t, k in zip(tasks, keys, strict=True)]
    todo = [i for i, r in enumerate(records) if r is None]
    made = list(run_many([tasks[i] for i in todo]))  # called with none, too
    outcomes: list[Outcome | None] = [
        None if r is None else Outcome(t, k, r, reused=True)
        for t, k, r in zip(tasks, keys, records, strict=True)
    ]
    fresh: list[dict | None] = []
    for i, result in zip(todo, made, strict=True):
        if result is None:
            fresh.append(None)
            continue
        m = _made(tasks[i], result)
        record = make_record(tasks[i], keys[i], m)
        fresh.append(record)
        outcomes[i] = Outcome(tasks[i], keys[i], record, reused=False, value=m.value)
    if todo:
        record_all([tasks[i] for i in todo], fresh)
    return outcomes
