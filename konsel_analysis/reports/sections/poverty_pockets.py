"""Draws the poverty pockets ("Kantong kemiskinan"): the desa poverty map with 90% intervals.

From ``konsel poverty-map`` at desa level (the pipeline step): EB estimates for the
desa in the survey, synthetic ones for the others, each with its parametric-bootstrap
90% interval. A kecamatan report ranks its desa (dot plot and table, poor and
extreme-poor persons) and names the desa whose interval lies wholly above the
regency's rate; the regency report lists the 30 poorest desa and the kecamatan.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from konsel_analysis.poverty_map import plots
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import _h, _p, _show, _table, _unavailable
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, number, percent, tr

POOREST_LISTED = 30


def _range(row: pd.Series, stem: str, language: str, as_count: bool = False) -> str:
    lo, hi = row[f"{stem}_low"], row[f"{stem}_high"]
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return SUPPRESSED
    if as_count:
        return f"{number(float(lo), language)}–{number(float(hi), language)}"
    return f"{percent(float(lo), language)}–{percent(float(hi), language)}"


def plot_desa_poverty(desa: pd.DataFrame, regency_rate: float, language: str):
    """Desa ranked by estimated poverty rate, with 90% intervals; the regency as a line."""
    d = desa.dropna(subset=["poverty_rate"]).sort_values("poverty_rate")
    height = max(3.0, 0.28 * len(d) + 1.2)
    fig, ax = plt.subplots(figsize=(9.5, height))
    fig.subplots_adjust(left=0.25, right=0.97, top=1 - 0.5 / height, bottom=0.7 / height)
    y = np.arange(len(d))
    eb = (d["method"] == "EB").to_numpy()
    rate = d["poverty_rate"].to_numpy(float)
    lo, hi = d["poverty_rate_low"].to_numpy(float), d["poverty_rate_high"].to_numpy(float)
    ax.hlines(y, lo, hi, color="#6BAED6", linewidth=2.5, zorder=2)
    ax.plot(
        rate[eb],
        y[eb],
        "o",
        color="#08519C",
        zorder=3,
        label=tr(language, "desa dalam survei (EB)", "surveyed desa (EB)"),
    )
    ax.plot(
        rate[~eb],
        y[~eb],
        "o",
        markerfacecolor="white",
        color="#08519C",
        zorder=3,
        label=tr(language, "desa di luar survei (model)", "desa not surveyed (model)"),
    )
    ax.axvline(
        regency_rate,
        color=charts.COLOURS["regency"],
        linestyle="--",
        zorder=1,
        label=tr(language, "Kabupaten", "Regency") + f" {percent(regency_rate, language)}",
    )
    ax.set_yticks(y, d["village_name"].astype(str))
    ax.set_xlim(0, max(0.1, float(np.nanmax(hi))) * 1.05)
    charts._percent_axis(ax.xaxis, language)
    ax.set_xlabel(
        tr(
            language,
            "% penduduk miskin (perkiraan, rentang 90%)",
            "% of people poor (estimate, 90% range)",
        )
    )
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_direct_vs_model(table: pd.DataFrame, language: str, unit: str = "desa"):
    """The poverty map's direct-against-model chart (:mod:`konsel_analysis.poverty_map.plots`)
    in the reports' colours."""
    return plots.plot_direct_vs_model(
        table,
        language,
        unit,
        line_colour=charts.COLOURS["regency"],
        dot_colour=charts.COLOURS["actual"],
    )


def _method(row: pd.Series, report: Report) -> str:
    return (
        report.tr("survei + model", "survey + model")
        if row["method"] == "EB"
        else report.tr("model", "model")
    )


def _desa_rows(desa: pd.DataFrame, report: Report, with_kecamatan: bool = False) -> list:
    lang = report.language
    names = report.kecamatan_names
    rows = []
    for _, r in desa.iterrows():
        row = [str(r["village_name"])]
        if with_kecamatan:
            row.append(str(names.get(r["area_code"], r["area_code"])))
        rank_note = "" if r.get("rankable", True) in (True, "True") else " *"
        row += [
            percent(r["poverty_rate"], lang) + rank_note,
            _range(r, "poverty_rate", lang),
            number(r["poor_persons"], lang),
            number(r["extreme_poor_persons"], lang),
            _method(r, report),
        ]
        rows.append(row)
    return rows


def _header(report: Report, with_kecamatan: bool = False) -> list[str]:
    return [
        report.tr("Desa/kelurahan", "Village"),
        *([report.tr("Kecamatan", "Kecamatan")] if with_kecamatan else []),
        report.tr("Penduduk miskin", "People poor"),
        report.tr("Rentang 90%", "90% range"),
        report.tr("Orang miskin", "Poor people"),
        report.tr("Orang miskin ekstrem", "Extremely poor people"),
        report.tr("Dasar", "Based on"),
    ]


def _note(report: Report) -> str:
    return report.tr(
        "Perkiraan area kecil (empirical best prediction, Molina & Rao 2010): model "
        "pengeluaran per kapita dari survei diterapkan pada semua rumah tangga register. "
        "Desa dalam survei memakai survei dan model; desa lain hanya model, dengan rentang "
        "lebih lebar. Rentang 90% dari bootstrap parametrik. Tanda * berarti perkiraan "
        "terlalu tidak pasti untuk diperingkat (rentangnya mencakup lebih dari separuh "
        f"peringkat desa). Tanda {SUPPRESSED} berarti disembunyikan (kurang dari "
        f"{MIN_CELL_HOUSEHOLDS} rumah tangga).",
        "Small-area estimates (empirical best prediction, Molina & Rao 2010): a model of "
        "per-capita consumption fitted on the survey, applied to every register household. "
        "Surveyed desa use the survey and the model; the others the model alone, with wider "
        "ranges. 90% ranges from a parametric bootstrap. * means too uncertain to rank (the "
        f"range spans more than half of the desa ranks). {SUPPRESSED} means hidden (fewer "
        f"than {MIN_CELL_HOUSEHOLDS} households).",
    )


def show_poverty_pockets(report: Report) -> None:
    """The "Kantong kemiskinan" section of a kecamatan or the regency report."""
    title = report.tr("Kantong kemiskinan", "Poverty pockets")
    desa = report.table("poverty_map_desa")
    kec = report.table("poverty_map_kecamatan")
    if desa is None or kec is None:
        _show(_h(2, title))
        _unavailable(report, "poverty_map_desa", "peta kemiskinan desa", "desa poverty map")
        return
    lang = report.language
    regency_rate = float(desa["overall_poverty_rate"].dropna().iloc[0])
    parts = [_h(2, title)]
    if report.is_regency:
        poorest = desa.dropna(subset=["poverty_rate"]).nlargest(POOREST_LISTED, "poverty_rate")
        parts.append(
            _p(
                html.escape(
                    report.tr(
                        f"{POOREST_LISTED} desa termiskin di Konawe Selatan menurut perkiraan "
                        f"area kecil (kabupaten: {percent(regency_rate, lang)} penduduk miskin).",
                        f"The {POOREST_LISTED} poorest desa of Konawe Selatan by small-area "
                        f"estimate (regency: {percent(regency_rate, lang)} of people poor).",
                    )
                )
            )
        )
        parts.append(
            _table(_header(report, True), _desa_rows(poorest, report, True), text_columns=(0, 1, 6))
        )
        names = report.kecamatan_names
        rows = []
        for _, r in kec.sort_values("poverty_rate", ascending=False).iterrows():
            rows.append(
                [
                    str(names.get(r["area_code"], r["area_code"])),
                    percent(r["poverty_rate"], lang),
                    _range(r, "poverty_rate", lang),
                    number(r["poor_persons"], lang),
                    _range(r, "poor_persons", lang, as_count=True),
                    percent(r["extreme_poverty_rate"], lang),
                ]
            )
        parts.append(
            _table(
                [
                    report.tr("Kecamatan", "Kecamatan"),
                    report.tr("Penduduk miskin", "People poor"),
                    report.tr("Rentang 90%", "90% range"),
                    report.tr("Orang miskin", "Poor people"),
                    report.tr("Rentang 90%", "90% range"),
                    report.tr("Penduduk miskin ekstrem", "People extremely poor"),
                ],
                rows,
            )
        )
        parts.append(
            charts.figure_html(
                plot_direct_vs_model(desa, lang),
                report.tr(
                    "Penduduk miskin per desa dalam survei: langsung dan perkiraan model",
                    "People poor per surveyed desa: direct from the survey and model estimate",
                ),
                report.tr(
                    "Tiap titik satu desa dalam survei; makin besar titik, makin banyak rumah "
                    "tangga survei. Perkiraan langsung dari 15 rumah tangga sangat menyebar; "
                    "model menariknya ke arah yang diharapkan dari ciri rumah tangganya.",
                    "Each dot is one surveyed desa; larger dots, more survey households. Direct "
                    "estimates from 15 households scatter widely; the model pulls them towards "
                    "what the households' characteristics predict.",
                ),
            )
        )
        parts.append(_p(html.escape(_note(report)), "note"))
        _show(*parts)
        return
    mine = desa[desa["area_code"] == report.area_code].sort_values("poverty_rate", ascending=False)
    above = mine[mine["stands_out"] == "above"]
    if len(above):
        listing = ", ".join(str(v) for v in above["village_name"])
        lead = report.tr(
            f"Desa yang lebih miskin dari kabupaten ({percent(regency_rate, lang)}) melampaui "
            f"ketidakpastiannya: {listing}.",
            f"Desa poorer than the regency ({percent(regency_rate, lang)}) beyond their "
            f"uncertainty: {listing}.",
        )
    else:
        lead = report.tr(
            "Tidak ada desa di kecamatan ini yang rentang 90%-nya seluruhnya di atas angka "
            f"kabupaten ({percent(regency_rate, lang)}).",
            "No desa of this kecamatan has its 90% range wholly above the regency's "
            f"rate ({percent(regency_rate, lang)}).",
        )
    parts.append(_p(html.escape(lead)))
    fig = plot_desa_poverty(mine, regency_rate, lang)
    parts.append(
        charts.figure_html(
            fig,
            report.tr(
                "Desa menurut perkiraan penduduk miskin, dengan rentang 90%",
                "Desa by estimated share of people poor, with 90% ranges",
            ),
            report.tr(
                "Titik penuh: desa dalam survei; titik kosong: hanya model.",
                "Filled dots: surveyed desa; open dots: model only.",
            ),
        )
    )
    parts.append(_table(_header(report), _desa_rows(mine, report), text_columns=(0, 5)))
    parts.append(_p(html.escape(_note(report)), "note"))
    _show(*parts)
