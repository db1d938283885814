"""The report workers' side: a kernel of this interpreter, papermill imported once.

Each worker process (the local pool's, or a dask worker's: :mod:`.dask_pool`) is
prepared once by :func:`init_worker`; :func:`kernel_manager_class` gives the kernels
it starts their own Unix sockets.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path

from konsel_analysis.build.guard import die_with_parent, kernel_folder_prefix

# The kernel runs this very interpreter (the project's virtual environment), whatever
# "python3" kernel a user may have installed elsewhere: each worker declares it in a
# kernelspec folder of its own, put first on JUPYTER_PATH.
KERNEL_NAME = "konsel-report-python"


def declare_kernel() -> None:
    # Named by this worker's process id: a later build removes it when this worker was
    # killed before its atexit ran (build.guard.sweep_stale_kernel_folders).
    root = tempfile.mkdtemp(prefix=kernel_folder_prefix())
    atexit.register(shutil.rmtree, root, True)
    spec_dir = Path(root) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "konsel-analysis (report runner)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    # Connection files and IPC sockets in this owner-only folder, with a short path
    # (a Unix socket's path has at most 107 bytes): see KERNEL_CONFIG.
    runtime = Path(root) / "runtime"
    runtime.mkdir()
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    jupyter_path = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(root)), *([jupyter_path] if jupyter_path else [])]
    )


def init_worker(log_path: str, parent_pid: int | None = None) -> None:
    """Import papermill and nbconvert once; send kernels' chatter to a log, not the terminal.

    The worker ends when the command that started it ends, however it ends
    (``parent_pid``: that command's process; see
    :func:`konsel_analysis.build.guard.die_with_parent`).
    """
    if parent_pid is not None:
        die_with_parent(parent_pid)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    declare_kernel()
    import papermill  # noqa: F401

    from konsel_analysis.reports import html

    html._exporter()


def warm_up() -> int:
    return os.getpid()


@cache
def kernel_manager_class():
    """Kernels that talk to their worker over Unix sockets, each in a folder of its own.

    Over TCP, two workers starting kernels at once may pick the same free port and
    the loser dies at start ("Kernel died before replying to kernel_info", seen once
    in a benchmark build). jupyter_client's own IPC names every kernel's sockets
    ``kernel-ipc-N`` in the current folder, so that two kernels started at once
    share them; here each gets a fresh owner-only folder under the worker's runtime
    folder, which also keeps other users of a shared machine away from the kernels.
    Windows has no Unix sockets: TCP there.
    """
    from jupyter_client.manager import KernelManager
    from traitlets import default

    if os.name != "posix":  # pragma: no cover
        return KernelManager

    class SocketKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            folder = tempfile.mkdtemp(prefix="k", dir=os.environ.get("JUPYTER_RUNTIME_DIR"))
            return str(Path(folder) / "ipc")

    return SocketKernelManager
