"""Scale beyond one regency: the same scoring, expected errors and ranking on Dask.

- :mod:`.partitioned`: the partitioned register (Parquet, hive folders
  ``regency=<code>/kecamatan=<code>/``): write, check, read with dask.dataframe;
- :mod:`.national`: a national-size synthetic register, written regency by regency;
- :mod:`.replicates`: the receipt-aware model and its bootstrap refits, fitted once
  on the survey and sent to every partition;
- :mod:`.score`: scoring with ``map_partitions``, expected errors per area from
  additive per-replicate sums, the verification ranking from per-partition
  candidates (``konsel score-partitioned``);
- :mod:`.cluster`: connecting to a dask.distributed cluster or starting a local one
  (the report notebooks run there with ``konsel reports --engine dask``:
  :mod:`konsel_analysis.reports.dask_pool`).

The single-process path (:mod:`konsel_analysis.targeting.score`) stays the
default: for one regency it is faster (README, Benchmarks).
"""
