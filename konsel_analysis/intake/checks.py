"""The row checks a table gets from its dataset config and the data dictionary.

Which columns a survey or a register must have, which rules each column is checked
against (:mod:`.rows` applies them), and the :class:`IntakeReport` of what was
accepted and rejected; :func:`write_rejected` writes the rejected rows (never a
personal column).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from konsel_analysis.dictionary import COLUMNS
from konsel_analysis.files import write_csv_atomic
from konsel_analysis.intake.config import DatasetConfig, DatasetError
from konsel_analysis.intake.rows import Rule

log = logging.getLogger(__name__)

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


def table_rules(config: DatasetConfig, role: Role, columns: pd.Index) -> list[Rule]:
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


def check_columns(frame: pd.DataFrame, config: DatasetConfig, data_path: Path, role: Role) -> None:
    named = _required_columns(config, role)
    missing = [c for c in named if c not in frame.columns]
    if missing:
        listing = ", ".join(f"{c!r} ({named[c]})" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise DatasetError(
            f"{config.path}: names column(s) {listing}{more} that {data_path} does not have; "
            "correct the config or the table (or its header row: read.header_row)"
        )


def as_dictionary_types(frame: pd.DataFrame, checked: set[str], config: DatasetConfig) -> None:
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
