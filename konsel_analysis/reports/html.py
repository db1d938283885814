"""Executed notebooks to self-contained HTML pages, and the index page.

nbconvert's ``basic`` template gives the cells' HTML without any page around
it; this module wraps it in a small page whose only style is written inline
below. Nothing is fetched from the network: no script, no stylesheet, no font,
and images are embedded as ``data:`` PNGs by the sections. Code cells are left
out (``exclude_input``), as are cells tagged ``notebook-only`` (the bilingual
headings statisticians see in JupyterLab) and warnings written to stderr.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from konsel_analysis.files import write_text_atomic
from konsel_analysis.reports.text import SUPPRESSED, number, percent, span, tr

if TYPE_CHECKING:  # pragma: no cover - nbformat is imported where notebooks are read
    import nbformat

NOTEBOOK_ONLY_TAG = "notebook-only"

STYLE = """
:root { color-scheme: light; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif;
  color: #1f2328; background: #fff; margin: 0; line-height: 1.5; font-size: 16px; }
header.konsel-nav { background: #12355b; color: #fff; padding: 0.6em 1.5em; font-size: 0.95em; }
header.konsel-nav a { color: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 1em 1.5em 3em; }
h1 { font-size: 1.7em; margin: 0.6em 0 0.3em; color: #12355b; }
h2 { font-size: 1.35em; margin: 1.6em 0 0.4em; padding-bottom: 0.2em;
  border-bottom: 2px solid #dfe3e8; color: #12355b; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.3em; }
p, li { max-width: 60em; }
.konsel-note { color: #3d4650; background: #f3f6f9; border-left: 4px solid #7a9cc6;
  padding: 0.5em 0.9em; }
.konsel-pending { border: 2px dashed #b08900; background: #fff8e1; padding: 0.8em 1em;
  border-radius: 6px; }
.konsel-failed { color: #a40e26; font-weight: bold; }
figure.konsel-figure { margin: 1em 0; }
figure.konsel-figure img { max-width: 100%; height: auto; border: 1px solid #e5e8eb; }
.konsel-range { font-size: 0.8em; color: #5b6570; white-space: nowrap; }
code { font-size: 0.92em; background: #eef2f6; padding: 0 0.25em; border-radius: 3px; }
figcaption { font-size: 0.9em; color: #4a545e; margin-top: 0.3em; max-width: 60em; }
table.konsel-table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
table.konsel-table th, table.konsel-table td { padding: 0.3em 0.7em;
  border-bottom: 1px solid #e1e4e8; }
table.konsel-table th { background: #eef2f6; text-align: left; vertical-align: bottom; }
table.konsel-table td { vertical-align: top; }
table.konsel-table td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.konsel-table td.nowrap { white-space: nowrap; }
table.konsel-table tbody tr:nth-child(even) { background: #fafbfc; }
footer { color: #5b6570; font-size: 0.85em; margin-top: 3em; }
.anchor-link { display: none; }
.jp-OutputPrompt, .jp-InputPrompt { display: none; }
"""


def page(title: str, body: str, language: str, nav: str = "") -> str:
    """A whole HTML page: title, inline style, optional navigation bar, body."""
    nav_html = f'<header class="konsel-nav">{nav}</header>' if nav else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{nav_html}\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


@cache
def _exporter():
    """One nbconvert exporter per process (building it loads the templates)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def _presentable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without notebook-only cells, code cells without output, or stderr streams."""
    import nbformat

    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        if NOTEBOOK_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def notebook_body_html(nb: nbformat.NotebookNode) -> str:
    """The report's content as HTML: outputs and markdown only, no code."""
    body, _ = _exporter().from_notebook_node(_presentable(nb))
    return body


def export_report(
    executed: Path, html_path: Path, title: str, language: str, index_href: str
) -> Path:
    """Write the executed notebook as a self-contained HTML report."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    nav = (
        f'<a href="{html.escape(index_href)}">← {tr(language, "Daftar laporan", "All reports")}</a>'
    )
    return write_text_atomic(html_path, page(title, notebook_body_html(nb), language, nav))


@dataclass(frozen=True)
class IndexRow:
    """One line of the index: a report, its headline figures and its status."""

    code: str
    name: str
    href: str | None  # None when the report failed
    households: float
    survey_households: float
    poverty_rate: float
    inclusion_error: float
    exclusion_error: float
    error: str | None = None
    executed_href: str | None = None
    # With the pipeline steps' outputs: ranges of the measured errors (95%), whether the
    # kecamatan estimate was pulled towards the regency, and the register's expected errors.
    inclusion_range: tuple[float, float] | None = None
    exclusion_range: tuple[float, float] | None = None
    is_shrunk: bool = False
    expected_inclusion: tuple[float, float, float] | None = None  # estimate, low, high (90%)
    expected_exclusion: tuple[float, float, float] | None = None
    visits: float | None = None


def _with_range(value: str, low_high: str | None, mark: str = "") -> str:
    """A figure with its range underneath, in small type."""
    if low_high is None:
        return value + mark
    return f'{value}{mark}<br><span class="konsel-range">{html.escape(low_high)}</span>'


def _index_cells(r: IndexRow, lang: str) -> list[str]:
    """Register figures first (the headline), then the survey's; each with its range."""
    cells = [number(r.households, lang)]
    for expected in (r.expected_inclusion, r.expected_exclusion):
        cells.append(
            _with_range(number(expected[0], lang), span(*expected[1:], lang, "count"))
            if expected
            else SUPPRESSED
        )
    cells.append(number(r.visits, lang) if r.visits is not None else SUPPRESSED)
    cells += [number(r.survey_households, lang), percent(r.poverty_rate, lang)]
    for value, low_high in (
        (r.inclusion_error, r.inclusion_range),
        (r.exclusion_error, r.exclusion_range),
    ):
        shown = value == value  # not NaN (hidden: fewer than five sample households)
        cells.append(
            _with_range(
                percent(value, lang),
                span(*low_high, lang) if low_high and shown else None,
                "*" if r.is_shrunk and shown else "",
            )
        )
    return cells


def _index_explanation(lang: str, with_steps: bool) -> str:
    text = ""
    if with_steps:
        text = tr(
            lang,
            "Register (semua rumah tangga): perkiraan penerima PKH/BPNT yang kemungkinan tidak "
            "miskin, dan rumah tangga miskin yang tidak menerima keduanya; di bawahnya rentang "
            "90%. Kunjungan: bagian kecamatan dari anggaran verifikasi. ",
            "Register (every household): expected PKH/BPNT beneficiaries probably not poor, and "
            "poor households receiving neither; underneath, the 90% range. Visits: the "
            "kecamatan's share of the verification budget. ",
        )
    text += tr(
        lang,
        "Survei: persentase penduduk dengan pengeluaran di bawah garis kemiskinan; kesalahan "
        "inklusi (bagian penerima PKH yang tidak miskin) dan eksklusi (bagian rumah tangga "
        "miskin yang tidak menerima PKH). Angka survei per kecamatan berasal dari sampel kecil "
        "(biasanya 5–30 rumah tangga untuk kesalahan penargetan): anggap sebagai petunjuk kasar. "
        "Tanda – berarti disembunyikan karena kurang dari 5 rumah tangga sampel.",
        "Survey: share of people spending below the poverty line; inclusion error (share of PKH "
        "recipients who are not poor) and exclusion error (share of poor households not "
        "receiving PKH). Kecamatan survey figures rest on small samples (usually 5–30 "
        "households for the targeting errors): take them as rough indications. – means hidden "
        "because fewer than 5 sample households.",
    )
    if with_steps:
        text += " " + tr(
            lang,
            "Di bawah angka survei: rentang 95%; * ditarik ke arah angka kabupaten karena "
            "sampelnya kecil.",
            "Under survey figures: the 95% range; * pulled towards the regency value because "
            "the sample is small.",
        )
    return text


def render_index(
    rows: Sequence[IndexRow], regency: IndexRow | None, language: str, note: str = ""
) -> str:
    """The index page: the regency report, then a table of every kecamatan report."""
    lang = language
    title = tr(
        lang,
        "Laporan penargetan bantuan sosial – Konawe Selatan",
        "Social assistance targeting reports – Konawe Selatan",
    )
    header = [
        tr(lang, "Kode", "Code"),
        "Kecamatan",
        tr(lang, "Rumah tangga (register)", "Households (register)"),
        tr(
            lang,
            "Register: penerima kemungkinan tidak miskin",
            "Register: beneficiaries probably not poor",
        ),
        tr(lang, "Register: miskin tidak menerima", "Register: poor not receiving"),
        tr(lang, "Kunjungan verifikasi", "Verification visits"),
        tr(lang, "Sampel survei", "Survey sample"),
        tr(lang, "Penduduk miskin (survei)", "Poor people (survey)"),
        tr(lang, "Kesalahan inklusi PKH (survei)", "PKH inclusion error (survey)"),
        tr(lang, "Kesalahan eksklusi PKH (survei)", "PKH exclusion error (survey)"),
        tr(lang, "Status", "Status"),
    ]
    all_rows = [*rows, *([regency] if regency is not None else [])]
    body_rows = []
    for r in all_rows:
        name = html.escape(r.name if r is not regency else tr(lang, "Kabupaten", "Regency"))
        link = f'<a href="{html.escape(r.href)}">{name}</a>' if r.href else name
        if r.error is None:
            status = tr(lang, "selesai", "done")
        else:
            audit = (
                f' (<a href="{html.escape(r.executed_href)}">notebook</a>)'
                if r.executed_href
                else ""
            )
            status = (
                f'<span class="konsel-failed">{tr(lang, "gagal", "failed")}</span>: '
                f"{html.escape(r.error)}{audit}"
            )
        cells = [html.escape(r.code), link, *_index_cells(r, lang)]
        tds = "".join(
            f'<td class="{"num" if 2 <= i <= 9 else "txt"}">{c}</td>' for i, c in enumerate(cells)
        )
        body_rows.append(f'<tr>{tds}<td class="txt">{status}</td></tr>')
    thead = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if note:
        parts.append(f'<p class="konsel-note">{html.escape(note)}</p>')
    with_steps = any(r.expected_inclusion or r.inclusion_range for r in all_rows)
    parts.append("<p>" + html.escape(_index_explanation(lang, with_steps)) + "</p>")
    if regency is not None and regency.href:
        overview = tr(
            lang, "Ikhtisar kabupaten (semua kecamatan)", "Regency overview (all kecamatan)"
        )
        parts.append(f'<p><a href="{html.escape(regency.href)}"><b>{overview}</b></a></p>')
    elif regency is not None:
        failed = tr(lang, "Ikhtisar kabupaten gagal", "Regency overview failed")
        parts.append(
            f'<p><span class="konsel-failed">{failed}</span>: '
            f"{html.escape(regency.error or '')}</p>"
        )
    parts.append(
        f'<table class="konsel-table"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{''.join(body_rows)}</tbody></table>"
    )
    parts.append(
        "<footer>"
        + tr(
            lang,
            "Angka survei per kecamatan berasal dari sampel kecil; lihat catatan metode di "
            "setiap laporan. Laporan tidak memuat NIK, nama maupun ID rumah tangga.",
            "Kecamatan survey figures rest on small samples; see the methods note of each "
            "report. The reports hold no NIK, no name and no household id.",
        )
        + "</footer>"
    )
    return page(title, "\n".join(parts), language)


_SIXTEEN_DIGITS = re.compile(r"\d{16}")


def scrub_message(text: str, limit: int = 300) -> str:
    """An error message fit for the index and the log: one line, no 16-digit number (NIK)."""
    one_line = " ".join(str(text).split())
    one_line = _SIXTEEN_DIGITS.sub("[16 digits removed]", one_line)
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
