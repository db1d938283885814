"""Report notebooks executed on the workers of a dask.distributed cluster.

``konsel reports --engine dask [--scheduler ADDRESS]`` builds the same reports as
the default local engine; only where the notebooks run changes. The runner asks
for a pool with ``submit`` and ``shutdown`` (a :class:`concurrent.futures.Executor`);
this module gives it one backed by a dask client:

- without ``--scheduler``: a LocalCluster of ``--jobs`` worker processes (one
  thread each: one kernel per core), closed at the end of the build;
- with ``--scheduler tcp://host:8786``: the workers of that cluster. They must
  run this toolkit's environment and see the project folder at the same path (a
  shared file system): they read the report tables and write the pages there.

Every worker is prepared once, as a local pool's workers are
(:func:`.workers.init_worker`: the kernel spec of this interpreter, papermill
imported, kernel messages to ``reports/executed/kernels.log``), by a worker
plugin, so workers that join later are prepared too.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from konsel_analysis.scale.cluster import Cluster, connect


class ReportWorkerSetup(WorkerPlugin):
    """Prepare a dask worker to execute report notebooks (once per worker process)."""

    name = "konsel-report-worker"

    def __init__(self, log_path: str):
        self.log_path = log_path

    def setup(self, worker) -> None:
        from konsel_analysis.reports.workers import init_worker

        init_worker(self.log_path)


class DaskReportPool(Executor):
    """The runner's pool on a dask cluster: ``submit`` runs a function on some worker."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self._executor = cluster.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self._executor.shutdown(wait=False)
        self.cluster.close()


def start_dask_pool(jobs: int, log_path: Path, scheduler: str | None = None) -> DaskReportPool:
    """A pool on the cluster at ``scheduler``, or on a new LocalCluster of ``jobs`` workers."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("", encoding="utf-8")  # one build's kernel messages, as the local pool
    cluster = connect(scheduler, workers=jobs)
    try:
        cluster.client.register_plugin(ReportWorkerSetup(str(log_path)))
    except BaseException:
        cluster.close()
        raise
    return DaskReportPool(cluster)
