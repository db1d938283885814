"""Draws the targeting errors measured on the survey and the errors expected in the register."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.measured.targeting import SHRINK_BELOW_HOUSEHOLDS
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import (
    _h,
    _p,
    _shaded_chart,
    _show,
    _table,
    _unavailable,
)
from konsel_analysis.reports.sections.report import REGENCY_NAME, Report
from konsel_analysis.reports.text import (
    SUPPRESSED,
    UNINFORMED_MARK,
    is_uninformed,
    number,
    percent,
    programme_name,
    span,
    uninformed_interval_note,
)


def _shrink_note(report: Report, m: pd.Series) -> str:
    lang = report.language
    notes = []
    shrunk = [
        k
        for k in ("inclusion", "exclusion")
        if bool(m.get(f"is_shrunk_{k}", False)) and not np.isnan(m[f"{k}_error"])
    ]
    if shrunk:
        words = {"inclusion": ("inklusi", "inclusion"), "exclusion": ("eksklusi", "exclusion")}
        direct = ", ".join(
            f"{report.tr(*words[k])} {percent(m[f'direct_{k}_error'], lang)}" for k in shrunk
        )
        notes.append(
            report.tr(
                f"ditarik ke angka kabupaten (sampel saja: {direct})",
                f"pulled towards the regency (sample alone: {direct})",
            )
        )
    if bool(m.get("is_single_village", False)):
        notes.append(report.tr("hanya satu desa sampel", "one sample village only"))
    if np.isnan(m["inclusion_error"]) or np.isnan(m["exclusion_error"]):
        notes.append(
            report.tr(
                f"{SUPPRESSED}: kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga sampel",
                f"{SUPPRESSED}: fewer than {MIN_CELL_HOUSEHOLDS} sample households",
            )
        )
    return "; ".join(notes)


def _error_rows(report: Report, area_code: str) -> list[list[str]]:
    lang = report.language
    rows = []
    for programme in ("pkh", "bpnt", "pkh_or_bpnt"):
        m = report.measured(area_code, programme)
        row = [programme_name(programme, lang), percent(m["inclusion_error"], lang)]
        if "inclusion_error_low" in m:
            row.append(span(m["inclusion_error_low"], m["inclusion_error_high"], lang))
        row += [number(m["sampled_beneficiaries"], lang), percent(m["exclusion_error"], lang)]
        if "exclusion_error_low" in m:
            row.append(span(m["exclusion_error_low"], m["exclusion_error_high"], lang))
        row.append(number(m["sampled_poor"], lang))
        if "inclusion_error_low" in m:
            row.append(_shrink_note(report, m))
        rows.append(row)
    return rows


def _error_header(report: Report, with_ci: bool) -> list[str]:
    ci = [report.tr("rentang 95%", "95% range")] if with_ci else []
    return [
        report.tr("Program", "Programme"),
        report.tr("Kesalahan inklusi", "Inclusion error"),
        *ci,
        report.tr("dari … penerima sampel", "from … sample recipients"),
        report.tr("Kesalahan eksklusi", "Exclusion error"),
        *ci,
        report.tr("dari … rumah tangga miskin sampel", "from … poor sample households"),
        *([report.tr("Catatan", "Note")] if with_ci else []),
    ]


def show_targeting_errors(report: Report) -> None:
    """Measured inclusion and exclusion errors, this area against the regency and the others."""
    lang = report.language
    intervals = report.table("targeting_intervals")
    header = _error_header(report, intervals is not None)
    explain = report.tr(
        "Kesalahan inklusi: bagian penerima yang sebenarnya tidak miskin (pengeluaran per orang "
        "di atas garis kemiskinan). Kesalahan eksklusi: bagian rumah tangga miskin yang tidak "
        "menerima. Keduanya diukur dari survei, tertimbang.",
        "Inclusion error: the share of recipients who are not poor (spending per person above "
        "the poverty line). Exclusion error: the share of poor households who do not receive. "
        "Both are measured in the survey, weighted.",
    )
    if intervals is not None:
        explain += " " + report.tr(
            "Rentang 95% berasal dari bootstrap atas desa sampel. Kecamatan dengan kurang dari "
            f"{SHRINK_BELOW_HOUSEHOLDS} penerima (atau rumah tangga miskin) sampel terlalu kecil "
            "untuk angka sendiri: perkiraannya ditarik ke arah angka kabupaten (empirical Bayes), "
            "sebanyak sampelnya kurang meyakinkan, dan ditandai.",
            "The 95% ranges come from a bootstrap over the sample villages. A kecamatan with "
            f"fewer than {SHRINK_BELOW_HOUSEHOLDS} sample recipients (or poor households) is too "
            "small for a figure of its own: its estimate is pulled towards the regency value "
            "(empirical Bayes), the more so the less its sample says, and flagged.",
        )
    parts = [_h(2, report.tr("Kesalahan penargetan", "Targeting errors")), _p(html.escape(explain))]
    text_columns = (0, len(header) - 1) if intervals is not None else (0,)
    if report.is_regency:
        parts.append(_table(header, _error_rows(report, REGENCY_CODE), text_columns=text_columns))
    else:
        parts.append(
            _table(
                header,
                [
                    [f"{r[0]} – {report.area_name}", *r[1:]]
                    for r in _error_rows(report, report.area_code)
                ]
                + [[f"{r[0]} – {REGENCY_NAME}", *r[1:]] for r in _error_rows(report, REGENCY_CODE)],
                text_columns=text_columns,
            )
        )
    names = report.summary["area_name"]
    errors = intervals if intervals is not None else report.errors
    alt = report.tr(
        "Titik per kecamatan: kesalahan inklusi dan eksklusi PKH dan BPNT dengan rentangnya; "
        "garis putus-putus menunjukkan angka kabupaten.",
        "Dots per kecamatan: inclusion and exclusion error of PKH and BPNT with their ranges; "
        "dashed lines show the regency figure.",
    )
    caption = report.tr(
        "Setiap kecamatan berasal dari sampel kecil (biasanya 5–30 rumah tangga): rentangnya "
        "lebar, dan perbedaan antar kecamatan yang rentangnya bertumpang tindih belum tentu "
        f"nyata. Titik yang tidak tampak dihitung dari kurang dari {MIN_CELL_HOUSEHOLDS} rumah "
        "tangga dan disembunyikan.",
        "Each kecamatan rests on a small sample (usually 5–30 households): the ranges are wide, "
        "and differences between kecamatan whose ranges overlap may not be real. Missing dots "
        f"rest on fewer than {MIN_CELL_HOUSEHOLDS} households and are hidden.",
    )
    parts.append(
        _shaded_chart(
            report,
            "errors_by_kecamatan",
            lambda h: charts.plot_errors_by_kecamatan(errors, names, lang, highlight=h),
            alt,
            caption,
        )
    )
    _show(*parts)


def _expected_row(report: Report, code: str, label: str) -> list[str]:
    lang = report.language
    e = report.row("expected_errors", code)
    if e is None:
        return [label, *[SUPPRESSED] * 9]
    if is_uninformed(e) and code != REGENCY_CODE:
        label = f"{label} {UNINFORMED_MARK}"
    return [
        label,
        number(e["beneficiaries"], lang),
        number(e["expected_inclusion_errors"], lang),
        span(e["expected_inclusion_errors_low"], e["expected_inclusion_errors_high"], lang, "n"),
        percent(e["expected_inclusion_errors"] / e["beneficiaries"], lang, 0),
        number(e["non_beneficiaries"], lang),
        number(e["expected_exclusion_errors"], lang),
        span(e["expected_exclusion_errors_low"], e["expected_exclusion_errors_high"], lang, "n"),
        number(e["expected_extreme_poor_not_covered"], lang),
        span(
            e["expected_extreme_poor_not_covered_low"],
            e["expected_extreme_poor_not_covered_high"],
            lang,
            "n",
        ),
    ]


def show_expected_errors(report: Report) -> None:
    """Expected inclusion and exclusion errors in the register, with 90% ranges."""
    lang = report.language
    heading = _h(
        2,
        report.tr(
            "Perkiraan salah sasaran di register", "Expected targeting errors in the register"
        ),
    )
    expected = report.table("expected_errors")
    if expected is None:
        _show(heading)
        _unavailable(
            report,
            "expected_errors",
            "perkiraan salah sasaran di register",
            "expected targeting errors in the register",
        )
        return
    explain = report.tr(
        "Register tidak memuat pengeluaran, jadi salah sasaran di register diperkirakan. Untuk "
        "setiap rumah tangga dihitung peluang bahwa ia miskin, dari ciri-cirinya (seperti PMT), "
        "statusnya sebagai penerima dan kecamatannya, dengan model yang dilatih pada survei, "
        "tempat pengeluaran dan status penerima sama-sama diketahui. Status penerima ikut "
        "dihitung karena musyawarah desa dan verifikasi sebelumnya melihat lebih banyak daripada "
        "ciri-ciri PMT. Jumlah peluang itu adalah perkiraan banyaknya salah sasaran; rentang "
        "90% memperhitungkan peluang tiap rumah tangga dan ketidakpastian model.",
        "The register has no spending, so its targeting errors are estimated. For each "
        "household, the chance that it is poor is computed from its characteristics (as a PMT "
        "does), its status as a beneficiary and its kecamatan, with a model trained on the "
        "survey, where spending and receipt are both known. Receipt counts because village "
        "meetings and earlier verifications saw more than the PMT's characteristics. The "
        "chances add up to the expected number of errors; the 90% range allows for each "
        "household's chance and for the model's own uncertainty.",
    )
    header = [
        report.tr("Wilayah", "Area"),
        report.tr("Penerima PKH/BPNT", "PKH/BPNT beneficiaries"),
        report.tr("Kemungkinan tidak miskin", "Probably not poor"),
        report.tr("rentang 90%", "90% range"),
        report.tr("% penerima", "% of beneficiaries"),
        report.tr("Bukan penerima", "Non-beneficiaries"),
        report.tr("Miskin, tidak menerima", "Poor, not receiving"),
        report.tr("rentang 90%", "90% range"),
        report.tr("Miskin ekstrem, tidak menerima", "Extreme poor, not receiving"),
        report.tr("rentang 90%", "90% range"),
    ]
    regency_label = report.tr("Kabupaten", "Regency")
    if report.is_regency:
        rows = [_expected_row(report, code, name) for code, name in report.kecamatan_names.items()]
    else:
        rows = [_expected_row(report, report.area_code, report.area_name)]
    rows.append(_expected_row(report, REGENCY_CODE, regency_label))
    flagged = any(UNINFORMED_MARK in str(row[0]) for row in rows)
    alt = report.tr(
        "Titik per kecamatan: perkiraan penerima yang kemungkinan tidak miskin dan rumah tangga "
        "miskin yang tidak menerima, dengan rentang 90%.",
        "Dots per kecamatan: expected beneficiaries probably not poor and poor households not "
        "receiving, with 90% ranges.",
    )
    caption = report.tr(
        "Jumlah rumah tangga di register (bukan persen): kecamatan besar wajar memiliki lebih "
        "banyak. Garis mendatar: rentang 90%.",
        "Households in the register (not percentages): large kecamatan naturally have more. "
        "Horizontal lines: 90% ranges.",
    )
    _show(
        heading,
        _p(html.escape(explain)),
        _table(header, rows),
        *([_p(html.escape(uninformed_interval_note(lang)))] if flagged else []),
        _shaded_chart(
            report,
            "expected_errors",
            lambda h: charts.plot_expected_errors(expected, report.kecamatan_names, lang, h),
            alt,
            caption,
        ),
    )
