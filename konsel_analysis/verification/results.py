"""Reading what the field teams returned, with row checks.

Accepted inputs (``--results``): a returned field list (XLSX or CSV, the columns the
toolkit wrote plus those the teams fill in, :data:`~.simulate.FILLED`), a folder of
them (one per kecamatan; a kecamatan not returned yet simply has no file), or the
plain CSV hand-over ``household_id, visit_date, outcome`` with the outcome codes of
:mod:`.outcomes`.

Row checks (each rejected row gets one reason; accepted + rejected = rows read):

- ``not visited (no outcome, no date)``: a row of the list the team did not do;
- ``missing outcome``: a date but no outcome;
- ``unknown outcome``: an outcome that is neither a code nor a label;
- ``missing or invalid visit date``;
- ``unknown household``: an ID the register does not hold;
- ``household visited twice``: every row of a household after its first;
- ``measured consumption is not a positive number``.

A visit not on the plan is accepted and flagged (``on_plan`` False): it says
something about the household, but its inclusion probability is unknown, so the
design-based estimates leave it out. Rejected rows keep only the row number, the
household ID and the reason: nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.verification.outcomes import outcome_code
from konsel_analysis.verification.simulate import CORRECTION_PREFIX, FILLED

#: Each column read, by the names it may have (field list header, plain CSV name).
ALIASES = {
    "household_id": ("ID rumah tangga", "household_id"),
    "visit_date": (FILLED["visit_date"], "visit_date"),
    "outcome": (FILLED["outcome"], "outcome"),
    "officer": (FILLED["officer"], "officer"),
    "measured_consumption": (FILLED["measured_consumption"], "measured_consumption"),
}
REQUIRED = ("household_id", "visit_date", "outcome")
REASONS = {
    "not_visited": "not visited (no outcome, no date)",
    "missing_outcome": "missing outcome",
    "unknown_outcome": "unknown outcome",
    "bad_date": "missing or invalid visit date",
    "unknown_household": "unknown household",
    "twice": "household visited twice",
    "bad_consumption": "measured consumption is not a positive number",
}


@dataclass(frozen=True)
class RoundResults:
    """The accepted visits and the rejected rows of the returned results."""

    visits: pd.DataFrame  # household_id, visit_date, outcome, on_plan, measured_consumption
    corrections: pd.DataFrame  # household_id, column, value
    rejected: pd.DataFrame  # file, row, household_id, reason
    rows_read: int


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
        if not files:
            raise UserError(f"{path}: the folder holds no returned list; put the XLSX or CSV in it")
        return files
    if not path.exists():
        raise UserError(f"{path}: no such file; give the returned field list (XLSX or CSV)")
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError(f"{path}: give the results as XLSX or CSV (the field list's format)")
    return [path]


def _read_one(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".xlsx":
            sheets = pd.read_excel(path, sheet_name=None, dtype=str)
            frame = pd.concat(sheets.values(), ignore_index=True) if sheets else pd.DataFrame()
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(
            f"{path}: cannot be read as {path.suffix.lstrip('.').upper()} "
            f"({type(error).__name__}); save it again from the spreadsheet program"
        ) from None
    columns = {}
    for name, aliases in ALIASES.items():
        found = [c for c in frame.columns if str(c).strip() in aliases]
        if found:
            columns[found[0]] = name
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        alias = ALIASES[missing[0]]
        raise UserError(
            f"{path}: column {alias[0]!r} (or {alias[1]!r}) is missing; "
            "return the field list with its columns filled in, or the plain CSV "
            "household_id, visit_date, outcome"
        )
    out = frame.rename(columns=columns)
    corrections = [c for c in frame.columns if str(c).startswith((CORRECTION_PREFIX, "corrected_"))]
    keep = [*columns.values(), *corrections]
    out = out[keep].fillna("").astype(str).apply(lambda s: s.str.strip())
    out.insert(0, "row", np.arange(2, len(out) + 2))  # spreadsheet row (header is row 1)
    out.insert(0, "file", path.name)
    return out


def read_results(path: Path, register_ids, plan_ids) -> RoundResults:
    """Read the returned results and check every row (see the module's list)."""
    frame = pd.concat([_read_one(p) for p in _files(Path(path))], ignore_index=True)
    reason = pd.Series("", index=frame.index)

    def reject(mask, key):
        reason[(reason == "") & mask] = REASONS[key]

    outcome = frame["outcome"].map(outcome_code)
    date = pd.to_datetime(frame["visit_date"], errors="coerce", format="mixed", dayfirst=False)
    blank_outcome = frame["outcome"] == ""
    reject(blank_outcome & (frame["visit_date"] == ""), "not_visited")
    reject(blank_outcome, "missing_outcome")
    reject(outcome.isna(), "unknown_outcome")
    reject(date.isna(), "bad_date")
    reject(~frame["household_id"].isin(set(map(str, register_ids))), "unknown_household")
    consumption = pd.Series(np.nan, index=frame.index)
    if "measured_consumption" in frame:
        text = frame["measured_consumption"]
        consumption = pd.to_numeric(text, errors="coerce")
        reject((text != "") & ~(consumption > 0), "bad_consumption")
    # Twice: among rows otherwise fine, every row of a household after its first.
    ok = reason == ""
    reject(ok & frame["household_id"].where(ok).duplicated(keep="first") & ok, "twice")
    accepted = reason == ""
    visits = pd.DataFrame(
        {
            "household_id": frame["household_id"],
            "visit_date": date.dt.strftime("%Y-%m-%d"),
            "outcome": outcome,
            "measured_consumption": consumption,
        }
    )[accepted].reset_index(drop=True)
    visits["on_plan"] = visits["household_id"].isin(set(map(str, plan_ids)))
    rejected = frame.loc[~accepted, ["file", "row", "household_id"]].assign(
        reason=reason[~accepted]
    )
    return RoundResults(
        visits, _corrections(frame[accepted]), rejected.reset_index(drop=True), len(frame)
    )


def _corrections(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per corrected proxy value: household_id, column, value (text as written)."""
    parts = []
    for column in frame.columns:
        if column.startswith((CORRECTION_PREFIX, "corrected_")):
            name = column.removeprefix(CORRECTION_PREFIX).removeprefix("corrected_").strip()
            given = frame[frame[column] != ""]
            parts.append(
                pd.DataFrame(
                    {"household_id": given["household_id"], "column": name, "value": given[column]}
                )
            )
    if not parts:
        return pd.DataFrame(columns=["household_id", "column", "value"])
    return pd.concat(parts, ignore_index=True)
