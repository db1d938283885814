"""Any household table, described by a dataset config YAML, read and checked at the border.

The PMT step works on any household table (CSV, Parquet or XLSX) that a small
YAML file describes. The keys (the stable contract of ``konsel validate-pmt``)::

    household_id: household_id          # one row per household
    welfare: consumption_pc_month_idr   # per-capita welfare, > 0 ...
    # ... or, for data with an ordinal welfare class instead:
    # welfare_class: Target
    # poor_classes: [1, 2]
    # extreme_poor_classes: [1]         # optional
    weight: design_weight               # optional survey weight (1 when absent)
    area: kecamatan_code                # reporting unit
    cluster: village_code               # optional; fold unit (each household when absent)
    programs: [is_pkh_recipient]        # optional 0/1 columns
    proxies:
      numeric: [household_size, has_car]      # numbers, 0/1 or booleans
      categorical: [floor_material]           # read as text
      squared: [household_size]               # optional: numeric proxies also squared
    poverty_line: 462710                # a number, {quantile: 0.2} or
                                        # {parameter: poverty_lines.poverty_line}
    extreme_poverty_line: {parameter: poverty_lines.extreme_poverty_line}  # optional
    area_effects: true                  # optional: area dummies in the models (default true)

Poor means welfare strictly below the poverty line, or a class in
``poor_classes``. Every problem a user can cause stops with a
:class:`DatasetError` whose one sentence names the file, the column or key and
the fix. Messages never quote cell values, so no NIK or name can leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from konsel_analysis.errors import UserError
from konsel_analysis.pmt.metrics import weighted_quantile

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")
MISSING_LEVEL = "(missing)"
_TRUE = {"1", "1.0", "true", "yes", "y", "ya"}
_FALSE = {"0", "0.0", "false", "no", "n", "tidak"}
_DOC_KEYS = {"name", "title", "description", "source", "notes", "license", "citation"}
_KNOWN_KEYS = {
    "household_id",
    "welfare",
    "welfare_class",
    "poor_classes",
    "extreme_poor_classes",
    "weight",
    "area",
    "cluster",
    "programs",
    "proxies",
    "poverty_line",
    "extreme_poverty_line",
    "area_effects",
} | _DOC_KEYS


class DatasetError(UserError):
    """A dataset or its config cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class LineSpec:
    """How a poverty line is given: a number, a weighted quantile of welfare or a parameter."""

    kind: Literal["number", "quantile", "parameter"]
    value: float | str

    def describe(self) -> str:
        if self.kind == "number":
            return "a number in the dataset config"
        if self.kind == "quantile":
            return f"the weighted {self.value:g} quantile of welfare"
        return f"parameter {self.value} of konsel_analysis/reference/parameters.yml"


@dataclass(frozen=True)
class DatasetConfig:
    """A household table's description, read from a dataset config YAML."""

    path: Path
    household_id: str
    area: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    squared: tuple[str, ...] = ()
    welfare: str | None = None
    welfare_class: str | None = None
    poor_classes: tuple = ()
    extreme_poor_classes: tuple = ()
    weight: str | None = None
    cluster: str | None = None
    programs: tuple[str, ...] = ()
    poverty_line: LineSpec | None = None
    extreme_poverty_line: LineSpec | None = None
    area_effects: bool = True
    name: str | None = None

    @property
    def mode(self) -> Literal["welfare", "class"]:
        """``welfare`` for a continuous per-capita welfare, ``class`` for an ordinal class."""
        return "welfare" if self.welfare else "class"

    @property
    def proxies(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def columns(self) -> dict[str, str]:
        """Every column the config names, with the key that names it."""
        named = {self.household_id: "household_id", self.area: "area"}
        for key in ("welfare", "welfare_class", "weight", "cluster"):
            if getattr(self, key):
                named.setdefault(getattr(self, key), key)
        for key, cols in (
            ("programs", self.programs),
            ("proxies.numeric", self.numeric),
            ("proxies.categorical", self.categorical),
        ):
            for col in cols:
                named.setdefault(col, key)
        return named


# --------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------


def _fail(path: Path, message: str) -> DatasetError:
    return DatasetError(f"{path}: {message}")


def _column_name(raw: Mapping, key: str, path: Path, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise _fail(path, f"key {key!r} is missing; add `{key}: COLUMN` naming its column")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"key {key!r} must name one column, as text")
    return value


def _column_list(value: Any, key: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list):
        raise _fail(path, f"key {key!r} must be a list of column names, e.g. `{key}: [a, b]`")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"every entry of {key!r} must be a column name, as text")
    duplicated = sorted({v for v in value if value.count(v) > 1})
    if duplicated:
        raise _fail(path, f"{key!r} lists {', '.join(duplicated)} more than once; list each once")
    return tuple(value)


def _line_spec(value: Any, key: str, path: Path) -> LineSpec | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(path, f"{key!r} must be a number, {{quantile: q}} or {{parameter: KEY}}")
    if isinstance(value, int | float):
        if not np.isfinite(value) or value <= 0:
            raise _fail(path, f"{key!r} must be a positive number")
        return LineSpec("number", float(value))
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, arg),) = value.items()
        if kind == "quantile" and isinstance(arg, int | float) and not isinstance(arg, bool):
            if not 0.0 < arg < 1.0:
                raise _fail(path, f"{key!r}: the quantile must be between 0 and 1, e.g. 0.2")
            return LineSpec("quantile", float(arg))
        if kind == "parameter" and isinstance(arg, str):
            return LineSpec("parameter", arg)
    raise _fail(
        path,
        f"{key!r} must be a number, {{quantile: q}} (0 < q < 1) or "
        "{parameter: poverty_lines.poverty_line}",
    )


def _class_list(value: Any, key: str, path: Path) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise _fail(path, f"{key!r} must be a non-empty list of classes, e.g. `{key}: [1, 2]`")
    return tuple(value)


def _proxies(raw: Mapping, path: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    proxies = raw.get("proxies")
    if not isinstance(proxies, Mapping):
        raise _fail(
            path,
            "key 'proxies' is missing or not a mapping; add "
            "`proxies: {numeric: [...], categorical: [...]}`",
        )
    unknown = set(proxies) - {"numeric", "categorical", "squared"}
    if unknown:
        raise _fail(
            path,
            f"'proxies' has unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            "use numeric, categorical and squared",
        )
    numeric = _column_list(proxies.get("numeric"), "proxies.numeric", path)
    categorical = _column_list(proxies.get("categorical"), "proxies.categorical", path)
    squared = _column_list(proxies.get("squared"), "proxies.squared", path)
    if not numeric and not categorical:
        raise _fail(
            path, "'proxies' lists no column; list at least one under numeric or categorical"
        )
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise _fail(
            path, f"{', '.join(both)} listed as both numeric and categorical proxy; keep one"
        )
    not_numeric = sorted(set(squared) - set(numeric))
    if not_numeric:
        raise _fail(
            path,
            f"proxies.squared names {', '.join(not_numeric)}, which is not a "
            "numeric proxy; list it under proxies.numeric too",
        )
    return numeric, categorical, squared


def _welfare_keys(raw: Mapping, path: Path) -> dict[str, Any]:
    welfare = _column_name(raw, "welfare", path, required=False)
    welfare_class = _column_name(raw, "welfare_class", path, required=False)
    if bool(welfare) == bool(welfare_class):
        raise _fail(
            path,
            "give exactly one of 'welfare' (a per-capita welfare column) and "
            "'welfare_class' (an ordinal class column, with poor_classes)",
        )
    keys: dict[str, Any] = {"welfare": welfare, "welfare_class": welfare_class}
    if welfare:
        for key in ("poor_classes", "extreme_poor_classes"):
            if raw.get(key) is not None:
                raise _fail(
                    path,
                    f"{key!r} applies only with 'welfare_class'; remove it or "
                    "replace 'welfare' by 'welfare_class'",
                )
        keys["poverty_line"] = _line_spec(raw.get("poverty_line"), "poverty_line", path)
        if keys["poverty_line"] is None:
            raise _fail(
                path,
                "key 'poverty_line' is missing; add a number, {quantile: q} or "
                "{parameter: poverty_lines.poverty_line}",
            )
        keys["extreme_poverty_line"] = _line_spec(
            raw.get("extreme_poverty_line"), "extreme_poverty_line", path
        )
        return keys
    for key in ("poverty_line", "extreme_poverty_line"):
        if raw.get(key) is not None:
            raise _fail(
                path,
                f"{key!r} applies only with 'welfare'; with 'welfare_class' poor "
                "means a class in poor_classes: remove it",
            )
    keys["poor_classes"] = _class_list(raw.get("poor_classes"), "poor_classes", path)
    if not keys["poor_classes"]:
        raise _fail(
            path,
            "key 'poor_classes' is missing; with 'welfare_class' list the classes "
            "that count as poor, e.g. `poor_classes: [1, 2]`",
        )
    keys["extreme_poor_classes"] = _class_list(
        raw.get("extreme_poor_classes"), "extreme_poor_classes", path
    )
    outside = [c for c in keys["extreme_poor_classes"] if c not in keys["poor_classes"]]
    if outside:
        raise _fail(path, "every class in 'extreme_poor_classes' must also be in 'poor_classes'")
    return keys


def parse_dataset_config(raw: Any, path: Path | str) -> DatasetConfig:
    """Check a parsed config mapping and build the :class:`DatasetConfig`."""
    path = Path(path)
    if not isinstance(raw, Mapping):
        raise _fail(
            path,
            "a dataset config must be a YAML mapping of keys such as "
            "household_id, welfare, area and proxies",
        )
    unknown = sorted(str(k) for k in set(raw) - _KNOWN_KEYS)
    if unknown:
        raise _fail(
            path,
            f"unknown key(s) {', '.join(unknown)}; known keys are "
            f"{', '.join(sorted(_KNOWN_KEYS - _DOC_KEYS))}",
        )
    numeric, categorical, squared = _proxies(raw, path)
    area_effects = raw.get("area_effects", True)
    if not isinstance(area_effects, bool):
        raise _fail(path, "'area_effects' must be true or false")
    return DatasetConfig(
        path=path,
        household_id=_column_name(raw, "household_id", path, required=True),
        area=_column_name(raw, "area", path, required=True),
        numeric=numeric,
        categorical=categorical,
        squared=squared,
        weight=_column_name(raw, "weight", path, required=False),
        cluster=_column_name(raw, "cluster", path, required=False),
        programs=_column_list(raw.get("programs"), "programs", path),
        area_effects=area_effects,
        name=str(raw["name"]) if raw.get("name") is not None else None,
        **_welfare_keys(raw, path),
    )


def load_dataset_config(path: Path | str) -> DatasetConfig:
    """Read and check a dataset config YAML.

    >>> from konsel_analysis.paths import CONFIGS_DIR
    >>> load_dataset_config(CONFIGS_DIR / "konsel_survey.yml").welfare
    'consumption_pc_month_idr'
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(
            path,
            "dataset config not found; give the path of a dataset config YAML "
            "(e.g. konsel_analysis/configs/konsel_survey.yml)",
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _fail(path, f"not valid YAML{where}; fix the syntax") from None
    return parse_dataset_config(raw, path)


# --------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------


def read_table(path: Path | str, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV, Parquet or XLSX table, by file suffix.

    ``text_columns`` are read as text from CSV and XLSX, so that codes such as
    ``0042`` keep their leading zeros.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise _fail(
            path,
            f"unknown table type {suffix or '(no suffix)'!r}; give a "
            f"{', '.join(TABLE_SUFFIXES)} file",
        )
    if not path.is_file():
        raise _fail(path, "data file not found; check the path given to --data")
    dtype = dict.fromkeys(text_columns, str)
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=dtype, low_memory=False)
        if suffix == ".xlsx":
            return pd.read_excel(path, dtype=dtype)
        return pd.read_parquet(path)
    except (ValueError, OSError, ImportError) as err:
        raise _fail(
            path,
            f"cannot read the {suffix} file ({type(err).__name__}); check that "
            "it is a valid, complete file",
        ) from None


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


def _check_columns(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> None:
    named = config.columns()
    missing = [c for c in named if c not in frame.columns]
    if missing:
        listing = ", ".join(f"{c!r} ({named[c]})" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise DatasetError(
            f"{config.path}: names column(s) {listing}{more} that {data_path} does not have; "
            "correct the config or the table"
        )
    if len(frame) == 0:
        raise DatasetError(f"{data_path}: the table has no rows; give a table of households")


def _to_number(series: pd.Series) -> pd.Series:
    """Numbers, booleans and yes/no text as float; anything else becomes NaN."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_complex_dtype(series):
            return pd.Series(np.nan, index=series.index)
        return series.astype(float)
    text = series.astype("string").str.strip().str.lower()
    out = pd.to_numeric(text, errors="coerce").astype(float)
    out[text.isin(_TRUE)] = 1.0
    out[text.isin(_FALSE)] = 0.0
    return out


def _numeric_column(
    frame: pd.DataFrame, column: str, key: str, where: str, allow_missing: bool
) -> pd.Series:
    values = _to_number(frame[column])
    bad = int((values.isna() & frame[column].notna()).sum())
    if bad:
        raise DatasetError(
            f"{where}: column {column!r} ({key}) has {bad:,} value(s) that are not "
            "numbers; clean them, or list the column as a categorical proxy"
        )
    if np.isinf(values).any():
        raise DatasetError(
            f"{where}: column {column!r} ({key}) has infinite values; replace them by real numbers"
        )
    missing = int(values.isna().sum())
    if missing and not allow_missing:
        raise DatasetError(
            f"{where}: column {column!r} ({key}) has {missing:,} missing "
            "value(s); fill them or drop those households"
        )
    return values


def _text_column(series: pd.Series) -> pd.Series:
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


def _programs(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in config.programs:
        values = _to_number(frame[column])
        if values.isna().any() or not values.isin([0.0, 1.0]).all():
            raise DatasetError(
                f"{data_path}: programme column {column!r} must hold only 0/1 "
                f"(or true/false) values; recode it or remove it from 'programs' "
                f"in {config.path}"
            )
        out[column] = values.to_numpy() == 1.0
    return out


def _check_ids(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> None:
    ids = frame[config.household_id]
    if ids.isna().any():
        raise DatasetError(
            f"{data_path}: column {config.household_id!r} (household_id) has "
            "missing values; every household needs an identifier"
        )
    duplicated = int(ids.duplicated().sum())
    if duplicated:
        raise DatasetError(
            f"{data_path}: column {config.household_id!r} (household_id) has "
            f"{duplicated:,} duplicated value(s); give one row per household"
        )


def _weights(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> np.ndarray:
    if not config.weight:
        return np.ones(len(frame))
    w = _numeric_column(frame, config.weight, "weight", str(data_path), allow_missing=False)
    if (w < 0).any() or w.sum() <= 0:
        raise DatasetError(
            f"{data_path}: column {config.weight!r} (weight) must hold "
            "non-negative weights with a positive total; fix the weights"
        )
    return w.to_numpy()


def _clusters(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> np.ndarray:
    if not config.cluster:
        return frame[config.household_id].astype(str).to_numpy(dtype=object)
    cluster = frame[config.cluster]
    if cluster.isna().any():
        raise DatasetError(
            f"{data_path}: column {config.cluster!r} (cluster) has missing "
            "values; fill them or remove 'cluster' from the config"
        )
    values = cluster.astype(str).to_numpy(dtype=object)
    if len(np.unique(values)) < 2:
        raise DatasetError(
            f"{data_path}: column {config.cluster!r} (cluster) holds a single "
            "cluster, so grouped cross-validation cannot split it; name a "
            f"finer cluster column or remove 'cluster' from {config.path}"
        )
    return values


def _welfare(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> np.ndarray:
    y = _numeric_column(frame, config.welfare, "welfare", str(data_path), allow_missing=False)
    if (y <= 0).any():
        raise DatasetError(
            f"{data_path}: column {config.welfare!r} (welfare) has "
            f"{int((y <= 0).sum()):,} value(s) at or below zero; per-capita "
            "welfare must be positive (the models work on its logarithm)"
        )
    return y.to_numpy()


def _proxy_frame(frame: pd.DataFrame, config: DatasetConfig, data_path: Path) -> pd.DataFrame:
    X = pd.DataFrame(index=frame.index)
    for column in config.numeric:
        X[column] = _numeric_column(
            frame, column, "proxies.numeric", str(data_path), allow_missing=True
        )
    for column in config.categorical:
        X[column] = _text_column(frame[column])
    if config.area_effects and config.area not in X.columns:
        X[config.area] = _text_column(frame[config.area])
    return X


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


def load_dataset(data_path: Path | str, config_path: Path | str) -> Dataset:
    """Read a household table and its config, check them and derive what the PMT needs.

    Raises :class:`DatasetError` with a one-sentence message on any problem a
    user can cause (missing file, unknown suffix, missing key, absent column,
    non-numeric welfare, no poor household, a single cluster, ...).
    """
    config = load_dataset_config(config_path)
    data_path = Path(data_path)
    text = tuple(c for c in (config.household_id, config.area, config.cluster) if c)
    frame = read_table(data_path, text_columns=text + config.categorical)
    _check_columns(frame, config, data_path)
    frame = frame.reset_index(drop=True)
    _check_ids(frame, config, data_path)
    weight = _weights(frame, config, data_path)
    y = (
        _welfare(frame, config, data_path)
        if config.mode == "welfare"
        else _class_values(frame, config, data_path)
    )
    poor, extreme, line, extreme_line = _poor_flags(y, weight, config, data_path)
    programs = _programs(frame, config, data_path)
    return Dataset(
        frame=frame,
        config=config,
        data_path=data_path,
        X=_proxy_frame(frame, config, data_path),
        y=y,
        is_poor=poor,
        is_extreme_poor=extreme,
        weight=weight,
        cluster=_clusters(frame, config, data_path),
        area=_text_column(frame[config.area]).to_numpy(dtype=object),
        poverty_line=line,
        extreme_poverty_line=extreme_line,
        programs=programs,
    )


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

    @property
    def n(self) -> int:
        return len(self.household_id)


def load_register(data_path: Path | str, config: DatasetConfig | Path | str) -> RegisterTable:
    """Read a register with the proxies, programmes and area a dataset config names.

    Welfare, weight and cluster are survey columns and are not required here.
    """
    if not isinstance(config, DatasetConfig):
        config = load_dataset_config(config)
    data_path = Path(data_path)
    text = (config.household_id, config.area)
    frame = read_table(data_path, text_columns=text + config.categorical)
    needed = {
        config.household_id: "household_id",
        config.area: "area",
        **{c: "programs" for c in config.programs},
        **{c: "proxies.numeric" for c in config.numeric},
        **{c: "proxies.categorical" for c in config.categorical},
    }
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        listing = ", ".join(f"{c!r} ({needed[c]})" for c in missing[:8])
        raise DatasetError(
            f"{config.path}: names column(s) {listing} that the register "
            f"{data_path} does not have; correct the config or the register"
        )
    if len(frame) == 0:
        raise DatasetError(f"{data_path}: the register has no rows; give a table of households")
    frame = frame.reset_index(drop=True)
    _check_ids(frame, config, data_path)
    return RegisterTable(
        frame=frame,
        config=config,
        data_path=data_path,
        X=_proxy_frame(frame, config, data_path),
        household_id=_text_column(frame[config.household_id]).to_numpy(dtype=object),
        area=_text_column(frame[config.area]).to_numpy(dtype=object),
        programs={
            p: v.to_numpy(dtype=bool) for p, v in _programs(frame, config, data_path).items()
        },
    )
