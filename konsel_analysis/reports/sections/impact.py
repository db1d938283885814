"""Draws the impact simulation: poverty before and after a correction round."""

from __future__ import annotations

import html

import numpy as np

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import _h, _p, _show, _table, _unavailable
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, number, percent, tr

_IMPACT_ROWS = (
    # (column stem, how to show it, Indonesian label, English label)
    ("poverty_fgt0", "percent", "Penduduk miskin (P0)", "Poor people (P0)"),
    ("poverty_fgt1", "index", "Indeks kedalaman kemiskinan (P1)", "Poverty gap index (P1)"),
    ("poverty_fgt2", "index", "Indeks keparahan kemiskinan (P2)", "Poverty severity index (P2)"),
    ("extreme_fgt0", "percent", "Penduduk miskin ekstrem (P0)", "Extremely poor people (P0)"),
    ("extreme_fgt1", "index", "Kedalaman kemiskinan ekstrem (P1)", "Extreme poverty gap (P1)"),
    ("extreme_fgt2", "index", "Keparahan kemiskinan ekstrem (P2)", "Extreme poverty severity (P2)"),
)


def _impact_value(value: float, kind: str, language: str) -> str:
    if kind == "percent":
        return percent(value, language, 2)
    return number(100 * value, language, 2) if not np.isnan(value) else SUPPRESSED


def _sample_count(n: int, language: str) -> str:
    """A count of sample households, shown as "< 5" when it is one to four."""
    return f"< {MIN_CELL_HOUSEHOLDS}" if 0 < n < MIN_CELL_HOUSEHOLDS else number(n, language)


def _impact_table(report: Report, area_code: str) -> str:
    lang = report.language
    rows_ = report.table("impact_simulation")
    by = rows_[rows_["area_code"] == area_code].set_index("scenario")
    verified, model = by.loc["verified"], by.loc["model only"]
    header = [
        "",
        report.tr("Sekarang", "Now"),
        report.tr("Setelah verifikasi lapangan", "After field verification"),
        report.tr("Setelah mencoret menurut model saja", "After acting on the model alone"),
    ]
    rows = [
        [
            report.tr(label_id, label_en),
            _impact_value(verified[f"{stem}_before"], kind, lang),
            _impact_value(verified[f"{stem}_after"], kind, lang),
            _impact_value(model[f"{stem}_after"], kind, lang),
        ]
        for stem, kind, label_id, label_en in _IMPACT_ROWS
    ]
    rows += [
        [
            report.tr(
                "Penduduk miskin ekstrem terangkat di atas garis (orang)",
                "Extremely poor people lifted above the line",
            ),
            "",
            number(verified["extreme_poor_lifted_persons"], lang),
            number(model["extreme_poor_lifted_persons"], lang),
        ],
        [
            report.tr(
                "Penduduk jatuh di bawah garis kemiskinan ekstrem (orang)",
                "People pushed below the extreme poverty line",
            ),
            "",
            number(verified["extreme_poor_added_persons"], lang),
            number(model["extreme_poor_added_persons"], lang),
        ],
        [
            report.tr(
                "Rumah tangga sampel: seluruhnya, lalu yang berubah",
                "Sample households: all, then those that change",
            ),
            number(verified["sampled_households"], lang),
            _sample_count(int(verified["sampled_households_changed"]), lang),
            _sample_count(int(model["sampled_households_changed"]), lang),
        ],
    ]
    return _table(header, rows)


def _direction(before: float, after: float, language: str) -> str:
    if np.isnan(after) or abs(after - before) < 5e-5:
        return tr(language, "hampir tidak mengubah", "barely changes")
    return (
        tr(language, "menurunkan", "lowers")
        if after < before
        else tr(language, "menaikkan", "raises")
    )


def _impact_words(report: Report) -> str:
    lang = report.language
    rows_ = report.table("impact_simulation")
    by = rows_[rows_["area_code"] == REGENCY_CODE].set_index("scenario")
    verified, model = by.loc["verified"], by.loc["model only"]
    before = verified["extreme_fgt0_before"]
    text = report.tr(
        f"Di tingkat kabupaten, verifikasi lapangan "
        f"{_direction(before, verified['extreme_fgt0_after'], lang)} kemiskinan ekstrem: dari "
        f"{percent(before, lang, 2)} menjadi {percent(verified['extreme_fgt0_after'], lang, 2)} "
        f"penduduk. Mencoret menurut model saja "
        f"{_direction(before, model['extreme_fgt0_after'], lang)} kemiskinan ekstrem, menjadi "
        f"{percent(model['extreme_fgt0_after'], lang, 2)}: ",
        f"For the regency, field verification "
        f"{_direction(before, verified['extreme_fgt0_after'], lang)} extreme poverty: from "
        f"{percent(before, lang, 2)} to {percent(verified['extreme_fgt0_after'], lang, 2)} of "
        f"people. Acting on the model alone "
        f"{_direction(before, model['extreme_fgt0_after'], lang)} extreme poverty, to "
        f"{percent(model['extreme_fgt0_after'], lang, 2)}: ",
    )
    text += report.tr(
        "tanpa kunjungan, sebagian penerima yang sebenarnya miskin ikut kehilangan bantuannya "
        "dan jatuh di bawah garis. Model membantu memilih siapa yang dikunjungi; keputusan tetap "
        "perlu kunjungan.",
        "without visits, some beneficiaries who are in fact poor lose their benefit too and "
        "fall below the line. The model helps choose whom to visit; decisions still need the "
        "visit.",
    )
    return text


def show_impact_simulation(report: Report) -> None:
    """Poverty before and after a correction round: field verification vs the model alone."""
    lang = report.language
    heading = _h(2, report.tr("Simulasi dampak", "Impact simulation"))
    table = report.table("impact_simulation")
    if table is None or report.row("impact_simulation", REGENCY_CODE) is None:
        _show(heading)
        _unavailable(
            report,
            "impact_simulation",
            "simulasi dampak verifikasi ulang",
            "impact simulation of re-verification",
        )
        return
    budget = number(report.inputs.settings.verification_budget_visits, lang)
    scenarios = [
        report.tr(
            f"<b>Verifikasi lapangan</b> (yang diusulkan): petugas mengunjungi {budget} rumah "
            "tangga menurut urutan prioritas. Penerima yang ternyata tidak miskin (dan tetap "
            "tidak miskin tanpa bantuan) kehilangan bantuannya; uangnya diberikan kepada rumah "
            "tangga miskin yang dikunjungi dan belum menerima, miskin ekstrem lebih dahulu.",
            f"<b>Field verification</b> (what is proposed): field workers visit {budget} "
            "households in priority order. Beneficiaries found not poor (and still not poor "
            "without the benefit) lose it; the money goes to the poor households visited that do "
            "not receive yet, extremely poor first.",
        ),
        report.tr(
            "<b>Model saja</b> (sebagai pembanding): tanpa kunjungan, setiap penerima yang menurut "
            "model lebih mungkin tidak miskin dicoret, dan uangnya diberikan kepada bukan penerima "
            "yang menurut model paling miskin.",
            "<b>Model alone</b> (for comparison): without visits, every beneficiary the model "
            "finds more likely not poor is removed, and the money goes to the non-beneficiaries "
            "the model ranks poorest.",
        ),
    ]
    intro = report.tr(
        "Dua cara memperbaiki salah sasaran PKH dan BPNT dengan anggaran yang sama (uang yang "
        "dicabut dari yang tidak berhak diberikan kepada yang berhak), disimulasikan pada "
        "rumah tangga survei:",
        "Two ways of correcting PKH and BPNT targeting errors on the same budget (money taken "
        "from those not entitled goes to those entitled), simulated on the survey households:",
    )
    caveat = report.tr(
        "P0: persentase penduduk di bawah garis; P1 (kedalaman): rata-rata jarak pengeluaran "
        "penduduk miskin dari garis; P2 (keparahan): sama, dengan bobot lebih bagi yang paling "
        "miskin (seperti BPS, × 100). Asumsi: bantuan seluruhnya dibelanjakan. Simulasi memakai "
        "survei, dan satu putaran verifikasi hanya menyentuh sedikit rumah tangga sampel: anggap "
        f'hasilnya sebagai petunjuk arah. Angka "setelah" disembunyikan ({SUPPRESSED}) bila '
        f"kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga sampel wilayah itu berubah; jumlah orang "
        f"yang terangkat atau jatuh disembunyikan bila berasal dari 1–{MIN_CELL_HOUSEHOLDS - 1} "
        "rumah tangga sampel.",
        "P0: share of people below the line; P1 (gap): the poor's average shortfall from the "
        "line; P2 (severity): the same, weighting the poorest more (as BPS does, × 100). "
        "Assumption: a benefit is spent in full. The simulation uses the survey, and one "
        "verification round touches few sample households: take the results as a direction. "
        f'Figures "after" are hidden ({SUPPRESSED}) where fewer than {MIN_CELL_HOUSEHOLDS} of '
        "the area's sample households change; counts of people lifted or pushed below are "
        f"hidden where they rest on 1–{MIN_CELL_HOUSEHOLDS - 1} sample households.",
    )
    parts = [
        heading,
        _p(html.escape(intro)),
        "<ul>" + "".join(f"<li>{s}</li>" for s in scenarios) + "</ul>",
        _p(html.escape(_impact_words(report))),
    ]
    if not report.is_regency:
        mine = report.row("impact_simulation", report.area_code, scenario="verified")
        parts.append(_h(3, f"Kecamatan {report.area_name}"))
        if mine is None:
            parts.append(
                _p(
                    html.escape(
                        report.tr(
                            "Tidak ada rumah tangga sampel survei di kecamatan ini.",
                            "No survey household was sampled in this kecamatan.",
                        )
                    )
                )
            )
        else:
            parts.append(_table_or_note(report))
    parts.append(_h(3, report.tr("Kabupaten Konawe Selatan", "Konawe Selatan regency")))
    parts.append(_impact_table(report, REGENCY_CODE))
    if report.is_regency:  # kecamatan reports show the regency's table; its chart is here
        rows_ = table[table["area_code"] == REGENCY_CODE]
        fig = charts.plot_impact(rows_, lang, report.tr("kabupaten", "regency"))
        alt = report.tr(
            "Diagram batang: persentase penduduk miskin dan miskin ekstrem sekarang, setelah "
            "verifikasi lapangan dan setelah mencoret menurut model saja.",
            "Bar chart: share of poor and extremely poor people now, after field verification "
            "and after acting on the model alone.",
        )
        parts.append(charts.figure_html(fig, alt))
    parts.append(_p(html.escape(caveat), "konsel-note"))
    _show(*parts)


def _table_or_note(report: Report) -> str:
    """This kecamatan's impact table, with a sentence when its sample says too little."""
    rows_ = report.table("impact_simulation")
    mine = rows_[rows_["area_code"] == report.area_code]
    note = ""
    if mine["is_suppressed"].astype(bool).any():
        note = _p(
            html.escape(
                report.tr(
                    f"Di sampel kecamatan ini kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga "
                    "berubah pada sedikitnya satu skenario: terlalu sedikit untuk angka kecamatan, "
                    'jadi angka "setelah" itu disembunyikan. Untuk perencanaan di kecamatan ini, '
                    "perkiraan salah sasaran di register dan alokasi kunjungan (di atas) lebih "
                    "tepat.",
                    f"Fewer than {MIN_CELL_HOUSEHOLDS} of this kecamatan's sample households "
                    "change in at least one scenario: too few for a kecamatan figure, so those "
                    '"after" figures are hidden. For planning in this kecamatan, the expected '
                    "errors in the register and the visit allocation (above) are more precise.",
                )
            )
        )
    return _impact_table(report, report.area_code) + note
