"""A file to a table of cells: CSV, XLSX or Parquet, as Dinas Sosial exports them.

CSV and XLSX cells are read as text (numbers are parsed later, row by row, so that
one bad cell rejects one row instead of a whole column); Parquet keeps its types.
How to read is declared in the dataset config's optional ``read`` block::

    read:
      sheet: Data KPM      # XLSX: the sheet (default: the first)
      header_row: 4        # the header's row as a spreadsheet numbers it (default: found)
      sep: ";"             # CSV: the separator (default: sniffed among , ; tab |)
      decimal: ","         # CSV: decimal mark of numbers (default ".")
      thousands: "."       # CSV: thousands separator of numbers (default none)
      encoding: utf-8      # CSV: text encoding (default utf-8, with or without BOM)

When ``header_row`` is not given the header is the first of the top 30 rows that
holds the household id column the config names (P3KE exports put a title and a
date above the header). Every problem that makes the file unusable raises a
:class:`~konsel_analysis.errors.UserError` naming the file and the fix; messages
never quote a cell.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")
HEADER_SEARCH_ROWS = 30
_SEPARATORS = ",;\t|"


class TableError(UserError):
    """A file cannot be read as a table; the message names the file and the fix."""


#: Cells that mean "no answer" in survey exports, read as empty (compared stripped and in
#: lower case): Stata/SPSS-style codes and the Bahasa Indonesia ones enumerators write.
#: A config adds its own (``read: {missing: [99999999, "-9"]}``, e.g. sentinel codes).
DEFAULT_MISSING_CODES = (
    "na", "n/a", "n.a.", "nan", "null", "none", "missing", "-", "--", ".", "?",
    "dk", "don't know", "dont know", "refused", "not stated",
    "tidak tahu", "tt", "tidak ada data", "tidak diketahui", "menolak", "tidak menjawab",
)  # fmt: skip


@dataclass(frozen=True)
class ReadOptions:
    """How a CSV or XLSX file is laid out (the config's ``read`` block)."""

    sheet: str | None = None
    header_row: int | None = None  # 1-based, as a spreadsheet numbers rows
    sep: str | None = None
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8-sig"
    missing: tuple[str, ...] = DEFAULT_MISSING_CODES  # cells read as empty

    @classmethod
    def from_config(cls, raw: Any, where: Path) -> ReadOptions:
        """Check and build the options from the config's ``read`` mapping."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise TableError(f"{where}: 'read' must be a mapping, e.g. `read: {{sep: ';'}}`")
        known = {"sheet", "header_row", "sep", "decimal", "thousands", "encoding", "missing"}
        unknown = sorted(str(k) for k in set(raw) - known)
        if unknown:
            raise TableError(
                f"{where}: 'read' has unknown key(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(known))}"
            )
        header_row = raw.get("header_row")
        if header_row is not None and (
            isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
        ):
            raise TableError(f"{where}: 'read.header_row' must be a row number, 1 or more")
        for key in ("sheet", "sep", "decimal", "thousands", "encoding"):
            value = raw.get(key)
            if value is not None and not isinstance(value, str | int):
                raise TableError(f"{where}: 'read.{key}' must be text")
        decimal = str(raw.get("decimal", "."))
        thousands = raw.get("thousands")
        if decimal not in {".", ","}:
            raise TableError(f"{where}: 'read.decimal' must be '.' or ','")
        if thousands is not None and (str(thousands) == decimal or len(str(thousands)) != 1):
            raise TableError(
                f"{where}: 'read.thousands' must be one character other than the decimal mark"
            )
        sep = raw.get("sep")
        if sep is not None and (len(str(sep)) != 1 or str(sep) == decimal == ","):
            raise TableError(
                f"{where}: 'read.sep' must be one character, and not ',' when "
                "the decimal mark is ','"
            )
        return cls(
            sheet=str(raw["sheet"]) if raw.get("sheet") is not None else None,
            header_row=header_row,
            sep=str(sep) if sep is not None else None,
            decimal=decimal,
            thousands=str(thousands) if thousands is not None else None,
            encoding=str(raw.get("encoding", "utf-8-sig")),
            missing=_missing_codes(raw.get("missing"), where),
        )


def _missing_codes(value: Any, where: Path) -> tuple[str, ...]:
    """The default missing codes plus the config's ``read.missing`` (text or numbers)."""
    if value is None:
        return DEFAULT_MISSING_CODES
    items = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(v, Mapping | list | tuple) for v in items):
        raise TableError(
            f"{where}: 'read.missing' must list codes, e.g. `read: {{missing: [99999999, '-9']}}`"
        )
    extra = tuple(_code_text(v) for v in items)
    return DEFAULT_MISSING_CODES + tuple(c for c in extra if c not in DEFAULT_MISSING_CODES)


def _code_text(value: Any) -> str:
    """A missing code as the text it is compared with (99999999.0 and '99999999' alike)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def blank_missing_codes(series: pd.Series, missing: tuple[str, ...]) -> pd.Series:
    """``series`` with every cell that is one of the ``missing`` codes made empty.

    >>> blank_missing_codes(pd.Series(["3", " Tidak tahu", "NA", "99999999"]),
    ...                     DEFAULT_MISSING_CODES + ("99999999",)).tolist()
    ['3', None, None, None]
    >>> blank_missing_codes(pd.Series([2.0, 99999999.0]), ("99999999",)).tolist()
    [2.0, nan]
    """
    if pd.api.types.is_bool_dtype(series):
        return series
    if pd.api.types.is_numeric_dtype(series):
        codes = [float(c) for c in missing if _is_number(c)]
        return series.mask(series.isin(codes)) if codes else series
    text = series.astype("string").str.strip().str.lower()
    hit = text.isin(missing).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return series
    out = series.astype(object).copy()
    out[hit] = None
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class RawTable:
    """The cells of a file, and where its rows start (for row numbers in messages)."""

    frame: pd.DataFrame  # one row per data row, index 0..n-1
    path: Path
    source_row: np.ndarray  # each row's number in the file, as a spreadsheet shows it
    typed: bool  # Parquet: cells keep their types; CSV/XLSX: text


def _drop_blank_rows(frame: pd.DataFrame, path: Path, first_data_row: int) -> RawTable:
    """Drop wholly empty rows; keep each remaining row's number in the file."""
    keep = frame.notna().any(axis=1).to_numpy() if len(frame.columns) else np.ones(len(frame), bool)
    rows = np.arange(len(frame))[keep] + first_data_row
    return RawTable(frame[keep].reset_index(drop=True), path, rows, typed=False)


def _header_index(rows: list[list[str]], expect: str | None, path: Path) -> int:
    """0-based index of the header row among the top rows: the first holding ``expect``."""
    if expect is None:
        return 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if expect in (str(c).strip() for c in row):
            return i
    return 0  # the missing-column check then names the column and the config


def _check_header(columns: pd.Index, path: Path, header_row: int) -> None:
    names = [str(c).strip() for c in columns]
    blank = [i + 1 for i, c in enumerate(names) if not c or c.startswith("Unnamed:")]
    seen: set[str] = set()
    for name in names:
        if name in seen and name:
            raise TableError(
                f"{path}: column {name!r} appears twice in the header (row {header_row}); "
                "rename one of them"
            )
        seen.add(name)
    if len(blank) == len(names):
        raise TableError(
            f"{path}: row {header_row} holds no column names; give read.header_row, "
            "the row of the header, in the dataset config"
        )


def _sniff_separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SEPARATORS).delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, options: ReadOptions, expect: str | None) -> RawTable:
    try:
        text = path.read_text(encoding=options.encoding)
    except UnicodeDecodeError:
        name = "UTF-8" if options.encoding.lower() in ("utf-8-sig", "utf-8", "utf8") else None
        raise TableError(
            f"{path}: is not {name or options.encoding} text (a binary file, or another "
            "encoding); "
            "save it as 'CSV UTF-8' or give read.encoding in the dataset config"
        ) from None
    except LookupError:
        raise TableError(
            f"{path}: read.encoding {options.encoding!r} is not a known encoding; "
            "use e.g. utf-8 or latin-1"
        ) from None
    if "\x00" in text[:65536]:
        raise TableError(f"{path}: is a binary file, not CSV text; export the table again as CSV")
    if not text.strip():
        raise TableError(f"{path}: the file is empty; export the table again with its rows")
    sep = options.sep or _sniff_separator(text[:65536])
    top = list(
        csv.reader(io.StringIO("\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])), delimiter=sep)
    )
    header = options.header_row - 1 if options.header_row else _header_index(top, expect, path)
    if header < len(top):  # pandas would rename a repeated column "x.1": say it first
        _check_header(pd.Index(top[header]), path, header + 1)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=0,
            skiprows=header,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: the file has no header row; export the table again") from None
    except pd.errors.ParserError:
        raise TableError(
            f"{path}: rows have different numbers of fields than the header (row "
            f"{header + 1}); check the separator (read.sep) and quoting, or the header row"
        ) from None
    _check_header(frame.columns, path, header + 1)
    frame.columns = [str(c).strip() for c in frame.columns]
    return _drop_blank_rows(frame, path, first_data_row=header + 2)


def _read_xlsx(path: Path, options: ReadOptions, expect: str | None) -> RawTable:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, OSError, KeyError):
        raise TableError(
            f"{path}: is not a valid .xlsx workbook; open it in a spreadsheet and save "
            "it again as Excel Workbook (.xlsx)"
        ) from None
    with book:
        sheets = [str(s) for s in book.sheet_names]
        sheet = options.sheet if options.sheet is not None else sheets[0]
        if sheet not in sheets:
            raise TableError(
                f"{path}: has no sheet {sheet!r}; its sheets are {', '.join(map(repr, sheets))}: "
                "correct read.sheet in the dataset config"
            )
        cells = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    if cells.dropna(how="all").empty:
        raise TableError(f"{path}: sheet {sheet!r} is empty; give the sheet that holds the table")
    rows = cells.head(HEADER_SEARCH_ROWS).astype(object).where(cells.notna(), "").values.tolist()
    header = options.header_row - 1 if options.header_row else _header_index(rows, expect, path)
    columns = cells.iloc[header]
    _check_header(pd.Index(columns.astype(object).where(columns.notna(), "")), path, header + 1)
    frame = cells.iloc[header + 1 :].copy()
    frame.columns = [str(c).strip() for c in columns]
    # Cells as text, as from a CSV: whole numbers without ".0", booleans as true/false.
    frame = frame.apply(_cells_as_text).reset_index(drop=True)
    return _drop_blank_rows(frame, path, first_data_row=header + 2)


def _cell_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cells_as_text(column: pd.Series) -> pd.Series:
    return column.map(_cell_text).astype(object)


def parquet_columns(path: Path) -> set[str]:
    """The column names a Parquet file declares in its footer (no data is read); one
    sentence naming the file when it cannot be read (a partition cut short, not Parquet)."""
    import pyarrow.parquet as pq

    try:
        return set(pq.read_schema(path).names)
    except (OSError, ValueError) as err:
        raise UserError(
            f"{path}: cannot read this Parquet file ({type(err).__name__}); "
            "rewrite or remove the partition"
        ) from None


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except (ValueError, OSError, ImportError, TypeError):
        raise TableError(
            f"{path}: is not a readable Parquet file; check that it is complete, or "
            "export the table again"
        ) from None
    return RawTable(frame.reset_index(drop=True), path, np.arange(len(frame)) + 1, typed=True)


def read_raw_table(
    path: Path | str, options: ReadOptions | None = None, expect: str | None = None
) -> RawTable:
    """Read a CSV, XLSX or Parquet file (by suffix) as it is; ``expect`` finds the header.

    ``expect`` is a column name the header must hold (the config's household id):
    with it, title rows above the header are skipped.
    """
    path = Path(path)
    options = options or ReadOptions()
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise TableError(
            f"{path}: unknown table type {suffix or '(no suffix)'!r}; give a "
            f"{', '.join(TABLE_SUFFIXES)} file"
        )
    if not path.is_file():
        raise TableError(f"{path}: data file not found; check the path given to --data")
    if path.stat().st_size == 0:
        raise TableError(f"{path}: the file is empty; export the table again with its rows")
    if suffix == ".csv":
        table = _read_csv(path, options, expect)
    elif suffix == ".xlsx":
        table = _read_xlsx(path, options, expect)
    else:
        table = _read_parquet(path)
    if len(table.frame) == 0:
        raise TableError(f"{path}: the table has a header but no rows; give a table of households")
    return table
