"""The one manifest format: what a task wrote, under which key, and each output's sha256.

Every cache of the build records its task the same way (JSON)::

    {
      "task": "PMT validation",          # the task's name
      "key": "<sha256>",                 # its key (:func:`.keys.compute_key`)
      "outputs": ["data/processed/pmt/model_card.json", ...],  # relative to the task's root
      "digests": {"data/processed/pmt/model_card.json": "<sha256>", ...},
      ...                                # free fields: sources, policy, settings, tables
    }

A manifest file holds one task's record, or (``entry``) the records of several tasks
by name: the pages of one build share ``reports/executed/render_keys.json``.

A record is current for a key when it holds that key and every output it lists is,
byte for byte, the file written then: each output's sha256 is read afresh (never
remembered), so a damaged or edited output is computed again, and the warning names
the file.

>>> record = {"key": "k", "outputs": ["t.csv"], "digests": {"t.csv": "0" * 64}}
>>> changed_outputs(record, Path("/nonexistent"))
['t.csv']
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from konsel_analysis.build.keys import content_digest
from konsel_analysis.files import write_text_atomic

log = logging.getLogger(__name__)


def read_manifest(path: Path) -> dict | None:
    """The manifest at ``path``, or ``None`` when it is missing or unreadable."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def write_manifest(path: Path, manifest: dict) -> Path:
    """Write a manifest (JSON) atomically."""
    return write_text_atomic(path, json.dumps(manifest, indent=2, default=str) + "\n")


def output_digests(root: Path, names: Iterable[str]) -> dict[str, str]:
    """``{name: sha256}`` of the outputs a manifest lists (paths relative to ``root``)."""
    return {name: content_digest(Path(root) / name) for name in names}


def new_record(task: str, key: str, root: Path, outputs: Iterable[str], **extra) -> dict:
    """A task's record: its name, key, outputs (relative to ``root``) and their sha256,
    then the free fields."""
    names = list(outputs)
    return {
        "task": task,
        "key": key,
        "outputs": names,
        "digests": output_digests(root, names),
        **extra,
    }


def changed_outputs(manifest: dict, root: Path) -> list[str]:
    """The outputs of a record that are missing, or whose bytes are no longer those
    written (a record without digests, from before they were kept: all of them)."""
    recorded = manifest.get("digests") or {}
    changed = []
    for name in manifest.get("outputs", []):
        path = Path(root) / name
        if not path.is_file() or recorded.get(name) != content_digest(path):
            changed.append(name)
    return changed


def is_current(manifest: dict | None, key: str, root: Path) -> bool:
    """Whether a record holds ``key`` and every output it lists is, byte for byte, the
    one written then. A damaged or edited output is said so (a warning) and not reused."""
    if not isinstance(manifest, dict) or manifest.get("key") != key:
        return False
    changed = changed_outputs(manifest, root)
    for name in changed:
        if (Path(root) / name).is_file():
            log.warning("%s changed since it was written (edited or damaged): computed again", name)
    return not changed
