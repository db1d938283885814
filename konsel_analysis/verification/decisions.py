"""Decisions the office submits after a round: per desa, in the restricted folder.

One XLSX per desa with a decision, three sheets with Bahasa Indonesia headers:
proposals to remove (a beneficiary verified not eligible), proposals to add (a
poor household not receiving) and data corrections (a proxy the team corrected,
or a household that moved or died). They carry the NIK and names the office
submits, so they are written only under the restricted folder, owner-only; the
reports show counts only (:func:`decision_counts`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konsel_analysis.files import write_atomic
from konsel_analysis.verification.outcomes import OUTCOME_LABELS

SHEETS = {
    "remove": "Usulan dikeluarkan",
    "add": "Usulan ditambahkan",
    "correct": "Perbaikan data",
}
HEADERS = {
    "household_id": "ID rumah tangga",
    "village": "Desa/kelurahan",
    "nik_head": "NIK kepala rumah tangga",
    "name_head": "Nama kepala rumah tangga",
    "visit_date": "Tanggal kunjungan",
    "outcome": "Hasil kunjungan",
    "column": "Kolom",
    "register_value": "Nilai di register",
    "value": "Nilai hasil kunjungan",
}


def decision_rows(
    visits: pd.DataFrame, corrections: pd.DataFrame, register: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The three lists (English columns) from the accepted visits and corrections.

    ``visits``: household_id, visit_date, outcome, is_beneficiary; ``register``: indexed
    by household_id with ``village`` and any personal columns to carry.
    """
    benef = visits["is_beneficiary"].to_numpy(bool)
    remove = visits[benef & (visits["outcome"] == "not_eligible")]
    add = visits[~benef & visits["outcome"].isin(["poor_not_receiving", "eligible"])]
    gone = visits[visits["outcome"].isin(["moved", "deceased"])].assign(
        column="(rumah tangga)", register_value="", value=lambda f: f["outcome"].map(OUTCOME_LABELS)
    )
    fixes = corrections.merge(visits[["household_id", "visit_date"]], on="household_id")
    fixes["register_value"] = [
        str(register.at[h, c]) if c in register.columns else ""
        for h, c in zip(fixes["household_id"], fixes["column"], strict=True)
    ]
    correct = pd.concat([fixes, gone.drop(columns="outcome")], ignore_index=True)
    out = {}
    for key, rows in (("remove", remove), ("add", add), ("correct", correct)):
        frame = rows.drop(columns=["is_beneficiary"], errors="ignore").join(
            register.drop(columns=["village"], errors="ignore"), on="household_id"
        )
        frame.insert(1, "village", rows["household_id"].map(register["village"]).to_numpy())
        if "outcome" in frame:
            frame["outcome"] = frame["outcome"].map(OUTCOME_LABELS)
        out[key] = frame.sort_values(["village", "household_id"], ignore_index=True)
    return out


def decision_counts(lists: dict[str, pd.DataFrame], area_of_village: pd.Series) -> pd.DataFrame:
    """Counts per area (no names): proposals to remove, to add, data corrections."""
    parts = []
    for key, frame in lists.items():
        areas = frame["village"].map(area_of_village)
        parts.append(areas.value_counts().rename(f"proposals_{key}"))
    table = pd.concat(parts, axis=1).fillna(0).astype(int).sort_index()
    table.index.name = "area"
    return table.reset_index()


def write_decisions(lists: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """One XLSX per desa under ``folder`` (owner-only), the three sheets in Bahasa Indonesia."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    villages = sorted(set().union(*(set(f["village"].astype(str)) for f in lists.values())))
    written = []
    for village in villages:
        sheets = {
            SHEETS[key]: frame[frame["village"].astype(str) == village].rename(columns=HEADERS)
            for key, frame in lists.items()
        }

        def write(path, sheets=sheets):
            with pd.ExcelWriter(path, engine="openpyxl") as writer:
                for name, table in sheets.items():
                    table.to_excel(writer, sheet_name=name, index=False)

        stem = village.replace("/", "-").replace(" ", "_")
        written.append(write_atomic(folder / f"keputusan_{stem}.xlsx", write, mode=0o600))
    return written
