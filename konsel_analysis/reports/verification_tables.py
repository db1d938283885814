"""Report tables of the latest verification round (step "verification"): counts only.

Read from ``data/processed/verification`` (:mod:`konsel_analysis.verification.rounds`);
no table here holds a household, let alone a name or NIK.
"""

from __future__ import annotations

import json

import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.reports.report_data import ReportData


def _area_code(table: pd.DataFrame) -> pd.DataFrame:
    codes = table["area"].astype(str).replace({"ALL": REGENCY_CODE})
    return table.drop(columns="area").assign(area_code=codes)[
        ["area_code", *[c for c in table.columns if c != "area"]]
    ]


def _read(data: ReportData, name: str) -> pd.DataFrame:
    return _area_code(pd.read_csv(data.steps.path(name), dtype={"area": str}))


def tabulate_verification_results(data: ReportData) -> pd.DataFrame:
    """verification_by_area.csv with the outcomes, decisions and the round's number, per
    kecamatan and the regency (``area_code``), and the next round's plan in counts."""
    summary = json.loads(data.steps.path("round").read_text(encoding="utf-8"))
    table = _read(data, "verification_by_area").set_index("area_code")
    outcomes = _read(data, "outcomes_by_area").set_index("area_code")
    decisions = _read(data, "decisions_by_area").set_index("area_code")
    decisions.loc[REGENCY_CODE] = decisions.sum()
    plan = pd.read_csv(data.steps.path("next_round_plan"), dtype={"area": str})
    plan["area"] = plan["area"].astype(str)
    plan_all = plan.assign(area="ALL")
    nxt = (
        pd.concat([plan, plan_all])
        .groupby("area")
        .agg(
            next_round_visits=("household_id", "size"),
            next_round_audits=("is_audit", "sum"),
            next_round_expected_corrections=("p_error", "sum"),
        )
        .reset_index()
    )
    nxt = _area_code(nxt).set_index("area_code")
    out = (
        table.join(outcomes)
        .join(decisions)
        .join(nxt)
        .fillna({c: 0 for c in [*decisions.columns, *nxt.columns]})
    )
    out["round"] = int(summary["round"])
    return out.reset_index()


def tabulate_verification_calibration(data: ReportData) -> pd.DataFrame:
    """calibration_by_band.csv as written (priority and audit visits, by band)."""
    return pd.read_csv(data.steps.path("calibration_by_band"))
