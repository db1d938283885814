"""Row checks: which households can be used, and why each of the others cannot.

A dataset config says what every column is for (household id, welfare, weight,
area, cluster, programmes, proxies, NIK, names); the data dictionary says what the
toolkit's own columns may hold (ranges, category codes). From both a pandera
schema is built and applied to each table when it is read. Problems of single
rows do not stop a run:

==================  =====================================================
reason code         a row is rejected when
==================  =====================================================
missing             a required cell (id, welfare, weight, area, cluster,
                    programme, class, NIK) is empty
not_number          a number column holds text that is not a number
not_positive        welfare or weight is zero or negative
below_minimum       a value lies below its range (dictionary or ``ranges``),
above_maximum       e.g. household size 0, or above it
not_flag            a programme flag is not 0/1 (or true/false, ya/tidak)
unknown_category    a categorical proxy holds a code the dictionary lacks
undeclared_code     a categorical proxy holds a code its dataset config does not list
unknown_kecamatan   the area code is not a Konawe Selatan kecamatan
unknown_desa        the cluster code is not a desa/kelurahan of the area
nik_format          a NIK is not 16 digits
duplicate_copy      the row repeats an earlier row exactly (the first is kept)
duplicate_id        rows share a household id but differ (all are rejected:
                    which one is right cannot be told)
==================  =====================================================

Whole-table problems stop the command with one sentence (see
:class:`~konsel_analysis.intake.read.TableError`): a number column that is
mostly text (a wrong column, or decimal commas not declared), kecamatan codes
in BPS's numbering without a crosswalk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from konsel_analysis.intake.read import RawTable, ReadOptions, TableError, blank_missing_codes

Kind = Literal["id", "number", "positive", "flag", "text", "category", "class", "nik", "code"]

REASONS: dict[str, str] = {
    "missing": "missing (required)",
    "not_number": "not a number",
    "not_positive": "must be above zero",
    "below_minimum": "below the minimum",
    "above_maximum": "above the maximum",
    "not_flag": "must be 0 or 1",
    "unknown_category": "not one of the data dictionary's codes",
    "undeclared_code": "not one of the codes its dataset config lists",
    "unknown_kecamatan": "not a Konawe Selatan kecamatan code",
    "unknown_desa": "not a desa/kelurahan code of the household's kecamatan",
    "nik_format": "NIK must be 16 digits",
    "duplicate_copy": "exact copy of an earlier row (the first is kept)",
    "duplicate_id": "household id also used by another row with other values",
}
_TRUE = {"1", "1.0", "true", "yes", "y", "ya"}
_FALSE = {"0", "0.0", "false", "no", "n", "tidak"}
_NIK = re.compile(r"^\d{16}$")
MOSTLY_TEXT = 0.5  # above this share of unreadable cells a number column is the wrong column


@dataclass(frozen=True)
class Rule:
    """What one column must hold; ``key`` is the config key that names it."""

    column: str
    key: str
    kind: Kind
    required: bool
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    allowed_by: Literal["dictionary", "config"] = "dictionary"  # who lists the codes


@dataclass(frozen=True)
class RowCheck:
    """The outcome of the row checks on one table."""

    clean: pd.DataFrame  # accepted rows; number columns as float, codes normalised
    rejected: pd.DataFrame  # source_row, reasons, then the row's cells as read
    reason_counts: pd.Series  # rows per "column: reason", most frequent first
    rows_read: int

    @property
    def accepted(self) -> int:
        return len(self.clean)

    @property
    def rejected_share(self) -> float:
        return len(self.rejected) / self.rows_read if self.rows_read else 0.0


# --------------------------------------------------------------------------------------
# Parsing cells
# --------------------------------------------------------------------------------------


def parse_numbers(series: pd.Series, options: ReadOptions) -> pd.Series:
    """Numbers, booleans and yes/no text as float; anything unreadable becomes NaN.

    Text follows the declared decimal mark and thousands separator:

    >>> opts = ReadOptions(decimal=",", thousands=".")
    >>> parse_numbers(pd.Series(["1.234,5", "12", "ya", "x", None]), opts).tolist()
    [1234.5, 12.0, 1.0, nan, nan]
    """
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_complex_dtype(series):
            return pd.Series(np.nan, index=series.index)
        return series.astype(float)
    text = series.astype("string").str.strip().str.lower()
    numeric = text
    if options.thousands:
        numeric = numeric.str.replace(options.thousands, "", regex=False)
    if options.decimal != ".":
        numeric = numeric.str.replace(options.decimal, ".", regex=False)
    out = pd.to_numeric(numeric, errors="coerce").astype(float)
    out[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = 1.0
    out[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = 0.0
    out[~np.isfinite(out)] = np.nan
    return out


def _looks_like_decimal_commas(text: pd.Series) -> bool:
    sample = text.dropna().astype(str).str.strip().head(200)
    return (
        bool(len(sample))
        and sample.str.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d+|-?\d+,\d+").mean() > 0.5
    )


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (object), whole floats without '.0', empty and missing as NaN."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # A register's categorical columns: the categories' texts, taken by code (what
        # ``astype(str)`` of the cells does too), not one conversion per cell.
        texts = _text_of_present(pd.Series(series.cat.categories).astype(str))
        codes = series.cat.codes.to_numpy()
        out = np.where(codes >= 0, texts[np.maximum(codes, 0)], np.nan)
        return pd.Series(out.astype(object), index=series.index, dtype=object)
    if isinstance(series.dtype, pd.StringDtype):
        stripped = _text_of_present(series)
        return pd.Series(stripped, index=series.index, dtype=object)
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna()
        if len(finite) and np.all(np.mod(finite, 1) == 0):
            series = series.astype("Int64")
    present = series.notna().to_numpy()
    out = pd.Series(np.nan, index=series.index, dtype=object)
    if present.any():
        stripped = series[present].astype(str).str.strip()
        out[present] = stripped.where(stripped.ne(""), np.nan).to_numpy(dtype=object)
    return out


def _text_of_present(text: pd.Series) -> np.ndarray:
    """Text cells stripped, as an object array; empty and missing cells as NaN."""
    stripped = text.str.strip().to_numpy(dtype=object, na_value=np.nan)
    stripped[stripped == ""] = np.nan
    return stripped


# --------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------


def _cell_tests(rule: Rule) -> list[tuple[str, Callable[[pd.Series], pd.Series]]]:
    """The rule's tests of a column's present cells, each with the name its failures
    carry: the pandera schema's checks and the whole-column pre-check are these."""
    tests: list[tuple[str, Callable[[pd.Series], pd.Series]]] = []
    if rule.kind == "positive":
        tests.append(("not_positive", lambda s: s > 0))
    if rule.kind == "flag":
        tests.append(("not_flag", lambda s: s.isin([0.0, 1.0])))
    if rule.minimum is not None:
        tests.append(("below_minimum", lambda s, m=rule.minimum: s >= m))
    if rule.maximum is not None:
        tests.append(("above_maximum", lambda s, m=rule.maximum: s <= m))
    if rule.allowed:
        name = "unknown_category" if rule.allowed_by == "dictionary" else "undeclared_code"
        tests.append((name, lambda s, a=set(rule.allowed): s.isin(a)))
    if rule.kind == "nik":
        tests.append(("nik_format", lambda s: s.astype(str).str.fullmatch(_NIK.pattern)))
    return tests


def _pandera_schema(rules: Iterable[Rule]):
    """The pandera schema of the parsed table: one Column per rule, named checks."""
    import pandera.pandas as pa

    columns = {
        rule.column: pa.Column(
            nullable=not rule.required,
            checks=[pa.Check(test, name=name) for name, test in _cell_tests(rule)],
        )
        for rule in rules
    }
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _cells_pass(values: pd.Series, rule: Rule) -> bool:
    """Whether every cell of a column passes the rule's schema checks; False when unsure.

    The schema's own tests (:func:`_cell_tests`), on whole columns: a table that passes
    them all (the usual case) does not need pandera, whose report (and import) costs
    about half a second on an 83,000-row register. Anything this cannot tell, e.g. a
    comparison that raises, leaves the answer to pandera.
    """
    try:
        present = values.notna().to_numpy(dtype=bool)
        if rule.required and not present.all():
            return False
        cells = values[present]
        return all(bool(np.asarray(test(cells), dtype=bool).all()) for _, test in _cell_tests(rule))
    except (TypeError, ValueError, KeyError):
        return False


def _schema_failures(parsed: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """(row, column, reason) of every cell the schema refuses."""
    if all(_cells_pass(parsed[rule.column], rule) for rule in rules):
        return pd.DataFrame(columns=["row", "column", "reason"])
    import pandera.errors

    try:
        _pandera_schema(rules).validate(parsed, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        cases = cases[cases["index"].notna()]
        reason = cases["check"].astype(str).replace({"not_nullable": "missing"})
        return pd.DataFrame(
            {"row": cases["index"].astype(int), "column": cases["column"], "reason": reason}
        )
    return pd.DataFrame(columns=["row", "column", "reason"])


# --------------------------------------------------------------------------------------
# Codes and duplicates
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCodes:
    """The Kemendagri codes a table's area (kecamatan) and cluster (desa) must hold."""

    kecamatan: frozenset[str]
    villages: dict[str, str]  # village code -> its kecamatan code
    crosswalk: dict[str, str]  # 7-digit BPS kecamatan code -> Kemendagri code

    @classmethod
    def konsel(cls, crosswalk: dict[str, str] | None = None) -> AreaCodes:
        from konsel_analysis.geography import load_villages

        villages = load_villages()
        return cls(
            kecamatan=frozenset(villages["kecamatan_code"]),
            villages=dict(zip(villages["village_code"], villages["kecamatan_code"], strict=True)),
            crosswalk=dict(crosswalk or {}),
        )


_BPS_KECAMATAN = re.compile(r"^\d{7}$")


def normalise_codes(text: pd.Series, codes: AreaCodes) -> pd.Series:
    """Kemendagri dotted codes from any of the ways exports write them; NaN when unknown.

    ``74.05.01``, ``740501`` and, through the crosswalk, BPS's ``7405010`` all read
    as ``74.05.01``; villages ``74.05.01.2001`` and ``7405012001`` alike.
    """
    from konsel_analysis.geography import normalize_area_code

    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        value = str(value).strip()
        if _BPS_KECAMATAN.fullmatch(value):
            return codes.crosswalk.get(value, np.nan)
        try:
            return normalize_area_code(value)
        except ValueError:
            return np.nan

    uniques = pd.unique(text.dropna())
    mapping = {u: one(u) for u in uniques}
    return text.map(mapping)


def duplicate_reasons(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Rows to reject for their household id: later exact copies, and every row of an
    id used with different values.

    >>> t = pd.DataFrame({"id": ["a", "a", "b", "b", "c"], "x": [1, 1, 2, 3, 4]})
    >>> duplicate_reasons(t, "id")[["row", "reason"]].values.tolist()
    [[1, 'duplicate_copy'], [2, 'duplicate_id'], [3, 'duplicate_id']]
    """
    ids = frame[id_column]
    shared = ids.notna() & ids.duplicated(keep=False)
    if not shared.any():
        return pd.DataFrame(columns=["row", "column", "reason"])
    part = frame[shared]
    copies = part.duplicated(keep="first")  # exact copies of an earlier row
    distinct = part[~copies]
    conflicting = distinct[id_column].duplicated(keep=False)
    conflict_ids = set(distinct.loc[conflicting, id_column])
    reasons = pd.Series(np.nan, index=part.index, dtype=object)
    reasons[part[id_column].isin(conflict_ids)] = "duplicate_id"
    reasons[copies & reasons.isna()] = "duplicate_copy"
    reasons = reasons.dropna()
    return pd.DataFrame(
        {"row": reasons.index.astype(int), "column": id_column, "reason": reasons.to_numpy()}
    )


# --------------------------------------------------------------------------------------
# The whole check
# --------------------------------------------------------------------------------------


def _failed(mask: pd.Series | np.ndarray, column: str, reason: str) -> pd.DataFrame:
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    return pd.DataFrame({"row": rows, "column": column, "reason": reason})


def _parse_number_rule(
    raw: RawTable, rule: Rule, options: ReadOptions
) -> tuple[pd.Series, pd.DataFrame]:
    series = raw.frame[rule.column]
    values = parse_numbers(series, options)
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        present = series.notna()
    else:
        present = _text(series).notna()
    unreadable = values.isna() & present
    readable = int(present.sum())
    if readable and unreadable.sum() > MOSTLY_TEXT * readable:
        hint = (
            "its numbers are written with decimal commas: add `read: {decimal: ',', "
            "thousands: '.'}` to the dataset config"
            if not raw.typed and options.decimal == "." and _looks_like_decimal_commas(series)
            else "it is mostly text: check that the config names the right column"
        )
        raise TableError(
            f"{raw.path}: column {rule.column!r} ({rule.key}) should hold numbers but "
            f"{int(unreadable.sum()):,} of {readable:,} cells are not numbers; {hint}"
        )
    return values, _failed(unreadable, rule.column, "not_number")


def _parse_code_rule(
    raw: RawTable, rule: Rule, codes: AreaCodes, area_values: pd.Series | None
) -> tuple[pd.Series, pd.DataFrame]:
    """Kemendagri codes; the area against Konsel's kecamatan, the cluster against the
    desa of the household's kecamatan (``area_values``)."""
    text = _text(raw.frame[rule.column])
    if area_values is None:  # this is the area column
        bps = text.notna() & text.astype(str).str.fullmatch(_BPS_KECAMATAN.pattern)
        if bps.mean() > MOSTLY_TEXT and not codes.crosswalk:
            raise TableError(
                f"{raw.path}: column {rule.column!r} ({rule.key}) holds 7-digit BPS "
                "kecamatan codes, which BPS numbers differently from Kemendagri (BPS "
                "7405080 is Konda, Kemendagri 74.05.07); add `area_crosswalk: FILE.csv` "
                "(columns bps_code, kemendagri_code) to the dataset config"
            )
        values = normalise_codes(text, codes)
        known, reason = values.isin(codes.kecamatan), "unknown_kecamatan"
    else:
        values = normalise_codes(text, codes)
        kecamatan = values.map(codes.villages)
        known, reason = kecamatan.notna() & kecamatan.eq(area_values), "unknown_desa"
    return values.where(values.notna(), text), _failed(text.notna() & ~known, rule.column, reason)


def _parse(
    raw: RawTable,
    rules: list[Rule],
    options: ReadOptions,
    codes: AreaCodes | None,
    area: str | None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Cells to values (numbers, normalised codes, stripped text); cells that cannot be."""
    # "No answer" codes in number columns (text such as 'tidak tahu', sentinels a config
    # lists) are empty cells: optional proxies stay missing, required columns say
    # "missing". Not in categorical columns, where 'none' or '-' can be a real code.
    frame = raw.frame.copy()
    for rule in rules:
        if rule.kind in ("number", "positive", "flag"):
            frame[rule.column] = blank_missing_codes(frame[rule.column], options.missing)
    raw = replace(raw, frame=frame)
    parsed = raw.frame.copy()
    failures: list[pd.DataFrame] = []
    for rule in rules:  # the area rule comes first
        failed = None
        if rule.kind in ("number", "positive", "flag"):
            parsed[rule.column], failed = _parse_number_rule(raw, rule, options)
        elif rule.kind == "code" and codes is not None:
            area_values = parsed[area] if rule.column != area and area in parsed else None
            parsed[rule.column], failed = _parse_code_rule(raw, rule, codes, area_values)
        elif rule.kind != "class":  # classes keep their type (1 < 2 < 10)
            parsed[rule.column] = _text(raw.frame[rule.column])
        if failed is not None and len(failed):
            failures.append(failed)
    return parsed, failures


def check_rows(
    raw: RawTable,
    rules: list[Rule],
    id_column: str,
    options: ReadOptions,
    codes: AreaCodes | None = None,
    area: str | None = None,
    personal: tuple[str, ...] = (),
) -> RowCheck:
    """Apply the rules to a table read by :func:`~konsel_analysis.intake.read.read_raw_table`.

    Area rules run first so that a desa is checked against its household's kecamatan.
    """
    ordered = sorted(rules, key=lambda r: r.column != area)
    parsed, failures = _parse(raw, ordered, options, codes, area)
    failures.append(_schema_failures(parsed, ordered))
    failures.append(duplicate_reasons(parsed[[r.column for r in ordered]], id_column))
    cells = (
        pd.concat([f for f in failures if len(f)], ignore_index=True)
        if any(len(f) for f in failures)
        else pd.DataFrame(columns=["row", "column", "reason"])
    )
    # A cell that is not a number is also missing to the schema: say it once.
    cells = cells.drop_duplicates(["row", "column"], keep="first")
    position = {c: i for i, c in enumerate(raw.frame.columns)}
    cells = cells.assign(_at=cells["column"].map(position)).sort_values(
        ["row", "_at"], kind="stable"
    )
    label = (
        cells["column"].astype(str).map(repr)
        + ": "
        + cells["reason"].map(REASONS).fillna(cells["reason"])
    )
    by_row = label.groupby(cells["row"].astype(int)).agg("; ".join)
    bad = np.zeros(len(parsed), dtype=bool)
    bad[by_row.index.to_numpy(dtype=int)] = True

    from konsel_analysis.dictionary import PERSONAL_COLUMNS

    hidden = set(personal) | set(PERSONAL_COLUMNS)
    shown = [c for c in raw.frame.columns if c not in hidden]
    rejected = raw.frame.loc[bad, shown].copy()
    rejected.insert(0, "reasons", by_row.reindex(np.flatnonzero(bad)).to_numpy())
    rejected.insert(0, "source_row", raw.source_row[bad])
    counts = label.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    clean = parsed.loc[~bad].reset_index(drop=True)
    for rule in ordered:
        if rule.kind == "flag":  # only 0 and 1 are left: booleans, as the programmes are
            clean[rule.column] = clean[rule.column].to_numpy() == 1.0
    return RowCheck(
        clean=clean,
        rejected=rejected.reset_index(drop=True),
        reason_counts=counts,
        rows_read=len(parsed),
    )


def read_crosswalk(path: Path, where: Path) -> dict[str, str]:
    """A BPS -> Kemendagri kecamatan crosswalk CSV (columns bps_code, kemendagri_code)."""
    from konsel_analysis.geography import normalize_area_code

    if not path.is_file():
        raise TableError(f"{where}: area_crosswalk {path} not found; give the path of the CSV")
    table = pd.read_csv(path, dtype=str)
    if not {"bps_code", "kemendagri_code"} <= set(table.columns):
        raise TableError(
            f"{path}: the crosswalk needs columns bps_code and kemendagri_code; rename its columns"
        )
    try:
        kemendagri = [normalize_area_code(c) for c in table["kemendagri_code"]]
    except ValueError:
        raise TableError(
            f"{path}: column 'kemendagri_code' holds a code that is not a Konawe Selatan "
            "kecamatan code (74.05.NN); correct the crosswalk"
        ) from None
    return dict(zip(table["bps_code"].str.strip(), kemendagri, strict=True))
