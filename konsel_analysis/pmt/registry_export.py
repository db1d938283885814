"""The linear PMT for registry software: OpenSPP, OpenG2P, and an XLSX scorecard.

All three start from the scorecard (:mod:`.scorecard`): predicted log per-capita
welfare is the intercept plus a sum of terms. Registry systems add up weighted
indicators and compare the sum with thresholds, so the intercept moves into the
thresholds: a household is *poor* when its sum S < ln(poverty line) - intercept
and *extremely poor* when S < ln(extreme line) - intercept. docs/registry_export.md
describes the formats followed and where they come from.

- :func:`openspp_model`: an OpenSPP ``spp_scoring`` model (``spp.scoring.model``
  with ``spp.scoring.indicator``, ``spp.scoring.value_mapping`` and
  ``spp.scoring.threshold`` records) as JSON: numeric proxies ``direct`` (with
  the fill value as ``default_value``), squares ``formula`` (CEL ``value * value``),
  missing-value terms ``range`` (0 when present, ``default_score`` 1 when
  missing), each categorical proxy one ``mapped`` indicator whose value mappings
  are the level weights (unlisted levels score 0, as the reference level).
- :func:`openg2p_params`: OpenG2P ``g2p_proxy_means_test`` parameters
  (``g2p.proxy_means_test_params``: ``pmt_field``, ``pmt_weightage``); OpenG2P
  multiplies numeric registrant-info fields by weights and nothing else, so every
  term becomes one derived numeric field (listed with its definition), weights are
  per mille of log welfare (:data:`OPENG2P_SCALE`) so that the 4 decimals OpenG2P
  keeps lose nothing, and the integer score is compared with per-mille thresholds.
- :func:`write_scorecard_xlsx`: the scorecard with Bahasa Indonesia headers,
  instructions and thresholds, for offices with no registry software.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.files import write_atomic

#: OpenG2P weights are log-welfare weights times this (per mille): ``pmt_weightage``
#: keeps 4 decimals and ``pmt_score`` is an integer in OpenG2P's g2p_proxy_means_test.
OPENG2P_SCALE = 1000
#: OpenG2P keeps this many decimals of a weightage (``digits=(0, 4)``).
OPENG2P_DIGITS = 4
#: The lowest and highest sums the outer OpenSPP thresholds reach (log-welfare units:
#: far beyond any household, since predicted log welfare lies within about 10 to 17).
SCORE_BOUND = 1.0e6


def _code(text: str) -> str:
    """A code made of lower-case letters, digits and underscores.

    >>> _code("floor_material=earth^2")
    'floor_material_earth_2'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_")


def _lines(poverty_line: float, extreme_line: float | None, intercept: float) -> dict:
    cuts = {"POOR": math.log(poverty_line) - intercept}
    if extreme_line is not None:
        cuts["EXTREME_POOR"] = math.log(extreme_line) - intercept
    return cuts


def classes(poverty_line: float, extreme_line: float | None, intercept: float, scale: float = 1):
    """(code, label, low, high) of each class on the sum-of-weights scale, poorest first."""
    cuts = _lines(poverty_line, extreme_line, intercept)
    low = -SCORE_BOUND * scale
    out = []
    if "EXTREME_POOR" in cuts:
        out.append(("EXTREME_POOR", "Miskin ekstrem", low, cuts["EXTREME_POOR"] * scale))
        low = cuts["EXTREME_POOR"] * scale
    out.append(("POOR", "Miskin", low, cuts["POOR"] * scale))
    out.append(("NON_POOR", "Tidak miskin", cuts["POOR"] * scale, SCORE_BOUND * scale))
    return out


def _fill(row) -> str | None:
    return None if pd.isna(row.fill_value) else repr(float(row.fill_value))


def _numeric_indicators(table: pd.DataFrame) -> list[dict]:
    out = []
    for row in table.itertuples(index=False):
        base = {"field_path": row.variable, "default_value": None, "default_score": 0.0}
        if row.kind == "numeric":
            out.append(
                {
                    **base,
                    "code": _code(row.term),
                    "name": row.variable,
                    "calculation_type": "direct",
                    "default_value": _fill(row),
                    "weight": float(row.weight),
                }
            )
        elif row.kind == "log1p":
            # log(1 + value) of a skewed proxy: a derived registrant field the registry
            # computes (as OpenG2P's fields are), read as it is.
            fill = None if pd.isna(row.fill_value) else repr(float(np.log1p(row.fill_value)))
            out.append(
                {
                    **base,
                    "field_path": f"{row.variable}_log1p",
                    "code": _code(row.term),
                    "name": f"log(1 + {row.variable})",
                    "calculation_type": "direct",
                    "default_value": fill,
                    "weight": float(row.weight),
                }
            )
        elif row.kind == "squared":
            out.append(
                {
                    **base,
                    "code": _code(f"{row.variable}_squared"),
                    "name": f"{row.variable} (kuadrat)",
                    "calculation_type": "formula",
                    "cel_expression": "value * value",
                    "default_value": _fill(row),
                    "weight": float(row.weight),
                }
            )
        elif row.kind == "missing":
            out.append(
                {
                    **base,
                    "code": _code(f"{row.variable}_missing"),
                    "name": f"{row.variable} kosong",
                    "calculation_type": "range",
                    "default_score": 1.0,
                    "weight": float(row.weight),
                    "value_mappings": [
                        {"range_min": -SCORE_BOUND, "range_max": SCORE_BOUND, "output_score": 0.0}
                    ],
                }
            )
    return out


def _categorical_indicators(table: pd.DataFrame) -> list[dict]:
    out = []
    levels = table[table["kind"].isin(["level", "reference", "pooled"])]
    for variable, rows in levels.groupby("variable", sort=False):
        mappings = [
            {"input_value": str(r.level), "output_score": float(r.weight)}
            for r in rows.itertuples(index=False)
        ]
        has_missing = (rows["level"] == "(missing)").any()
        out.append(
            {
                "code": _code(variable),
                "name": variable,
                "field_path": variable,
                "calculation_type": "mapped",
                "weight": 1.0,
                # missing: the level "(missing)" when the survey had it, else the reference
                "default_value": "(missing)" if has_missing else None,
                "default_score": 0.0,
                "value_mappings": mappings,
            }
        )
    return out


def openspp_model(
    table: pd.DataFrame,
    *,
    poverty_line: float,
    extreme_line: float | None,
    code: str,
    name: str,
    effective_date: str | None = None,
) -> dict:
    """The scorecard as an OpenSPP ``spp_scoring`` model (see the module documentation)."""
    intercept = float(table.loc[table["kind"] == "intercept", "weight"].sum())
    indicators = _numeric_indicators(table) + _categorical_indicators(table)
    for i, indicator in enumerate(indicators, start=1):
        indicator.update(sequence=i, source_model="res.partner", is_required=False)
    thresholds = [
        {
            "sequence": i,
            "name": label,
            "classification_code": c,
            "classification_label": label,
            "min_score": lo,
            "max_score": hi,
            "display_color": {"EXTREME_POOR": "red", "POOR": "orange", "NON_POOR": "green"}[c],
        }
        for i, (c, label, lo, hi) in enumerate(
            classes(poverty_line, extreme_line, intercept), start=1
        )
    ]
    return {
        "format": "OpenSPP spp_scoring (spp.scoring.model / indicator / value_mapping / threshold)",
        "model": {
            "name": name,
            "code": code,
            "version": "1.0",
            "category": "poverty",
            "calculation_method": "weighted_sum",
            # regression weights do not sum to 1: 0 turns OpenSPP's weight-sum check off
            "expected_total_weight": 0.0,
            "effective_date": effective_date,
            "description": (
                f"Linear PMT: predicted ln(per-capita welfare) = {intercept:.6f} + score. "
                "Thresholds are ln(line) minus that constant."
            ),
        },
        "intercept": intercept,
        "indicators": indicators,
        "thresholds": thresholds,
    }


def openg2p_fields(table: pd.DataFrame) -> list[dict]:
    """The derived numeric registrant-info fields OpenG2P needs, one per scorecard term."""
    fields = []
    for row in table.itertuples(index=False):
        if row.kind in ("intercept", "reference", "pooled"):
            continue
        fill = "" if pd.isna(row.fill_value) else f", {float(row.fill_value):g} when missing"
        definition = {
            "numeric": f"{row.variable}{fill}",
            "squared": f"{row.variable} squared{fill}",
            "log1p": f"log(1 + {row.variable}){fill}",
            "missing": f"1 when {row.variable} is missing, else 0",
            "level": f"1 when {row.variable} is {row.level!r}, else 0",
        }[row.kind]
        fields.append(
            {
                "name": "x_pmt_" + _code(row.term),
                "ttype": "float",
                "term": row.term,
                "kind": row.kind,
                "variable": row.variable,
                "level": None if pd.isna(row.level) or row.level == "" else str(row.level),
                "fill_value": None if pd.isna(row.fill_value) else float(row.fill_value),
                "definition": definition,
            }
        )
    return fields


def openg2p_params(table: pd.DataFrame, *, poverty_line: float, extreme_line: float | None) -> dict:
    """The scorecard as OpenG2P ``g2p_proxy_means_test`` parameters (module documentation)."""
    intercept = float(table.loc[table["kind"] == "intercept", "weight"].sum())
    weights = dict(zip(table["term"], table["weight"], strict=True))
    fields = openg2p_fields(table)
    params = [
        {
            "pmt_field": f["name"],
            "pmt_weightage": round(float(weights[f["term"]]) * OPENG2P_SCALE, OPENG2P_DIGITS),
        }
        for f in fields
    ]
    return {
        "format": "OpenG2P g2p_proxy_means_test (g2p.proxy_means_test_params)",
        "program": {"pmt_config": True},
        "proxy_means_params_ids": params,
        "registrant_info_fields": fields,
        "scale": OPENG2P_SCALE,
        "intercept": intercept,
        "thresholds": [
            {"classification_code": c, "label": label, "score_below": hi}
            for c, label, _, hi in classes(poverty_line, extreme_line, intercept, OPENG2P_SCALE)
            if c != "NON_POOR"
        ],
        "note": (
            "pmt_score = sum of pmt_weightage x field; predicted ln(per-capita welfare) = "
            f"{intercept:.6f} + pmt_score / {OPENG2P_SCALE}. A household is in a class "
            "when its pmt_score is below the class's score_below."
        ),
    }


# --------------------------------------------------------------------------------------
# XLSX for offices without registry software
# --------------------------------------------------------------------------------------

#: Bahasa Indonesia headers of the XLSX scorecard, by scorecard column.
HEADERS_ID = {
    "term": "Istilah",
    "kind": "Jenis",
    "variable": "Variabel",
    "level": "Kategori",
    "weight": "Bobot",
    "fill_value": "Nilai pengganti bila kosong",
    "note": "Catatan",
}
KINDS_ID = {
    "intercept": "konstanta",
    "numeric": "angka x bobot",
    "squared": "angka kuadrat x bobot",
    "log1p": "ln(1 + angka) x bobot",
    "missing": "bobot bila kosong",
    "level": "bobot bila kategori ini",
    "reference": "kategori acuan (bobot 0)",
    "pooled": "kategori jarang, dinilai seperti acuan (bobot 0)",
}
NOTES_ID = {
    "predicted log per-capita welfare = sum of all applicable weights": (
        "ln(pengeluaran per kapita) yang diprediksi = jumlah semua bobot yang berlaku"
    ),
    "not in the model (collinear or not selected): weight 0": (
        "tidak dipakai model (kolinear atau tidak terpilih): bobot 0"
    ),
    "reference level: other levels' weights are relative to it": (
        "kategori acuan: bobot kategori lain relatif terhadapnya"
    ),
    "too rare in the survey for its own weight: scored as the reference level": (
        "terlalu jarang di survei untuk bobot sendiri: dinilai seperti kategori acuan"
    ),
}
INSTRUCTIONS_ID = [
    "Cara memakai kartu skor PMT (proxy means test)",
    "1. Mulai dari Bobot baris 'konstanta'.",
    "2. Untuk setiap variabel angka: tambahkan nilai rumah tangga x Bobot "
    "(bila kosong, pakai 'Nilai pengganti bila kosong').",
    "3. Untuk variabel kuadrat: tambahkan (nilai x nilai) x Bobot.",
    "4. Untuk variabel kategori: tambahkan Bobot baris kategori rumah tangga; "
    "kategori yang tidak tercantum bernilai 0 (sama dengan kategori acuan).",
    "5. Hasilnya adalah ln(pengeluaran per kapita per bulan) yang diprediksi; "
    "bandingkan dengan batas di lembar 'Batas'.",
]


def write_scorecard_xlsx(
    table: pd.DataFrame, path, *, poverty_line: float, extreme_line: float | None
) -> None:
    """Three sheets: 'Kartu skor' (the weights), 'Batas' (thresholds), 'Petunjuk'."""
    card = table.assign(
        kind=table["kind"].map(KINDS_ID).fillna(table["kind"]),
        note=table["note"].map(NOTES_ID).fillna(table["note"]).fillna(""),
    )
    card = card[list(HEADERS_ID)].rename(columns=HEADERS_ID)
    rows = [("Garis kemiskinan (Rp/kapita/bulan)", poverty_line, np.log(poverty_line))]
    if extreme_line is not None:
        rows.append(
            ("Garis kemiskinan ekstrem (Rp/kapita/bulan)", extreme_line, np.log(extreme_line))
        )
    limits = pd.DataFrame(
        rows, columns=["Batas", "Rupiah", "ln(Rupiah): miskin bila skor di bawah"]
    )

    def write(tmp: str) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            card.to_excel(writer, sheet_name="Kartu skor", index=False)
            limits.to_excel(writer, sheet_name="Batas", index=False)
            pd.DataFrame({"Petunjuk": INSTRUCTIONS_ID}).to_excel(
                writer, sheet_name="Petunjuk", index=False
            )

    write_atomic(Path(path), write)  # never a half-written workbook under its name
