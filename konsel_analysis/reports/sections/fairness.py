"""Keadilan sasaran (fair targeting): who is missed, by group of households (issue 18).

The regency report shows the survey-measured exclusion error of PKH or BPNT per
group level (female head, a member aged 70+, disability, household size, urban or
rural, the head's schooling) with its range, against the regency value, the gap
against the rest of each group, and the register-side table; each kecamatan
report shows the short register-side table for its kecamatan.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.measured.groups import group_label, level_label
from konsel_analysis.reports import charts
from konsel_analysis.reports.inputs import SMALL_SAMPLE_HOUSEHOLDS
from konsel_analysis.reports.sections.html_parts import _h, _p, _show, _table, _unavailable
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.text import SUPPRESSED, number, percent, span, tr

PROGRAMME = "pkh_or_bpnt"
#: Okabe-Ito vermillion: a level whose gap against the rest of its group is clear.
FLAG_COLOUR = "#D55E00"


def _heading(report: Report) -> str:
    return _h(
        2, report.tr("Keadilan sasaran: siapa yang terlewat", "Fair targeting: who is missed")
    )


def _level_name(report: Report, group: str, level: str) -> str:
    return f"{group_label(group, report.language)}: {level_label(group, level, report.language)}"


def plot_exclusion_by_group(rows: pd.DataFrame, regency: float, language: str):
    """Exclusion error of each group level with its range; the regency value dashed.

    ``rows``: the ``group_errors`` table of one programme (regency rows), in order.
    """
    rows = rows.reset_index(drop=True)
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.36 * len(rows) + 1.8))
    fig.subplots_adjust(left=0.46, right=0.97, top=0.93, bottom=1.0 / (0.36 * len(rows) + 1.8))
    flagged = rows["gap_excludes_zero"].astype(bool).to_numpy()
    for mask, colour in ((~flagged, charts.COLOURS["pkh"]), (flagged, FLAG_COLOUR)):
        part = rows[mask]
        est = part["exclusion_error"].to_numpy(float)
        low = part["exclusion_error_low"].to_numpy(float)
        high = part["exclusion_error_high"].to_numpy(float)
        ax.errorbar(
            est,
            y[mask],
            xerr=[np.clip(est - low, 0, None), np.clip(high - est, 0, None)],
            fmt="o",
            color=colour,
            ecolor=colour,
            elinewidth=1.6,
            capsize=3,
        )
    if np.isfinite(regency):
        ax.axvline(regency, color=charts.COLOURS["regency"], linestyle="--", linewidth=1.2)
        ax.annotate(
            tr(language, "kabupaten", "regency") + f" {percent(regency, language, 0)}",
            (regency, y.max() + 0.6),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=9,
            color=charts.COLOURS["regency"],
        )
    ax.set_yticks(y, rows["label"])
    ax.set_ylim(-0.7, y.max() + 1.0)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, language, 0)))
    ax.set_xlabel(
        tr(
            language,
            "% rumah tangga miskin yang tidak\nmenerima PKH atau BPNT",  # two lines: it fits
            "% of poor households receiving\nneither PKH nor BPNT",
        )
    )
    ax.grid(axis="y", visible=False)
    return fig


def _survey_rows(report: Report, table: pd.DataFrame) -> list[list[str]]:
    lang = report.language
    rows = []
    for _, r in table.iterrows():
        gap = r["exclusion_gap"]
        if bool(r["gap_excludes_zero"]):
            word = report.tr("lebih sering terlewat", "missed more often")
            if gap < 0:
                word = report.tr("lebih jarang terlewat", "missed less often")
        else:
            word = ""
        if np.isfinite(r["exclusion_error"]) and r["sampled_poor"] < SMALL_SAMPLE_HOUSEHOLDS:
            small = report.tr("sampel kecil", "small sample")
            word = f"{word}; {small}" if word else small
        rows.append(
            [
                group_label(r["group"], lang),
                level_label(r["group"], r["level"], lang),
                number(r["sampled_poor"], lang),
                percent(r["exclusion_error"], lang),
                span(r["exclusion_error_low"], r["exclusion_error_high"], lang),
                _signed(gap, lang),
                _signed_span(r["exclusion_gap_low"], r["exclusion_gap_high"], lang),
                word,
            ]
        )
    return rows


def _signed(value: float, language: str) -> str:
    if value is None or not np.isfinite(value):
        return SUPPRESSED
    points = number(abs(100 * value), language, 0)
    return f"{'+' if value >= 0 else '−'}{points}"


def _signed_span(low: float, high: float, language: str) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return SUPPRESSED
    return f"{_signed(low, language)} … {_signed(high, language)}"


def _register_rows(report: Report, table: pd.DataFrame) -> list[list[str]]:
    lang = report.language
    rows = []
    for _, r in table.iterrows():
        rows.append(
            [
                group_label(r["group"], lang),
                level_label(r["group"], r["level"], lang),
                number(r["households"], lang),
                number(r["expected_exclusion_errors"], lang),
                span(
                    r["expected_exclusion_errors_low"],
                    r["expected_exclusion_errors_high"],
                    lang,
                    "n",
                ),
                number(r["expected_inclusion_errors"], lang),
                span(
                    r["expected_inclusion_errors_low"],
                    r["expected_inclusion_errors_high"],
                    lang,
                    "n",
                ),
                percent(r["share_of_expected_errors"], lang, 0),
                percent(r["share_of_visits"], lang, 0),
            ]
        )
    return rows


def _register_table(report: Report, area_code: str) -> str | None:
    table = report.table("group_expected_errors")
    if table is None or table.empty:
        return None
    table = table.assign(level=table["level"].astype(str))
    rows = table[table["area_code"] == area_code]
    if rows.empty:
        return None
    header = [
        report.tr("Kelompok", "Group"),
        report.tr("Ya/tidak, ukuran", "Level"),
        report.tr("Rumah tangga di register", "Households in the register"),
        report.tr("Miskin, tidak menerima", "Poor, not receiving"),
        report.tr("rentang 90%", "90% range"),
        report.tr("Penerima kemungkinan tidak miskin", "Recipients probably not poor"),
        report.tr("rentang 90%", "90% range"),
        report.tr("Bagian salah sasaran", "Share of errors"),
        report.tr("Bagian kunjungan", "Share of visits"),
    ]
    return _table(header, _register_rows(report, rows), text_columns=(0, 1))


def _register_explain(report: Report) -> str:
    return _p(
        html.escape(
            report.tr(
                "Di register: perkiraan jumlah rumah tangga miskin yang tidak menerima dan "
                "penerima yang kemungkinan tidak miskin, per kelompok, dengan rentang 90% dari "
                "model yang sama dengan angka kecamatan. Dua kolom terakhir membandingkan bagian "
                "kelompok dari semua perkiraan salah sasaran dengan bagiannya dari kunjungan "
                "verifikasi yang direncanakan: bila bagian kunjungan jauh lebih kecil, daftar "
                "prioritas kurang mengunjungi kelompok itu.",
                "In the register: the expected number of poor households not receiving and of "
                "recipients probably not poor, per group, with 90% ranges from the same model as "
                "the kecamatan figures. The last two columns set the group's share of all "
                "expected errors against its share of the planned verification visits: a much "
                "smaller share of visits means the priority list under-visits the group.",
            )
        )
    )


def show_group_fairness(report: Report) -> None:
    """Keadilan sasaran: exclusion error by group (regency) and the register-side table."""
    if not report.is_regency:
        _show_kecamatan(report)
        return
    lang = report.language
    measured = report.table("group_errors")
    parts = [_heading(report)]
    if measured is None:
        _show(*parts)
        _unavailable(report, "group_errors", "kesalahan per kelompok", "errors by group")
        return
    rows = measured[measured["programme"] == PROGRAMME].copy()
    rows["level"] = rows["level"].astype(str)
    if rows.empty:
        _show(
            *parts,
            _p(
                html.escape(
                    report.tr(
                        "Tidak ada kelompok yang dapat dibentuk dari kolom data ini, atau "
                        "hasilnya dibuat oleh versi lama: jalankan `konsel reports` lagi.",
                        "No group could be formed from the columns of these data, or the results "
                        "were made by an older version: run `konsel reports` again.",
                    )
                )
            ),
        )
        return
    rows["label"] = [
        _level_name(report, g, lv) for g, lv in zip(rows["group"], rows["level"], strict=True)
    ]
    regency = float(report.measured(REGENCY_CODE, PROGRAMME)["exclusion_error"])
    explain = report.tr(
        "Apakah jenis rumah tangga tertentu lebih sering terlewat? Untuk setiap kelompok: bagian "
        "rumah tangga miskin di kelompok itu yang tidak menerima PKH maupun BPNT (kesalahan "
        "eksklusi), diukur dari survei, tertimbang, dengan rentang 95% dari bootstrap atas desa "
        "sampel; dan selisihnya dengan rumah tangga lain (dalam poin persen). Selisih yang "
        "rentangnya tidak memuat nol ditandai: kelompok itu nyata lebih sering (atau lebih "
        "jarang) terlewat.",
        "Are some kinds of households missed more often? For each group: the share of its poor "
        "households that receive neither PKH nor BPNT (the exclusion error), measured in the "
        "survey, weighted, with a 95% range from a bootstrap over the sample villages; and the "
        "difference from the other households (in percentage points). A difference whose range "
        "excludes zero is flagged: that group is clearly missed more (or less) often.",
    )
    header = [
        report.tr("Kelompok", "Group"),
        report.tr("Ya/tidak, ukuran", "Level"),
        report.tr("Rumah tangga miskin sampel", "Poor sample households"),
        report.tr("Kesalahan eksklusi", "Exclusion error"),
        report.tr("rentang 95%", "95% range"),
        report.tr("Selisih (poin)", "Difference (points)"),
        report.tr("rentang 95%", "95% range"),
        report.tr("Catatan", "Note"),
    ]
    alt = report.tr(
        "Titik per kelompok: kesalahan eksklusi PKH atau BPNT dengan rentang 95%; garis "
        "putus-putus: angka kabupaten; merah: selisih yang nyata.",
        "Dots per group: exclusion error of PKH or BPNT with 95% ranges; dashed line: the "
        "regency value; red: a clear difference.",
    )
    caption = report.tr(
        "Kelompok kecil dalam sampel memiliki rentang lebar. Titik merah: selisih dengan rumah "
        "tangga lain yang rentangnya tidak memuat nol.",
        "Small groups in the sample have wide ranges. Red dots: a difference from the other "
        "households whose range excludes zero.",
    )
    parts += [
        _p(html.escape(explain)),
        charts.figure_html(plot_exclusion_by_group(rows, regency, lang), alt, caption),
        _table(header, _survey_rows(report, rows), text_columns=(0, 1, 7)),
    ]
    register = _register_table(report, REGENCY_CODE)
    if register is not None:
        parts += [_register_explain(report), register]
    _show(*parts)


def _show_kecamatan(report: Report) -> None:
    """The short register-side table of one kecamatan."""
    heading = _h(
        2,
        report.tr(
            "Keadilan sasaran: perkiraan salah sasaran per kelompok",
            "Fair targeting: expected errors by group",
        ),
    )
    if report.table("group_expected_errors") is None:
        _show(heading)
        _unavailable(
            report, "group_expected_errors", "salah sasaran per kelompok", "errors by group"
        )
        return
    register = _register_table(report, report.area_code)
    if register is None:
        _show(
            heading,
            _p(
                html.escape(
                    report.tr(
                        "Tidak ada kelompok yang dapat dibentuk dari kolom register ini.",
                        "No group could be formed from the columns of this register.",
                    )
                )
            ),
        )
        return
    _show(heading, _register_explain(report), register)
