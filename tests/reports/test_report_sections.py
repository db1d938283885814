"""The sections drawn from the pipeline steps: their numbers are the steps' own numbers.

Each check reads a step's output file directly (data/processed/...) and looks for
the value in the rendered HTML, formatted here by hand the Indonesian way
(``2.859``, ``33,4%``), not with the package's formatter.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.privacy import SECRET_KEY_FILE, pseudonymize

KEC = "74.05.01"
KEC_PAGE = "reports/kecamatan/74.05.01-tinanggea.html"


def _num(value: float) -> str:
    """83000 -> '83.000' (Indonesian thousands separator)."""
    return f"{value:,.0f}".replace(",", ".")


def _pct(share: float, decimals: int = 1) -> str:
    """0.3341 -> '33,4%'."""
    return f"{100 * share:.{decimals}f}".replace(".", ",") + "%"


def _page(built, relative: str) -> str:
    return (built.root / relative).read_text(encoding="utf-8")


def _csv(built, relative: str) -> pd.DataFrame:
    return pd.read_csv(built.root / "data/processed" / relative, dtype={"area": str})


def test_expected_register_errors_are_the_headline_and_match_the_score_step(built):
    expected = _csv(built, "score/expected_errors_by_area.csv").set_index("area")
    mine, regency = expected.loc[KEC], expected.loc["ALL"]
    page = _page(built, KEC_PAGE)
    summary = page[page.index("<h2>Ringkasan</h2>") :]
    first_bullet = summary[summary.index("<li>") : summary.index("</li>")]
    assert "Perkiraan salah sasaran di register" in first_bullet
    assert f"dari {_num(mine['beneficiaries'])} penerima PKH atau BPNT" in first_bullet
    assert f"sekitar <b>{_num(mine['expected_inclusion_errors'])} kemungkinan tidak" in first_bullet
    assert (
        f"antara {_num(mine['expected_inclusion_errors_low'])} dan "
        f"{_num(mine['expected_inclusion_errors_high'])}"
    ) in first_bullet
    assert f"<b>{_num(mine['expected_exclusion_errors'])} rumah tangga miskin" in first_bullet
    # The regency report carries the regency total, the index every kecamatan's.
    regency_page = _page(built, "reports/regency.html")
    assert f"sekitar <b>{_num(regency['expected_inclusion_errors'])} kemungkinan" in regency_page
    index = _page(built, "reports/index.html")
    cell = (
        f"{_num(mine['expected_inclusion_errors'])}<br>"
        f'<span class="konsel-range">{_num(mine["expected_inclusion_errors_low"])}–'
        f"{_num(mine['expected_inclusion_errors_high'])}</span>"
    )
    assert cell in index


def test_measured_errors_show_the_bootstrap_range_of_the_targeting_step(built):
    table = _csv(built, "targeting/targeting_by_area.csv")
    pkh = table[(table["program"] == "is_pkh_recipient") & (table["area"] == "ALL")].iloc[0]
    page = _page(built, "reports/regency.html")
    assert f"kesalahan inklusi PKH sekitar {_pct(pkh['inclusion_error'])}</b>" in page
    assert (
        f"antara {_pct(pkh['inclusion_error_low'])} dan {_pct(pkh['inclusion_error_high'])}"
    ) in page
    assert f"{_pct(pkh['exclusion_error_low'])[:-1]}–{_pct(pkh['exclusion_error_high'])}" in page


def test_a_kecamatan_with_too_few_sample_recipients_says_so_instead_of_a_number(built):
    table = _csv(built, "targeting/targeting_by_area.csv")
    mine = table[(table["program"] == "is_pkh_recipient") & (table["area"] == KEC)].iloc[0]
    assert mine["sampled_beneficiaries"] < 5  # the small regency's Tinanggea: 3 sampled
    page = _page(built, KEC_PAGE)
    assert "kesalahan inklusi PKH tidak ditampilkan (kurang dari 5 penerima PKH" in page
    assert "sekitar –" not in page and "antara – dan –" not in page


def test_the_verification_allocation_matches_the_score_step(built):
    allocation = _csv(built, "score/verification_allocation.csv").set_index("area")
    mine = allocation.loc[KEC]
    page = _page(built, KEC_PAGE)
    assert f"Kecamatan Tinanggea mendapat <b>{_num(mine['visits'])} kunjungan</b>" in page
    assert f"sekitar <b>{_num(mine['expected_corrections'])} salah sasaran</b>" in page
    share = mine["visits"] / allocation["visits"].sum()
    assert f"({_pct(share)} dari kunjungan prioritas" in page
    # The words split the budget as the plan does: priority visits shared out, audits drawn.
    plan = pd.read_csv(built.root / "data/processed/score/verification_plan.csv")
    priority, audits = int((~plan["is_audit"]).sum()), int(plan["is_audit"].sum())
    assert priority == allocation["visits"].sum() and audits > 0
    assert f"{_num(priority)} kunjungan prioritas, yang dibagi di bawah ini, dan " in page
    assert f"{_num(audits)} kunjungan audit yang dipilih secara acak" in page
    # The regency report lists every kecamatan's visits in its budget split.
    regency = _page(built, "reports/regency.html")
    split = regency[regency.index("<h2>Pembagian anggaran verifikasi</h2>") :]
    for code, row in allocation.iterrows():
        assert re.search(
            rf"{re.escape(code)} [^<]+</td><td[^>]*>[^<]*</td><td[^>]*>"
            rf"{re.escape(_num(row['visits']))}</td>",
            split,
        ), code


def _top_households(built) -> pd.DataFrame:
    scores = pd.read_parquet(built.root / "data/processed/score/register_scores.parquet")
    mine = scores[(scores["area"] == KEC) & (scores["rank_in_area"] <= 20)]
    return mine.sort_values("rank_in_area")


def test_households_to_verify_first_are_shown_by_pseudonymous_key_in_priority_order(built):
    top = _top_households(built)
    key = bytes.fromhex((built.root / SECRET_KEY_FILE).read_text().strip())
    keys = pseudonymize(top["household_id"], key)
    page = _page(built, KEC_PAGE)
    positions = [page.index(f">{k}<") for k in keys]
    assert len(positions) == 20 and positions == sorted(positions)
    for household, k in zip(top["household_id"], keys, strict=True):
        assert household not in k and k.startswith("RT-")
    # Chance of error and reasons of the first household, as the score step has them.
    first = top.iloc[0]
    row = page[positions[0] : page.index("</tr>", positions[0])]
    assert f">{_pct(first['p_error'], 0)}<" in row
    assert html.escape(first["reasons"]) in row
    # The field list for authorised staff carries the same key, to link the two; its
    # priority visits keep their order (the audit visits, unmarked, sit among them).
    field_list = pd.read_csv(
        built.root / "restricted/verification_lists/74.05.01-tinanggea.csv", dtype=str
    )
    plan = pd.read_csv(built.root / "data/processed/score/verification_plan.csv", dtype=str)
    audits = set(plan.loc[plan["is_audit"] == "True", "household_id"])
    priority = field_list[~field_list["ID rumah tangga"].isin(audits)]
    assert priority["Kode samaran (di laporan)"].head(20).tolist() == list(keys)
    assert "restricted/verification_lists/74.05.01-tinanggea.csv" in page


def test_no_household_id_reaches_reports_or_the_report_tables(built, register_household_ids):
    folders = [built.reports, built.root / "data/processed/report_inputs"]
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = path.read_bytes().decode("utf-8", errors="replace")
            leaked = set(re.findall(r"\bR\d{6}\b", text)) & register_household_ids
            assert not leaked, f"{path.relative_to(built.root)} holds household ids"


def test_the_impact_simulation_matches_the_impact_step(built):
    impact = _csv(built, "impact/impact_by_area.csv")
    regency = impact[impact["area"] == "ALL"].set_index("scenario")
    page = _page(built, "reports/regency.html")
    section = page[page.index("<h2>Simulasi dampak</h2>") :]
    for scenario, when in (("verified", "before"), ("verified", "after"), ("model only", "after")):
        value = regency.loc[scenario, f"extreme_fgt0_{when}"]
        assert f">{_pct(value, 2)}<" in section, (scenario, when)
    gap = regency.loc["model only", "poverty_fgt1_after"]
    assert f">{100 * gap:.2f}<".replace(".", ",") in section
    # A kecamatan with fewer than five changed sample households hides its "after" figures.
    mine = impact[impact["area"] == KEC].set_index("scenario")
    if (mine["sampled_households_changed"] < 5).any():
        kec = _page(built, KEC_PAGE)
        assert "terlalu sedikit untuk angka kecamatan" in kec


def test_the_pmt_model_card_matches_model_card_json(built):
    card = json.loads((built.root / "data/processed/pmt/model_card.json").read_text())
    best = card["best"]["name"]
    scores = card["estimators"][best]
    page = _page(built, "reports/regency.html")
    section = page[page.index("<h2>Kartu model PMT</h2>") :]
    assert "(dipilih)" in section and "Dipilih:" in section
    row = section[section.index("(dipilih)") : section.index("</tr>", section.index("(dipilih)"))]
    assert f">{_pct(scores['at_rate']['exclusion_error'])}<" in row
    assert f">{_pct(scores['at_rate']['inclusion_error'])}<" in row
    assert f">{scores['auc']:.3f}<".replace(".", ",") in row
    assert f"{card['data']['n']:,}".replace(",", ".") in section
    assert section.count("</tr>") >= len(card["estimators"])
    # The main job leaves the slowest estimators out by default: the page names them.
    assert card["left_out_estimators"] == ["quantile", "gradient_boosting", "random_forest"]
    intro = section[: section.index("(dipilih)")]
    assert "tidak diuji kali ini: regresi kuantil, gradient boosting" in intro
    assert "<code>konsel validate-pmt</code> menguji semuanya" in intro


@pytest.fixture
def captured(monkeypatch):
    """HTML the sections display, collected instead of shown."""
    from konsel_analysis.reports.sections import html_parts

    shown: list[str] = []
    monkeypatch.setattr(html_parts, "display", lambda obj: shown.append(obj.data))
    return shown


def test_a_shrunk_kecamatan_estimate_is_said_to_be_pulled_towards_the_regency(built, captured):
    from konsel_analysis.reports import sections

    report = sections.open_kecamatan_report(KEC, project_root=str(built.root))
    table = report.steps["targeting_intervals"]
    mine = (table["area_code"] == KEC) & (table["programme"] == "pkh")
    # As a kecamatan with 12 sampled recipients would have it: shown, and shrunk.
    table.loc[mine, ["inclusion_error", "inclusion_error_low", "inclusion_error_high"]] = [
        0.41,
        0.22,
        0.6,
    ]
    table.loc[mine, ["sampled_beneficiaries", "is_shrunk_inclusion"]] = [12, True]
    direct = report.errors_of(KEC, "pkh")["inclusion_error"]
    sections.show_summary(report)
    text = captured[-1]
    assert "kesalahan inklusi PKH sekitar 41,0%</b> (kemungkinan besar antara 22,0% dan 60,0%)" in (
        text
    )
    assert "ditarik ke arah angka kabupaten" in text
    if not np.isnan(direct):
        assert f"dari sampel saja {_pct(direct)}" in text


def test_a_section_whose_step_ran_on_other_data_says_so_and_shows_no_number(
    built, captured, tmp_path
):
    from konsel_analysis.reports import sections

    survey = pd.read_parquet(built.root / "data/raw/survey.parquet")
    survey.iloc[:-1].to_parquet(tmp_path / "survey.parquet")
    report = sections.open_kecamatan_report(
        KEC,
        project_root=str(built.root),
        survey_path=str(tmp_path / "survey.parquet"),
        inputs_dir=str(tmp_path / "inputs"),
    )
    sections.show_expected_errors(report)
    sections.show_priority_households(report)
    text = "".join(captured)
    assert text.count("Belum tersedia") == 2
    assert "dihitung dari file register atau survei yang lain" in text
    assert "RT-" not in text and "<table" not in text


def test_data_quality_counts_match_the_intake_step_and_warn_on_differences(built, captured):
    from konsel_analysis.reports import sections

    summary = _csv(built, "intake/intake_summary.csv").set_index("table")
    page = _page(built, KEC_PAGE)
    section = page[page.index("Kualitas data") :]
    reg = summary.loc["register"]
    assert (
        f"Register: {_num(reg['rows_read'])} baris dibaca, {_num(reg['accepted'])} dipakai, "
        f"{_num(reg['rejected'])} disisihkan"
    ) in section
    assert "Register dan survei sebanding" in section  # one population: no proxy differs
    # A register with far more refrigerators than the survey: the report warns and names it.
    report = sections.open_kecamatan_report(KEC, project_root=str(built.root))
    table = report.steps["proxy_differences"]
    fridge = table["proxy"] == "has_refrigerator"
    table.loc[fridge, ["register_mean", "std_difference", "differs"]] = [0.9, -1.23, True]
    sections.show_data_quality(report)
    text = html.unescape(captured[-1])
    assert "Peringatan: register berbeda dari survei" in text and "pada 1 proksi" in text
    assert "Lemari es" in text and "-1,23" in text and "0,90" in text


def test_fair_targeting_shows_the_group_figures_of_the_steps(built):
    """Issue 18: the regency report's "Keadilan sasaran" and each kecamatan's register table."""
    measured = pd.read_csv(
        built.root / "data/processed/targeting/targeting_by_group.csv", dtype={"level": str}
    )
    row = measured[
        (measured["program"] == "any")
        & (measured["group"] == "n_members_age_70_plus")
        & (measured["level"] == "1+")
    ].iloc[0]
    page = _page(built, "reports/regency.html")
    section = page[page.index("<h2>Keadilan sasaran") :]
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", section)]
    at = cells.index("Anggota umur 70+")
    assert cells[at + 1] == "ya" and cells[at + 3] == _pct(row["exclusion_error"])
    expected = pd.read_csv(
        built.root / "data/processed/score/expected_errors_by_group.csv",
        dtype={"area": str, "level": str},
    )
    mine = expected[
        (expected["area"] == KEC) & (expected["group"] == "is_urban") & (expected["level"] == "0")
    ].iloc[0]
    kec = _page(built, KEC_PAGE)
    part = kec[kec.index("Keadilan sasaran") :]
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", part)]
    at = next(i for i, c in enumerate(cells) if c == "Daerah" and cells[i + 1] == "perdesaan")
    assert cells[at + 2] == _num(mine["households"])
    assert cells[at + 3] == _num(mine["expected_exclusion_errors"])


def test_a_kecamatan_the_survey_cannot_inform_is_flagged_where_expected_errors_show(
    built, captured
):
    """expected_errors_by_area flags a kecamatan ``is_uninformed``: its row in the expected
    errors table carries the mark, the note under the table says why, the summary repeats
    it; an unflagged kecamatan's report shows neither. (Indonesian only: an English
    report would add English drawings to the build that test_shaded counts; the English
    wording is checked on its own below.)"""
    from konsel_analysis.reports import sections

    marked, note = "Tinanggea †", "Survei hanya mengambil sedikit penerima"
    report = sections.open_kecamatan_report(KEC, project_root=str(built.root))
    table = report.steps["expected_errors"]
    assert "is_uninformed" in table and "interval_note" in table  # written by the score step
    table["is_uninformed"] = False
    sections.show_expected_errors(report)
    sections.show_summary(report)
    assert note not in "".join(captured) and "†" not in "".join(captured)
    captured.clear()
    table["is_uninformed"] = table["area_code"] == KEC
    sections.show_expected_errors(report)
    sections.show_summary(report)
    shown = "".join(captured)
    assert f">{marked}</" in shown
    assert shown.count(note) == 2  # under the table and in the summary


def test_the_uninformed_note_has_both_languages():
    from konsel_analysis.reports.text import uninformed_interval_note

    assert uninformed_interval_note("en").startswith("† The survey sampled few beneficiaries")
    assert uninformed_interval_note("id").startswith("† Survei hanya mengambil sedikit penerima")
