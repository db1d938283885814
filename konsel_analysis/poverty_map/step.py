"""The desa poverty map's step: an EBP poverty map from a survey and a census (or register).

The entry of the main job's step (:mod:`konsel_analysis.build.steps`) and of
``konsel poverty-map`` (:mod:`.cli`, which only parses its arguments and calls
:func:`run`).

The census is read with the survey's config less its welfare, weight and
programme keys (and its personal-data keys, which the map does not use), or with
``census_config_path`` when its columns are named differently: then its proxies
are matched to the survey's by their position in the config's lists, and its
``area``/``cluster`` keys name the same units. A census folder of Parquet
partitions (``konsel synth --partitioned``'s
``regency=<code>/kecamatan=<code>/part-0.parquet``, or any ``*.parquet`` files
under it, read in path order) is read one partition at a time
and never held whole; the numbers are those of the same rows in one file.
``level="area"`` (default) maps the config's ``area``; ``level="cluster"`` maps
its ``cluster`` (desa), with the config's ``area`` as fixed effects (when
``area_effects`` is true and every area has survey households) and as the level above
(``poverty_map_upper.csv``).

Writes, in ``out``, all or nothing:

- ``poverty_map.csv``: one row per census area, the columns of
  :func:`konsel_analysis.poverty_map.estimator.result_columns` (the contract);
- ``poverty_map_upper.csv``: the same by the config's ``area`` (``level="cluster"``);
- ``poverty_map_areas.csv``: per area of ``poverty_map.csv``, the persons (or
  households) in the census, the extreme-poor persons with their interval, the
  rank, CV, plausible ranks, ``rankable`` and ``stands_out`` (above/below the
  overall rate beyond the 90% interval; :func:`area_diagnostics`);
- ``poverty_map.json``: the model (transformation and its likelihoods, variance
  components, ICC, coefficients) and diagnostics;
- ``direct_vs_model.png``: direct against model-based poverty rates of the sampled
  areas (:func:`konsel_analysis.poverty_map.plots.plot_direct_vs_model`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

from konsel_analysis.datasets import (
    DatasetConfig,
    DatasetError,
    load_dataset,
    load_dataset_config,
    read_checked,
)
from konsel_analysis.poverty_map.estimator import Households, PovertyMap
from konsel_analysis.yaml_files import DuplicateKeyError, load_yaml

log = logging.getLogger(__name__)
OUTPUT = "poverty_map.csv"
UPPER = "poverty_map_upper.csv"
AREAS = "poverty_map_areas.csv"
META = "poverty_map.json"
PLOT = "direct_vs_model.png"


def census_config(config: DatasetConfig, census_config_path: Path | None) -> DatasetConfig:
    """The config the census is read with (see the module docstring)."""
    if census_config_path is None:
        return replace(
            config, weight=None, programs=(), nik=None, names=(), max_rejected_share=None
        )
    from konsel_analysis.datasets import parse_dataset_config

    path = Path(census_config_path)
    if not path.is_file():
        raise DatasetError(f"{path}: census config not found; give the path of a dataset config")
    try:
        raw = load_yaml(path)
    except DuplicateKeyError as err:
        raise DatasetError(f"{path}: {err}") from None
    except yaml.YAMLError:
        raise DatasetError(f"{path}: not valid YAML; fix the syntax") from None
    if isinstance(raw, dict) and not raw.get("welfare") and not raw.get("welfare_class"):
        # A census has no welfare: parse the rest with a placeholder welfare column.
        raw = {**raw, "welfare": "(none)", "poverty_line": 1.0}
        raw.pop("extreme_poverty_line", None)
    parsed = parse_dataset_config(raw, path)
    for key in ("numeric", "categorical"):
        if len(getattr(parsed, key)) != len(getattr(config, key)):
            raise DatasetError(
                f"{path}: proxies.{key} lists {len(getattr(parsed, key))} columns but the "
                f"survey config {config.path} lists {len(getattr(config, key))}; list the "
                "census columns of the same proxies, in the same order"
            )
    return replace(parsed, welfare=None, weight=None, programs=(), nik=None, names=())


def _check_census_columns(frame: pd.DataFrame, ccfg: DatasetConfig, path: Path, keys) -> None:
    for column, key in keys:
        if column and column not in frame.columns:
            raise DatasetError(
                f"{path}: has no column {column!r} ({key} in {ccfg.path}); add it to the "
                "census or name the right column with --census-config"
            )


def _proxies(frame: pd.DataFrame, cfg: DatasetConfig, names: DatasetConfig) -> pd.DataFrame:
    """The proxies of ``frame`` (columns named by ``cfg``) under the survey's names."""
    from konsel_analysis.datasets import text_column

    out = pd.DataFrame(index=frame.index)
    for src, dst in zip(cfg.numeric, names.numeric, strict=True):
        out[dst] = pd.to_numeric(frame[src], errors="coerce").astype(float)
    for src, dst in zip(cfg.categorical, names.categorical, strict=True):
        out[dst] = text_column(frame[src])
    return out


def _persons(frame: pd.DataFrame, column: str | None, path: Path, cfg_path: Path):
    if column is None:
        return None
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    bad = int(np.sum(~np.isfinite(values) | (values <= 0)))
    if bad:
        raise DatasetError(
            f"{path}: column {column!r} (persons in {cfg_path}) has {bad:,} missing or "
            "non-positive household size(s); correct them, or drop 'persons' to get rates "
            "over households"
        )
    return values


def _check_survey(dataset, survey_path: Path, level: str) -> None:
    """A continuous welfare, a cluster for --level cluster, the persons column.

    Welfare may be zero or negative (incomes): the log-shift takes it, Box-Cox after
    emdi's shift (:func:`konsel_analysis.poverty_map.model.choose_transformation`).
    """
    cfg = dataset.config
    if cfg.mode != "welfare":
        raise DatasetError(
            f"{cfg.path}: the poverty map needs a continuous 'welfare' column, not "
            "'welfare_class'; name a per-capita welfare column"
        )
    if level == "cluster" and not cfg.cluster:
        raise DatasetError(
            f"{cfg.path}: --level cluster maps the config's 'cluster', which it does not name; "
            "add `cluster: COLUMN` or use --level area"
        )
    if cfg.persons and cfg.persons not in dataset.frame.columns:
        raise DatasetError(
            f"{survey_path}: has no column {cfg.persons!r} (persons in {cfg.path}); add it "
            "or remove 'persons' from the config"
        )


def _labels(frame: pd.DataFrame, column: str) -> np.ndarray:
    from konsel_analysis.datasets import text_column

    return text_column(frame[column]).to_numpy(dtype=object).astype(str)


def census_files(root: Path) -> tuple[Path, ...]:
    """The Parquet files of a partitioned census folder, sorted by path; raise if none.

    The layout ``konsel synth --partitioned`` writes
    (``regency=<code>/kecamatan=<code>/part-0.parquet``) or any folder of Parquet
    files: every file holds the census columns; the rows are read file by file in
    path order (each area's households in the same order as in one file).
    """
    from konsel_analysis.errors import UserError

    files = tuple(sorted(p for p in root.rglob("*.parquet") if not p.name.startswith(".")))
    if not files:
        raise UserError(
            f"{root}: the census folder holds no .parquet files; give a census file or a "
            "folder of Parquet partitions (regency=<code>/kecamatan=<code>/part-0.parquet)"
        )
    return files


def _check_partition_columns(files, ccfg: DatasetConfig, keys) -> None:
    """Every partition's footer names every column the map reads (no data is read)."""
    from konsel_analysis.datasets import parquet_columns
    from konsel_analysis.errors import UserError

    wanted = [(c, "proxies.numeric") for c in ccfg.numeric]
    wanted += [(c, "proxies.categorical") for c in ccfg.categorical]
    wanted += [(c, k) for c, k in keys if c]
    for path in files:
        present = parquet_columns(path)
        for column, key in wanted:
            if column not in present:
                raise UserError(
                    f"{path}: this partition has no column {column!r} ({key} in "
                    f"{ccfg.path}); rewrite the partition with every census column or name "
                    "the right column with --census-config"
                )


@dataclass
class CensusReader:
    """Turns a checked census table (one file or one partition) into :class:`Households`."""

    ccfg: DatasetConfig
    cfg: DatasetConfig
    level: str
    fixed: bool = False

    @property
    def unit(self) -> str:
        if self.level == "cluster":
            return self.ccfg.cluster or self.cfg.cluster
        return self.ccfg.area

    def keys(self) -> list[tuple[str, str]]:
        keys = [(self.ccfg.area, "area")]
        if self.level == "cluster":
            keys.append((self.unit, "cluster"))
        if self.cfg.persons:
            keys.append((self.ccfg.persons or self.cfg.persons, "persons"))
        return keys

    def read(self, path: Path) -> pd.DataFrame:
        frame, _ = read_checked(path, self.ccfg, "register")
        _check_census_columns(frame, self.ccfg, path, self.keys())
        return frame

    def households(self, frame: pd.DataFrame, path: Path) -> Households:
        Xc = _proxies(frame, self.ccfg, self.cfg)
        upper = _labels(frame, self.ccfg.area) if self.level == "cluster" else None
        if self.fixed:
            Xc["(area)"] = upper
        persons_col = (self.ccfg.persons or self.cfg.persons) if self.cfg.persons else None
        return Households(
            Xc,
            _labels(frame, self.unit),
            persons=_persons(frame, persons_col, path, self.ccfg.path),
            upper=upper,
        )


@dataclass
class PartitionedCensus:
    """A census folder read partition by partition (:class:`CensusParts`)."""

    files: tuple[Path, ...]
    reader: CensusReader

    def parts(self):
        for path in self.files:
            yield self.reader.households(self.reader.read(path), path)

    def labels(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Every partition's mapped-unit labels and (``--level cluster``) area labels."""
        units, uppers = [], []
        for path in self.files:
            frame = self.reader.read(path)
            units.append(_labels(frame, self.reader.unit))
            if self.reader.level == "cluster":
                uppers.append(_labels(frame, self.reader.ccfg.area))
        upper = np.concatenate(uppers) if uppers else None
        return np.concatenate(units), upper


def build_inputs(
    survey_path,
    census_path,
    config_path,
    census_config_path=None,
    level="area",
    drop_unknown_areas: bool = False,
):
    """Read and check both tables; the survey and census :class:`Households`, the lines.

    ``census_path`` may be a folder of Parquet partitions: the census is then a
    :class:`PartitionedCensus`, read one partition at a time (the estimator makes
    two passes over it). Survey areas missing from the census stop with a
    :class:`DatasetError`; with ``drop_unknown_areas`` (the pipeline: a register
    export lacking a kecamatan must not take the whole build down) their survey
    households are left out and logged.
    """
    survey_path, census_path = Path(survey_path), Path(census_path)
    config = load_dataset_config(config_path)
    dataset = load_dataset(survey_path, replace(config, welfare_positive=False))
    cfg = dataset.config
    _check_survey(dataset, survey_path, level)
    ccfg = census_config(cfg, census_config_path)
    reader = CensusReader(ccfg, cfg, level)
    if census_path.is_dir():
        files = census_files(census_path)
        _check_partition_columns(files, ccfg, reader.keys())
        census = PartitionedCensus(files, reader)
        c_area, upper_c = census.labels()
    else:
        census_frame = reader.read(census_path)
        c_area = _labels(census_frame, reader.unit)
        upper_c = _labels(census_frame, ccfg.area) if level == "cluster" else None
    s_unit = cfg.cluster if level == "cluster" else cfg.area
    s_area = _labels(dataset.frame, s_unit)
    missing = sorted(set(s_area) - set(c_area))
    if missing and not drop_unknown_areas:
        raise DatasetError(
            f"{survey_path}: {len(missing):,} {s_unit!r} value(s) of the survey (e.g. "
            f"{missing[0]!r}) are not in {census_path}; the census must hold every surveyed "
            "area: correct the codes or give the complete census"
        )
    Xs = _proxies(dataset.frame, cfg, cfg)
    upper_s = None
    fixed = []
    if level == "cluster":
        upper_s = _labels(dataset.frame, cfg.area)
        if cfg.area_effects and set(upper_c) <= set(upper_s):
            Xs["(area)"] = upper_s
            fixed = ["(area)"]
            reader.fixed = True
    del c_area, upper_c
    survey = Households(
        Xs,
        s_area,
        welfare=dataset.y,
        weight=dataset.weight if cfg.weight else None,
        persons=_persons(dataset.frame, cfg.persons, survey_path, cfg.path),
        upper=upper_s,
        cluster=dataset.cluster if level == "area" and cfg.cluster else None,
    )
    if not census_path.is_dir():
        census = reader.households(census_frame, census_path)
        del census_frame
    if missing:
        keep = ~np.isin(s_area, missing)
        log.warning(
            "poverty map: %d survey household(s) of %d area(s) not in %s left out",
            int((~keep).sum()),
            len(missing),
            census_path.name,
        )
        survey = survey.subset(keep)
    return survey, census, dataset, fixed


def per_area_table(pm: PovertyMap) -> pd.DataFrame:
    """Persons, extreme-poor persons and the ranking diagnostics of each mapped area."""
    from konsel_analysis.poverty_map.diagnostics import area_diagnostics

    t = pm.table_
    persons = pm.persons_
    overall = float(t["poor_persons"].sum() / persons.sum())
    out = area_diagnostics(t, overall)
    out.insert(1, "persons", persons)
    for suffix in ("", "_low", "_high"):
        out[f"extreme_poor_persons{suffix}"] = (
            t[f"extreme_poverty_rate{suffix}"].to_numpy() * persons
            if "extreme_poverty_rate" in t
            else np.nan
        )
    out["overall_poverty_rate"] = overall
    return out


def run(
    survey_path,
    census_path,
    config_path,
    out: Path,
    census_config_path=None,
    level: str = "area",
    reps: int = 200,
    seed: int = 0,
    drop_unknown_areas: bool = False,
    benchmark: bool = False,
) -> tuple[PovertyMap, list[Path]]:
    """Fit, predict, bootstrap and write the map; returns the fitted map and the paths written.

    On one BLAS thread: the same bits whether the step runs in a report worker or in the
    command (matrix products split over threads add in another order).
    """
    with threadpool_limits(limits=1):
        return _run(
            survey_path, census_path, config_path, out, census_config_path, level, reps, seed,
            drop_unknown_areas, benchmark,
        )  # fmt: skip


def _run(
    survey_path, census_path, config_path, out, census_config_path, level, reps, seed,
    drop_unknown_areas, benchmark,
):  # fmt: skip
    from konsel_analysis.files import write_files_atomic
    from konsel_analysis.poverty_map.diagnostics import diagnostics

    survey, census, dataset, fixed = build_inputs(
        survey_path, census_path, config_path, census_config_path, level, drop_unknown_areas
    )
    cfg = dataset.config
    pm = PovertyMap(
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        numeric=cfg.numeric,
        categorical=(*cfg.categorical, *fixed),
        squared=cfg.squared,
        reps=reps,
        seed=seed,
        benchmark=benchmark,
    )
    try:
        pm.fit(survey, census)
    except np.linalg.LinAlgError:
        raise DatasetError(
            f"{survey_path}: the proxies in {cfg.path} leave too few survey households to "
            "fit the model; list fewer proxies or give more survey households"
        ) from None
    meta = {
        "survey": Path(survey_path).name,  # names only: the same inputs give the same bytes
        "census": Path(census_path).name,
        "level": level,
        "unit": "persons" if cfg.persons else "households",
        "poverty_line": dataset.poverty_line,
        "extreme_poverty_line": dataset.extreme_poverty_line,
        "areas": len(pm.areas_),
        "sampled_areas": int((pm.table_.sampled_households > 0).sum()),
        "model": pm.summary(),
        "diagnostics": diagnostics(pm, survey),
    }
    areas = per_area_table(pm)
    text = json.dumps(meta, indent=2, ensure_ascii=False, default=float) + "\n"
    files = {
        OUTPUT: lambda p: pm.table_.to_csv(p, index=False, float_format="%.6g"),
        AREAS: lambda p: areas.to_csv(p, index=False, float_format="%.6g"),
        META: lambda p: Path(p).write_text(text, encoding="utf-8"),
    }
    if pm.upper_table_ is not None:
        files[UPPER] = lambda p: pm.upper_table_.to_csv(p, index=False, float_format="%.6g")
    files[PLOT] = lambda p: write_direct_vs_model(pm.table_, p, level)
    return pm, write_files_atomic(files, Path(out))


def write_direct_vs_model(table: pd.DataFrame, path: Path, level: str) -> None:
    """The direct-against-model chart of the sampled areas as a PNG (Bahasa Indonesia)."""
    from konsel_analysis.poverty_map.plots import plot_direct_vs_model

    fig = plot_direct_vs_model(table, "id", "desa" if level == "cluster" else "area")
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
