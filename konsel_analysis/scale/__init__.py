"""Scale beyond one regency: the same scoring, expected errors and ranking on Dask.

- :mod:`.partitioned`: the partitioned register (Parquet, hive folders
  ``regency=<code>/kecamatan=<code>/``): write, check, read with dask.dataframe;
- :mod:`.national`: a national-size synthetic register, written regency by regency;
- :mod:`.replicates`: the receipt-aware model and its bootstrap refits, fitted once
  on the survey and sent to every partition;
- :mod:`.score`: scoring with ``map_partitions``, expected errors per area from
  additive per-replicate sums, the verification ranking from per-partition
  candidates (``konsel score-partitioned``);
- :mod:`.reports`: the report notebooks executed on a dask.distributed cluster
  (``konsel reports --engine dask``).

The single-process path (:mod:`konsel_analysis.targeting.score`) stays the
default: for one regency it is faster (README, Benchmarks).
"""
