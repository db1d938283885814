"""The partitioned register: one Parquet file per kecamatan, in hive folders.

Layout (what ``konsel synth --partitioned`` writes and ``konsel score-partitioned``
reads)::

    register/
      regency=74.05/
        kecamatan=74.05.01/part-0.parquet
        kecamatan=74.05.02/part-0.parquet
      regency=S0001/
        ...

Every file holds the register's columns (the folder keys are for listing and
filtering; the area column the dataset config names stays inside the files). A
kecamatan file is the unit of storage, a few thousand households; dask may read
a few small neighbouring files as one partition (in file order).

Before anything is computed, :func:`open_partitioned_register` checks the folder
and the footer of every file (cheap: no data is read) and says in one sentence
what is wrong and how to fix it: a folder that is not there, a folder without
Parquet files, a file without a column the config names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from konsel_analysis.datasets import DatasetConfig, parquet_columns
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_atomic

REGENCY_KEY = "regency"
KECAMATAN_KEY = "kecamatan"
PART_FILE = "part-0.parquet"


def partition_folder(root: Path, regency: str, kecamatan: str) -> Path:
    """``root/regency=<regency>/kecamatan=<kecamatan>``."""
    return root / f"{REGENCY_KEY}={regency}" / f"{KECAMATAN_KEY}={kecamatan}"


def write_partitions(frame: pd.DataFrame, root: Path, regency: str, area: str) -> list[Path]:
    """Write one regency's register, one file per value of ``area``, keeping row order.

    Each file goes through :func:`files.write_atomic`; the caller makes the whole
    folder appear at once (:func:`staged_folder`).
    """
    written = []
    for code, part in frame.groupby(area, sort=True, observed=True):
        path = partition_folder(root, regency, str(code)) / PART_FILE
        write_atomic(
            path,
            lambda tmp, p=part: p.to_parquet(tmp, index=False, engine="pyarrow"),
        )
        written.append(path)
    return written


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A temporary folder next to ``target``, renamed onto it when the block succeeds.

    On any error the temporary folder is removed and ``target`` is left as it was:
    a reader never sees half a dataset. An older ``target`` is replaced.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(staging, 0o755)  # mkdtemp makes 0700; derived tables are for reading
    try:
        yield staging
        if target.exists():
            old = staging.with_name(f"{staging.name}.old")
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@dataclass(frozen=True)
class PartitionedRegister:
    """A checked partitioned register: its files (sorted) and the columns to read."""

    root: Path
    files: tuple[Path, ...]
    columns: tuple[str, ...]

    def read(self):
        """The register as a dask DataFrame, partitions in file order."""
        import dask.dataframe as dd

        return dd.read_parquet(
            [str(f) for f in self.files],
            columns=list(self.columns),
            split_row_groups=False,
        )


def register_columns(config: DatasetConfig) -> tuple[str, ...]:
    """The register columns scoring needs (never the NIK or name columns)."""
    named = [config.household_id, config.area, *config.programs, *config.numeric]
    return tuple(dict.fromkeys([*named, *config.categorical]))


def parquet_files(root: Path) -> tuple[Path, ...]:
    """Every Parquet file under ``root``, sorted by path (regency, then kecamatan)."""
    return tuple(sorted(p for p in root.rglob("*.parquet") if not p.name.startswith(".")))


def open_partitioned_register(root: Path | str, config: DatasetConfig) -> PartitionedRegister:
    """Check a partitioned register against a dataset config; raise :class:`UserError` if unfit."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(
            f"{root}: the partitioned register folder does not exist; give the folder "
            "written by `konsel synth --partitioned` (its register/ subfolder)"
        )
    files = parquet_files(root)
    if not files:
        raise UserError(
            f"{root}: the folder holds no .parquet files; give a register partitioned "
            "as regency=<code>/kecamatan=<code>/part-0.parquet"
        )
    columns = register_columns(config)
    everywhere = None  # the columns every file has
    for path in files:
        present = parquet_columns(path)
        missing = [c for c in columns if c not in present]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise UserError(
                f"{path}: this partition has no column {missing[0]!r}{more}, which "
                f"{config.path} names; rewrite the partition with every register column "
                "or correct the config"
            )
        everywhere = present if everywhere is None else everywhere & present
    # The village (the config's cluster) is read when every file has it: the intervals
    # then carry village effects, as the single-process path's do.
    if config.cluster and config.cluster in everywhere:
        columns = (*columns, config.cluster)
    return PartitionedRegister(root, files, columns)
