"""One function per report section: what the notebooks call.

A notebook opens its report (:func:`open_kecamatan_report` or
:func:`open_regency_report`) and then calls ``show_*`` functions in order. Each
displays its own heading, words, table and chart in the report's language, from
the cached report tables only: no section reads raw data, and none ever sees a
NIK or a name (households to verify are shown by pseudonymous key). Sections
drawn from the pipeline steps (PMT, expected errors, verification, impact) say
plainly what to run when their tables are missing (e.g. a notebook opened on
other data before ``konsel reports`` ran on it).
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
    ReportInputs,
    prepare_report_inputs,
    resolve_settings,
)
from konsel_analysis.reports.shaded import shaded_figure_html
from konsel_analysis.reports.step_tables import MISSING, OTHER_DATA
from konsel_analysis.reports.text import (
    SUPPRESSED,
    check_language,
    estimator_name,
    likely_between,
    number,
    percent,
    programme_name,
    rupiah,
    span,
    tr,
)
from konsel_analysis.targeting.measured import SHRINK_BELOW_HOUSEHOLDS

REGENCY_NAME = "Konawe Selatan"
#: Tables drawn from the pipeline steps' outputs (present once `konsel reports` ran).
STEP_TABLES = (
    "targeting_intervals",
    "expected_errors",
    "desa_expected_errors",
    "verification_allocation",
    "priority_households",
    "impact_simulation",
    "pmt_estimators",
    "pmt_summary",
    "pmt_curve",
    "intake_counts",
    "proxy_differences",
)


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
    steps: dict[str, pd.DataFrame]  # tables drawn from the pipeline steps, by name

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

    def table(self, name: str) -> pd.DataFrame | None:
        """A table from the pipeline steps, or ``None`` when it could not be built."""
        return self.steps.get(name)

    def row(self, name: str, area_code: str, **match: str) -> pd.Series | None:
        """The row of ``area_code`` (and ``match``) in a step table; ``None`` if absent."""
        table = self.table(name)
        if table is None:
            return None
        chosen = table["area_code"] == area_code
        for column, value in match.items():
            chosen &= table[column] == value
        return table[chosen].iloc[0] if chosen.any() else None

    def measured(self, area_code: str, programme: str) -> pd.Series:
        """Measured errors of a programme: with intervals when the targeting step ran.

        The estimate is then the targeting step's (shrunk towards the regency for
        small samples); otherwise the direct survey estimate without interval.
        """
        direct = self.errors_of(area_code, programme)
        ci = self.row("targeting_intervals", area_code, programme=programme)
        if ci is None:
            return direct.rename({"survey_recipients": "sampled_beneficiaries"}).rename(
                {"survey_poor_households": "sampled_poor"}
            )
        return pd.concat(
            [
                ci,
                pd.Series(
                    {
                        "direct_inclusion_error": direct["inclusion_error"],
                        "direct_exclusion_error": direct["exclusion_error"],
                    }
                ),
            ]
        )

    @property
    def kecamatan_names(self) -> pd.Series:
        """Kecamatan code -> name (the regency left out)."""
        return self.summary["area_name"].drop(REGENCY_CODE)


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
        steps={name: inputs.read(name) for name in STEP_TABLES if inputs.has(name)},
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
    cut from the build's two drawings of it (:mod:`konsel_analysis.reports.shaded`)."""
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
    if not report.is_regency:
        caption = (
            report.tr(
                f"Kecamatan {report.area_name} diberi latar kuning. ",
                f"Kecamatan {report.area_name} is shaded yellow. ",
            )
            + caption
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
    pmt_curve = report.table("pmt_curve") if report.is_regency else None
    fig = charts.plot_coverage(points_, errors, poor_share, lang, pmt_curve)
    pkh = report.errors_of(report.area_code, "pkh")
    words = report.tr(
        "Kurva cakupan: sumbu mendatar adalah bagian semua rumah tangga yang menerima, sumbu tegak "
        "bagian rumah tangga miskin yang menerima. Garis hijau adalah penargetan sempurna (semua "
        "bantuan ke rumah tangga miskin), garis titik-titik adalah pembagian acak. Survei tidak "
        "memuat desil DTSEN, jadi kurva biru mengurutkan rumah tangga menurut jumlah program yang "
        "mereka terima (PKH, BPNT, PBI-JK, BLT-DD).",
        "Coverage curve: across, the share of all households that receive; up, the share of poor "
        "households that receive. The green line is perfect targeting (all help to the poor), the "
        "dotted line random allocation. The survey has no DTSEN desil, so the blue curve ranks "
        "households by the number of programmes they receive (PKH, BPNT, PBI-JK, BLT-DD).",
    )
    if pmt_curve is not None:
        words += " " + report.tr(
            "Kurva ungu (titik-strip) mengurutkan rumah tangga menurut skor PMT terpilih, diuji di "
            "luar sampel (lihat kartu model PMT): semakin tinggi kurvanya, semakin banyak rumah "
            "tangga miskin yang terjangkau untuk jumlah penerima yang sama.",
            "The purple dash-dotted curve ranks households by the chosen PMT score, tested out of "
            "sample (see the PMT model card): the higher the curve, the more poor households are "
            "reached for the same number of recipients.",
        )
    elif not report.is_regency:
        words += " " + report.tr(
            "Kurva menurut skor PMT ada di laporan kabupaten: sampel satu kecamatan terlalu kecil "
            "untuk kurvanya sendiri.",
            "The curve by PMT score is in the regency report: one kecamatan's sample is too "
            "small for a curve of its own.",
        )
    if not np.isnan(pkh["coverage_poor"]):
        words += " " + report.tr(
            f"Dalam sampel, PKH menjangkau {percent(pkh['coverage_households'], lang)} rumah "
            f"tangga dan {percent(pkh['coverage_poor'], lang)} rumah tangga miskin.",
            f"In the sample, PKH reaches {percent(pkh['coverage_households'], lang)} of "
            f"households and {percent(pkh['coverage_poor'], lang)} of poor households.",
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
    expected = report.table("desa_expected_errors")
    if expected is not None:
        expected = expected.set_index("village_code")
        header += [
            report.tr("Perkiraan penerima tidak miskin", "Expected beneficiaries not poor"),
            report.tr("Perkiraan miskin tidak menerima", "Expected poor not receiving"),
            report.tr("Kunjungan verifikasi", "Verification visits"),
        ]
    rows = []
    for _, d in desa.iterrows():
        kind = report.tr("kel.", "kel.") if d["is_kelurahan"] else ""
        row = [
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
        if expected is not None:
            e = expected.reindex([d["village_code"]]).iloc[0]
            row += [
                number(e["expected_inclusion_errors"], lang),
                number(e["expected_exclusion_errors"], lang),
                number(e["visits"], lang),
            ]
        rows.append(row)
    note = report.tr(
        "Dari register (semua rumah tangga). Persentase adalah bagian rumah tangga desa. "
        f"Tanda {SUPPRESSED} berarti angka disembunyikan karena dihitung dari kurang dari "
        f"{MIN_CELL_HOUSEHOLDS} rumah tangga.",
        "From the register (every household). Percentages are shares of the village's "
        f"households. {SUPPRESSED} means hidden because it rests on fewer than "
        f"{MIN_CELL_HOUSEHOLDS} households.",
    )
    if expected is not None:
        note += " " + report.tr(
            "Perkiraan salah sasaran per desa adalah jumlah peluang tiap rumah tangga (tanpa "
            "rentang: di tingkat desa hanya perkiraan titik); kunjungan adalah rumah tangga desa "
            "yang masuk daftar kunjungan putaran ini.",
            "Expected errors per village add up each household's chance (no range: at village "
            "level a point estimate only); visits are the village's households on this round's "
            "visit list.",
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
        e = report.measured(code, "pkh")
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
    note = report.tr(
        "Kesalahan PKH: perkiraan dari survei; angka kecamatan bersampel kecil ditarik ke arah "
        "angka kabupaten (rentang dan rinciannya di bagian Kesalahan penargetan).",
        "PKH errors: survey estimates; kecamatan with small samples are pulled towards the "
        "regency value (ranges and details under Targeting errors).",
    )
    _show(
        _h(2, report.tr("Semua kecamatan", "All kecamatan")),
        _table(header, rows),
        _p(html.escape(note), "konsel-note")
        if report.table("targeting_intervals") is not None
        else "",
        _h(3, report.tr("Penduduk miskin per kecamatan", "Poor people by kecamatan")),
        charts.figure_html(fig, alt, caption),
    )


def _expected_row(report: Report, code: str, label: str) -> list[str]:
    lang = report.language
    e = report.row("expected_errors", code)
    if e is None:
        return [label, *[SUPPRESSED] * 9]
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
    if not report.is_regency:
        caption = (
            report.tr(
                f"Kecamatan {report.area_name} diberi latar kuning. ",
                f"Kecamatan {report.area_name} is shaded yellow. ",
            )
            + caption
        )
    _show(
        heading,
        _p(html.escape(explain)),
        _table(header, rows),
        _shaded_chart(
            report,
            "expected_errors",
            lambda h: charts.plot_expected_errors(expected, report.kecamatan_names, lang, h),
            alt,
            caption,
        ),
    )


def _allocation_words(report: Report, a: pd.Series, regency: pd.Series) -> str:
    lang, s = report.language, report.inputs.settings
    text = report.tr(
        f"Anggaran verifikasi putaran ini: {number(s.verification_budget_visits, lang)} kunjungan "
        f"rumah tangga untuk seluruh kabupaten. Setiap kecamatan mendapat sedikitnya "
        f"{number(s.min_visits_per_kecamatan, lang)} kunjungan; sisanya diberikan kepada rumah "
        "tangga dengan prioritas tertinggi di seluruh kabupaten, sehingga kecamatan dengan lebih "
        "banyak perkiraan salah sasaran mendapat lebih banyak kunjungan. ",
        f"This round's verification budget: {number(s.verification_budget_visits, lang)} "
        f"household visits for the whole regency. Every kecamatan gets at least "
        f"{number(s.min_visits_per_kecamatan, lang)} visits; the rest go to the households with "
        "the highest priority regency-wide, so kecamatan with more expected targeting errors get "
        "more visits. ",
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
        f"({percent(a['share_of_visits'], lang)} dari anggaran; urutan ke-"
        f"{number(a['rank_by_visits'], lang)} dari {n_kec} kecamatan). Kunjungan ini "
        f"diperkirakan menemukan sekitar <b>{number(a['expected_corrections'], lang)} salah "
        f"sasaran</b> ({number(a['corrections_per_100_visits'], lang)} per 100 kunjungan; "
        f"rata-rata kabupaten {number(regency['corrections_per_100_visits'], lang)}), bernilai "
        f"sekitar {rupiah(a['expected_value_idr_per_month'], lang)} per bulan (bantuan yang "
        "dipindahkan ke rumah tangga yang berhak; rumah tangga miskin ekstrem diberi bobot "
        "lebih).",
        f"Kecamatan {report.area_name} gets <b>{number(a['visits'], lang)} visits</b> "
        f"({percent(a['share_of_visits'], lang)} of the budget; number "
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
        report.tr("% anggaran", "% of budget"),
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


_IMPACT_ROWS = (
    # (column stem, how to show it, Indonesian label, English label)
    ("poverty_fgt0", "percent", "Penduduk miskin (P0)", "Poor people (P0)"),
    ("poverty_fgt1", "index", "Indeks kedalaman kemiskinan (P1)", "Poverty gap index (P1)"),
    ("poverty_fgt2", "index", "Indeks keparahan kemiskinan (P2)", "Poverty severity index (P2)"),
    ("extreme_fgt0", "percent", "Penduduk miskin ekstrem (P0)", "Extremely poor people (P0)"),
    ("extreme_fgt1", "index", "Kedalaman kemiskinan ekstrem (P1)", "Extreme poverty gap (P1)"),
    ("extreme_fgt2", "index", "Keparahan kemiskinan ekstrem (P2)", "Extreme poverty severity (P2)"),
)


def _impact_value(value: float, kind: str, language: str) -> str:
    if kind == "percent":
        return percent(value, language, 2)
    return number(100 * value, language, 2) if not np.isnan(value) else SUPPRESSED


def _sample_count(n: int, language: str) -> str:
    """A count of sample households, shown as "< 5" when it is one to four."""
    return f"< {MIN_CELL_HOUSEHOLDS}" if 0 < n < MIN_CELL_HOUSEHOLDS else number(n, language)


def _impact_table(report: Report, area_code: str) -> str:
    lang = report.language
    rows_ = report.table("impact_simulation")
    by = rows_[rows_["area_code"] == area_code].set_index("scenario")
    verified, model = by.loc["verified"], by.loc["model only"]
    header = [
        "",
        report.tr("Sekarang", "Now"),
        report.tr("Setelah verifikasi lapangan", "After field verification"),
        report.tr("Setelah mencoret menurut model saja", "After acting on the model alone"),
    ]
    rows = [
        [
            report.tr(label_id, label_en),
            _impact_value(verified[f"{stem}_before"], kind, lang),
            _impact_value(verified[f"{stem}_after"], kind, lang),
            _impact_value(model[f"{stem}_after"], kind, lang),
        ]
        for stem, kind, label_id, label_en in _IMPACT_ROWS
    ]
    rows += [
        [
            report.tr(
                "Penduduk miskin ekstrem terangkat di atas garis (orang)",
                "Extremely poor people lifted above the line",
            ),
            "",
            number(verified["extreme_poor_lifted_persons"], lang),
            number(model["extreme_poor_lifted_persons"], lang),
        ],
        [
            report.tr(
                "Penduduk jatuh di bawah garis kemiskinan ekstrem (orang)",
                "People pushed below the extreme poverty line",
            ),
            "",
            number(verified["extreme_poor_added_persons"], lang),
            number(model["extreme_poor_added_persons"], lang),
        ],
        [
            report.tr(
                "Rumah tangga sampel: seluruhnya, lalu yang berubah",
                "Sample households: all, then those that change",
            ),
            number(verified["sampled_households"], lang),
            _sample_count(int(verified["sampled_households_changed"]), lang),
            _sample_count(int(model["sampled_households_changed"]), lang),
        ],
    ]
    return _table(header, rows)


def _direction(before: float, after: float, language: str) -> str:
    if np.isnan(after) or abs(after - before) < 5e-5:
        return tr(language, "hampir tidak mengubah", "barely changes")
    return (
        tr(language, "menurunkan", "lowers")
        if after < before
        else tr(language, "menaikkan", "raises")
    )


def _impact_words(report: Report) -> str:
    lang = report.language
    rows_ = report.table("impact_simulation")
    by = rows_[rows_["area_code"] == REGENCY_CODE].set_index("scenario")
    verified, model = by.loc["verified"], by.loc["model only"]
    before = verified["extreme_fgt0_before"]
    text = report.tr(
        f"Di tingkat kabupaten, verifikasi lapangan "
        f"{_direction(before, verified['extreme_fgt0_after'], lang)} kemiskinan ekstrem: dari "
        f"{percent(before, lang, 2)} menjadi {percent(verified['extreme_fgt0_after'], lang, 2)} "
        f"penduduk. Mencoret menurut model saja "
        f"{_direction(before, model['extreme_fgt0_after'], lang)} kemiskinan ekstrem, menjadi "
        f"{percent(model['extreme_fgt0_after'], lang, 2)}: ",
        f"For the regency, field verification "
        f"{_direction(before, verified['extreme_fgt0_after'], lang)} extreme poverty: from "
        f"{percent(before, lang, 2)} to {percent(verified['extreme_fgt0_after'], lang, 2)} of "
        f"people. Acting on the model alone "
        f"{_direction(before, model['extreme_fgt0_after'], lang)} extreme poverty, to "
        f"{percent(model['extreme_fgt0_after'], lang, 2)}: ",
    )
    text += report.tr(
        "tanpa kunjungan, sebagian penerima yang sebenarnya miskin ikut kehilangan bantuannya "
        "dan jatuh di bawah garis. Model membantu memilih siapa yang dikunjungi; keputusan tetap "
        "perlu kunjungan.",
        "without visits, some beneficiaries who are in fact poor lose their benefit too and "
        "fall below the line. The model helps choose whom to visit; decisions still need the "
        "visit.",
    )
    return text


def show_impact_simulation(report: Report) -> None:
    """Poverty before and after a correction round: field verification vs the model alone."""
    lang = report.language
    heading = _h(2, report.tr("Simulasi dampak", "Impact simulation"))
    table = report.table("impact_simulation")
    if table is None or report.row("impact_simulation", REGENCY_CODE) is None:
        _show(heading)
        _unavailable(
            report,
            "impact_simulation",
            "simulasi dampak verifikasi ulang",
            "impact simulation of re-verification",
        )
        return
    budget = number(report.inputs.settings.verification_budget_visits, lang)
    scenarios = [
        report.tr(
            f"<b>Verifikasi lapangan</b> (yang diusulkan): petugas mengunjungi {budget} rumah "
            "tangga menurut urutan prioritas. Penerima yang ternyata tidak miskin (dan tetap "
            "tidak miskin tanpa bantuan) kehilangan bantuannya; uangnya diberikan kepada rumah "
            "tangga miskin yang dikunjungi dan belum menerima, miskin ekstrem lebih dahulu.",
            f"<b>Field verification</b> (what is proposed): field workers visit {budget} "
            "households in priority order. Beneficiaries found not poor (and still not poor "
            "without the benefit) lose it; the money goes to the poor households visited that do "
            "not receive yet, extremely poor first.",
        ),
        report.tr(
            "<b>Model saja</b> (sebagai pembanding): tanpa kunjungan, setiap penerima yang menurut "
            "model lebih mungkin tidak miskin dicoret, dan uangnya diberikan kepada bukan penerima "
            "yang menurut model paling miskin.",
            "<b>Model alone</b> (for comparison): without visits, every beneficiary the model "
            "finds more likely not poor is removed, and the money goes to the non-beneficiaries "
            "the model ranks poorest.",
        ),
    ]
    intro = report.tr(
        "Dua cara memperbaiki salah sasaran PKH dan BPNT dengan anggaran yang sama (uang yang "
        "dicabut dari yang tidak berhak diberikan kepada yang berhak), disimulasikan pada "
        "rumah tangga survei:",
        "Two ways of correcting PKH and BPNT targeting errors on the same budget (money taken "
        "from those not entitled goes to those entitled), simulated on the survey households:",
    )
    caveat = report.tr(
        "P0: persentase penduduk di bawah garis; P1 (kedalaman): rata-rata jarak pengeluaran "
        "penduduk miskin dari garis; P2 (keparahan): sama, dengan bobot lebih bagi yang paling "
        "miskin (seperti BPS, × 100). Asumsi: bantuan seluruhnya dibelanjakan. Simulasi memakai "
        "survei, dan satu putaran verifikasi hanya menyentuh sedikit rumah tangga sampel: anggap "
        f'hasilnya sebagai petunjuk arah. Angka "setelah" disembunyikan ({SUPPRESSED}) bila '
        f"kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga sampel wilayah itu berubah; jumlah orang "
        f"yang terangkat atau jatuh disembunyikan bila berasal dari 1–{MIN_CELL_HOUSEHOLDS - 1} "
        "rumah tangga sampel.",
        "P0: share of people below the line; P1 (gap): the poor's average shortfall from the "
        "line; P2 (severity): the same, weighting the poorest more (as BPS does, × 100). "
        "Assumption: a benefit is spent in full. The simulation uses the survey, and one "
        "verification round touches few sample households: take the results as a direction. "
        f'Figures "after" are hidden ({SUPPRESSED}) where fewer than {MIN_CELL_HOUSEHOLDS} of '
        "the area's sample households change; counts of people lifted or pushed below are "
        f"hidden where they rest on 1–{MIN_CELL_HOUSEHOLDS - 1} sample households.",
    )
    parts = [
        heading,
        _p(html.escape(intro)),
        "<ul>" + "".join(f"<li>{s}</li>" for s in scenarios) + "</ul>",
        _p(html.escape(_impact_words(report))),
    ]
    if not report.is_regency:
        mine = report.row("impact_simulation", report.area_code, scenario="verified")
        parts.append(_h(3, f"Kecamatan {report.area_name}"))
        if mine is None:
            parts.append(
                _p(
                    html.escape(
                        report.tr(
                            "Tidak ada rumah tangga sampel survei di kecamatan ini.",
                            "No survey household was sampled in this kecamatan.",
                        )
                    )
                )
            )
        else:
            parts.append(_table_or_note(report))
    parts.append(_h(3, report.tr("Kabupaten Konawe Selatan", "Konawe Selatan regency")))
    parts.append(_impact_table(report, REGENCY_CODE))
    if report.is_regency:  # kecamatan reports show the regency's table; its chart is here
        rows_ = table[table["area_code"] == REGENCY_CODE]
        fig = charts.plot_impact(rows_, lang, report.tr("kabupaten", "regency"))
        alt = report.tr(
            "Diagram batang: persentase penduduk miskin dan miskin ekstrem sekarang, setelah "
            "verifikasi lapangan dan setelah mencoret menurut model saja.",
            "Bar chart: share of poor and extremely poor people now, after field verification "
            "and after acting on the model alone.",
        )
        parts.append(charts.figure_html(fig, alt))
    parts.append(_p(html.escape(caveat), "konsel-note"))
    _show(*parts)


def _table_or_note(report: Report) -> str:
    """This kecamatan's impact table, with a sentence when its sample says too little."""
    rows_ = report.table("impact_simulation")
    mine = rows_[rows_["area_code"] == report.area_code]
    note = ""
    if mine["is_suppressed"].astype(bool).any():
        note = _p(
            html.escape(
                report.tr(
                    f"Di sampel kecamatan ini kurang dari {MIN_CELL_HOUSEHOLDS} rumah tangga "
                    "berubah pada sedikitnya satu skenario: terlalu sedikit untuk angka kecamatan, "
                    'jadi angka "setelah" itu disembunyikan. Untuk perencanaan di kecamatan ini, '
                    "perkiraan salah sasaran di register dan alokasi kunjungan (di atas) lebih "
                    "tepat.",
                    f"Fewer than {MIN_CELL_HOUSEHOLDS} of this kecamatan's sample households "
                    "change in at least one scenario: too few for a kecamatan figure, so those "
                    '"after" figures are hidden. For planning in this kecamatan, the expected '
                    "errors in the register and the visit allocation (above) are more precise.",
                )
            )
        )
    return _impact_table(report, report.area_code) + note


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
    counts, differences = report.table("intake_counts"), report.table("proxy_differences")
    if counts is None or differences is None:
        _unavailable(report, "intake_counts", "pemeriksaan data masukan", "the input checks")
        return
    parts = [
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
            "bootstrap model ditambah keacakan tiap rumah tangga. Prioritas kunjungan: peluang "
            "salah sasaran × nilai bantuan yang dipindahkan (parameters.yml), miskin ekstrem "
            "diberi bobot lebih. Model PMT: validasi silang per desa dengan penimbang survei.",
            "Errors in the register: each household's chance of being poor from a model trained "
            "on the survey with the PMT's characteristics, receipt and kecamatan; 90% ranges "
            "from a bootstrap of the model plus each household's own chance. Visit priority: "
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
