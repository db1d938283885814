"""Draws the title and the summary: the key numbers in words, and how far they can be trusted."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports.sections.html_parts import _h, _p, _show
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import (
    is_uninformed,
    likely_between,
    number,
    percent,
    rupiah,
    tr,
    uninformed_interval_note,
)


def show_title(report: Report) -> None:
    """Title, the data used and, for synthetic data, a plain warning."""
    if report.is_regency:
        title = report.tr(
            "Kabupaten Konawe Selatan: penargetan bantuan sosial per kecamatan",
            "Kabupaten Konawe Selatan: social assistance targeting by kecamatan",
        )
    else:
        title = report.tr(
            f"Kecamatan {report.area_name} ({report.area_code}): penargetan bantuan sosial",
            f"Kecamatan {report.area_name} ({report.area_code}): social assistance targeting",
        )
    parts = [_h(1, title)]
    if report.inputs.is_synthetic:
        parts.append(
            _p(
                html.escape(
                    report.tr(
                        "Data dalam laporan ini adalah data sintetis (buatan) yang dikalibrasi "
                        "pada angka publik Konawe Selatan, bukan data rumah tangga yang nyata.",
                        "The data in this report are synthetic, calibrated to public figures of "
                        "Konawe Selatan; they are not real households.",
                    )
                ),
                "konsel-note",
            )
        )
    _show(*parts)


def _count_range(low: float, high: float, language: str) -> str:
    """ "kemungkinan besar antara 74 dan 214", or "hampir pasti 0" when both round alike."""
    if round(low) == round(high):
        return tr(language, "hampir pasti", "almost surely") + f" {number(high, language)}"
    return likely_between(low, high, language, "count")


def _expected_bullet(report: Report) -> str | None:
    """The headline: expected inclusion and exclusion errors in the register, with ranges."""
    lang = report.language
    e = report.row("expected_errors", report.area_code)
    if e is None:
        return None
    between = {
        m: _count_range(e[f"{m}_low"], e[f"{m}_high"], lang)
        for m in (
            "expected_inclusion_errors",
            "expected_exclusion_errors",
            "expected_extreme_poor_not_covered",
        )
    }
    text = report.tr(
        f"<b>Perkiraan salah sasaran di register:</b> dari {number(e['beneficiaries'], lang)} "
        f"penerima PKH atau BPNT, sekitar <b>{number(e['expected_inclusion_errors'], lang)} "
        f"kemungkinan tidak miskin</b> ({between['expected_inclusion_errors']}); sekitar "
        f"<b>{number(e['expected_exclusion_errors'], lang)} rumah tangga miskin terdaftar "
        f"tetapi tidak menerima keduanya</b> ({between['expected_exclusion_errors']}), "
        f"{number(e['expected_extreme_poor_not_covered'], lang)} di antaranya miskin ekstrem "
        f"({between['expected_extreme_poor_not_covered']}).",
        f"<b>Expected targeting errors in the register:</b> of the "
        f"{number(e['beneficiaries'], lang)} PKH or BPNT beneficiaries, about "
        f"<b>{number(e['expected_inclusion_errors'], lang)} are probably not poor</b> "
        f"({between['expected_inclusion_errors']}); about "
        f"<b>{number(e['expected_exclusion_errors'], lang)} poor households are registered but "
        f"receive neither</b> ({between['expected_exclusion_errors']}), "
        f"{number(e['expected_extreme_poor_not_covered'], lang)} of them extremely poor "
        f"({between['expected_extreme_poor_not_covered']}).",
    )
    if not report.is_regency and is_uninformed(e):
        text += " " + uninformed_interval_note(lang)
    regency = report.row("expected_errors", REGENCY_CODE)
    if not report.is_regency and regency is not None:
        mine = e["expected_inclusion_errors"] / e["beneficiaries"]
        theirs = regency["expected_inclusion_errors"] / regency["beneficiaries"]
        text += " " + report.tr(
            f"Bagian penerima yang kemungkinan tidak miskin: {percent(mine, lang, 0)} di sini, "
            f"{percent(theirs, lang, 0)} di kabupaten.",
            f"Share of beneficiaries probably not poor: {percent(mine, lang, 0)} here, "
            f"{percent(theirs, lang, 0)} in the regency.",
        )
    return text


def _visits_bullet(report: Report) -> str | None:
    lang = report.language
    a = report.row("verification_allocation", report.area_code)
    if a is None:
        return None
    budget = report.inputs.settings.verification_budget_visits
    if report.is_regency:
        return report.tr(
            f"<b>Verifikasi:</b> {number(a['visits'], lang)} kunjungan per putaran diperkirakan "
            f"menemukan sekitar <b>{number(a['expected_corrections'], lang)} salah sasaran</b> "
            f"({number(a['corrections_per_100_visits'], lang)} per 100 kunjungan).",
            f"<b>Verification:</b> {number(a['visits'], lang)} visits per round are expected to "
            f"find about <b>{number(a['expected_corrections'], lang)} targeting errors</b> "
            f"({number(a['corrections_per_100_visits'], lang)} per 100 visits).",
        )
    return report.tr(
        f"<b>Verifikasi:</b> kecamatan ini mendapat <b>{number(a['visits'], lang)} kunjungan</b> "
        f"dari {number(budget, lang)} untuk seluruh kabupaten; sekitar "
        f"{number(a['expected_corrections'], lang)} di antaranya diperkirakan menemukan salah "
        "sasaran.",
        f"<b>Verification:</b> this kecamatan gets <b>{number(a['visits'], lang)} visits</b> of "
        f"the {number(budget, lang)} for the whole regency; about "
        f"{number(a['expected_corrections'], lang)} of them are expected to find a targeting "
        "error.",
    )


def _shrunk_words(report: Report, m: pd.Series, regency: pd.Series) -> str:
    """Says which kecamatan estimates were pulled towards the regency value, and why."""
    lang = report.language
    shrunk = [
        kind
        for kind in ("inclusion", "exclusion")
        if bool(m.get(f"is_shrunk_{kind}", False)) and not np.isnan(m[f"{kind}_error"])
    ]
    if not shrunk:
        return ""
    names_id = {"inclusion": "kesalahan inklusi", "exclusion": "kesalahan eksklusi"}
    names_en = {"inclusion": "inclusion error", "exclusion": "exclusion error"}
    direct = "; ".join(
        report.tr(
            f"{names_id[k]} dari sampel saja {percent(m[f'direct_{k}_error'], lang)}",
            f"{names_en[k]} from the sample alone {percent(m[f'direct_{k}_error'], lang)}",
        )
        for k in shrunk
        if not np.isnan(m[f"direct_{k}_error"])  # hidden below five sample households
    )
    direct = f"{direct}; " if direct else ""
    return " " + report.tr(
        f"Sampel kecamatan ini kecil ({number(m['sampled_beneficiaries'], lang)} penerima, "
        f"{number(m['sampled_poor'], lang)} rumah tangga miskin), jadi "
        f"{' dan '.join(names_id[k] for k in shrunk)} ditarik ke arah angka kabupaten "
        f"({direct}kabupaten {percent(regency['inclusion_error'], lang)} dan "
        f"{percent(regency['exclusion_error'], lang)}).",
        f"This kecamatan's sample is small ({number(m['sampled_beneficiaries'], lang)} "
        f"recipients, {number(m['sampled_poor'], lang)} poor households), so its "
        f"{' and '.join(names_en[k] for k in shrunk)} "
        f"{'were' if len(shrunk) > 1 else 'was'} pulled towards the regency value ({direct}"
        f"regency {percent(regency['inclusion_error'], lang)} and "
        f"{percent(regency['exclusion_error'], lang)}).",
    )


def _measure_phrase(report: Report, m: pd.Series, kind: str) -> str:
    """ "<b>kesalahan inklusi PKH sekitar 33%</b> (kemungkinan besar antara …)", or why not."""
    lang = report.language
    value = m[f"{kind}_error"]
    name = report.tr(
        f"kesalahan {'inklusi' if kind == 'inclusion' else 'eksklusi'} PKH", f"PKH {kind} error"
    )
    if np.isnan(value):
        basis = report.tr(
            "penerima PKH" if kind == "inclusion" else "rumah tangga miskin",
            "PKH recipients" if kind == "inclusion" else "poor households",
        )
        return report.tr(
            f"{name} tidak ditampilkan (kurang dari {MIN_CELL_HOUSEHOLDS} {basis} dalam sampel)",
            f"the {name} is not shown (fewer than {MIN_CELL_HOUSEHOLDS} {basis} in the sample)",
        )
    if f"{kind}_error_low" not in m:  # the targeting step has not run on these data
        return report.tr(
            f"<b>{name} {percent(value, lang)}</b>", f"the <b>{name} is {percent(value, lang)}</b>"
        )
    between = likely_between(m[f"{kind}_error_low"], m[f"{kind}_error_high"], lang)
    return report.tr(
        f"<b>{name} sekitar {percent(value, lang)}</b> ({between})",
        f"the <b>{name} is about {percent(value, lang)}</b> ({between})",
    )


def _measured_bullet(report: Report) -> str:
    lang = report.language
    m = report.measured(report.area_code, "pkh")
    regency = report.measured(REGENCY_CODE, "pkh")
    text = report.tr(
        f"Dalam survei, {_measure_phrase(report, m, 'inclusion')}: penerima PKH yang sebenarnya "
        f"tidak miskin; {_measure_phrase(report, m, 'exclusion')}: rumah tangga miskin yang "
        "tidak menerima PKH.",
        f"In the survey, {_measure_phrase(report, m, 'inclusion')}: recipients who are not poor; "
        f"{_measure_phrase(report, m, 'exclusion')}: poor households not receiving PKH.",
    )
    if report.is_regency:
        return text
    shrunk = _shrunk_words(report, m, regency) if "inclusion_error_low" in m else ""
    return text + (
        shrunk
        or " "
        + report.tr(
            f"Kabupaten: {percent(regency['inclusion_error'], lang)} dan "
            f"{percent(regency['exclusion_error'], lang)}.",
            f"Regency: {percent(regency['inclusion_error'], lang)} and "
            f"{percent(regency['exclusion_error'], lang)}.",
        )
    )


def _summary_bullets(report: Report) -> list[str]:
    area, regency, lang = report.area, report.regency, report.language
    settings = report.inputs.settings
    bullets = [b for b in (_expected_bullet(report), _visits_bullet(report)) if b]
    bullets.append(
        report.tr(
            f"Register mencatat <b>{number(area['households'], lang)} rumah tangga</b> "
            f"({number(area['persons'], lang)} jiwa) di {number(area['villages'], lang)} "
            f"desa/kelurahan; {percent(area['share_desil_eligible'], lang)} di antaranya berada "
            f"di desil 1–{settings.eligible_desil_max} DTSEN (kelompok sasaran bantuan sosial).",
            f"The register lists <b>{number(area['households'], lang)} households</b> "
            f"({number(area['persons'], lang)} people) in {number(area['villages'], lang)} "
            f"villages; {percent(area['share_desil_eligible'], lang)} of them are in DTSEN "
            f"desil 1–{settings.eligible_desil_max} (the group social assistance targets).",
        )
    )
    bullets.append(
        report.tr(
            f"Menurut survei, <b>{percent(area['poverty_rate_persons'], lang)} penduduk miskin</b> "
            f"(pengeluaran di bawah {rupiah(settings.poverty_line_idr, lang)} per orang per bulan) "
            f"dan {percent(area['extreme_poverty_rate_persons'], lang)} miskin ekstrem "
            f"(di bawah {rupiah(settings.extreme_poverty_line_idr, lang)}).",
            f"According to the survey, <b>{percent(area['poverty_rate_persons'], lang)} of people "
            f"are poor</b> (spending below {rupiah(settings.poverty_line_idr, lang)} per person "
            f"per month) and {percent(area['extreme_poverty_rate_persons'], lang)} extremely poor "
            f"(below {rupiah(settings.extreme_poverty_line_idr, lang)}).",
        )
    )
    if not report.is_regency:
        bullets[-1] += " " + report.tr(
            f"Angka kabupaten: {percent(regency['poverty_rate_persons'], lang)} dan "
            f"{percent(regency['extreme_poverty_rate_persons'], lang)}.",
            f"Regency: {percent(regency['poverty_rate_persons'], lang)} and "
            f"{percent(regency['extreme_poverty_rate_persons'], lang)}.",
        )
    bullets.append(_measured_bullet(report))
    outside = area["share_pkh_outside_eligible_desil"]
    bullets.append(
        report.tr(
            f"Menurut register (semua rumah tangga, bukan sampel), "
            f"<b>{percent(outside, lang)} penerima PKH berada di luar desil "
            f"1–{settings.eligible_desil_max}</b>, sehingga tidak memenuhi syarat menurut aturan "
            "DTSEN sendiri.",
            f"According to the register (every household, not a sample), "
            f"<b>{percent(outside, lang)} of PKH recipients are outside desil "
            f"1–{settings.eligible_desil_max}</b>, so ineligible by DTSEN's own rule.",
        )
    )
    if not report.is_regency:
        regency_outside = percent(regency["share_pkh_outside_eligible_desil"], lang)
        bullets[-1] += " " + report.tr(
            f"Kabupaten: {regency_outside}.", f"Regency: {regency_outside}."
        )
    return bullets


def _uncertainty_words(report: Report) -> str:
    area, lang = report.area, report.language
    n, villages = int(area["survey_households"]), int(area["survey_villages"])
    if n == 0:
        return report.tr(
            "Tidak ada rumah tangga sampel survei di kecamatan ini, sehingga angka kemiskinan dan "
            "kesalahan penargetan tidak dapat diukur di sini; lihat angka kabupaten.",
            "No survey household was sampled in this kecamatan, so poverty and targeting errors "
            "cannot be measured here; see the regency figures.",
        )
    text = report.tr(
        f"Angka survei berasal dari {number(n, lang)} rumah tangga sampel di "
        f"{number(villages, lang)} desa. ",
        f"The survey figures come from {number(n, lang)} sample households in "
        f"{number(villages, lang)} villages. ",
    )
    if report.table("targeting_intervals") is not None:
        text += report.tr(
            '"Kemungkinan besar antara" memberi rentang tempat angka sebenarnya hampir pasti '
            "berada: 95 dari 100 kemungkinan untuk angka survei, 90 dari 100 untuk perkiraan di "
            "register. ",
            '"Most likely between" gives the range the true figure almost certainly lies in: '
            "95 chances in 100 for survey figures, 90 in 100 for the estimates in the register. ",
        )
    if not report.is_regency:
        text += report.tr(
            "Dengan sampel sekecil ini angka survei kecamatan dapat meleset beberapa poin persen "
            "dari nilai sebenarnya: selisih dengan kabupaten atau kecamatan lain yang masih di "
            "dalam rentangnya belum tentu nyata. Perkiraan di register (semua rumah tangga) lebih "
            "tepat daripada angka survei kecamatan.",
            "With a sample this small a kecamatan survey figure can be several percentage points "
            "off the true value: a gap to the regency or to other kecamatan that stays within "
            "the range may not be real. The estimates in the register (every household) are more "
            "precise than the kecamatan survey figures.",
        )
    return text


def show_summary(report: Report) -> None:
    """The key numbers in words, with how far they can be trusted; the register errors first."""
    items = "".join(f"<li>{b}</li>" for b in _summary_bullets(report))
    _show(
        _h(2, report.tr("Ringkasan", "Summary")),
        f"<ul>{items}</ul>",
        _p(html.escape(_uncertainty_words(report)), "konsel-note"),
    )
