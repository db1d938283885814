"""Taking raw inputs as they are: read, check row by row, keep what is sound, say what is not.

The first step of the work. Dinas Sosial exports (SIKS-NG/DTKS/P3KE sheets, CSV,
Parquet) come with title rows above the header, decimal commas, codes written
three ways, duplicated households and cells that are plainly wrong.

- :mod:`~konsel_analysis.intake.read`: a file to a table of cells (CSV with declared
  separators and decimal commas, XLSX with the header on any row, Parquet); a file
  that is not a usable table stops the command with one sentence.
- :mod:`~konsel_analysis.intake.rows`: the row checks, a pandera schema derived from
  the data dictionary and the dataset config; rows that fail go to
  ``rejected/<table>.csv`` with the reason per row, the rest go on.
- :mod:`~konsel_analysis.intake.config`: the dataset config that describes a table
  (its keys, documented there), parsed once into a ``DatasetConfig``;
- :mod:`~konsel_analysis.intake.checks`: which rules a survey or register gets from its
  config and the dictionary; the ``IntakeReport``; the rejected rows written;
- :mod:`~konsel_analysis.intake.checked`: ``read_checked``, each table checked once
  per process, and once per run of the main job (shared with its processes);
- :mod:`~konsel_analysis.intake.dataset`: the ``Dataset`` (a survey as the models see
  it) and the ``RegisterTable``;
- :mod:`~konsel_analysis.intake.comparability`: does the register look like the
  survey the PMT was fitted on (standardised differences of every proxy)?
- :mod:`~konsel_analysis.intake.cli`: ``konsel check``.

:mod:`konsel_analysis.datasets` gathers the public names of config, checks, checked
and dataset (the models import them from there).
"""
