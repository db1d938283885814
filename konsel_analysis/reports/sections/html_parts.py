"""Small HTML helpers the sections build their output from, and the one place that displays it.

Headings, paragraphs, tables, inline code, the shaded chart of all kecamatan and the
"not yet available" box. Inline styles too, so JupyterLab shows the same as the HTML
page. :func:`_show` is the only caller of IPython's ``display``.
"""

from __future__ import annotations

import html

from IPython.display import HTML, display

from konsel_analysis.reports.report_data import MISSING, OTHER_DATA
from konsel_analysis.reports.sections.report import Report
from konsel_analysis.reports.shaded import shaded_figure_html


def _show(*parts: str) -> None:
    display(HTML("\n".join(parts)))


def _h(level: int, text: str) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _p(text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{text}</p>"


def _table(
    header: list[str],
    rows: list[list[str]],
    caption: str = "",
    text_columns=(0,),
    nowrap_columns=(),
) -> str:
    """A table whose cells are already formatted; numbers right-aligned, ``text_columns`` left.

    Number cells never wrap; ``nowrap_columns`` keeps text cells (e.g. keys) on one line too.
    """

    def css(i: int) -> str:
        kind = "txt" if i in text_columns else "num"
        return f"{kind} nowrap" if i in nowrap_columns else kind

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{css(i)}">{html.escape(str(c))}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="konsel-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _shaded_chart(report: Report, chart: str, draw, alt: str, caption: str) -> str:
    """A chart of all kecamatan with this report's row marked (none in the regency report),
    cut from the build's two drawings of it (:mod:`konsel_analysis.reports.shaded`); its
    caption then starts by saying which row is shaded."""
    if not report.is_regency:
        caption = (
            report.tr(
                f"Kecamatan {report.area_name} diberi latar kuning. ",
                f"Kecamatan {report.area_name} is shaded yellow. ",
            )
            + caption
        )
    return shaded_figure_html(
        chart,
        draw,
        None if report.is_regency else report.area_code,
        folder=report.inputs.folder,
        inputs_key=report.inputs.key,
        language=report.language,
        alt=alt,
        caption=caption,
    )


def _unavailable(report: Report, table: str, what_id: str, what_en: str) -> None:
    """A box saying a section cannot be drawn, why, and what to run; no figure is shown."""
    why = report.inputs.why_missing(table)
    if why == MISSING:
        reason = report.tr(
            "Tabel ini dibuat oleh `konsel reports` (atau `make reports`) sebelum laporan "
            "dijalankan, dan belum ada untuk data ini. Jalankan perintah itu, lalu buka lagi "
            "laporan ini.",
            "This table is made by `konsel reports` (or `make reports`) before the reports "
            "run, and does not exist yet for these data. Run that command, then open this "
            "report again.",
        )
    elif why == OTHER_DATA:
        reason = report.tr(
            "Hasil yang tersedia dihitung dari file register atau survei yang lain daripada "
            "yang dibaca laporan ini. Jalankan `konsel reports` untuk data ini.",
            "The results available were computed from another register or survey file "
            "than the one this report reads. Run `konsel reports` on these data.",
        )
    else:
        reason = report.tr(
            "Hasil yang tersedia dihitung dengan garis kemiskinan dan anggaran verifikasi dari "
            "parameters.yml, bukan dengan nilai yang diberikan pada laporan ini.",
            "The results available were computed with the poverty lines and verification "
            "budget of parameters.yml, not with the values given to this report.",
        )
    title = report.tr("Belum tersedia", "Not yet available")
    _show(
        '<div class="konsel-pending" style="border:2px dashed #b08900;background:#fff8e1;'
        'padding:0.8em 1em;margin:0.8em 0;border-radius:6px">'
        f"<strong>{title}: {html.escape(report.tr(what_id, what_en))}</strong>"
        f"<p>{html.escape(reason)} "
        + html.escape(
            report.tr("Tidak ada angka yang ditampilkan di sini.", "No figure is shown here.")
        )
        + "</p></div>"
    )


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"
