"""A checked household table as the models see it: :class:`Dataset` (the survey:
proxies, welfare, poor flags, weights, clusters) and :class:`RegisterTable` (the
register: the same proxies, programmes and areas, without welfare).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from konsel_analysis.intake.checked import read_checked
from konsel_analysis.intake.checks import IntakeReport
from konsel_analysis.intake.config import (
    MISSING_LEVEL,
    DatasetConfig,
    DatasetError,
    LineSpec,
    load_dataset_config,
)
from konsel_analysis.weighted import weighted_quantile

# --------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A checked household table: proxies, welfare, poor flags, weights and clusters.

    ``X`` holds the proxies (numeric as float, categorical as text) and, when the
    config asks for area effects, the area column as one more categorical.
    ``y`` is per-capita welfare (welfare mode) or the class (class mode).
    ``programs`` holds the programme flags as booleans, one column each.
    """

    frame: pd.DataFrame
    config: DatasetConfig
    data_path: Path
    X: pd.DataFrame
    y: np.ndarray
    is_poor: np.ndarray
    is_extreme_poor: np.ndarray | None
    weight: np.ndarray
    cluster: np.ndarray
    area: np.ndarray
    poverty_line: float | None
    extreme_poverty_line: float | None
    programs: pd.DataFrame
    intake: IntakeReport | None = None
    persons: np.ndarray | None = None  # household size, when the config names ``persons``
    strata: np.ndarray | None = None  # survey stratum, when the config names ``strata``

    @property
    def mode(self) -> Literal["welfare", "class"]:
        return self.config.mode

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def poverty_rate(self) -> float:
        """Weighted share of households that are poor."""
        return float(np.sum(self.weight * self.is_poor) / np.sum(self.weight))

    @property
    def extreme_poverty_rate(self) -> float | None:
        if self.is_extreme_poor is None:
            return None
        return float(np.sum(self.weight * self.is_extreme_poor) / np.sum(self.weight))

    @property
    def categorical(self) -> tuple[str, ...]:
        """Categorical columns of ``X`` (proxies, then the area when it is a model effect)."""
        return tuple(c for c in self.X.columns if c not in self.config.numeric)


def text_column(series: pd.Series) -> pd.Series:
    """Categories as text; integral numbers without '.0', missing as its own level."""
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna()
        if len(finite) and np.all(np.mod(finite, 1) == 0):
            series = series.astype("Int64")
    text = series.astype("string")
    return text.fillna(MISSING_LEVEL).astype(object)


def _resolve_line(
    spec: LineSpec | None, welfare: np.ndarray, weight: np.ndarray, key: str, config: DatasetConfig
) -> float | None:
    if spec is None:
        return None
    if spec.kind == "number":
        return float(spec.value)
    if spec.kind == "quantile":
        return weighted_quantile(welfare, weight, float(spec.value))
    from konsel_analysis.parameters import load_parameters

    params = load_parameters()
    if spec.value not in params.items:
        raise DatasetError(
            f"{config.path}: {key!r} names parameter {spec.value!r}, which "
            f"{params.path} does not have; use a key such as "
            "poverty_lines.poverty_line"
        )
    return float(params.value(str(spec.value)))


def _class_values(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> np.ndarray:
    column = config.welfare_class
    series = frame[column]
    missing = int(series.isna().sum())
    if missing:
        raise DatasetError(
            f"{data_path}: column {column!r} (welfare_class) has {missing:,} "
            "missing value(s); drop those households or fill their class"
        )
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float)
        if np.all(np.mod(values, 1) == 0):
            return values.astype(np.int64)
        return values
    return series.astype(str).to_numpy(dtype=object)


def _class_flags(
    classes: np.ndarray, wanted: tuple, key: str, config: DatasetConfig, data_path: Path
) -> np.ndarray:
    as_text = np.array([str(c) for c in classes], dtype=object)
    wanted_text = {str(c) for c in wanted}
    flags = np.isin(as_text, list(wanted_text))
    if key == "poor_classes" and not flags.any():
        raise DatasetError(
            f"{data_path}: no household has a class in {key} "
            f"{list(wanted)} of column {config.welfare_class!r}, so there are no "
            f"poor households; correct {key} in {config.path}"
        )
    return flags


def _clusters(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> np.ndarray:
    if not config.cluster:
        return frame[config.household_id].astype(str).to_numpy(dtype=object)
    values = frame[config.cluster].astype(str).to_numpy(dtype=object)
    if len(np.unique(values)) < 2:
        raise DatasetError(
            f"{data_path}: column {config.cluster!r} (cluster) holds a single "
            "cluster, so grouped cross-validation cannot split it; name a "
            f"finer cluster column or remove 'cluster' from {config.path}"
        )
    return values


def _proxy_frame(frame: pd.DataFrame, config: DatasetConfig) -> pd.DataFrame:
    X = pd.DataFrame(index=frame.index)
    for column in config.numeric:
        X[column] = frame[column].astype(float)
    for column in config.categorical:
        X[column] = text_column(frame[column])
    if config.area_effects and config.area not in X.columns:
        X[config.area] = text_column(frame[config.area])
    return X


def _programs(frame: pd.DataFrame, config: DatasetConfig) -> pd.DataFrame:
    return pd.DataFrame(
        {p: frame[p].to_numpy(dtype=bool) for p in config.programs}, index=frame.index
    )


def _poor_flags(
    y: np.ndarray, weight: np.ndarray, config: DatasetConfig, data_path: Path
) -> tuple[np.ndarray, np.ndarray | None, float | None, float | None]:
    if config.mode == "class":
        poor = _class_flags(y, config.poor_classes, "poor_classes", config, data_path)
        extreme = (
            _class_flags(y, config.extreme_poor_classes, "extreme_poor_classes", config, data_path)
            if config.extreme_poor_classes
            else None
        )
        if poor.all():
            raise DatasetError(
                f"{data_path}: every household has a class in poor_classes, so "
                f"nobody is non-poor; correct poor_classes in {config.path}"
            )
        return poor, extreme, None, None
    line = _resolve_line(config.poverty_line, y, weight, "poverty_line", config)
    extreme_line = _resolve_line(
        config.extreme_poverty_line, y, weight, "extreme_poverty_line", config
    )
    poor = y < line
    if not poor.any():
        raise DatasetError(
            f"{data_path}: no household has welfare ({config.welfare!r}) below "
            f"the poverty line {line:,.0f} ({config.poverty_line.describe()}), "
            f"so there are no poor households; check the line in {config.path} "
            "and the welfare unit"
        )
    if poor.all():
        raise DatasetError(
            f"{data_path}: every household has welfare ({config.welfare!r}) "
            f"below the poverty line {line:,.0f}; check the line in "
            f"{config.path} and the welfare unit"
        )
    if extreme_line is not None and extreme_line > line:
        raise DatasetError(
            f"{config.path}: the extreme poverty line {extreme_line:,.0f} is "
            f"above the poverty line {line:,.0f}; swap or correct them"
        )
    extreme = y < extreme_line if extreme_line is not None else None
    return poor, extreme, line, extreme_line


def load_dataset(
    data_path: Path | str, config_path: Path | str, rejected_dir: Path | str | None = None
) -> Dataset:
    """Read a household table and its config, check them and derive what the PMT needs.

    Rows that fail the row checks are left out; with ``rejected_dir``,
    ``dataset.intake`` says where :func:`write_rejected` puts them
    (``rejected_dir/<file stem>.csv``); see :func:`read_checked`.
    Raises :class:`DatasetError` with a one-sentence message on any problem a
    user can cause (missing file, unknown suffix, missing key, absent column,
    a number column that holds text, no poor household, a single cluster, too
    many rejected rows, ...).
    """
    config = (
        config_path if isinstance(config_path, DatasetConfig) else load_dataset_config(config_path)
    )
    data_path = Path(data_path)
    frame, report = read_checked(data_path, config, "survey", rejected_dir)
    weight = frame[config.weight].to_numpy(dtype=float) if config.weight else np.ones(len(frame))
    y = (
        frame[config.welfare].to_numpy(dtype=float)
        if config.mode == "welfare"
        else _class_values(frame, config, data_path)
    )
    poor, extreme, line, extreme_line = _poor_flags(y, weight, config, data_path)
    dataset = Dataset(
        frame=frame,
        config=config,
        data_path=data_path,
        X=_proxy_frame(frame, config),
        y=y,
        is_poor=poor,
        is_extreme_poor=extreme,
        weight=weight,
        cluster=_clusters(frame, config, data_path),
        area=text_column(frame[config.area]).to_numpy(dtype=object),
        poverty_line=line,
        extreme_poverty_line=extreme_line,
        programs=_programs(frame, config),
        intake=report,
        persons=frame[config.persons].to_numpy(dtype=float) if config.persons else None,
        strata=text_column(frame[config.strata]).to_numpy(dtype=object) if config.strata else None,
    )
    return dataset


# --------------------------------------------------------------------------------------
# Register: the same proxies, programmes and areas, without welfare
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterTable:
    """A register described by the same config as the survey: no welfare, no weight.

    ``programs`` holds the 0/1 receipt of each configured programme.
    """

    frame: pd.DataFrame
    config: DatasetConfig
    data_path: Path
    X: pd.DataFrame
    household_id: np.ndarray
    area: np.ndarray
    programs: dict[str, np.ndarray]
    intake: IntakeReport | None = None

    @property
    def n(self) -> int:
        return len(self.household_id)


def load_register(
    data_path: Path | str,
    config: DatasetConfig | Path | str,
    rejected_dir: Path | str | None = None,
) -> RegisterTable:
    """Read a register with the proxies, programmes and area a dataset config names.

    Welfare, weight and cluster are survey columns and are not required here; the
    NIK and name columns the config names (``nik``, ``names``) are. Rows that fail
    the row checks are left out, as in :func:`load_dataset`.
    """
    if not isinstance(config, DatasetConfig):
        config = load_dataset_config(config)
    data_path = Path(data_path)
    frame, report = read_checked(data_path, config, "register", rejected_dir)
    return register_table(frame, config, data_path, report)


def register_table(
    frame: pd.DataFrame,
    config: DatasetConfig,
    data_path: Path,
    report: IntakeReport | None = None,
) -> RegisterTable:
    """What scoring needs from register rows that passed :func:`read_checked` (a whole
    register, or one file of a partitioned register)."""
    return RegisterTable(
        frame=frame,
        config=config,
        data_path=data_path,
        X=_proxy_frame(frame, config),
        household_id=text_column(frame[config.household_id]).to_numpy(dtype=object),
        area=text_column(frame[config.area]).to_numpy(dtype=object),
        programs={p: v.to_numpy(dtype=bool) for p, v in _programs(frame, config).items()},
        intake=report,
    )
