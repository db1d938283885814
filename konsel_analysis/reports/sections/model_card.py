"""Draws the PMT model card: every estimator out of sample, the chosen one and why."""

from __future__ import annotations

import html

import pandas as pd

from konsel_analysis.reports.sections.html_parts import _code, _h, _p, _show, _table, _unavailable
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, estimator_name, number, percent


def _left_out_words(report: Report, summary: pd.Series) -> str:
    """HTML: the estimators this run did not compare, when a setting left some out."""
    names = summary.get("left_out_estimators")
    if not isinstance(names, str) or not names:
        return ""
    shown = ", ".join(estimator_name(n, report.language) for n in names.split(","))
    words = report.tr(
        f"Agar proses otomatis tetap cepat, cara berikut tidak diuji kali ini: {shown} (",
        f"To keep the unattended run fast, these were not tested this time: {shown} (",
    )
    rest = report.tr(" menguji semuanya).", " tests them all).")
    return " " + html.escape(words) + _code("konsel validate-pmt") + html.escape(rest)


def show_pmt_model_card(report: Report) -> None:
    """The PMT's model card: every estimator out of sample, the chosen one and why."""
    lang = report.language
    heading = _h(2, report.tr("Kartu model PMT", "PMT model card"))
    estimators, summary = report.table("pmt_estimators"), report.table("pmt_summary")
    if estimators is None or summary is None:
        _show(heading)
        _unavailable(
            report,
            "pmt_estimators",
            "kartu model PMT (ketepatan di luar sampel, model terpilih)",
            "PMT model card (out-of-sample accuracy, chosen model)",
        )
        return
    s = summary.iloc[0]
    best = estimators.iloc[0]
    runner = estimators[estimators["estimator"] == s["runner_up"]]
    rate = percent(s["poverty_rate_households"], lang)
    intro = report.tr(
        "PMT (proxy-means test) memperkirakan pengeluaran per orang sebuah rumah tangga dari "
        "ciri-ciri yang dapat dilihat dan dicatat: jumlah dan umur anggota, pendidikan dan "
        "pekerjaan kepala rumah tangga, lantai, dinding dan atap, air minum, jamban, penerangan, "
        f"bahan bakar memasak, aset, ternak dan lahan. {number(len(estimators), lang)} cara "
        f"memperkirakan diuji pada {number(s['households'], lang)} rumah tangga survei di "
        f"{number(s['villages'], lang)} desa dengan validasi silang {number(s['folds'], lang)} "
        "lipatan: setiap model dilatih pada sebagian desa dan diuji pada desa lain yang tidak "
        "dilihatnya, jadi kesalahannya adalah kesalahan yang akan terjadi pada rumah tangga baru.",
        "A PMT (proxy-means test) predicts a household's spending per person from "
        "characteristics that can be seen and recorded: size and ages, education and work of "
        "the head, floor, walls and roof, drinking water, toilet, lighting, cooking fuel, assets, "
        f"livestock and land. {number(len(estimators), lang)} ways of predicting were tested on "
        f"{number(s['households'], lang)} survey households in {number(s['villages'], lang)} "
        f"villages by {number(s['folds'], lang)}-fold cross-validation: each model is trained "
        "on some villages and tested on others it has not seen, so its errors are those it "
        "would make on new households.",
    )
    chosen = report.tr(
        f"<b>Dipilih: {estimator_name(best['estimator'], lang)}</b>, karena kesalahan "
        f"eksklusinya paling rendah bila {rate} rumah tangga termiskin menurut model dipilih "
        f"(sebanyak rumah tangga miskin): {percent(best['exclusion_error_at_rate'], lang)}.",
        f"<b>Chosen: {estimator_name(best['estimator'], lang)}</b>, because its exclusion error "
        f"is lowest when the poorest {rate} of households by the model are selected (as many as "
        f"there are poor households): {percent(best['exclusion_error_at_rate'], lang)}.",
    )
    if len(runner) and s["lead_std_err"] == s["lead_std_err"]:
        r = runner.iloc[0]
        lead = r["exclusion_error_at_rate"] - best["exclusion_error_at_rate"]
        clear = lead > 2 * s["lead_std_err"]
        chosen += " " + report.tr(
            f"Berikutnya {estimator_name(r['estimator'], lang)}: "
            f"{percent(r['exclusion_error_at_rate'], lang)}. Dalam "
            f"{percent(s['share_replicates_chosen_ahead'], lang, 0)} ulangan bootstrap model "
            "terpilih tetap lebih baik; "
            + (
                "selisihnya lebih dari dua kali galat bakunya, jadi keunggulannya nyata."
                if clear
                else "selisihnya kurang dari dua kali galat bakunya, jadi keduanya praktis setara."
            ),
            f"Next is {estimator_name(r['estimator'], lang)}: "
            f"{percent(r['exclusion_error_at_rate'], lang)}. The chosen model stays ahead in "
            f"{percent(s['share_replicates_chosen_ahead'], lang, 0)} of bootstrap replicates; "
            + (
                "the lead is more than twice its standard error, so it is real."
                if clear
                else "the lead is less than twice its standard error, so the two are "
                "practically equal."
            ),
        )
    meaning = report.tr(
        f"Artinya: bila bantuan diberikan kepada {rate} rumah tangga dengan skor termiskin, "
        f"sekitar {percent(best['exclusion_error_at_rate'], lang, 0)} rumah tangga miskin tetap "
        f"terlewat dan {percent(best['inclusion_error_at_rate'], lang, 0)} penerimanya tidak "
        "miskin. PMT saja tidak cukup: karena itu daftar kunjungan memakai PMT untuk memilih "
        "siapa yang diperiksa, dan perkiraan di register juga memakai status penerima.",
        f"In plain words: if assistance went to the {rate} of households with the poorest "
        f"scores, about {percent(best['exclusion_error_at_rate'], lang, 0)} of poor households "
        f"would still be missed and {percent(best['inclusion_error_at_rate'], lang, 0)} of "
        "recipients would not be poor. A PMT alone is not enough: that is why the visit list "
        "uses it to choose whom to check, and why the register estimates also use receipt.",
    )
    header = [
        report.tr("Cara memperkirakan", "Estimator"),
        report.tr("Kesalahan eksklusi*", "Exclusion error*"),
        report.tr("Kesalahan inklusi*", "Inclusion error*"),
        "AUC",
        "R²",
    ]
    rows = [
        [
            estimator_name(e["estimator"], lang)
            + (report.tr(" (dipilih)", " (chosen)") if e["is_chosen"] else ""),
            percent(e["exclusion_error_at_rate"], lang),
            percent(e["inclusion_error_at_rate"], lang),
            number(e["auc"], lang, 3),
            number(e["r2"], lang, 3),
        ]
        for _, e in estimators.iterrows()
    ]
    caption = report.tr(
        f"* bila {rate} rumah tangga termiskin menurut model dipilih; di luar sampel. AUC: "
        "peluang model menilai rumah tangga miskin lebih miskin daripada rumah tangga tidak "
        "miskin yang diambil acak (1 = sempurna, 0,5 = acak). R²: bagian variasi log pengeluaran "
        f"yang dijelaskan model; {SUPPRESSED} untuk model yang memperkirakan peluang miskin, bukan "
        "pengeluaran. Kartu model lengkap (koefisien, kalibrasi): ",
        f"* when the poorest {rate} of households by the model are selected; out of sample. AUC: "
        "the chance that the model ranks a poor household poorer than a non-poor one drawn at "
        "random (1 = perfect, 0.5 = chance). R²: the share of the variation in log spending the "
        f"model explains; {SUPPRESSED} for models that predict the chance of being poor, not "
        "spending. The full model card (coefficients, calibration): ",
    )
    left_out = _left_out_words(report, s)
    _show(
        heading,
        _p(html.escape(intro) + left_out),
        _p(chosen),
        _table(header, rows),
        _p(html.escape(caption) + _code("data/processed/pmt/model_card.md") + ".", "konsel-note"),
        _p(html.escape(meaning)),
    )
