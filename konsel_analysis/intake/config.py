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
    strata: stratum                     # optional survey strata: the bootstrap resamples
                                        # clusters within them (default: within areas)
    persons: household_size             # optional household size: poverty rates over persons
    programs: [is_pkh_recipient]        # optional 0/1 columns
    proxies:
      numeric: [household_size, has_car]      # numbers, 0/1 or booleans
      categorical: [floor_material]           # read as text
      squared: [household_size]               # optional: numeric proxies also squared
    poverty_line: 462710                # a number, {quantile: 0.2} or
                                        # {parameter: poverty_lines.poverty_line}
    extreme_poverty_line: {parameter: poverty_lines.extreme_poverty_line}  # optional
    area_effects: true                  # optional: area dummies in the models (default true)
    transform: auto                     # linear models: log1p of skewed non-negative proxies
                                        # (auto, the default), none, or {log1p: [land_ha]}
    # optional, for real exports (konsel_analysis.intake):
    read: {sheet: Data, header_row: 4, sep: ";", decimal: ",", thousands: "."}
    ranges: {household_size: [1, 25]}   # row checks beyond the data dictionary's
    area_codes: kemendagri              # area/cluster must be Konsel kecamatan/desa codes
    area_crosswalk: bps_codes.csv       # 7-digit BPS kecamatan codes -> Kemendagri
    nik: nik_head                       # personal columns (register): checked, never shown
    names: [name_head]
    max_rejected_share: 0.05            # more rejected rows than this stops the run
    # which columns follow the Konsel data dictionary (konsel_analysis/dictionary.py):
    dictionary: konsel                  # every named column it describes, or a list
    codes: {roof_material: [1, 2, 3]}   # the codes a categorical column may hold
    groups: [is_head_female, ethnicity] # optional: columns targeting errors are broken
                                        # down by, besides the dictionary's groups
                                        # (konsel_analysis.measured.groups)

Poor means welfare strictly below the poverty line, or a class in
``poor_classes``. Rows that fail the row checks (:mod:`konsel_analysis.intake.rows`:
a missing required value, welfare or weight not above zero, a value out of its
range, an unknown kecamatan or desa code, a duplicated household id, a NIK that is
not 16 digits) are set aside in ``rejected/<table>.csv`` with the reason per row;
more than ``max_rejected_share`` of them stops the run. Every problem with a whole
table or config stops with a :class:`DatasetError` whose one sentence names the
file, the column or key and the fix. Messages never quote cell values, so no NIK
or name can leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from konsel_analysis.dictionary import COLUMNS
from konsel_analysis.errors import UserError
from konsel_analysis.intake.read import ReadOptions, TableError
from konsel_analysis.yaml_files import DuplicateKeyError, load_yaml

MISSING_LEVEL = "(missing)"
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
    "strata",
    "persons",
    "programs",
    "proxies",
    "poverty_line",
    "extreme_poverty_line",
    "area_effects",
    "read",
    "ranges",
    "area_codes",
    "area_crosswalk",
    "nik",
    "names",
    "max_rejected_share",
    "dictionary",
    "codes",
    "transform",
    "groups",
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
    read: ReadOptions = ReadOptions()
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    area_codes: Literal["kemendagri"] | None = None
    area_crosswalk: Path | None = None
    nik: str | None = None
    names: tuple[str, ...] = ()
    max_rejected_share: float | None = None  # None: parameters.yml
    #: Columns that follow the Konsel data dictionary: ``"konsel"`` (every column the
    #: config names that the dictionary describes), a tuple of columns, or none.
    dictionary: str | tuple[str, ...] | None = None
    #: The codes a column may hold, declared in the config (``codes:``).
    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Proxies the linear models take as log(1 + value): "auto" (skewed non-negative
    #: ones, chosen in each training fold; :mod:`konsel_analysis.pmt.features`), a tuple
    #: of columns, or None (``transform: none``).
    log1p: str | tuple[str, ...] | None = "auto"
    persons: str | None = None  # household size: poverty rates over persons (as BPS reports)
    strata: str | None = None  # survey strata; None: the area is the stratum
    groups: tuple[str, ...] = ()  # extra columns to break targeting errors down by
    #: Welfare must be above zero (the PMT takes its log); callers whose method takes any
    #: number (the poverty map's log-shift) read with ``welfare_positive=False``. Not a key.
    welfare_positive: bool = True

    def follows_dictionary(self, column: str) -> bool:
        """Whether the data dictionary's type, range and codes apply to ``column``.

        Only to the toolkit's own tables: a column of a foreign table that happens to
        share a dictionary column's name (``roof_material`` coded 1..5 its own way) is
        checked against what its config declares, never against the dictionary.
        """
        if column not in COLUMNS or self.dictionary is None:
            return False
        return self.dictionary == "konsel" or column in self.dictionary

    def declared_codes(self, column: str) -> tuple[str, ...] | None:
        """The codes the config declares for ``column`` (as text), or None."""
        return dict(self.codes).get(column)

    @property
    def personal(self) -> tuple[str, ...]:
        """Columns with personal data: never in a report, a log, a message or a rejected file."""
        return ((self.nik,) if self.nik else ()) + self.names

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
        for key in ("welfare", "welfare_class", "weight", "cluster", "strata", "persons"):
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
        log1p=_transform_key(raw.get("transform", "auto"), numeric, squared, path),
        household_id=_column_name(raw, "household_id", path, required=True),
        area=_column_name(raw, "area", path, required=True),
        numeric=numeric,
        categorical=categorical,
        squared=squared,
        weight=_column_name(raw, "weight", path, required=False),
        cluster=_column_name(raw, "cluster", path, required=False),
        strata=_column_name(raw, "strata", path, required=False),
        persons=_column_name(raw, "persons", path, required=False),
        programs=_column_list(raw.get("programs"), "programs", path),
        groups=_column_list(raw.get("groups"), "groups", path),
        area_effects=area_effects,
        name=str(raw["name"]) if raw.get("name") is not None else None,
        **_welfare_keys(raw, path),
        **_intake_keys(raw, path),
    )


def _transform_key(
    value: Any, numeric: tuple[str, ...], squared: tuple[str, ...], path: Path
) -> str | tuple[str, ...] | None:
    """``transform``: auto (the default), none, or {log1p: [numeric proxies]}."""
    if value in ("auto", None):
        return "auto"
    if value in ("none", False):
        return None
    if isinstance(value, Mapping) and set(value) == {"log1p"}:
        columns = _column_list(value["log1p"], "transform.log1p", path)
        not_numeric = [c for c in columns if c not in numeric]
        if not_numeric:
            raise _fail(
                path,
                f"transform.log1p names {', '.join(not_numeric)}, which is not a numeric "
                "proxy; list it under proxies.numeric or remove it",
            )
        both = [c for c in columns if c in squared]
        if both:
            raise _fail(
                path,
                f"{', '.join(both)} is both squared and under transform.log1p; keep one",
            )
        return columns
    raise _fail(
        path,
        "'transform' must be auto (log1p of skewed non-negative proxies), none, or "
        "{log1p: [column, ...]}",
    )


def _ranges(value: Any, path: Path) -> tuple[tuple[str, float | None, float | None], ...]:
    if value is None:
        return ()
    example = "e.g. `ranges: {household_size: [1, 25]}` (null for no bound)"
    if not isinstance(value, Mapping):
        raise _fail(path, f"'ranges' must map columns to [minimum, maximum], {example}")
    out = []
    for column, bounds in value.items():
        ok = isinstance(bounds, list) and len(bounds) == 2
        ok = ok and all(
            b is None or (isinstance(b, int | float) and not isinstance(b, bool)) for b in bounds
        )
        if not ok or (None not in bounds and bounds[0] > bounds[1]):
            raise _fail(path, f"'ranges' of {column!r} must be [minimum, maximum], {example}")
        out.append((str(column), bounds[0], bounds[1]))
    return tuple(out)


def _intake_keys(raw: Mapping, path: Path) -> dict[str, Any]:
    """The optional keys for real exports: how to read, extra ranges, codes, personal columns."""
    try:
        read = ReadOptions.from_config(raw.get("read"), path)
    except TableError as err:
        raise DatasetError(str(err)) from None
    area_codes = raw.get("area_codes")
    if area_codes not in (None, "kemendagri"):
        raise _fail(path, "'area_codes' must be kemendagri (Konsel's Kemendagri codes) or absent")
    crosswalk = raw.get("area_crosswalk")
    if crosswalk is not None:
        if not isinstance(crosswalk, str) or area_codes != "kemendagri":
            raise _fail(
                path, "'area_crosswalk' must be a CSV path, and needs `area_codes: kemendagri`"
            )
        crosswalk = (path.parent / crosswalk).resolve()
    share = raw.get("max_rejected_share")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1
    ):
        raise _fail(path, "'max_rejected_share' must be a share between 0 and 1, e.g. 0.05")
    return {
        "read": read,
        "ranges": _ranges(raw.get("ranges"), path),
        "area_codes": area_codes,
        "area_crosswalk": crosswalk,
        "nik": _column_name(raw, "nik", path, required=False),
        "names": _column_list(raw.get("names"), "names", path),
        "max_rejected_share": float(share) if share is not None else None,
        "dictionary": _dictionary_key(raw.get("dictionary"), path),
        "codes": _codes_key(raw.get("codes"), path),
    }


def _dictionary_key(value: Any, path: Path) -> str | tuple[str, ...] | None:
    if value is None or value is False:
        return None
    if value == "konsel":
        return "konsel"
    if isinstance(value, list):
        columns = _column_list(value, "dictionary", path)
        foreign = [c for c in columns if c not in COLUMNS]
        if foreign:
            raise _fail(
                path,
                f"'dictionary' lists {', '.join(foreign)}, which the Konsel data dictionary "
                "(konsel_analysis/dictionary.py) does not describe; remove it from the list",
            )
        return columns
    raise _fail(
        path,
        "'dictionary' must be konsel (the columns follow the Konsel data dictionary) or "
        "a list of the columns that do; leave it out for a table coded its own way",
    )


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _codes_key(value: Any, path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value is None:
        return ()
    example = "e.g. `codes: {roof_material: [1, 2, 3, 4, 5]}`"
    if not isinstance(value, Mapping):
        raise _fail(path, f"'codes' must map columns to the list of their codes, {example}")
    out = []
    for column, codes in value.items():
        ok = isinstance(codes, list) and codes
        ok = ok and all(isinstance(c, str | int | float) and not isinstance(c, bool) for c in codes)
        if not ok:
            raise _fail(path, f"'codes' of {column!r} must be a non-empty list of codes, {example}")
        out.append((str(column), tuple(_code_text(c) for c in codes)))
    return tuple(out)


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
        raw = load_yaml(path)
    except DuplicateKeyError as err:
        raise _fail(path, str(err)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _fail(path, f"not valid YAML{where}; fix the syntax") from None
    return parse_dataset_config(raw, path)
