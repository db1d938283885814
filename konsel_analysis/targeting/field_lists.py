"""Visit lists for field teams: per kecamatan, CSV and XLSX, Bahasa Indonesia headers.

They carry the names and NIK the teams need at the door, so they are written
only under the restricted folder (git-ignored, never under reports/), with
owner-only file permissions. Given the project's pseudonymisation key, each row
also carries the household's pseudonymous key (``RT-...``), the only household
identifier the published reports show, so that authorised staff can find a
report's household in the list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.datasets import RegisterTable
from konsel_analysis.dictionary import PERSONAL_COLUMNS
from konsel_analysis.files import write_atomic
from konsel_analysis.geography import load_kecamatan, load_villages
from konsel_analysis.privacy import pseudonymize

HEADERS = {
    "rank_in_area": "Urutan kunjungan",
    "village": "Desa/kelurahan",
    "household_id": "ID rumah tangga",
    "nik_head": "NIK kepala rumah tangga",
    "name_head": "Nama kepala rumah tangga",
    "status": "Status bantuan",
    "check": "Yang perlu diperiksa",
    "reasons": "Alasan (ciri rumah tangga)",
    "pseudonym": "Kode samaran (di laporan)",
}


def _village_names(codes: pd.Series) -> pd.Series:
    """``Lapoa (74.05.01.2003)`` for a known Konsel desa code, else the code as given."""
    villages = load_villages().set_index("village_code")["village_name"]
    text = codes.astype(str)
    names = text.map(villages)
    return (names + " (" + text + ")").where(names.notna(), text)


def field_list_stem(area: str) -> str:
    """File name (without suffix) of an area's field list: ``74.05.01-tinanggea``."""
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    name = names.get(area)
    slug = str(name).lower().replace(" ", "-") if name is not None else "area"
    return f"{area}-{slug}".replace("/", "-")


def _atomic(path: Path, write) -> Path:
    return write_atomic(path, write, mode=0o600)  # names and NIK: owner only


def field_list(
    scores: pd.DataFrame, register: RegisterTable, pseudonym_key: bytes | None = None
) -> pd.DataFrame:
    """The households chosen for a visit, ordered by area and priority (English column names).

    With ``pseudonym_key``, a last column holds each household's pseudonymous key.
    """
    frame = register.frame
    chosen = scores["is_visited"].to_numpy()
    out = pd.DataFrame({"area": scores["area"], "rank_in_area": scores["rank_in_area"]})
    cluster = register.config.cluster
    out["village"] = _village_names(frame[cluster]) if cluster in frame.columns else ""
    out["household_id"] = scores["household_id"]
    config = register.config
    if config.nik and config.nik in frame.columns:  # the config names them ...
        out["nik_head"] = frame[config.nik].astype(str)
    for i, column in enumerate(c for c in config.names if c in frame.columns):
        out["name_head" if i == 0 else f"name_{column}"] = frame[column].astype(str)
    if not config.personal:  # ... or the dictionary's names are used
        for column in PERSONAL_COLUMNS:
            if column in frame.columns:
                out[column] = frame[column].astype(str)
    beneficiary = scores["is_beneficiary"].to_numpy()
    out["status"] = np.where(beneficiary, "Penerima (KPM)", "Bukan penerima")
    out["check"] = np.where(
        beneficiary, "Apakah masih layak menerima?", "Apakah miskin dan perlu diusulkan?"
    )
    # No predicted chance of an error on the list: it would tell the teams which visits
    # are random audits (low chances) and anchor what they find (blind verification).
    out["reasons"] = scores["reasons"]
    out = out[chosen]
    if pseudonym_key is not None:  # (only the chosen households': one HMAC each)
        out["pseudonym"] = pseudonymize(out["household_id"], pseudonym_key)
    return out.sort_values(["area", "rank_in_area"], kind="stable")


def write_field_lists(
    scores: pd.DataFrame,
    register: RegisterTable,
    folder: Path,
    pseudonym_key: bytes | None = None,
) -> list[Path]:
    """One CSV and one XLSX per area under ``folder/verification_lists``, Indonesian headers."""
    target = folder / "verification_lists"
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    lists = field_list(scores, register, pseudonym_key)
    written = []
    for area, rows in lists.groupby("area", sort=True):
        table = rows.drop(columns="area").rename(columns=HEADERS)
        stem = field_list_stem(str(area))
        written.append(
            _atomic(
                target / f"{stem}.csv",
                lambda p, t=table: t.to_csv(p, index=False, lineterminator="\n"),
            )
        )
        written.append(
            _atomic(
                target / f"{stem}.xlsx",
                lambda p, t=table: t.to_excel(p, index=False, sheet_name="Daftar kunjungan"),
            )
        )
    return written
