"""Any household table, described by a dataset config YAML, read and checked at the border.

The code lives in :mod:`konsel_analysis.intake`, one module per seam:

- :mod:`~konsel_analysis.intake.config`: the dataset config (its keys, documented
  there) parsed into a :class:`DatasetConfig`;
- :mod:`~konsel_analysis.intake.checks`: the row checks a table gets from its config
  and the data dictionary, the :class:`IntakeReport`, the rejected rows;
- :mod:`~konsel_analysis.intake.checked`: :func:`read_checked`, tables checked once per
  process and shared between the main job's processes;
- :mod:`~konsel_analysis.intake.dataset`: the :class:`Dataset` (a survey as the models
  see it) and the :class:`RegisterTable`.

This module gathers their public names, so ``from konsel_analysis.datasets import
load_dataset`` reads as before.
"""

from __future__ import annotations

from konsel_analysis.intake.checked import read_checked
from konsel_analysis.intake.checks import (
    IntakeReport,
    max_rejected_share,
    rejected_path,
    write_rejected,
)
from konsel_analysis.intake.config import (
    MISSING_LEVEL,
    DatasetConfig,
    DatasetError,
    LineSpec,
    load_dataset_config,
    parse_dataset_config,
)
from konsel_analysis.intake.dataset import (
    Dataset,
    RegisterTable,
    load_dataset,
    load_register,
    register_table,
    text_column,
)
from konsel_analysis.intake.read import parquet_columns

__all__ = [
    "MISSING_LEVEL",
    "Dataset",
    "DatasetConfig",
    "DatasetError",
    "IntakeReport",
    "LineSpec",
    "RegisterTable",
    "load_dataset",
    "load_dataset_config",
    "load_register",
    "max_rejected_share",
    "parquet_columns",
    "parse_dataset_config",
    "read_checked",
    "register_table",
    "rejected_path",
    "text_column",
    "write_rejected",
]
