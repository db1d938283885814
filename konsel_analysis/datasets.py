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
                                        # (konsel_analysis.targeting.groups)

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

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from konsel_analysis.dictionary import COLUMNS
from konsel_analysis.errors import UserError
from konsel_analysis.files import write_csv_atomic
from konsel_analysis.intake.read import ReadOptions, TableError, read_raw_table
from konsel_analysis.intake.rows import AreaCodes, RowCheck, Rule, check_rows, read_crosswalk
from konsel_analysis.pmt.metrics import weighted_quantile

MISSING_LEVEL = "(missing)"
log = logging.getLogger(__name__)
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _fail(path, f"not valid YAML{where}; fix the syntax") from None
    return parse_dataset_config(raw, path)


# --------------------------------------------------------------------------------------
# Reading and row checks (konsel_analysis.intake), by the config's roles
# --------------------------------------------------------------------------------------

Role = Literal["survey", "register"]


@dataclass(frozen=True)
class IntakeReport:
    """What the row checks did to one table: accepted + rejected = read."""

    data_path: Path
    rows_read: int
    accepted: int
    rejected: int
    reason_counts: pd.Series  # rows per "column: reason"
    rejected_path: Path | None  # where the rejected rows go, when they are written
    rejected_rows: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    label: str | None = None  # how the file is named in messages (default: its name)

    def describe(self) -> str:
        """One line for the command's output (names no person)."""
        line = (
            f"{self.label or self.data_path.name}: {self.rows_read:,} rows read, {self.accepted:,} "
            f"accepted, {self.rejected:,} rejected"
        )
        if self.rejected and len(self.reason_counts):
            line += f" (most often {self.reason_counts.index[0]})"
        if self.rejected_path is not None and self.rejected:
            line += f"; reasons per row in {self.rejected_path}"
        return line


def _dictionary_bounds(column: str, config: DatasetConfig) -> tuple[float | None, float | None]:
    """The dictionary's range of a column that follows it; no bound for any other."""
    if not config.follows_dictionary(column):
        return None, None
    entry = COLUMNS[column]
    if entry.dtype == "bool":
        return 0.0, 1.0
    return entry.minimum, entry.maximum


def _survey_rules(config: DatasetConfig, bounded: Callable[..., Rule]) -> list[Rule]:
    """The rules only a survey has: welfare (or its class), weight, strata, persons."""
    if config.welfare:
        kind = "positive" if config.welfare_positive else "number"
        rules = [bounded(config.welfare, "welfare", kind, True)]
    else:
        rules = [Rule(config.welfare_class, "welfare_class", "class", True)]
    if config.weight:
        rules.append(bounded(config.weight, "weight", "positive", True))
    if config.strata and config.strata not in (config.area, config.cluster):
        rules.append(Rule(config.strata, "strata", "text", True))
    if config.persons:
        rules.append(bounded(config.persons, "persons", "positive", True))
    return rules


def _rules(config: DatasetConfig, role: Role, columns: pd.Index) -> list[Rule]:
    """The row rules of a table, from the config's roles and the data dictionary."""
    ranges = {c: (lo, hi) for c, lo, hi in config.ranges}
    code = "code" if config.area_codes else "text"

    def bounded(column: str, key: str, kind, required: bool) -> Rule:
        lo, hi = ranges.get(column, _dictionary_bounds(column, config))
        return Rule(column, key, kind, required, minimum=lo, maximum=hi)

    rules = [
        Rule(config.area, "area", code, True),
        Rule(config.household_id, "household_id", "id", True),
    ]
    if role == "survey":
        rules += _survey_rules(config, bounded)
    if config.cluster and (role == "survey" or config.cluster in columns):
        rules.append(Rule(config.cluster, "cluster", code, True))
    rules += [Rule(p, "programs", "flag", True) for p in config.programs]
    # The household size (persons) may also be a proxy: its stricter rule (required) holds.
    rules += [
        bounded(c, "proxies.numeric", "number", False)
        for c in config.numeric
        if not (role == "survey" and c == config.persons)
    ]
    for c in config.categorical:
        declared = config.declared_codes(c)
        if declared is not None:
            allowed, by = declared, "config"
        else:
            allowed = tuple(COLUMNS[c].categories) if config.follows_dictionary(c) else ()
            by = "dictionary"
        rules.append(
            Rule(c, "proxies.categorical", "category", False, allowed=allowed, allowed_by=by)
        )
    if role == "register" and config.nik:
        rules.append(Rule(config.nik, "nik", "nik", True))
    named = {r.column for r in rules}
    rules += [
        bounded(c, "ranges", "number", False) for c in ranges if c not in named and c in columns
    ]
    return rules


def _required_columns(config: DatasetConfig, role: Role) -> dict[str, str]:
    if role == "survey":
        return config.columns()
    needed = {
        config.household_id: "household_id",
        config.area: "area",
        **{c: "programs" for c in config.programs},
        **{c: "proxies.numeric" for c in config.numeric},
        **{c: "proxies.categorical" for c in config.categorical},
    }
    for column, key in ((config.nik, "nik"), *((n, "names") for n in config.names)):
        if column:
            needed.setdefault(column, key)
    return needed


def _check_columns(frame: pd.DataFrame, config: DatasetConfig, data_path: Path, role: Role) -> None:
    named = _required_columns(config, role)
    missing = [c for c in named if c not in frame.columns]
    if missing:
        listing = ", ".join(f"{c!r} ({named[c]})" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise DatasetError(
            f"{config.path}: names column(s) {listing}{more} that {data_path} does not have; "
            "correct the config or the table (or its header row: read.header_row)"
        )


def _as_dictionary_types(frame: pd.DataFrame, checked: set[str], config: DatasetConfig) -> None:
    """Cells read as text become numbers where the dictionary says the column is one."""
    from konsel_analysis.intake.rows import parse_numbers

    for column in frame.columns:
        if column in checked or not config.follows_dictionary(column):
            continue
        entry = COLUMNS[column]
        if entry.dtype not in ("int", "float", "bool"):
            continue
        if entry.is_personal or frame[column].dtype != object:
            continue
        values = parse_numbers(frame[column], config.read)
        if not (values.isna() & frame[column].notna()).any():
            frame[column] = values


def write_rejected(report: IntakeReport) -> Path | None:
    """Write the rejected rows where the report says (a header only when none), and say so.

    Commands call it with their other outputs, once every check has passed: a command
    that stops writes nothing, except this file when too many rejected rows are the
    reason it stops (so that they can be fixed).
    """
    if report.rejected_path is None:
        return None
    written = write_csv_atomic(report.rejected_rows, report.rejected_path)
    log.info(report.describe())
    return written


def max_rejected_share(config: DatasetConfig) -> float:
    """The config's limit, or parameters.yml's data_quality.max_rejected_share."""
    if config.max_rejected_share is not None:
        return config.max_rejected_share
    from konsel_analysis.parameters import load_parameters

    return float(load_parameters().value("data_quality.max_rejected_share"))


def rejected_path(rejected_dir: Path, data_path: Path) -> Path:
    """Where a table's rejected rows go: ``<rejected_dir>/<file stem>.csv``."""
    return Path(rejected_dir) / f"{Path(data_path).stem}.csv"


#: The last tables checked in this process, by file (path, size, modification time),
#: config and role: the main job's steps read the same two files one after another.
_CHECKED: dict[tuple, tuple[pd.DataFrame, IntakeReport]] = {}
_CHECKED_KEEP = 4
#: Where this process shares checked tables with the other processes of one run
#: (:func:`share_checked_tables`); ``None``: it keeps them to itself.
_SHARED: list[Path] = []


def share_checked_tables(folder: Path | None) -> None:
    """Keep the tables this process checks in ``folder``, and read the ones other processes
    checked there, for as long as the file, its config, the reference files and the
    checking code are unchanged (a :func:`~konsel_analysis.cache.compute_key` of them).

    The main job's driver checks the survey and the register once; its steps, in other
    processes, read the accepted rows instead of checking again. The folder is the
    owner's only (the register's rows carry names and NIK): ``restricted/``. ``None``
    stops sharing.
    """
    _SHARED.clear()
    if folder is not None:
        _SHARED.append(Path(folder))


def _shared_file(data_path: Path, config: DatasetConfig, role: Role) -> Path:
    from konsel_analysis.cache import code_files, compute_key

    named = (data_path, config.path, config.area_crosswalk)  # the crosswalk: resolved
    files = [Path(p) for p in named if p is not None and Path(p).is_file()]
    key = compute_key(
        files,
        code_files("konsel_analysis.datasets"),
        # The pickled frame is read back by this pandas and numpy only.
        {"config": repr(config), "role": role, "pandas": pd.__version__, "numpy": np.__version__},
    )
    return _SHARED[0] / f"{data_path.stem}-{role}-{key[:24]}.pkl"


def _read_shared(path: Path) -> tuple[pd.DataFrame, IntakeReport] | None:
    import pickle

    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged copy: check the table again instead
        log.warning("%s could not be read back; checking the table again", path.name)
        return None


def _write_shared(path: Path, checked: tuple[pd.DataFrame, IntakeReport]) -> None:
    import pickle

    from konsel_analysis.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = path.name.rsplit("-", 1)[0]
    for older in path.parent.glob(f"{stem}-*.pkl"):
        older.unlink(missing_ok=True)  # an earlier version of the file: never read again

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            pickle.dump(checked, handle, protocol=pickle.HIGHEST_PROTOCOL)

    write_atomic(path, write, mode=0o600)


def read_checked(
    data_path: Path | str,
    config: DatasetConfig,
    role: Role,
    rejected_dir: Path | str | None = None,
) -> tuple[pd.DataFrame, IntakeReport]:
    """Read a table, apply the row checks, set rejected rows aside; the accepted rows.

    With ``rejected_dir`` the report says where the rejected rows (personal columns
    left out) go, ``rejected_dir/<file stem>.csv``; :func:`write_rejected` writes them
    once the caller's own checks pass. More rejected rows than
    :func:`max_rejected_share` allows stop with a :class:`DatasetError`, after
    writing that file, so that the rows can be fixed. A file read again unchanged
    (same size and modification time) with the same config is not checked again.
    """
    data_path = Path(data_path)
    key = None
    if data_path.is_file():
        stat = data_path.stat()
        key = (data_path.resolve(), stat.st_size, stat.st_mtime_ns, config, role)
    shared = None
    if key is not None and key not in _CHECKED and _SHARED:  # checked by another process?
        shared = _shared_file(data_path, config, role)
        checked = _read_shared(shared)
        if checked is not None:
            _remember(key, checked)
    if key in _CHECKED:
        frame, report = _CHECKED[key]
        where = rejected_path(Path(rejected_dir), data_path) if rejected_dir is not None else None
        return frame.copy(), replace(report, data_path=data_path, rejected_path=where)
    frame, report = _read_checked(data_path, config, role, rejected_dir)
    if key is not None:
        _remember(key, (frame.copy(), report))
        if shared is not None:
            try:
                _write_shared(shared, _CHECKED[key])
            except OSError as err:  # e.g. a worker that may not write there: check on
                log.warning("checked rows not kept for other processes (%s)", err.strerror)
    return frame, report


def _remember(key: tuple, checked: tuple[pd.DataFrame, IntakeReport]) -> None:
    while len(_CHECKED) >= _CHECKED_KEEP:
        _CHECKED.pop(next(iter(_CHECKED)))
    _CHECKED[key] = checked


def _read_checked(
    data_path: Path, config: DatasetConfig, role: Role, rejected_dir: Path | str | None
) -> tuple[pd.DataFrame, IntakeReport]:
    try:
        table = read_raw_table(data_path, config.read, expect=config.household_id)
    except TableError as err:
        raise DatasetError(str(err)) from None
    _check_columns(table.frame, config, data_path, role)
    try:
        codes = None
        if config.area_codes:
            crosswalk = (
                read_crosswalk(config.area_crosswalk, config.path) if config.area_crosswalk else {}
            )
            codes = AreaCodes.konsel(crosswalk)
        rules = _rules(config, role, table.frame.columns)
        check: RowCheck = check_rows(
            table,
            rules,
            config.household_id,
            config.read,
            codes,
            area=config.area,
            personal=config.personal,
        )
    except TableError as err:
        raise DatasetError(str(err)) from None
    report = IntakeReport(
        data_path,
        check.rows_read,
        check.accepted,
        len(check.rejected),
        check.reason_counts,
        rejected_path(Path(rejected_dir), data_path) if rejected_dir is not None else None,
        check.rejected,
    )
    limit = max_rejected_share(config)
    if check.rejected_share > limit or check.accepted == 0:
        written = write_rejected(report)
        where = (
            f"the reason for each row is in {written}"
            if written is not None
            else "pass rejected_dir (or use a konsel command) to see the reason for each row"
        )
        top = f"most often {report.reason_counts.index[0]}, {report.reason_counts.iloc[0]:,} rows"
        if check.accepted == 0:
            raise DatasetError(
                f"{data_path}: every one of its {report.rows_read:,} rows fails the row "
                f"checks ({top}); {where}: fix the table or its dataset config {config.path}"
            )
        raise DatasetError(
            f"{data_path}: {report.rejected:,} of {report.rows_read:,} rows "
            f"({check.rejected_share:.1%}) fail the row checks, more than the {limit:.0%} "
            f"allowed ({top}); {where}: fix those rows, or set max_rejected_share in "
            f"{config.path}"
        )
    frame = check.clean
    if not table.typed:
        _as_dictionary_types(frame, {r.column for r in rules}, config)
    return frame, report


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
        X[column] = _text_column(frame[column])
    if config.area_effects and config.area not in X.columns:
        X[config.area] = _text_column(frame[config.area])
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
        area=_text_column(frame[config.area]).to_numpy(dtype=object),
        poverty_line=line,
        extreme_poverty_line=extreme_line,
        programs=_programs(frame, config),
        intake=report,
        persons=frame[config.persons].to_numpy(dtype=float) if config.persons else None,
        strata=_text_column(frame[config.strata]).to_numpy(dtype=object) if config.strata else None,
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
        household_id=_text_column(frame[config.household_id]).to_numpy(dtype=object),
        area=_text_column(frame[config.area]).to_numpy(dtype=object),
        programs={p: v.to_numpy(dtype=bool) for p, v in _programs(frame, config).items()},
        intake=report,
    )
