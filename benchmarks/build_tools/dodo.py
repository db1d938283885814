"""doit prototype of the main job: ``doit -f benchmarks/build_tools/dodo.py -n 2 -P process``
from the project root (see tasks.py for what each task reads, writes and runs).

doit reruns a task when a ``file_dep`` changed (md5, looked at when the file's
modification time moved) or a ``target`` is missing; its record is ``.doit.db``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tasks  # noqa: E402

DOIT_CONFIG = {
    "default_tasks": ["pages"],
    "dep_file": str(tasks.root() / ".doit.db"),
    "backend": "json",
    "verbosity": 1,
}


def task_step():
    for step in tasks.STEP_IDS:
        yield {
            "name": step,
            "actions": [(tasks.run_step, [step])],
            "file_dep": tasks.step_inputs(step),
            "targets": tasks.step_outputs(step),
        }


def task_report_tables():
    return {
        "actions": [tasks.report_tables],
        "file_dep": tasks.report_tables_inputs(),
        "targets": [tasks.REPORT_TABLES],
    }


def task_pages():
    return {
        "actions": [tasks.pages],
        "file_dep": tasks.pages_inputs(),
        "targets": [tasks.PAGES],
    }
