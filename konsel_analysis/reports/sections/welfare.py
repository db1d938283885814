"""Draws the welfare distribution of recipients and non-recipients and the coverage curve."""

from __future__ import annotations

import html

import numpy as np

from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import _h, _p, _show
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import percent, rupiah


def show_welfare_distribution(report: Report) -> None:
    """Where recipients and non-recipients stand against the two poverty lines."""
    lang = report.language
    settings = report.inputs.settings
    bands = report.bands[report.bands["area_code"] == report.area_code]
    fig = charts.plot_welfare_bands(bands, settings, lang)
    # The share of recipients above the poverty line is the inclusion error of "PKH or
    # BPNT", known even where the bands themselves are hidden.
    above = report.errors_of(report.area_code, "pkh_or_bpnt")["inclusion_error"]
    words = report.tr(
        "Batang menunjukkan bagaimana rumah tangga penerima PKH atau BPNT (biru) dan bukan "
        "penerima (abu-abu) tersebar menurut pengeluaran per orang per bulan. Garis merah "
        "putus-putus adalah "
        f"garis kemiskinan ekstrem ({rupiah(settings.extreme_poverty_line_idr, lang)}) dan garis "
        f"kemiskinan ({rupiah(settings.poverty_line_idr, lang)}). Penerima di sebelah kanan garis "
        "kemiskinan adalah kesalahan inklusi.",
        "The bars show how households receiving PKH or BPNT (blue) and the others (grey) spread "
        "over spending per person per month. The dashed red lines are the extreme poverty line "
        f"({rupiah(settings.extreme_poverty_line_idr, lang)}) and the poverty line "
        f"({rupiah(settings.poverty_line_idr, lang)}). Recipients right of the poverty line are "
        "inclusion errors.",
    )
    if not np.isnan(above):
        words += " " + report.tr(
            f"Di sini {percent(above, lang)} penerima berada di atas garis kemiskinan.",
            f"Here {percent(above, lang)} of recipients are above the poverty line.",
        )
    caption = report.tr(
        f"* disembunyikan: kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga sampel.",
        f"* hidden: fewer than {MIN_CELL_HOUSEHOLDS} sample households.",
    )
    alt = report.tr(
        "Diagram batang: persentase penerima dan bukan penerima menurut kelompok pengeluaran.",
        "Bar chart: percentage of recipients and non-recipients by band of spending.",
    )
    _show(
        _h(
            2,
            report.tr(
                "Sebaran kesejahteraan penerima dan bukan penerima",
                "Welfare of recipients and non-recipients",
            ),
        ),
        _p(html.escape(words)),
        charts.figure_html(fig, alt, caption),
    )


def show_coverage_curve(report: Report) -> None:
    """How many of the poor a programme reaches for the households it covers."""
    lang = report.language
    points_ = report.coverage[report.coverage["area_code"] == report.area_code]
    errors = report.errors[report.errors["area_code"] == report.area_code]
    poor_share = float(report.area["poverty_rate_households"])
    if np.isnan(poor_share):
        poor_share = 0.0
    pmt_curve = report.table("pmt_curve") if report.is_regency else None
    fig = charts.plot_coverage(points_, errors, poor_share, lang, pmt_curve)
    pkh = report.errors_of(report.area_code, "pkh")
    words = report.tr(
        "Kurva cakupan: sumbu mendatar adalah bagian semua rumah tangga yang menerima, sumbu tegak "
        "bagian rumah tangga miskin yang menerima. Garis hijau adalah penargetan sempurna (semua "
        "bantuan ke rumah tangga miskin), garis titik-titik adalah pembagian acak. Survei tidak "
        "memuat desil DTSEN, jadi kurva biru mengurutkan rumah tangga menurut jumlah program yang "
        "mereka terima (PKH, BPNT, PBI-JK, BLT-DD).",
        "Coverage curve: across, the share of all households that receive; up, the share of poor "
        "households that receive. The green line is perfect targeting (all help to the poor), the "
        "dotted line random allocation. The survey has no DTSEN desil, so the blue curve ranks "
        "households by the number of programmes they receive (PKH, BPNT, PBI-JK, BLT-DD).",
    )
    if pmt_curve is not None:
        words += " " + report.tr(
            "Kurva ungu (titik-strip) mengurutkan rumah tangga menurut skor PMT terpilih, diuji di "
            "luar sampel (lihat kartu model PMT): semakin tinggi kurvanya, semakin banyak rumah "
            "tangga miskin yang terjangkau untuk jumlah penerima yang sama.",
            "The purple dash-dotted curve ranks households by the chosen PMT score, tested out of "
            "sample (see the PMT model card): the higher the curve, the more poor households are "
            "reached for the same number of recipients.",
        )
    elif not report.is_regency:
        words += " " + report.tr(
            "Kurva menurut skor PMT ada di laporan kabupaten: sampel satu kecamatan terlalu kecil "
            "untuk kurvanya sendiri.",
            "The curve by PMT score is in the regency report: one kecamatan's sample is too "
            "small for a curve of its own.",
        )
    # The coverage of the poor is 1 - the exclusion error the targeting section shows
    # (the targeting step's estimate, pulled towards the regency where the sample is small).
    ci = report.row("targeting_intervals", report.area_code, programme="pkh")
    if not np.isnan(pkh["coverage_poor"]) and ci is not None and bool(ci["is_shrunk_exclusion"]):
        words += " " + report.tr(
            f"Menurut survei, PKH menjangkau {percent(pkh['coverage_households'], lang)} rumah "
            f"tangga dan sekitar {percent(pkh['coverage_poor'], lang)} rumah tangga miskin "
            "(angka ini ditarik ke angka kabupaten karena sampelnya kecil, seperti di bagian "
            "Kesalahan penargetan).",
            f"By the survey, PKH reaches {percent(pkh['coverage_households'], lang)} of "
            f"households and about {percent(pkh['coverage_poor'], lang)} of poor households "
            "(pulled towards the regency because the sample is small, as in the Targeting "
            "errors section).",
        )
    elif not np.isnan(pkh["coverage_poor"]):
        words += " " + report.tr(
            f"Dalam sampel, PKH menjangkau {percent(pkh['coverage_households'], lang)} rumah "
            f"tangga dan {percent(pkh['coverage_poor'], lang)} rumah tangga miskin.",
            f"In the sample, PKH reaches {percent(pkh['coverage_households'], lang)} of "
            f"households and {percent(pkh['coverage_poor'], lang)} of poor households.",
        )
    alt = report.tr(
        "Kurva cakupan: bagian rumah tangga miskin yang terjangkau terhadap bagian semua rumah "
        "tangga yang terjangkau.",
        "Coverage curve: share of poor households reached against share of all households reached.",
    )
    _show(
        _h(2, report.tr("Kurva cakupan", "Coverage curve")),
        _p(html.escape(words)),
        charts.figure_html(fig, alt),
    )
