"""Connecting to a dask.distributed cluster, or starting a local one.

Used by ``konsel reports --engine dask`` and ``konsel score-partitioned``: with
``--scheduler ADDRESS`` the work goes to the workers of that cluster (they must
see the same files: a shared file system); without it a LocalCluster is started
on this machine and closed at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from konsel_analysis.errors import UserError

#: Seconds to wait for a scheduler to answer before saying it is unreachable.
CONNECT_TIMEOUT_SECONDS = 10


@dataclass
class Cluster:
    """A connected client and, when we started it, the local cluster behind it."""

    client: object  # distributed.Client
    local: object | None = None  # distributed.LocalCluster

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()


def connect(scheduler: str | None, workers: int, threads_per_worker: int = 1) -> Cluster:
    """A client on ``scheduler``, or on a new LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        local = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,  # no web server: nothing to open, no port to collide
        )
        return Cluster(Client(local), local)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_SECONDS)
    # Anything that fails to connect (a closed port, a bad address, something other than a
    # dask scheduler answering) is the same problem for the user: no scheduler there.
    except Exception as err:  # noqa: BLE001
        raise UserError(
            f"--scheduler {scheduler}: no dask scheduler answered there "
            f"({type(err).__name__}); start one with `dask scheduler` and check the address, "
            "or leave --scheduler out to start a local cluster"
        ) from None
    return Cluster(client)
