"""Draws the verification allocation (visits per kecamatan) and the households to verify first."""

from __future__ import annotations

import html

import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.reports import charts
from konsel_analysis.reports.sections.html_parts import (
    _code,
    _h,
    _p,
    _shaded_chart,
    _show,
    _table,
    _unavailable,
)
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, number, percent, rupiah


def _allocation_words(report: Report, a: pd.Series, regency: pd.Series) -> str:
    lang, s = report.language, report.inputs.settings
    budget = int(s.verification_budget_visits)
    priority = int(regency["visits"])  # what the allocation shares out: the budget less audits
    audits = max(budget - priority, 0)
    split_id = split_en = ""
    if audits:
        split_id = (
            f": {number(priority, lang)} kunjungan prioritas, yang dibagi di bawah ini, dan "
            f"{number(audits, lang)} kunjungan audit yang dipilih secara acak dengan peluang "
            "yang diketahui, untuk mengukur kesalahan perangkat ini sendiri (daftar lapangan "
            "tidak membedakan keduanya)"
        )
        split_en = (
            f": {number(priority, lang)} priority visits, shared out below, and "
            f"{number(audits, lang)} audit visits drawn at random with known chances, to "
            "measure this toolkit's own errors (the field lists do not tell the two apart)"
        )
    text = report.tr(
        f"Anggaran verifikasi putaran ini: {number(budget, lang)} kunjungan rumah tangga untuk "
        f"seluruh kabupaten{split_id}. Setiap kecamatan mendapat sedikitnya "
        f"{number(s.min_visits_per_kecamatan, lang)} kunjungan prioritas; sisanya diberikan "
        "kepada rumah tangga dengan prioritas tertinggi di seluruh kabupaten, sehingga kecamatan "
        "dengan lebih banyak perkiraan salah sasaran mendapat lebih banyak kunjungan. ",
        f"This round's verification budget: {number(budget, lang)} household visits for the "
        f"whole regency{split_en}. Every kecamatan gets at least "
        f"{number(s.min_visits_per_kecamatan, lang)} priority visits; the rest go to the "
        "households with the highest priority regency-wide, so kecamatan with more expected "
        "targeting errors get more visits. ",
    )
    if report.is_regency:
        return text + report.tr(
            f"Seluruh kunjungan diperkirakan menemukan sekitar "
            f"{number(regency['expected_corrections'], lang)} salah sasaran "
            f"({number(regency['corrections_per_100_visits'], lang)} per 100 kunjungan) dan "
            f"bernilai sekitar {rupiah(regency['expected_value_idr_per_month'], lang)} per bulan "
            "(bantuan yang dipindahkan ke rumah tangga yang berhak; rumah tangga miskin ekstrem "
            "diberi bobot lebih).",
            f"All visits together are expected to find about "
            f"{number(regency['expected_corrections'], lang)} targeting errors "
            f"({number(regency['corrections_per_100_visits'], lang)} per 100 visits), worth about "
            f"{rupiah(regency['expected_value_idr_per_month'], lang)} a month (benefits moved to "
            "the households entitled to them; extremely poor households weigh more).",
        )
    n_kec = len(report.kecamatan_names)
    return text + report.tr(
        f"Kecamatan {report.area_name} mendapat <b>{number(a['visits'], lang)} kunjungan</b> "
        f"({percent(a['share_of_visits'], lang)} dari kunjungan prioritas; urutan ke-"
        f"{number(a['rank_by_visits'], lang)} dari {n_kec} kecamatan). Kunjungan ini "
        f"diperkirakan menemukan sekitar <b>{number(a['expected_corrections'], lang)} salah "
        f"sasaran</b> ({number(a['corrections_per_100_visits'], lang)} per 100 kunjungan; "
        f"rata-rata kabupaten {number(regency['corrections_per_100_visits'], lang)}), bernilai "
        f"sekitar {rupiah(a['expected_value_idr_per_month'], lang)} per bulan (bantuan yang "
        "dipindahkan ke rumah tangga yang berhak; rumah tangga miskin ekstrem diberi bobot "
        "lebih).",
        f"Kecamatan {report.area_name} gets <b>{number(a['visits'], lang)} visits</b> "
        f"({percent(a['share_of_visits'], lang)} of the priority visits; number "
        f"{number(a['rank_by_visits'], lang)} of {n_kec} kecamatan). They are expected to find "
        f"about <b>{number(a['expected_corrections'], lang)} targeting errors</b> "
        f"({number(a['corrections_per_100_visits'], lang)} per 100 visits; regency average "
        f"{number(regency['corrections_per_100_visits'], lang)}), worth about "
        f"{rupiah(a['expected_value_idr_per_month'], lang)} a month (benefits moved to the "
        "households entitled to them; extremely poor households weigh more).",
    )


def _allocation_table(report: Report, allocation: pd.DataFrame) -> str:
    lang = report.language
    header = [
        "Kecamatan",
        report.tr("Rumah tangga (register)", "Households (register)"),
        report.tr("Kunjungan", "Visits"),
        report.tr("% kunjungan prioritas", "% of priority visits"),
        report.tr("Perkiraan salah sasaran ditemukan", "Expected errors found"),
        report.tr("per 100 kunjungan", "per 100 visits"),
        report.tr("Nilai koreksi (Rp/bulan)", "Value of corrections (Rp/month)"),
    ]
    names = {**report.kecamatan_names.to_dict(), REGENCY_CODE: report.tr("Kabupaten", "Regency")}
    rows = [
        [
            f"{r['area_code']} {names.get(r['area_code'], '')}".strip(),
            number(r["households"], lang),
            number(r["visits"], lang),
            percent(r["share_of_visits"], lang),
            number(r["expected_corrections"], lang),
            number(r["corrections_per_100_visits"], lang),
            number(r["expected_value_idr_per_month"], lang),
        ]
        for _, r in allocation.iterrows()
    ]
    return _table(header, rows)


def show_verification_allocation(report: Report) -> None:
    """How many verification visits this area gets from the budget, and what they should find."""
    heading = report.tr(
        "Pembagian anggaran verifikasi" if report.is_regency else "Alokasi verifikasi",
        "Verification budget split" if report.is_regency else "Verification allocation",
    )
    lang = report.language
    allocation = report.table("verification_allocation")
    a = report.row("verification_allocation", report.area_code)
    if allocation is None or a is None:
        _show(_h(2, heading))
        _unavailable(
            report,
            "verification_allocation",
            "pembagian kunjungan verifikasi per kecamatan",
            "split of the verification visits across kecamatan",
        )
        return
    regency = report.row("verification_allocation", REGENCY_CODE)
    alt = report.tr(
        "Diagram batang: kunjungan verifikasi per kecamatan dan perkiraan salah sasaran yang "
        "ditemukan.",
        "Bar chart: verification visits per kecamatan and the targeting errors they are expected "
        "to find.",
    )
    caption = report.tr(
        "Batang terang: kunjungan; batang gelap: kunjungan yang diperkirakan menemukan salah "
        "sasaran (penerima yang tidak layak atau rumah tangga miskin yang belum menerima).",
        "Light bars: visits; dark bars: visits expected to find a targeting error (a beneficiary "
        "not eligible or a poor household not yet receiving).",
    )
    parts = [_h(2, heading), _p(_allocation_words(report, a, regency))]
    parts.append(
        _shaded_chart(
            report,
            "allocation",
            lambda h: charts.plot_allocation(allocation, report.kecamatan_names, lang, h),
            alt,
            caption,
        )
    )
    if report.is_regency:
        parts.append(_allocation_table(report, allocation))
    _show(*parts)


def show_priority_households(report: Report) -> None:
    """The first households to visit in this kecamatan: pseudonymous keys and reason codes only."""
    lang = report.language
    heading = _h(2, report.tr("Rumah tangga prioritas verifikasi", "Households to verify first"))
    table = report.table("priority_households")
    if table is None:
        _show(heading)
        _unavailable(
            report,
            "priority_households",
            "daftar rumah tangga prioritas (kode samaran dan alasan)",
            "list of priority households (pseudonymous keys and reasons)",
        )
        return
    mine = table[table["area_code"] == report.area_code].sort_values("rank_in_area")
    a = report.row("verification_allocation", report.area_code)
    visits = number(a["visits"], lang) if a is not None else SUPPRESSED
    header = [
        report.tr("Urutan", "Order"),
        report.tr("Kode samaran", "Pseudonymous key"),
        report.tr("Desa/kelurahan", "Village"),
        report.tr("Status dan yang diperiksa", "Status and what to check"),
        report.tr("Peluang salah sasaran", "Chance of a targeting error"),
        report.tr("Alasan (ciri yang dapat diperiksa)", "Reasons (what to check at the door)"),
    ]
    rows = [
        [
            number(r["rank_in_area"], lang),
            r["pseudonym"],
            r["village_name"] if isinstance(r["village_name"], str) else SUPPRESSED,
            report.tr("Penerima PKH/BPNT: masih layak?", "PKH/BPNT beneficiary: still eligible?")
            if r["is_beneficiary"]
            else report.tr("Bukan penerima: miskin?", "Not receiving: poor?"),
            percent(r["p_error"], lang, 0),
            r["reasons_id"] if lang == "id" else r["reasons_en"],
        ]
        for _, r in mine.iterrows()
    ]
    path = str(mine["field_list"].iloc[0]) if len(mine) else ""
    words = report.tr(
        f"{number(len(mine), lang)} rumah tangga pertama dalam urutan kunjungan kecamatan ini "
        f"(dari {visits} kunjungan). Urutannya menurut prioritas: peluang bahwa rumah tangga "
        "salah sasaran dikali nilai bantuan yang akan dipindahkan; rumah tangga yang mungkin "
        "miskin ekstrem diberi bobot lebih (target nol kemiskinan ekstrem). Alasan adalah ciri "
        "rumah tangga yang paling menaikkan (untuk penerima) atau menurunkan (untuk bukan "
        "penerima) perkiraan kesejahteraannya: hal yang dapat diperiksa petugas di lapangan.",
        f"The first {number(len(mine), lang)} households in this kecamatan's visit order (of "
        f"{visits} visits). The order follows priority: the chance that the household is a "
        "targeting error times the benefit a correction would move; households that may be "
        "extremely poor weigh more (the zero-extreme-poverty target). Reasons are the "
        "household characteristics that raise (for beneficiaries) or lower (for "
        "non-beneficiaries) its predicted welfare most: what a field worker can check.",
    )
    privacy = (
        html.escape(
            report.tr(
                "Rumah tangga ditunjukkan dengan kode samaran saja, bukan ID, NIK atau nama. "
                "Daftar lengkap untuk tim lapangan, dengan nama, NIK dan ID rumah tangga, ada di "
                "folder terbatas ",
                "Households are shown by pseudonymous key only, never by id, NIK or name. The "
                "full list for field teams, with names, NIK and household ids, is in the "
                "restricted folder, ",
            )
        )
        + _code(path)
        + html.escape(
            report.tr(
                " (juga sebagai .xlsx): hanya untuk petugas yang berwenang, tidak pernah "
                'dipublikasikan. Kolom "Kode samaran (di laporan)" di daftar itu '
                "menghubungkannya dengan tabel ini.",
                ' (also as .xlsx): for authorised staff only, never published. Its column "Kode '
                'samaran (di laporan)" links it to this table.',
            )
        )
    )
    _show(
        heading,
        _p(html.escape(words)),
        _table(header, rows, text_columns=(1, 2, 3, 5), nowrap_columns=(1,)),
        _p(privacy, "konsel-note"),
    )
