"""Draws "Hasil verifikasi": what the latest round found, what it means, the next round.

Shown only when a round's results were imported (step "verification"); counts only.
"""

from __future__ import annotations

import math

import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.reports.sections.html_parts import _h, _p, _show, _table
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import number, percent
from konsel_analysis.verification.outcomes import OUTCOME_CODES, OUTCOME_LABELS

OUTCOME_LABELS_EN = {
    "eligible": "Still eligible",
    "not_eligible": "Not eligible (well-off)",
    "poor_not_receiving": "Poor, not receiving",
    "moved": "Moved",
    "not_found": "Not found",
    "refused": "Refused",
    "deceased": "Deceased",
}


def _range(r: pd.Series, name: str, lang: str) -> str:
    if not math.isfinite(float(r[name])):
        return "-"
    return (
        f"{number(r[name], lang)} ({number(r[f'{name}_low'], lang)}–"
        f"{number(r[f'{name}_high'], lang)})"
    )


def _found_words(report: Report, r: pd.Series) -> str:
    lang = report.language
    done, planned = int(r["visits_done"]), int(r["planned_visits"])
    return report.tr(
        f"Putaran {int(r['round'])}: <b>{number(done, lang)} dari {number(planned, lang)} "
        f"kunjungan</b> sudah dilakukan ({number(r['audit_visits_done'], lang)} di antaranya "
        "kunjungan acak untuk pengukuran). Tim menemukan "
        f"<b>{number(r['found_inclusion_errors'], lang)} penerima yang tidak layak</b> dan "
        f"<b>{number(r['found_exclusion_errors'], lang)} rumah tangga miskin yang belum "
        f"menerima</b>; model memperkirakan {number(r['predicted_errors_met'], lang)} salah "
        f"sasaran di antara rumah tangga yang ditemui, ditemukan "
        f"{number(r['found_errors_met'], lang)}.",
        f"Round {int(r['round'])}: <b>{number(done, lang)} of {number(planned, lang)} visits</b> "
        f"done ({number(r['audit_visits_done'], lang)} of them random visits for measurement). "
        f"The teams found <b>{number(r['found_inclusion_errors'], lang)} beneficiaries not "
        f"eligible</b> and <b>{number(r['found_exclusion_errors'], lang)} poor households not "
        f"receiving</b>; the model predicted {number(r['predicted_errors_met'], lang)} targeting "
        f"errors among the households met, {number(r['found_errors_met'], lang)} were found.",
    )


def _estimate_words(report: Report, r: pd.Series) -> str:
    lang = report.language
    if not math.isfinite(float(r["estimated_inclusion_errors"])):
        return report.tr(
            "Belum ada perkiraan tersendiri untuk kecamatan ini (hasil kunjungan belum kembali, "
            "atau kunjungan acak terlalu sedikit); perkiraan kabupaten mencakupnya.",
            "No estimate of its own for this kecamatan yet (results not returned, or too few "
            "random visits); the regency estimate covers it.",
        )
    return report.tr(
        "Perkiraan independen dari model (dari kunjungan acak dan kunjungan prioritas; rumah "
        "tangga yang tidak ditemui diwakili oleh yang ditemui di strata yang sama), di antara "
        "semua rumah tangga pada saat putaran: salah sasaran inklusi "
        f"<b>{_range(r, 'estimated_inclusion_errors', lang)}</b>, salah sasaran eksklusi "
        f"<b>{_range(r, 'estimated_exclusion_errors', lang)}</b> (interval 90%). "
        "Perkiraan model untuk penerima yang belum diverifikasi, setelah disesuaikan dengan hasil "
        f"putaran ini: {_range(r, 'expected_inclusion_errors_after', lang)} penerima tidak "
        f"layak (sebelum putaran, untuk semua penerima: "
        f"{number(r['expected_inclusion_errors_before'], lang)}).",
        "An estimate independent of the model (from the random and the priority visits; "
        "households not met are represented by those met in the same stratum), among all "
        "households at the time of the round: inclusion errors "
        f"<b>{_range(r, 'estimated_inclusion_errors', lang)}</b>, exclusion errors "
        f"<b>{_range(r, 'estimated_exclusion_errors', lang)}</b> (90% intervals). The model's "
        "expectation for the beneficiaries not yet verified, updated with this round: "
        f"{_range(r, 'expected_inclusion_errors_after', lang)} not eligible (before the round, "
        f"for all beneficiaries: {number(r['expected_inclusion_errors_before'], lang)}).",
    )


def _next_words(report: Report, r: pd.Series) -> str:
    lang = report.language
    visits = int(r["next_round_visits"])
    return report.tr(
        f"Putaran {int(r['round']) + 1} direncanakan: <b>{number(visits, lang)} kunjungan</b> "
        f"({number(r['next_round_audits'], lang)} acak), diperkirakan menemukan sekitar "
        f"{number(r['next_round_expected_corrections'], lang)} salah sasaran. Usulan dari "
        f"putaran ini: {number(r['proposals_remove'], lang)} dikeluarkan, "
        f"{number(r['proposals_add'], lang)} ditambahkan, {number(r['proposals_correct'], lang)} "
        "perbaikan data (daftar per desa di folder terbatas).",
        f"Round {int(r['round']) + 1} is planned: <b>{number(visits, lang)} visits</b> "
        f"({number(r['next_round_audits'], lang)} random), expected to find about "
        f"{number(r['next_round_expected_corrections'], lang)} targeting errors. Proposals from "
        f"this round: {number(r['proposals_remove'], lang)} to remove, "
        f"{number(r['proposals_add'], lang)} to add, {number(r['proposals_correct'], lang)} data "
        "corrections (lists per desa in the restricted folder).",
    )


def _outcome_table(report: Report, r: pd.Series) -> str:
    lang = report.language
    labels = OUTCOME_LABELS if lang == "id" else OUTCOME_LABELS_EN
    done = max(int(r["visits_done"]), 1)
    rows = [
        [labels[c], number(r[c], lang), percent(r[c] / done, lang)] for c in OUTCOME_CODES if c in r
    ]
    header = [
        report.tr("Hasil kunjungan", "Visit outcome"),
        report.tr("Kunjungan", "Visits"),
        report.tr("% kunjungan", "% of visits"),
    ]
    return _table(header, rows, report.tr("Hasil kunjungan", "Visit outcomes"))


def _rounds_table(report: Report, r: pd.Series) -> str:
    """The regency's rounds side by side: done and found, planned and expected."""
    lang = report.language
    n = int(r["round"])
    found = int(r["found_inclusion_errors"]) + int(r["found_exclusion_errors"])
    done = max(int(r["visits_done"]), 1)
    nxt = max(int(r["next_round_visits"]), 1)
    rows = [
        [
            report.tr(f"Putaran {n} (selesai)", f"Round {n} (done)"),
            number(r["visits_done"], lang),
            number(found, lang),
            number(1000 * found / done, lang),
        ],
        [
            report.tr(f"Putaran {n + 1} (rencana)", f"Round {n + 1} (plan)"),
            number(r["next_round_visits"], lang),
            number(r["next_round_expected_corrections"], lang),
            number(1000 * r["next_round_expected_corrections"] / nxt, lang),
        ],
    ]
    header = [
        report.tr("Putaran", "Round"),
        report.tr("Kunjungan", "Visits"),
        report.tr("Salah sasaran (ditemukan / diperkirakan)", "Errors (found / expected)"),
        report.tr("Per 1.000 kunjungan", "Per 1,000 visits"),
    ]
    return _table(header, rows, report.tr("Perbandingan putaran", "Rounds compared"))


def _calibration_table(report: Report) -> str:
    lang = report.language
    calib = report.table("verification_calibration")
    if calib is None or calib.empty:
        return ""
    kinds = {"priority": report.tr("Prioritas", "Priority"), "audit": report.tr("Acak", "Random")}
    rows = [
        [
            kinds.get(c["visit_kind"], c["visit_kind"]),
            c["band"],
            number(c["visits_met"], lang),
            percent(c["mean_predicted"], lang),
            f"{percent(c['hit_rate'], lang)} ({percent(c['hit_rate_low'], lang)}–"
            f"{percent(c['hit_rate_high'], lang)})",
        ]
        for _, c in calib.iterrows()
    ]
    header = [
        report.tr("Kunjungan", "Visits"),
        report.tr("Peluang salah sasaran (model)", "P(error) band (model)"),
        report.tr("Ditemui", "Met"),
        report.tr("Rata-rata perkiraan", "Mean predicted"),
        report.tr("Ditemukan (interval 90%)", "Found (90% interval)"),
    ]
    caption = report.tr(
        "Kalibrasi: peluang salah sasaran menurut model dibandingkan dengan yang ditemukan",
        "Calibration: the model's P(error) against what the visits found",
    )
    return _table(header, rows, caption, text_columns=(0, 1))


def show_verification_results(report: Report) -> None:
    """Draw "Hasil verifikasi", only when a round's results were imported."""
    r = report.row("verification_results", report.area_code)
    if r is None:
        return
    parts = [
        _h(2, report.tr("Hasil verifikasi", "Verification results")),
        _p(_found_words(report, r)),
        _outcome_table(report, r),
        _p(_estimate_words(report, r)),
        _p(_next_words(report, r)),
    ]
    if report.area_code == REGENCY_CODE:
        parts += [_rounds_table(report, r), _calibration_table(report)]
    _show(*parts)
