"""Build every report: shared tables once, notebooks in parallel, HTML, index.

The list of reports is data (the kecamatan table of :mod:`geography`); each is
one papermill run of a parameterized notebook, kept in ``reports/executed/`` for
audit, then exported to ``reports/kecamatan/<code>-<name>.html`` or
``reports/regency.html`` in the same worker process. Worker processes live for
the whole build, so papermill and nbconvert are imported once per worker, not
once per report. A failing report does not stop the others: the runner collects
failures, marks them in ``reports/index.html`` and returns them, and the command
exits non-zero with a summary.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from konsel_analysis.build.manifest import read_manifest
from konsel_analysis.build.task import Made, Task, run_or_reuse_all
from konsel_analysis.errors import UserError
from konsel_analysis.geography import load_kecamatan, normalize_area_code
from konsel_analysis.paths import PACKAGE_DIR, ProjectPaths
from konsel_analysis.reports import workers

# The notebooks are code: they come from this checkout, whichever project's data is read.
NOTEBOOKS_DIR = PACKAGE_DIR.parent / "notebooks"
KECAMATAN_NOTEBOOK = "kecamatan_report.ipynb"
REGENCY_NOTEBOOK = "regency_overview.ipynb"
CELL_TIMEOUT_SECONDS = 600
DEFAULT_JOBS = 2  # the 2-core machine; one kernel per core
ENGINES = ("local", "dask")


@dataclass(frozen=True)
class ReportTask:
    """One report to build: which notebook, with which parameters, written where."""

    kind: str  # "kecamatan" or "regency"
    code: str
    name: str
    notebook: Path
    executed: Path
    html: Path
    title: str
    language: str
    index_href: str  # the index page, relative to the HTML file
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReportResult:
    task: ReportTask
    seconds: float
    error: str | None = None
    reused: bool = False  # the page of an earlier build, still current

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class BuildOutcome:
    """What a build produced: one result per report, the index, the time it took."""

    results: list[ReportResult]
    index: Path
    seconds: float
    inputs_reused: bool

    @property
    def reused(self) -> list[ReportResult]:
        return [r for r in self.results if r.reused]

    @property
    def failures(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok]


def slug(name: str) -> str:
    """File-name form of a kecamatan name: ``Palangga Selatan`` -> ``palangga-selatan``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def select_kecamatan(only: Sequence[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the kecamatan to build: all 25, or those named with ``--only``."""
    table = load_kecamatan()
    names = dict(zip(table["kecamatan_code"], table["kecamatan_name"], strict=True))
    if not only:
        return list(names.items())
    chosen = []
    for raw in only:
        try:
            code = normalize_area_code(raw)
        except ValueError as err:
            raise UserError(f"--only {raw}: {err}; use codes such as 74.05.01") from None
        if code not in names:
            raise UserError(
                f"--only {raw}: {code} is not one of the 25 kecamatan of Konawe Selatan "
                "(74.05.01 to 74.05.25)"
            )
        if code not in dict(chosen):
            chosen.append((code, names[code]))
    return chosen


def notebook_path(name: str, paths: ProjectPaths) -> Path:
    """The project's own copy of a notebook if it has one, else this checkout's."""
    own = paths.notebooks / name
    return own if own.is_file() else NOTEBOOKS_DIR / name


def plan_reports(
    paths: ProjectPaths, only: Sequence[str] | None, language: str, base_parameters: dict
) -> list[ReportTask]:
    """The regency overview first (the longest), then one task per kecamatan."""
    from konsel_analysis.reports.text import tr

    executed = paths.reports / "executed"
    tasks = [
        ReportTask(
            kind="regency",
            code="74.05",
            name="Konawe Selatan",
            notebook=notebook_path(REGENCY_NOTEBOOK, paths),
            executed=executed / "regency.ipynb",
            html=paths.reports / "regency.html",
            title=tr(
                language, "Ikhtisar Kabupaten Konawe Selatan", "Konawe Selatan regency overview"
            ),
            language=language,
            index_href="index.html",
            parameters=dict(base_parameters),
        )
    ]
    for code, name in select_kecamatan(only):
        stem = f"{code}-{slug(name)}"
        tasks.append(
            ReportTask(
                kind="kecamatan",
                code=code,
                name=name,
                notebook=notebook_path(KECAMATAN_NOTEBOOK, paths),
                executed=executed / "kecamatan" / f"{stem}.ipynb",
                html=paths.reports / "kecamatan" / f"{stem}.html",
                title=tr(
                    language,
                    f"Laporan Kecamatan {name} ({code})",
                    f"Kecamatan {name} ({code}) report",
                ),
                language=language,
                index_href="../index.html",
                parameters={**base_parameters, "kecamatan_code": code},
            )
        )
    return tasks


# --------------------------------------------------------------------------------------
# Worker side (runs in the pool's processes)
# --------------------------------------------------------------------------------------


def _execute(notebook: Path, executed: Path, parameters: dict) -> None:
    """papermill into a temporary name, renamed when done, failed runs included (for audit).

    Only a whole notebook is renamed onto ``executed``: one cut short by a full disk or
    a killed write is removed, and the earlier executed notebook (if any) stays.
    """
    import papermill

    executed.parent.mkdir(parents=True, exist_ok=True)
    partial = executed.with_name(f".{executed.stem}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name=workers.KERNEL_NAME,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            cwd=str(notebook.parent),
            execution_timeout=CELL_TIMEOUT_SECONDS,
            kernel_manager_class=workers.kernel_manager_class(),
        )
    finally:
        if _is_whole_notebook(partial):
            with open(partial, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, executed)
        else:
            partial.unlink(missing_ok=True)


def _is_whole_notebook(path: Path) -> bool:
    """True when ``path`` holds a complete notebook (JSON with its cells), not a cut one."""
    try:
        with open(path, encoding="utf-8") as fh:
            return isinstance(json.load(fh).get("cells"), list)
    except (OSError, ValueError, AttributeError):
        return False


def _error_message(err: BaseException) -> str:
    from konsel_analysis.reports.html import scrub_message

    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(err).__name__}: {err}"
    return scrub_message(text)


def render_report(task: ReportTask) -> ReportResult:
    """Execute one notebook and export it to HTML; never raises, returns the error instead."""
    from konsel_analysis.reports.html import export_report

    started = time.perf_counter()
    try:
        _execute(task.notebook, task.executed, task.parameters)
        export_report(task.executed, task.html, task.title, task.language, task.index_href)
    except Exception as err:  # noqa: BLE001 - one report's failure must not stop the build
        task.html.unlink(missing_ok=True)  # never leave an earlier run's page looking current
        return ReportResult(task, time.perf_counter() - started, _error_message(err))
    return ReportResult(task, time.perf_counter() - started)


def execute_only(task: ReportTask) -> ReportResult:
    """Execute a notebook without export (the benchmark's floor)."""
    started = time.perf_counter()
    try:
        _execute(task.notebook, task.executed, task.parameters)
    except Exception as err:  # noqa: BLE001
        return ReportResult(task, time.perf_counter() - started, _error_message(err))
    return ReportResult(task, time.perf_counter() - started)


# --------------------------------------------------------------------------------------
# Driver side
# --------------------------------------------------------------------------------------


def start_pool(
    jobs: int, log_path: Path, engine: str = "local", scheduler: str | None = None
) -> ProcessPoolExecutor:
    """Worker processes, started now and warming up while the caller does other work.

    ``engine="dask"`` gives a pool on a dask.distributed cluster instead (the one at
    ``scheduler``, or a LocalCluster of ``jobs`` workers): :mod:`.dask_pool`.
    """
    if engine == "dask":
        from konsel_analysis.reports.dask_pool import start_dask_pool

        return start_dask_pool(jobs, log_path, scheduler)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("", encoding="utf-8")  # one build's kernel messages, not every build's
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        # spawn: the workers start clean instead of inheriting the driver's threads
        mp_context=multiprocessing.get_context("spawn"),
        initializer=workers.init_worker,
        initargs=(str(log_path), os.getpid()),
    )
    for _ in range(jobs):
        pool.submit(workers.warm_up)
    return pool


def run_tasks(
    pool: ProcessPoolExecutor,
    tasks: Sequence[ReportTask],
    work: Callable[[ReportTask], ReportResult],
    echo: Callable[[str], None],
) -> list[ReportResult]:
    """Submit every task, print one line per finished report, keep the plan's order."""
    futures: dict[Future, int] = {pool.submit(work, t): i for i, t in enumerate(tasks)}
    done: dict[int, ReportResult] = {}
    width = len(str(len(tasks)))
    for future in as_completed(futures):
        position = futures[future]
        task = tasks[position]
        try:
            result = future.result()
        except Exception as err:  # the worker process itself died
            result = ReportResult(task, 0.0, _error_message(err))
        done[position] = result
        status = "ok" if result.ok else f"FAILED  {result.error}"
        echo(
            f"  [{len(done):>{width}}/{len(tasks)}] {task.code:<8} {task.name:<18} "
            f"{result.seconds:5.1f} s  {status}"
        )
    return [done[i] for i in range(len(tasks))]


def _optional(inputs, name: str):
    """A step table indexed by area code, or ``None`` when the step's outputs were missing."""
    return inputs.read(name).set_index("area_code") if inputs.has(name) else None


def _step_figures(code: str, intervals, expected, allocation) -> dict:
    """The index's figures from the pipeline steps for one area (empty without them)."""
    figures: dict = {}
    if intervals is not None and code in intervals.index:
        m = intervals.loc[code]
        figures.update(
            inclusion_error=m["inclusion_error"],
            exclusion_error=m["exclusion_error"],
            inclusion_range=(m["inclusion_error_low"], m["inclusion_error_high"]),
            exclusion_range=(m["exclusion_error_low"], m["exclusion_error_high"]),
            is_shrunk=bool(m["is_shrunk_inclusion"] or m["is_shrunk_exclusion"]),
        )
    if expected is not None and code in expected.index:
        e = expected.loc[code]
        figures.update(
            {
                f"expected_{kind}": tuple(
                    float(e[f"expected_{kind}_errors{suffix}"]) for suffix in ("", "_low", "_high")
                )
                for kind in ("inclusion", "exclusion")
            }
        )
    if allocation is not None and code in allocation.index:
        figures["visits"] = float(allocation.loc[code, "visits"])
    return figures


def _index_rows(results: Iterable[ReportResult], inputs, index_dir: Path):
    from konsel_analysis.reports.html import IndexRow

    summary = inputs.read("area_summary").set_index("area_code")
    errors = inputs.read("targeting_errors")
    pkh = errors[errors["programme"] == "pkh"].set_index("area_code")
    intervals = _optional(inputs, "targeting_intervals")
    if intervals is not None:
        intervals = intervals[intervals["programme"] == "pkh"]
    expected = _optional(inputs, "expected_errors")
    allocation = _optional(inputs, "verification_allocation")
    rows, regency = [], None
    for r in results:
        t = r.task
        s, e = summary.loc[t.code], pkh.loc[t.code]
        figures = {"inclusion_error": e["inclusion_error"], "exclusion_error": e["exclusion_error"]}
        # The same estimates as the reports: with intervals, shrunk where the sample is small.
        figures.update(_step_figures(t.code, intervals, expected, allocation))
        row = IndexRow(
            code=t.code,
            name=t.name,
            href=os.path.relpath(t.html, index_dir) if r.ok else None,
            households=s["households"],
            survey_households=s["survey_households"],
            poverty_rate=s["poverty_rate_persons"],
            error=r.error,
            executed_href=os.path.relpath(t.executed, index_dir) if t.executed.exists() else None,
            **figures,
        )
        if t.kind == "regency":
            regency = row
        else:
            rows.append(row)
    return rows, regency


def write_index(
    paths: ProjectPaths, results: Sequence[ReportResult], inputs, language: str
) -> Path:
    """reports/index.html: every report of this build with its headline figures and status."""
    from konsel_analysis.reports.html import render_index, write_text_atomic
    from konsel_analysis.reports.text import tr

    rows, regency = _index_rows(results, inputs, paths.reports)
    n_kec = len(rows)
    note = ""
    if n_kec < len(load_kecamatan()):
        note = tr(
            language,
            f"Proses ini membuat laporan untuk {n_kec} dari 25 kecamatan (--only).",
            f"This build made reports for {n_kec} of the 25 kecamatan (--only).",
        )
    index = write_text_atomic(
        paths.reports / "index.html", render_index(rows, regency, language, note)
    )
    status = {
        "inputs_key": inputs.key,
        "language": language,
        "reports": [
            {
                "code": r.task.code,
                "name": r.task.name,
                "html": str(r.task.html.relative_to(paths.reports)) if r.ok else None,
                "executed": str(r.task.executed.relative_to(paths.reports)),
                "seconds": round(r.seconds, 2),
                "error": r.error,
            }
            for r in results
        ],
    }
    write_text_atomic(
        paths.reports / "build.json", json.dumps(status, indent=2, ensure_ascii=False) + "\n"
    )
    return index


def check_options(
    only: Sequence[str] | None,
    jobs: int,
    language: str,
    engine: str,
    scheduler: str | None = None,
) -> None:
    """Refuse bad options before any work, each with one message that says the fix."""
    from konsel_analysis.reports.text import LANGUAGES

    if language not in LANGUAGES:
        raise UserError(f"--language {language}: use one of {', '.join(LANGUAGES)}")
    if engine not in ENGINES:
        raise UserError(f"--engine {engine}: use one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise UserError(f"--scheduler {scheduler}: a scheduler is for --engine dask; add it")
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: give at least 1 parallel job")
    select_kecamatan(only)


def _shown(path: Path, paths: ProjectPaths) -> Path:
    return path.relative_to(paths.root) if path.is_relative_to(paths.root) else path


def build_reports(
    paths: ProjectPaths,
    only: Sequence[str] | None = None,
    jobs: int = DEFAULT_JOBS,
    language: str = "id",
    engine: str = "local",
    echo: Callable[[str], None] = print,
    pool: ProcessPoolExecutor | None = None,
    scheduler: str | None = None,
) -> BuildOutcome:
    """Build the regency report and the kecamatan reports (all, or ``only`` those).

    Runs the shared computation once (reusing its cache), executes the notebooks
    with ``jobs`` papermill workers (``pool``, from :func:`start_workers`, or
    started here; shut down at the end), writes the HTML pages and the index,
    and returns every result; failures are collected, never raised. A page whose
    tables, notebook and report code are unchanged is kept, not rebuilt.
    """
    from konsel_analysis.reports.inputs import prepare_report_inputs

    started = time.perf_counter()
    check_options(only, jobs, language, engine, scheduler)
    tasks = plan_reports(paths, only, language, _parameters(paths, language))
    log = paths.reports / "executed" / "kernels.log"
    previous = _read_render_keys(paths)
    if pool is None and not _may_be_current(tasks, previous):
        # warms up while the tables are made
        pool = start_pool(min(jobs, len(tasks)), log, engine, scheduler)
    try:
        inputs = prepare_report_inputs(paths)
        echo(
            f"  shared report tables: {'reused' if inputs.reused else 'computed'} "
            f"({_shown(inputs.folder, paths)}, "
            f"key {inputs.key[:12]})"
        )
        # Each page opens the tables under the key just made, instead of working it out
        # again in its kernel (following the report code's imports, 26 times).
        tasks = [replace(t, parameters={**t.parameters, "inputs_key": inputs.key}) for t in tasks]
        pages = [page_task(t, inputs.key, paths) for t in tasks]
        fresh: dict[Path, ReportResult] = {}

        def render(todo: Sequence[ReportTask]) -> list[Made | None]:
            nonlocal pool
            if len(todo) < len(tasks):
                echo(
                    f"  [reused] {len(tasks) - len(todo)} of {len(tasks)} reports: their "
                    "tables, notebook and report code are unchanged"
                )
            if not todo:
                return []
            pool = pool or start_pool(min(jobs, len(todo)), log, engine, scheduler)
            echo(f"  {len(todo)} reports, {min(jobs, len(todo))} in parallel:")
            built = run_tasks(pool, todo, render_report, echo)
            fresh.update((r.task.html, r) for r in built)
            return [Made([r.task.html, r.task.executed]) if r.ok else None for r in built]

        by_page = {page.entry: t for page, t in zip(pages, tasks, strict=True)}
        outcomes = run_or_reuse_all(
            pages, lambda todo: render([by_page[page.entry] for page in todo])
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    results = [
        ReportResult(t, 0.0, reused=True) if o is not None and o.reused else fresh[t.html]
        for t, o in zip(tasks, outcomes, strict=True)
    ]
    index = write_index(paths, results, inputs, language)
    return BuildOutcome(results, index, time.perf_counter() - started, inputs.reused)


RENDER_KEYS = "render_keys.json"


def _parameters(paths: ProjectPaths, language: str) -> dict:
    return {"language": language, "project_root": str(paths.root)}


def _may_be_current(tasks: Sequence[ReportTask], previous: dict[str, dict]) -> bool:
    """Every page of this build exists from an earlier one (its key decides if it is kept)."""
    return bool(previous) and all(t.html.is_file() for t in tasks)


def start_workers(
    paths: ProjectPaths,
    only: Sequence[str] | None,
    jobs: int,
    language: str,
    engine: str = "local",
    scheduler: str | None = None,
) -> ProcessPoolExecutor | None:
    """The notebook workers, started before the pipeline steps so that they import
    papermill meanwhile; ``None`` when every page may still be current (no work likely)."""
    tasks = plan_reports(paths, only, language, _parameters(paths, language))
    if _may_be_current(tasks, _read_render_keys(paths)):
        if engine == "dask" and scheduler is not None:
            # No page to build, but a --scheduler that does not answer is still an
            # error (a warm cache exited 0 with an unreachable scheduler).
            from konsel_analysis.scale.cluster import connect

            connect(scheduler, workers=jobs).close()
        return None
    log = paths.reports / "executed" / "kernels.log"
    return start_pool(min(jobs, len(tasks)), log, engine, scheduler)


#: The code a page depends on: sections, charts, words and the HTML export, with every
#: package module they import.
REPORT_CODE = ("konsel_analysis.reports.sections", "konsel_analysis.reports.html")


def page_task(task: ReportTask, inputs_key: str, paths: ProjectPaths) -> Task:
    """A page as a build task: the notebook, the report code, the report tables' key (new
    tables, new pages) and the task's fields; recorded, with the digests of the page and
    of its executed notebook, in ``reports/executed/render_keys.json``."""
    task_fields = {k: str(v) for k, v in sorted(vars(task).items())}
    name = str(task.html.relative_to(paths.reports))
    return Task(
        name=f"page {name}",
        manifest=paths.reports / "executed" / RENDER_KEYS,
        root=paths.reports,
        run=lambda: _render_here(task),
        outputs=(task.html, task.executed),
        inputs=(task.notebook,),
        code=REPORT_CODE,
        settings={"inputs": inputs_key, "task": task_fields},
        entry=name,
    )


def _render_here(task: ReportTask) -> list[Path]:
    """Render one page in this process (the build renders pages in its workers instead)."""
    result = render_report(task)
    if not result.ok:
        raise RuntimeError(f"{task.code} {task.name}: {result.error}")
    return [task.html, task.executed]


def _read_render_keys(paths: ProjectPaths) -> dict[str, dict]:
    return read_manifest(paths.reports / "executed" / RENDER_KEYS) or {}


def summarise_outcome(outcome: BuildOutcome, paths: ProjectPaths) -> list[str]:
    """Closing lines for the terminal: counts, time, the index, each failure."""
    n, failed = len(outcome.results), outcome.failures
    reused = f" ({len(outcome.reused)} unchanged, reused)" if outcome.reused else ""
    lines = [
        f"  {n - len(failed)} of {n} reports built in {outcome.seconds:.1f} s{reused}; "
        f"index: {outcome.index.relative_to(paths.root)}"
    ]
    for r in failed:
        lines.append(
            f"  FAILED {r.task.code} {r.task.name}: {r.error} "
            f"(executed notebook kept: {r.task.executed.relative_to(paths.root)})"
        )
    return lines
