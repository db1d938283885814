"""One function per report section: what the notebooks call.

A notebook opens its report (:func:`open_kecamatan_report` or
:func:`open_regency_report`) and then calls ``show_*`` functions in order. Each
displays its own heading, words, table and chart in the report's language, from
the cached report tables only: no section reads raw data, and none ever sees a
NIK or a name. Sections that need the PMT or the targeting-error model say
plainly that they are not yet available; when those steps add their tables to
:data:`konsel_analysis.reports.inputs.TABLE_BUILDERS`, the function of the
section is where they get drawn.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from konsel_analysis.errors import UserError
from konsel_analysis.geography import load_kecamatan, normalize_area_code
from konsel_analysis.paths import ProjectPaths, project_paths
from konsel_analysis.reports import charts
from konsel_analysis.reports.inputs import (
    MIN_CELL_HOUSEHOLDS,
    REGENCY_CODE,
    SMALL_SAMPLE_HOUSEHOLDS,
    ReportInputs,
    prepare_report_inputs,
    resolve_settings,
)
from konsel_analysis.reports.text import (
    SUPPRESSED,
    check_language,
    number,
    percent,
    programme_name,
    rupiah,
    tr,
)

REGENCY_NAME = "Konawe Selatan"


@dataclass(frozen=True)
class Report:
    """One report being drawn: its area, language and the cached tables it reads."""

    area_code: str
    area_name: str
    language: str
    inputs: ReportInputs
    summary: pd.DataFrame  # area_summary, indexed by area_code; the regency is the last row
    errors: pd.DataFrame
    bands: pd.DataFrame
    coverage: pd.DataFrame
    desa: pd.DataFrame

    @property
    def is_regency(self) -> bool:
        return self.area_code == REGENCY_CODE

    @property
    def area(self) -> pd.Series:
        return self.summary.loc[self.area_code]

    @property
    def regency(self) -> pd.Series:
        return self.summary.loc[REGENCY_CODE]

    def tr(self, id_text: str, en_text: str) -> str:
        return tr(self.language, id_text, en_text)

    def errors_of(self, area_code: str, programme: str) -> pd.Series:
        rows = self.errors[(self.errors["area_code"] == area_code)]
        return rows.set_index("programme").loc[programme]


def _open(
    area_code: str,
    language: str,
    project_root: str,
    register_path: str,
    survey_path: str,
    inputs_dir: str,
    poverty_line_idr: float | None,
    extreme_poverty_line_idr: float | None,
    verification_budget_visits: int | None,
) -> Report:
    check_language(language)
    paths = ProjectPaths(Path(project_root).resolve()) if project_root else project_paths()
    settings = resolve_settings(
        poverty_line_idr, extreme_poverty_line_idr, verification_budget_visits
    )
    inputs = prepare_report_inputs(
        paths,
        register_path=register_path or None,
        survey_path=survey_path or None,
        inputs_dir=inputs_dir or None,
        settings=settings,
    )
    summary = inputs.read("area_summary").set_index("area_code")
    charts.use_report_style()
    return Report(
        area_code=area_code,
        area_name=str(summary.loc[area_code, "area_name"]),
        language=language,
        inputs=inputs,
        summary=summary,
        errors=inputs.read("targeting_errors"),
        bands=inputs.read("welfare_bands"),
        coverage=inputs.read("coverage_points"),
        desa=inputs.read("desa_composition"),
    )


def open_kecamatan_report(
    kecamatan_code: str,
    language: str = "id",
    project_root: str = "",
    register_path: str = "",
    survey_path: str = "",
    inputs_dir: str = "",
    poverty_line_idr: float | None = None,
    extreme_poverty_line_idr: float | None = None,
    verification_budget_visits: int | None = None,
) -> Report:
    """Open the report of one kecamatan: check its code, make or reuse the cached tables.

    Empty paths and ``None`` numbers mean the project defaults (data/raw,
    data/processed/report_inputs, parameters.yml). Raises :class:`UserError`
    when the code is not a Konsel kecamatan or the register has no household in it.
    """
    try:
        code = normalize_area_code(kecamatan_code)
    except ValueError as err:
        raise UserError(f"{err}; use a Kemendagri code such as 74.05.01") from None
    known = set(load_kecamatan()["kecamatan_code"])
    if code not in known:
        raise UserError(
            f"{code} is not one of the 25 kecamatan of Konawe Selatan (74.05.01 to 74.05.25)"
        )
    report = _open(
        code,
        language,
        project_root,
        register_path,
        survey_path,
        inputs_dir,
        poverty_line_idr,
        extreme_poverty_line_idr,
        verification_budget_visits,
    )
    if report.area["households"] == 0:
        raise UserError(
            f"kecamatan {code} ({report.area_name}) has no household in the register "
            f"({report.inputs.folder.name} built from "
            f"{register_path or 'data/raw/register.parquet'}): check the kecamatan_code column "
            "of the register export, or leave this kecamatan out with --only"
        )
    return report


def open_regency_report(
    language: str = "id",
    project_root: str = "",
    register_path: str = "",
    survey_path: str = "",
    inputs_dir: str = "",
    poverty_line_idr: float | None = None,
    extreme_poverty_line_idr: float | None = None,
    verification_budget_visits: int | None = None,
) -> Report:
    """Open the report of the whole regency (all kecamatan side by side)."""
    return _open(
        REGENCY_CODE,
        language,
        project_root,
        register_path,
        survey_path,
        inputs_dir,
        poverty_line_idr,
        extreme_poverty_line_idr,
        verification_budget_visits,
    )


# --------------------------------------------------------------------------------------
# Small HTML helpers (inline styles too, so JupyterLab shows the same as the HTML page)
# --------------------------------------------------------------------------------------


def _show(*parts: str) -> None:
    display(HTML("\n".join(parts)))


def _h(level: int, text: str) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def _p(text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{text}</p>"


def _table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    """A table whose cells are already formatted; columns after the first are right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i else "txt"}">{html.escape(str(c))}</td>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="konsel-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _not_yet_available(
    report: Report, what_id: str, what_en: str, needs_id: str, needs_en: str
) -> None:
    title = report.tr("Belum tersedia", "Not yet available")
    _show(
        '<div class="konsel-pending" style="border:2px dashed #b08900;background:#fff8e1;'
        'padding:0.8em 1em;margin:0.8em 0;border-radius:6px">'
        f"<strong>{title}: {html.escape(report.tr(what_id, what_en))}</strong>"
        f"<p>{html.escape(report.tr(needs_id, needs_en))} "
        + html.escape(
            report.tr(
                "Tidak ada angka yang ditampilkan di sini sampai model tersebut selesai dan "
                "divalidasi.",
                "No figure is shown here until that model is finished and validated.",
            )
        )
        + "</p></div>"
    )


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


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


def _summary_bullets(report: Report) -> list[str]:
    area, regency, lang = report.area, report.regency, report.language
    settings = report.inputs.settings
    pkh = report.errors_of(report.area_code, "pkh")
    pkh_regency = report.errors_of(REGENCY_CODE, "pkh")
    bullets = [
        report.tr(
            f"Register mencatat <b>{number(area['households'], lang)} rumah tangga</b> "
            f"({number(area['persons'], lang)} jiwa) di {number(area['villages'], lang)} "
            f"desa/kelurahan; {percent(area['share_desil_eligible'], lang)} di antaranya berada "
            f"di desil 1–{settings.eligible_desil_max} DTSEN (kelompok sasaran bantuan sosial).",
            f"The register lists <b>{number(area['households'], lang)} households</b> "
            f"({number(area['persons'], lang)} people) in {number(area['villages'], lang)} "
            f"villages; {percent(area['share_desil_eligible'], lang)} of them are in DTSEN "
            f"desil 1–{settings.eligible_desil_max} (the group social assistance targets).",
        ),
        report.tr(
            f"Menurut survei, <b>{percent(area['poverty_rate_persons'], lang)} penduduk miskin</b> "
            f"(pengeluaran di bawah {rupiah(settings.poverty_line_idr, lang)} per orang per bulan) "
            f"dan {percent(area['extreme_poverty_rate_persons'], lang)} miskin ekstrem "
            f"(di bawah {rupiah(settings.extreme_poverty_line_idr, lang)}).",
            f"According to the survey, <b>{percent(area['poverty_rate_persons'], lang)} of people "
            f"are poor</b> (spending below {rupiah(settings.poverty_line_idr, lang)} per person "
            f"per month) and {percent(area['extreme_poverty_rate_persons'], lang)} extremely poor "
            f"(below {rupiah(settings.extreme_poverty_line_idr, lang)}).",
        ),
    ]
    if not report.is_regency:
        bullets[-1] += " " + report.tr(
            f"Angka kabupaten: {percent(regency['poverty_rate_persons'], lang)} dan "
            f"{percent(regency['extreme_poverty_rate_persons'], lang)}.",
            f"Regency: {percent(regency['poverty_rate_persons'], lang)} and "
            f"{percent(regency['extreme_poverty_rate_persons'], lang)}.",
        )
    bullets.append(
        report.tr(
            f"<b>Kesalahan inklusi PKH: {percent(pkh['inclusion_error'], lang)}</b> penerima PKH "
            f"dalam sampel sebenarnya tidak miskin; <b>kesalahan eksklusi: "
            f"{percent(pkh['exclusion_error'], lang)}</b> rumah tangga miskin tidak menerima PKH.",
            f"<b>PKH inclusion error: {percent(pkh['inclusion_error'], lang)}</b> of PKH "
            "recipients "
            f"in the sample are not poor; <b>exclusion error: "
            f"{percent(pkh['exclusion_error'], lang)}</b> of poor households do not receive PKH.",
        )
    )
    if not report.is_regency:
        bullets[-1] += " " + report.tr(
            f"Kabupaten: {percent(pkh_regency['inclusion_error'], lang)} dan "
            f"{percent(pkh_regency['exclusion_error'], lang)}.",
            f"Regency: {percent(pkh_regency['inclusion_error'], lang)} and "
            f"{percent(pkh_regency['exclusion_error'], lang)}.",
        )
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
    pkh = report.errors_of(report.area_code, "pkh")
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
    if not report.is_regency:
        text += report.tr(
            "Dengan sampel sekecil ini angka kecamatan dapat meleset beberapa poin persen dari "
            "nilai sebenarnya, dan selisih kecil dengan kabupaten atau kecamatan lain belum tentu "
            "nyata. ",
            "With a sample this small a kecamatan figure can be several percentage points off "
            "the true value, and a small gap to the regency or to other kecamatan may not be "
            "real. ",
        )
    n_rec, n_poor = int(pkh["survey_recipients"]), int(pkh["survey_poor_households"])
    text += report.tr(
        f"Kesalahan inklusi PKH dihitung dari {number(n_rec, lang)} penerima sampel dan kesalahan "
        f"eksklusi dari {number(n_poor, lang)} rumah tangga miskin sampel",
        f"The PKH inclusion error rests on {number(n_rec, lang)} sample recipients and the "
        f"exclusion error on {number(n_poor, lang)} poor sample households",
    )
    if min(n_rec, n_poor) < SMALL_SAMPLE_HOUSEHOLDS:
        text += report.tr(
            f" (kurang dari {SMALL_SAMPLE_HOUSEHOLDS}: sampel kecil, anggap angka ini petunjuk "
            "kasar saja). ",
            f" (fewer than {SMALL_SAMPLE_HOUSEHOLDS}: small samples, take these figures as a rough "
            "indication only). ",
        )
    else:
        text += ". "
    text += report.tr(
        "Rentang ketidakpastian (interval kepercayaan) belum dihitung: akan ditambahkan bersama "
        "model kesalahan penargetan.",
        "Uncertainty ranges (confidence intervals) are not computed yet: they come with the "
        "targeting-error model.",
    )
    return text


def show_summary(report: Report) -> None:
    """The key numbers in words, with how far they can be trusted."""
    items = "".join(f"<li>{b}</li>" for b in _summary_bullets(report))
    _show(
        _h(2, report.tr("Ringkasan", "Summary")),
        f"<ul>{items}</ul>",
        _p(html.escape(_uncertainty_words(report)), "konsel-note"),
    )


def _error_rows(report: Report, area_code: str) -> list[list[str]]:
    lang = report.language
    rows = []
    for programme in ("pkh", "bpnt", "pkh_or_bpnt"):
        e = report.errors_of(area_code, programme)
        rows.append(
            [
                programme_name(programme, lang),
                percent(e["inclusion_error"], lang),
                number(e["survey_recipients"], lang),
                percent(e["exclusion_error"], lang),
                number(e["survey_poor_households"], lang),
            ]
        )
    return rows


def show_targeting_errors(report: Report) -> None:
    """Measured inclusion and exclusion errors, this area against the regency and the others."""
    lang = report.language
    header = [
        report.tr("Program", "Programme"),
        report.tr("Kesalahan inklusi", "Inclusion error"),
        report.tr("dari … penerima sampel", "from … sample recipients"),
        report.tr("Kesalahan eksklusi", "Exclusion error"),
        report.tr("dari … rumah tangga miskin sampel", "from … poor sample households"),
    ]
    parts = [
        _h(2, report.tr("Kesalahan penargetan", "Targeting errors")),
        _p(
            html.escape(
                report.tr(
                    "Kesalahan inklusi: bagian penerima yang sebenarnya tidak miskin (pengeluaran "
                    "per orang di atas garis kemiskinan). Kesalahan eksklusi: bagian rumah tangga "
                    "miskin yang tidak menerima. Keduanya diukur dari survei, tertimbang.",
                    "Inclusion error: the share of recipients who are not poor (spending per "
                    "person above the poverty line). Exclusion error: the share of poor households "
                    "who do not receive. Both are measured in the survey, weighted.",
                )
            )
        ),
    ]
    if report.is_regency:
        parts.append(_table(header, _error_rows(report, REGENCY_CODE)))
    else:
        parts.append(
            _table(
                header,
                [
                    [f"{r[0]} – {report.area_name}", *r[1:]]
                    for r in _error_rows(report, report.area_code)
                ]
                + [[f"{r[0]} – {REGENCY_NAME}", *r[1:]] for r in _error_rows(report, REGENCY_CODE)],
            )
        )
    names = report.summary["area_name"]
    fig = charts.plot_errors_by_kecamatan(
        report.errors, names, lang, highlight=None if report.is_regency else report.area_code
    )
    alt = report.tr(
        "Titik per kecamatan: kesalahan inklusi dan eksklusi PKH dan BPNT; garis putus-putus "
        "menunjukkan angka kabupaten.",
        "Dots per kecamatan: inclusion and exclusion error of PKH and BPNT; dashed lines show "
        "the regency figure.",
    )
    caption = report.tr(
        f"Setiap titik kecamatan berasal dari sampel kecil (biasanya 5–30 rumah tangga): "
        f"perbedaan kecil antar kecamatan belum tentu nyata. Titik yang tidak tampak dihitung "
        f"dari kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga dan disembunyikan.",
        f"Each kecamatan dot rests on a small sample (usually 5–30 households): small gaps "
        f"between kecamatan may not be real. Missing dots rest on fewer than "
        f"{MIN_CELL_HOUSEHOLDS} households and are hidden.",
    )
    if not report.is_regency:
        caption = (
            report.tr(
                f"Kecamatan {report.area_name} diberi latar kuning. ",
                f"Kecamatan {report.area_name} is shaded yellow. ",
            )
            + caption
        )
    parts.append(charts.figure_html(fig, alt, caption))
    _show(*parts)


def show_welfare_distribution(report: Report) -> None:
    """Where recipients and non-recipients stand against the two poverty lines."""
    lang = report.language
    settings = report.inputs.settings
    bands = report.bands[report.bands["area_code"] == report.area_code]
    fig = charts.plot_welfare_bands(bands, settings, lang)
    # The share of recipients above the poverty line is the inclusion error of "PKH or
    # BPNT", known even where the bands themselves are hidden.
    above = report.errors_of(report.area_code, "pkh_or_bpnt")["inclusion_error"]
    words = report.tr(
        "Batang menunjukkan bagaimana rumah tangga penerima PKH atau BPNT (biru) dan bukan "
        "penerima (abu-abu) tersebar menurut pengeluaran per orang per bulan. Garis merah "
        "putus-putus adalah "
        f"garis kemiskinan ekstrem ({rupiah(settings.extreme_poverty_line_idr, lang)}) dan garis "
        f"kemiskinan ({rupiah(settings.poverty_line_idr, lang)}). Penerima di sebelah kanan garis "
        "kemiskinan adalah kesalahan inklusi.",
        "The bars show how households receiving PKH or BPNT (blue) and the others (grey) spread "
        "over spending per person per month. The dashed red lines are the extreme poverty line "
        f"({rupiah(settings.extreme_poverty_line_idr, lang)}) and the poverty line "
        f"({rupiah(settings.poverty_line_idr, lang)}). Recipients right of the poverty line are "
        "inclusion errors.",
    )
    if not np.isnan(above):
        words += " " + report.tr(
            f"Di sini {percent(above, lang)} penerima berada di atas garis kemiskinan.",
            f"Here {percent(above, lang)} of recipients are above the poverty line.",
        )
    caption = report.tr(
        f"* disembunyikan: kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga sampel.",
        f"* hidden: fewer than {MIN_CELL_HOUSEHOLDS} sample households.",
    )
    alt = report.tr(
        "Diagram batang: persentase penerima dan bukan penerima menurut kelompok pengeluaran.",
        "Bar chart: percentage of recipients and non-recipients by band of spending.",
    )
    _show(
        _h(
            2,
            report.tr(
                "Sebaran kesejahteraan penerima dan bukan penerima",
                "Welfare of recipients and non-recipients",
            ),
        ),
        _p(html.escape(words)),
        charts.figure_html(fig, alt, caption),
    )


def show_coverage_curve(report: Report) -> None:
    """How many of the poor a programme reaches for the households it covers."""
    lang = report.language
    points_ = report.coverage[report.coverage["area_code"] == report.area_code]
    errors = report.errors[report.errors["area_code"] == report.area_code]
    poor_share = float(report.area["poverty_rate_households"])
    if np.isnan(poor_share):
        poor_share = 0.0
    fig = charts.plot_coverage(points_, errors, poor_share, lang)
    pkh = report.errors_of(report.area_code, "pkh")
    words = report.tr(
        "Kurva cakupan: sumbu mendatar adalah bagian semua rumah tangga yang menerima, sumbu tegak "
        "bagian rumah tangga miskin yang menerima. Garis hijau adalah penargetan sempurna (semua "
        "bantuan ke rumah tangga miskin), garis titik-titik adalah pembagian acak. Survei tidak "
        "memuat desil DTSEN, jadi kurva biru mengurutkan rumah tangga menurut jumlah program yang "
        "mereka terima (PKH, BPNT, PBI-JK, BLT-DD). Kurva menurut skor PMT akan ditambahkan "
        "setelah model PMT selesai.",
        "Coverage curve: across, the share of all households that receive; up, the share of poor "
        "households that receive. The green line is perfect targeting (all help to the poor), the "
        "dotted line random allocation. The survey has no DTSEN desil, so the blue curve ranks "
        "households by the number of programmes they receive (PKH, BPNT, PBI-JK, BLT-DD). A curve "
        "by PMT score will be added when the PMT is finished.",
    )
    if not np.isnan(pkh["coverage_poor"]):
        words += " " + report.tr(
            f"PKH menjangkau {percent(pkh['coverage_households'], lang)} rumah tangga dan "
            f"{percent(pkh['coverage_poor'], lang)} rumah tangga miskin.",
            f"PKH reaches {percent(pkh['coverage_households'], lang)} of households and "
            f"{percent(pkh['coverage_poor'], lang)} of poor households.",
        )
    alt = report.tr(
        "Kurva cakupan: bagian rumah tangga miskin yang terjangkau terhadap bagian semua rumah "
        "tangga yang terjangkau.",
        "Coverage curve: share of poor households reached against share of all households reached.",
    )
    _show(
        _h(2, report.tr("Kurva cakupan", "Coverage curve")),
        _p(html.escape(words)),
        charts.figure_html(fig, alt),
    )


def show_desa_breakdown(report: Report) -> None:
    """Households and programme shares per desa (register); small cells hidden."""
    lang = report.language
    desa = report.desa[report.desa["kecamatan_code"] == report.area_code]
    header = [
        report.tr("Desa/kelurahan", "Village"),
        report.tr("Rumah tangga", "Households"),
        report.tr("Jiwa", "People"),
        report.tr(
            f"Desil 1–{report.inputs.settings.eligible_desil_max}",
            f"Desil 1–{report.inputs.settings.eligible_desil_max}",
        ),
        "PKH",
        "BPNT",
        "PBI-JK",
        "BLT-DD",
    ]
    rows = []
    for _, d in desa.iterrows():
        kind = report.tr("kel.", "kel.") if d["is_kelurahan"] else ""
        rows.append(
            [
                f"{d['village_name']} {kind}".strip(),
                number(d["households"], lang),
                number(d["persons"], lang),
                *(
                    percent(d[c], lang, 0)
                    for c in (
                        "share_desil_eligible",
                        "share_pkh",
                        "share_bpnt",
                        "share_pbi_jk",
                        "share_blt_dd",
                    )
                ),
            ]
        )
    note = report.tr(
        "Dari register (semua rumah tangga). Persentase adalah bagian rumah tangga desa. "
        f"Tanda {SUPPRESSED} berarti angka disembunyikan karena dihitung dari kurang dari "
        f"{MIN_CELL_HOUSEHOLDS} rumah tangga.",
        "From the register (every household). Percentages are shares of the village's "
        f"households. {SUPPRESSED} means hidden because it rests on fewer than "
        f"{MIN_CELL_HOUSEHOLDS} households.",
    )
    _show(
        _h(2, report.tr("Rincian per desa", "Villages")),
        _p(html.escape(note)),
        _table(header, rows),
    )


def show_kecamatan_table(report: Report) -> None:
    """All kecamatan side by side: register size, sample, poverty and PKH errors."""
    lang = report.language
    header = [
        "Kecamatan",
        report.tr("Rumah tangga (register)", "Households (register)"),
        report.tr("Sampel survei", "Survey sample"),
        report.tr("Penduduk miskin", "Poor people"),
        report.tr("Miskin ekstrem", "Extreme poor"),
        report.tr("Inklusi PKH", "PKH inclusion"),
        report.tr("Eksklusi PKH", "PKH exclusion"),
        report.tr("PKH di luar desil 1–4", "PKH outside desil 1–4"),
    ]
    rows = []
    for code, s in report.summary.iterrows():
        e = report.errors_of(code, "pkh")
        name = s["area_name"] if code != REGENCY_CODE else report.tr("Kabupaten", "Regency")
        rows.append(
            [
                f"{code} {name}",
                number(s["households"], lang),
                number(s["survey_households"], lang),
                percent(s["poverty_rate_persons"], lang),
                percent(s["extreme_poverty_rate_persons"], lang),
                percent(e["inclusion_error"], lang),
                percent(e["exclusion_error"], lang),
                percent(s["share_pkh_outside_eligible_desil"], lang),
            ]
        )
    fig = charts.plot_poverty_by_kecamatan(report.summary.reset_index(), lang)
    alt = report.tr(
        "Diagram batang: persentase penduduk miskin per kecamatan.",
        "Bar chart: percentage of poor people per kecamatan.",
    )
    caption = report.tr(
        "n = jumlah rumah tangga sampel survei di kecamatan. Dengan sampel sekecil ini, urutan "
        "kecamatan yang berdekatan belum tentu nyata.",
        "n = survey sample households in the kecamatan. With samples this small, the order of "
        "neighbouring kecamatan may not be real.",
    )
    _show(
        _h(2, report.tr("Semua kecamatan", "All kecamatan")),
        _table(header, rows),
        _h(3, report.tr("Penduduk miskin per kecamatan", "Poor people by kecamatan")),
        charts.figure_html(fig, alt, caption),
    )


def show_priority_households(report: Report) -> None:
    """Top households by verification priority (pseudonymous ids, reason codes): needs the PMT.

    When the targeting step writes a ``priority_households`` table (pseudonymous
    household key, reason codes; never a NIK or a name), draw it here.
    """
    _show(_h(2, report.tr("Rumah tangga prioritas verifikasi", "Households to verify first")))
    _not_yet_available(
        report,
        "daftar rumah tangga prioritas (kode samaran dan alasan)",
        "list of priority households (pseudonymous ids and reason codes)",
        "Bagian ini memerlukan model PMT (proxy-means test) dan model kesalahan penargetan, yang "
        "sedang dikembangkan.",
        "This section needs the proxy-means test (PMT) and the targeting-error model, which are "
        "being built.",
    )


def show_verification_allocation(report: Report) -> None:
    """How many verification visits this area gets from the budget: needs the targeting model."""
    lang = report.language
    budget = report.inputs.settings.verification_budget_visits
    heading = report.tr(
        "Pembagian anggaran verifikasi" if report.is_regency else "Alokasi verifikasi",
        "Verification budget split" if report.is_regency else "Verification allocation",
    )
    _show(_h(2, heading))
    _not_yet_available(
        report,
        f"pembagian {number(budget, lang)} kunjungan verifikasi per putaran",
        f"split of {number(budget, lang)} verification visits per round",
        "Pembagian kunjungan mengikuti perkiraan kesalahan penargetan per kecamatan dari model "
        "kesalahan penargetan, yang sedang dikembangkan.",
        "The split follows the expected targeting errors per kecamatan from the targeting-error "
        "model, which is being built.",
    )


def show_impact_simulation(report: Report) -> None:
    """What re-verification would change (poverty gap, errors, budget): needs the PMT."""
    _show(_h(2, report.tr("Simulasi dampak", "Impact simulation")))
    _not_yet_available(
        report,
        "simulasi dampak verifikasi ulang",
        "impact simulation of re-verification",
        "Simulasi memerlukan skor PMT dan model kesalahan penargetan, yang sedang dikembangkan.",
        "The simulation needs the PMT score and the targeting-error model, which are being built.",
    )


def show_pmt_model_card(report: Report) -> None:
    """The PMT's model card (fit, validation, calibration): needs the PMT."""
    _show(_h(2, report.tr("Kartu model PMT", "PMT model card")))
    _not_yet_available(
        report,
        "kartu model PMT (variabel, ketepatan di luar sampel, kalibrasi)",
        "PMT model card (variables, out-of-sample accuracy, calibration)",
        "Bagian ini memerlukan model PMT, yang sedang dikembangkan.",
        "This section needs the PMT, which is being built.",
    )


def show_methods_note(report: Report) -> None:
    """Where the numbers come from and what they do not yet include."""
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
            "Semua angka survei adalah perkiraan titik. Interval kepercayaan (bootstrap atas desa "
            "sampel) dan penghalusan untuk kecamatan bersampel kecil belum dihitung: keduanya "
            "datang bersama model kesalahan penargetan. Karena itu laporan ini menyebut ukuran "
            "sampel di samping setiap angka.",
            "Every survey figure is a point estimate. Confidence intervals (bootstrap over sample "
            "villages) and shrinkage for kecamatan with small samples are not computed yet: both "
            "come with the targeting-error model. That is why this report gives the sample size "
            "next to each figure.",
        ),
        report.tr(
            f"Sel tabel atau batang diagram yang dihitung dari kurang dari {MIN_CELL_HOUSEHOLDS} "
            "rumah tangga disembunyikan. Laporan ini tidak memuat NIK maupun nama.",
            f"Table cells and chart bars built from fewer than {MIN_CELL_HOUSEHOLDS} households "
            "are "
            "hidden. This report holds no NIK and no name.",
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
