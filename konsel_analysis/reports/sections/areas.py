"""Draws the areas side by side: the desa of a kecamatan, and all kecamatan of the regency."""

from __future__ import annotations

import html

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import _h, _p, _show, _table
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, number, percent


def show_desa_breakdown(report: Report) -> None:
    """Households and programme shares per desa (register); small cells hidden."""
    lang = report.language
    desa = report.desa[report.desa["kecamatan_code"] == report.area_code]
    header = [
        report.tr("Desa/kelurahan", "Village"),
        report.tr("Rumah tangga", "Households"),
        report.tr("Jiwa", "People"),
        report.tr(
            f"Desil 1–{report.inputs.settings.eligible_desil_max}",
            f"Desil 1–{report.inputs.settings.eligible_desil_max}",
        ),
        "PKH",
        "BPNT",
        "PBI-JK",
        "BLT-DD",
    ]
    expected = report.table("desa_expected_errors")
    if expected is not None:
        expected = expected.set_index("village_code")
        header += [
            report.tr("Perkiraan penerima tidak miskin", "Expected beneficiaries not poor"),
            report.tr("Perkiraan miskin tidak menerima", "Expected poor not receiving"),
            report.tr("Kunjungan verifikasi", "Verification visits"),
        ]
    rows = []
    for _, d in desa.iterrows():
        kind = report.tr("kel.", "kel.") if d["is_kelurahan"] else ""
        row = [
            f"{d['village_name']} {kind}".strip(),
            number(d["households"], lang),
            number(d["persons"], lang),
            *(
                percent(d[c], lang, 0)
                for c in (
                    "share_desil_eligible",
                    "share_pkh",
                    "share_bpnt",
                    "share_pbi_jk",
                    "share_blt_dd",
                )
            ),
        ]
        if expected is not None:
            e = expected.reindex([d["village_code"]]).iloc[0]
            row += [
                number(e["expected_inclusion_errors"], lang),
                number(e["expected_exclusion_errors"], lang),
                number(e["visits"], lang),
            ]
        rows.append(row)
    note = report.tr(
        "Dari register (semua rumah tangga). Persentase adalah bagian rumah tangga desa. "
        f"Tanda {SUPPRESSED} berarti angka disembunyikan karena dihitung dari kurang dari "
        f"{MIN_CELL_HOUSEHOLDS} rumah tangga.",
        "From the register (every household). Percentages are shares of the village's "
        f"households. {SUPPRESSED} means hidden because it rests on fewer than "
        f"{MIN_CELL_HOUSEHOLDS} households.",
    )
    if expected is not None:
        note += " " + report.tr(
            "Perkiraan salah sasaran per desa adalah jumlah peluang tiap rumah tangga (tanpa "
            "rentang: di tingkat desa hanya perkiraan titik); kunjungan adalah rumah tangga desa "
            "yang masuk daftar kunjungan putaran ini.",
            "Expected errors per village add up each household's chance (no range: at village "
            "level a point estimate only); visits are the village's households on this round's "
            "visit list.",
        )
    _show(
        _h(2, report.tr("Rincian per desa", "Villages")),
        _p(html.escape(note)),
        _table(header, rows),
    )


def show_kecamatan_table(report: Report) -> None:
    """All kecamatan side by side: register size, sample, poverty and PKH errors."""
    lang = report.language
    header = [
        "Kecamatan",
        report.tr("Rumah tangga (register)", "Households (register)"),
        report.tr("Sampel survei", "Survey sample"),
        report.tr("Penduduk miskin", "Poor people"),
        report.tr("Miskin ekstrem", "Extreme poor"),
        report.tr("Inklusi PKH", "PKH inclusion"),
        report.tr("Eksklusi PKH", "PKH exclusion"),
        report.tr("PKH di luar desil 1–4", "PKH outside desil 1–4"),
    ]
    rows = []
    for code, s in report.summary.iterrows():
        e = report.measured(code, "pkh")
        name = s["area_name"] if code != REGENCY_CODE else report.tr("Kabupaten", "Regency")
        rows.append(
            [
                f"{code} {name}",
                number(s["households"], lang),
                number(s["survey_households"], lang),
                percent(s["poverty_rate_persons"], lang),
                percent(s["extreme_poverty_rate_persons"], lang),
                percent(e["inclusion_error"], lang),
                percent(e["exclusion_error"], lang),
                percent(s["share_pkh_outside_eligible_desil"], lang),
            ]
        )
    fig = charts.plot_poverty_by_kecamatan(report.summary.reset_index(), lang)
    alt = report.tr(
        "Diagram batang: persentase penduduk miskin per kecamatan.",
        "Bar chart: percentage of poor people per kecamatan.",
    )
    caption = report.tr(
        "n = jumlah rumah tangga sampel survei di kecamatan. Dengan sampel sekecil ini, urutan "
        "kecamatan yang berdekatan belum tentu nyata.",
        "n = survey sample households in the kecamatan. With samples this small, the order of "
        "neighbouring kecamatan may not be real.",
    )
    note = report.tr(
        "Kesalahan PKH: perkiraan dari survei; angka kecamatan bersampel kecil ditarik ke arah "
        "angka kabupaten (rentang dan rinciannya di bagian Kesalahan penargetan).",
        "PKH errors: survey estimates; kecamatan with small samples are pulled towards the "
        "regency value (ranges and details under Targeting errors).",
    )
    _show(
        _h(2, report.tr("Semua kecamatan", "All kecamatan")),
        _table(header, rows),
        _p(html.escape(note), "konsel-note")
        if report.table("targeting_intervals") is not None
        else "",
        _h(3, report.tr("Penduduk miskin per kecamatan", "Poor people by kecamatan")),
        charts.figure_html(fig, alt, caption),
    )
