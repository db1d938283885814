"""Draws the data quality section (rows set aside, register against survey) and the methods note."""

from __future__ import annotations

import html

import pandas as pd

from konsel_analysis.measured.targeting import SHRINK_BELOW_HOUSEHOLDS
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports.sections.html_parts import _code, _h, _p, _show, _table, _unavailable
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import number, rupiah


def _proxy_label(proxy: str, level: str, language: str) -> str:
    """A proxy (and level) as the data dictionary names it in the report's language."""
    from konsel_analysis.dictionary import COLUMNS

    entry = COLUMNS.get(proxy)
    name = entry.label(language) if entry is not None else proxy
    if not level:
        return name
    if entry is not None and level in entry.categories:
        level = entry.category_label(level, language)
    return f"{name}: {level}"


def _intake_words(report: Report, counts: pd.DataFrame) -> str:
    lang = report.language
    parts = []
    for r in counts.itertuples():
        table = report.tr("Register" if r.table == "register" else "Survei", r.table.capitalize())
        words = report.tr(
            f"{table}: {number(r.rows_read, lang)} baris dibaca, {number(r.accepted, lang)} "
            f"dipakai, {number(r.rejected, lang)} disisihkan",
            f"{table}: {number(r.rows_read, lang)} rows read, {number(r.accepted, lang)} used, "
            f"{number(r.rejected, lang)} set aside",
        )
        if r.rejected:
            words += report.tr(
                f" (alasan terbanyak: {r.most_common_reason})",
                f" (most often: {r.most_common_reason})",
            )
        parts.append(words + ".")
    return " ".join(parts)


def show_data_quality(report: Report) -> None:
    """Rows the row checks set aside, and whether the register looks like the survey."""
    # The heading in the page's language (the notebook's bilingual one is notebook-only).
    heading = _h(2, report.tr("Kualitas data", "Data quality"))
    counts, differences = report.table("intake_counts"), report.table("proxy_differences")
    if counts is None or differences is None:
        _show(heading)
        _unavailable(report, "intake_counts", "pemeriksaan data masukan", "the input checks")
        return
    parts = [
        heading,
        _p(html.escape(_intake_words(report, counts))),
        _p(
            html.escape(
                report.tr(
                    "Baris yang disisihkan (nilai wajib kosong, pengeluaran atau penimbang tidak "
                    "positif, kode wilayah yang tidak dikenal, rumah tangga ganda, NIK bukan 16 "
                    "digit, ...) tidak dipakai dalam laporan ini; alasannya per baris ada di ",
                    "Rows set aside (a required value missing, spending or weight not above zero, "
                    "an unknown area code, a duplicated household, a NIK that is not 16 digits, "
                    "...) are left out of this report; the reason for each row is in ",
                )
            )
            + _code("data/processed/rejected/")
            + html.escape(report.tr(" (tanpa nama dan NIK).", " (without names and NIK).")),
            "konsel-note",
        ),
    ]
    differing = differences[differences["differs"].astype(str).str.lower() == "true"]
    if differing.empty:
        parts.append(
            _p(
                html.escape(
                    report.tr(
                        "Register dan survei sebanding: tidak satu pun proksi berbeda lebih dari "
                        "0,1 simpangan baku antara keduanya, jadi PMT yang dipasang pada survei "
                        "berlaku untuk rumah tangga register.",
                        "Register and survey are comparable: no proxy differs by more than 0.1 "
                        "standard deviations between them, so the PMT fitted on the survey "
                        "applies to the register's households.",
                    )
                )
            )
        )
        _show(*parts)
        return
    worst = (
        differing.assign(size=differing["std_difference"].astype(float).abs())
        .sort_values("size", ascending=False)
        .head(10)
    )
    lang = report.language
    parts.append(
        _p(
            "<strong>"
            + html.escape(
                report.tr(
                    f"Peringatan: register berbeda dari survei tempat PMT dipasang pada "
                    f"{number(differing['proxy'].nunique(), lang)} proksi (lebih dari 0,1 "
                    "simpangan baku). Perkiraan untuk rumah tangga seperti itu bertumpu pada "
                    "sedikit rumah tangga survei yang sebanding; periksa data register.",
                    f"Warning: the register differs from the survey the PMT was fitted on in "
                    f"{number(differing['proxy'].nunique(), lang)} proxies (by more than 0.1 "
                    "standard deviations). Predictions for such households rest on few "
                    "comparable survey households; check the register data.",
                )
            )
            + "</strong>"
        )
    )
    rows = [
        [
            _proxy_label(r.proxy, r.level, lang),
            number(float(r.survey_mean), lang, 2),
            number(float(r.register_mean), lang, 2),
            number(float(r.std_difference), lang, 2),
        ]
        for r in worst.itertuples()
    ]
    header = report.tr(
        "Proksi|Rata-rata survei|Rata-rata register|Selisih baku",
        "Proxy|Survey mean|Register mean|Standardised difference",
    ).split("|")
    caption = report.tr(
        "Proksi yang paling berbeda (untuk kategori: proporsi rumah tangga)",
        "Proxies that differ most (for categories: share of households)",
    )
    parts.append(_table(header, rows, caption))
    _show(*parts)


def show_methods_note(report: Report) -> None:
    """Where the numbers come from, how uncertain they are, and what the report leaves out."""
    lang = report.language
    s = report.inputs.settings
    regency = report.regency
    items = [
        report.tr(
            f"Data: register rumah tangga ({number(regency['households'], lang)} rumah tangga; "
            "program yang diterima dan desil DTSEN, tanpa pengeluaran) dan survei rumah tangga "
            f"bergaya Susenas ({number(regency['survey_households'], lang)} rumah tangga di "
            f"{number(regency['survey_villages'], lang)} desa, dipilih dua tahap: desa menurut "
            "besarnya, lalu rumah tangga secara acak; setiap rumah tangga diberi penimbang).",
            f"Data: the household register ({number(regency['households'], lang)} households; "
            "programmes received and DTSEN desil, no spending) and a Susenas-like household "
            f"survey ({number(regency['survey_households'], lang)} households in "
            f"{number(regency['survey_villages'], lang)} villages, drawn in two stages: villages "
            "by size, then households at random; each household carries a design weight).",
        ),
        report.tr(
            f"Garis kemiskinan {rupiah(s.poverty_line_idr, lang)} per kapita per bulan (BPS "
            f"Sulawesi Tenggara, Maret 2024); garis kemiskinan ekstrem "
            f"{rupiah(s.extreme_poverty_line_idr, lang)} (USD 1,90 PPP 2011 per hari, Maret 2023, "
            "garis P3KE dan Inpres 4/2022).",
            f"Poverty line {rupiah(s.poverty_line_idr, lang)} per person per month (BPS Sulawesi "
            "Tenggara, March 2024); extreme poverty line "
            f"{rupiah(s.extreme_poverty_line_idr, lang)} "
            "(USD 1.90 PPP 2011 a day, March 2023, the line of P3KE and Inpres 4/2022).",
        ),
        report.tr(
            "Angka kemiskinan dihitung per orang (penimbang × jumlah anggota rumah tangga), "
            "seperti "
            "BPS; kesalahan penargetan per rumah tangga, karena bantuan diberikan per keluarga.",
            "Poverty rates count people (weight × household size), as BPS does; targeting errors "
            "count households, since assistance goes to families.",
        ),
        report.tr(
            "Rentang angka survei: interval kepercayaan 95% dari bootstrap atas desa sampel "
            "(desa diambil ulang dengan pengembalian, per kecamatan). Kecamatan dengan kurang "
            f"dari {SHRINK_BELOW_HOUSEHOLDS} penerima atau rumah tangga miskin sampel: perkiraan "
            "ditarik ke arah angka kabupaten (empirical Bayes, gaya Fay-Herriot) dan ditandai.",
            "Ranges of survey figures: 95% confidence intervals from a bootstrap over the sample "
            "villages (villages redrawn with replacement, within each kecamatan). Kecamatan with "
            f"fewer than {SHRINK_BELOW_HOUSEHOLDS} sample recipients or poor households: the "
            "estimate is pulled towards the regency value (empirical Bayes, Fay-Herriot style) "
            "and flagged.",
        ),
        report.tr(
            "Salah sasaran di register: peluang miskin tiap rumah tangga dari model yang dilatih "
            "pada survei dengan ciri PMT, status penerima dan kecamatan; rentang 90% dari "
            "bootstrap model ditambah keacakan tiap rumah tangga dan selisih model per kecamatan "
            "yang diperiksa pada rumah tangga survei yang tidak dipakai melatihnya. Rentang itu "
            "memuat angka sebenarnya sekitar 9 dari 10 kecamatan bila survei mengambil sampel "
            "acak desa di tiap kecamatan (minimal dua desa dan lima penerima) dan ketepatan "
            "penargetan antar kecamatan tidak lebih beragam daripada pada data sintetis uji "
            "(dari acak sampai hampir tepat); "
            "berlaku rata-rata atas kecamatan, tidak dijamin untuk setiap kecamatan. Kecamatan "
            "bertanda † tidak memenuhi syarat sampel itu: rentangnya dilebarkan. Prioritas "
            "kunjungan: peluang "
            "salah sasaran × nilai bantuan yang dipindahkan (parameters.yml), miskin ekstrem "
            "diberi bobot lebih. Model PMT: validasi silang per desa dengan penimbang survei.",
            "Errors in the register: each household's chance of being poor from a model trained "
            "on the survey with the PMT's characteristics, receipt and kecamatan; 90% ranges "
            "from a bootstrap of the model plus each household's own chance and the model's "
            "error per kecamatan, checked on survey households the model was not trained on. "
            "The ranges hold the true count in about 9 kecamatan of 10 when the survey sampled "
            "villages at random in every kecamatan (at least two villages and five "
            "beneficiaries) and targeting quality does not differ between kecamatan more than "
            "on the synthetic test data (from random to near perfect); on average over "
            "kecamatan, not for each one. Kecamatan "
            "marked † do not meet that sampling condition: their ranges are widened. Visit "
            "priority: "
            "chance of an error × the benefit a correction moves (parameters.yml), extreme poor "
            "weighted more. The PMT: cross-validated by village with survey weights.",
        ),
        report.tr(
            "Simulasi dampak: pada rumah tangga survei, dengan peluang dari model yang tidak "
            "melihat rumah tangga itu (cross-fitting); bantuan dianggap seluruhnya dibelanjakan. "
            "Semua perhitungan memakai benih acak tetap, jadi hasilnya dapat diulang.",
            "Impact simulation: on the survey households, with chances from a model that did not "
            "see the household (cross-fitting); a benefit is assumed spent in full. Every "
            "computation uses a fixed random seed, so results can be reproduced.",
        ),
        report.tr(
            f"Sel tabel atau batang diagram yang dihitung dari kurang dari {MIN_CELL_HOUSEHOLDS} "
            "rumah tangga disembunyikan. Laporan ini tidak memuat NIK, nama maupun ID rumah "
            "tangga: rumah tangga prioritas ditunjukkan dengan kode samaran (HMAC dengan kunci "
            "rahasia proyek), yang hanya dapat dihubungkan kembali oleh petugas yang memegang "
            "daftar terbatas.",
            f"Table cells and chart bars built from fewer than {MIN_CELL_HOUSEHOLDS} households "
            "are hidden. This report holds no NIK, no name and no household id: priority "
            "households are shown by pseudonymous key (an HMAC under the project's secret key), "
            "which only staff holding the restricted lists can link back.",
        ),
    ]
    _show(
        _h(2, report.tr("Catatan metode", "Methods note")),
        "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>",
        _p(
            html.escape(
                report.tr("Kunci data laporan: ", "Report data key: ") + report.inputs.key[:12]
            ),
            "konsel-note",
        ),
    )
