"""The "Kantong kemiskinan" section: the desa poverty map in the built reports."""

from __future__ import annotations

import pandas as pd

from konsel_analysis.geography import load_kecamatan


def _section(page: str) -> str:
    return page[page.index("<h2>Kantong kemiskinan</h2>") :].split("<h2>", 2)[1]


def _inputs(built, name: str) -> pd.DataFrame:
    return pd.read_csv(built.root / f"data/processed/report_inputs/{name}.csv", dtype=str)


def test_kecamatan_page_ranks_its_desa_with_intervals(built):
    page = (built.root / "reports/kecamatan/74.05.01-tinanggea.html").read_text(encoding="utf-8")
    section = _section(page)
    assert "Rentang 90%" in section and "Orang miskin ekstrem" in section
    assert "<img" in section  # the dot plot
    mine = _inputs(built, "poverty_map_desa").query("area_code == '74.05.01'")
    tables = section.split("<table")
    assert tables[-1].count("<tr>") == 1 + len(mine)  # header + one row per desa
    for name in mine["village_name"]:
        assert name in section


def test_regency_page_lists_the_poorest_desa_and_every_kecamatan(built):
    section = _section((built.root / "reports/regency.html").read_text(encoding="utf-8"))
    desa, kec = _inputs(built, "poverty_map_desa"), _inputs(built, "poverty_map_kecamatan")
    poorest, kecamatan = section.split("<table")[1:3]
    assert poorest.count("<tr>") == 1 + min(30, len(desa))
    assert kecamatan.count("<tr>") == 1 + len(kec)
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    for code in kec["area_code"]:
        assert names[code] in kecamatan
