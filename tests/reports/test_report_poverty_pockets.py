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
    assert "langsung dan perkiraan model" in section  # the direct-against-model chart
    assert poorest.count("<tr>") == 1 + min(30, len(desa))
    assert kecamatan.count("<tr>") == 1 + len(kec)
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    for code in kec["area_code"]:
        assert names[code] in kecamatan


def test_regency_page_draws_direct_against_model():
    # one drawn dot per sampled desa with a direct estimate, sized by its survey households
    import matplotlib

    matplotlib.use("Agg")
    from konsel_analysis.reports.sections.poverty_pockets import plot_direct_vs_model

    table = pd.DataFrame(
        {
            "sampled_households": [15, 1, 0, 15],
            "direct_poverty_rate": [0.2, 0.0, None, 0.4],
            "poverty_rate": [0.15, 0.1, 0.3, 0.3],
        }
    )
    fig = plot_direct_vs_model(table, "en")
    ax = fig.axes[0]
    dots = ax.collections[0]
    assert dots.get_offsets().tolist() == [[0.2, 0.15], [0.0, 0.1], [0.4, 0.3]]
    assert dots.get_sizes()[0] > dots.get_sizes()[1]  # 15 households against 1
    (line,) = ax.lines
    assert line.get_xdata().tolist() == line.get_ydata().tolist()  # the 45-degree line
    # the report style puts titles at the left (rcParams, process-wide): read every location
    assert "3 desa" in " ".join(ax.get_title(loc=loc) for loc in ("left", "center", "right"))
    assert "garis 45" not in ax.get_legend().get_texts()[0].get_text()  # English
