"""``konsel score`` writes the plan; ``konsel verification simulate``/``import`` close the loop."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.privacy import find_personal_data
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.visit_plan import PLAN_COLUMNS
from konsel_analysis.verification.cli import BY_AREA_COLUMNS

CONFIG = str(CONFIGS_DIR / "konsel_survey.yml")


@pytest.fixture(scope="module")
def round_one(tmp_path_factory):
    root = tmp_path_factory.mktemp("round")
    data = generate_konsel(households=6_000, seed=5)
    write_konsel(data, root / "raw")
    raw = root / "raw"
    common = ["--survey", str(raw / "survey.parquet"), "--register", str(raw / "register.parquet")]
    common += ["--config", CONFIG, "--reps", "20", "--budget", "600"]
    common_score = [*common, "--audit-share", "0.2", "--min-per-area", "10"]
    assert main(["score", *common_score, "--out", str(root / "score"),
                 "--restricted-out", str(root / "restricted")]) == 0  # fmt: skip
    plan = root / "score/verification_plan.csv"
    assert main(["verification", "simulate", "--plan", str(plan), "--register",
                 str(raw / "register.parquet"), "--truth", str(raw / "register_truth.parquet"),
                 "--seed", "7", "--out", str(root / "results.xlsx")]) == 0  # fmt: skip
    return data, root, common


def run_import(root, common, results, out):
    args = ["verification", "import", "--results", str(results), "--plan",
            str(root / "score/verification_plan.csv"), *common, "--out", str(root / out),
            "--restricted-out", str(root / "restricted")]  # fmt: skip
    return main(args)


def test_score_writes_the_plan_with_the_audit_share(round_one):
    _, root, _ = round_one
    plan = pd.read_csv(root / "score/verification_plan.csv", dtype={"area": str})
    assert list(plan.columns) == PLAN_COLUMNS
    assert len(plan) == 600 and plan["is_audit"].sum() == 120
    assert (plan.loc[~plan["is_audit"], "inclusion_probability"] == 1).all()
    assert plan.loc[plan["is_audit"], "inclusion_probability"].between(0, 1, "right").all()
    # The field lists hold every planned visit and do not say which is an audit.
    lists = pd.concat(
        pd.read_csv(p, dtype=str) for p in (root / "restricted/verification_lists").glob("*.csv")
    )
    assert sorted(lists["ID rumah tangga"]) == sorted(plan["household_id"])
    assert not any("audit" in c.lower() or "acak" in c.lower() for c in lists.columns)


def test_import_writes_the_contract_and_plans_the_next_round(round_one):
    data, root, common = round_one
    assert run_import(root, common, root / "results.xlsx", "r1") == 0
    by_area = pd.read_csv(root / "r1/verification_by_area.csv", dtype={"area": str})
    assert list(by_area.columns) == BY_AREA_COLUMNS
    assert by_area["area"].tolist()[-1] == "ALL" and len(by_area) == 26
    total = by_area.set_index("area").loc["ALL"]
    assert total["planned_visits"] == 600 == total["visits_done"]
    assert total["estimated_inclusion_errors_low"] >= total["found_inclusion_errors"]
    assert total["estimated_inclusion_errors_low"] <= total["estimated_inclusion_errors"]
    assert total["estimated_inclusion_errors"] <= total["estimated_inclusion_errors_high"]
    summary = json.loads((root / "r1/round.json").read_text())
    assert summary["rows_accepted"] + summary["rows_rejected"] == summary["rows_read"] == 600
    # The next plan: the plan's format, none of the households met in round 1.
    next_plan = pd.read_csv(root / "r1/next_round_plan.csv", dtype={"area": str})
    assert list(next_plan.columns) == PLAN_COLUMNS and len(next_plan) == 600
    results = pd.read_excel(root / "results.xlsx", dtype=str)
    met = results.loc[
        results["Hasil kunjungan"].isin(
            ["Masih layak", "Tidak layak (mampu)", "Miskin, belum menerima"]
        ),
        "ID rumah tangga",
    ]
    assert not next_plan["household_id"].isin(set(met)).any()
    # Decisions per desa in the restricted folder; nothing personal in the outputs.
    decisions = list((root / "restricted/verification_decisions/round_1").glob("*.xlsx"))
    assert decisions
    sheets = pd.read_excel(decisions[0], sheet_name=None)
    assert list(sheets) == ["Usulan dikeluarkan", "Usulan ditambahkan", "Perbaikan data"]
    niks, names = data.register["nik_head"], data.register["name_head"]
    assert find_personal_data(root / "r1", niks, names) == []
    counts = pd.read_csv(root / "r1/decisions_by_area.csv", dtype={"area": str})
    benef = results["Status bantuan"] == "Penerima (KPM)"
    removed = (benef & (results["Hasil kunjungan"] == "Tidak layak (mampu)")).sum()
    assert counts["proposals_remove"].sum() == removed == total["found_inclusion_errors"]


def test_reruns_are_byte_identical(round_one):
    _, root, common = round_one
    if not (root / "r1").exists():  # the contract test imports it first
        assert run_import(root, common, root / "results.xlsx", "r1") == 0
    assert run_import(root, common, root / "results.xlsx", "again") == 0
    written = sorted(p for p in (root / "r1").rglob("*") if p.is_file())
    assert len(written) >= 7
    for path in written:
        assert path.read_bytes() == (root / "again" / path.relative_to(root / "r1")).read_bytes()


def test_a_round_with_half_the_kecamatan_returned(round_one):
    _, root, common = round_one
    results = pd.read_excel(root / "results.xlsx", dtype=str)
    areas = sorted(results["Kecamatan"].unique())
    returned = set(areas[::2])
    half = root / "half"
    half.mkdir()
    for area, rows in results.groupby("Kecamatan"):  # one returned list per kecamatan
        if area in returned:
            rows.to_excel(half / f"{area}.xlsx", index=False)
    assert run_import(root, common, half, "r_half") == 0
    by_area = pd.read_csv(root / "r_half/verification_by_area.csv", dtype={"area": str})
    by_area = by_area.set_index("area")
    kec = by_area.drop(index="ALL")
    done = kec.index.isin(returned)
    assert (kec.loc[~done, "visits_done"] == 0).all() and (
        kec.loc[~done, "planned_visits"] > 0
    ).all()
    assert kec.loc[~done, "estimated_inclusion_errors"].isna().all()
    assert kec.loc[done, "estimated_inclusion_errors"].notna().all()
    assert np.isfinite(by_area.loc["ALL", "estimated_inclusion_errors_high"])
    # The households not visited stay candidates for the next round.
    plan = pd.read_csv(root / "score/verification_plan.csv", dtype={"area": str})
    next_plan = pd.read_csv(root / "r_half/next_round_plan.csv", dtype={"area": str})
    not_returned = plan.loc[~plan["area"].isin(returned), "household_id"]
    assert next_plan["household_id"].isin(set(not_returned)).any()


def test_bad_results_file_exit_2_one_sentence_nothing_written(round_one, tmp_path, capsys):
    _, root, common = round_one
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"household_id": ["R000001"], "visit_date": ["2024-10-01"]}).to_csv(
        bad, index=False
    )
    out = tmp_path / "out"
    args = ["verification", "import", "--results", str(bad), "--plan",
            str(root / "score/verification_plan.csv"), *common, "--out", str(out)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "'outcome'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_report_section_shows_the_round_in_counts_only(round_one, monkeypatch):
    from types import SimpleNamespace

    from konsel_analysis import outputs
    from konsel_analysis.reports import verification_tables
    from konsel_analysis.reports.sections import verification_results as section
    from konsel_analysis.reports.sections.report import Report

    data, root, common = round_one
    if not (root / "r1").exists():
        assert run_import(root, common, root / "results.xlsx", "r1") == 0
    # The steps' outputs by registry name, in the folder this test imported to.
    steps = SimpleNamespace(path=lambda name: root / "r1" / outputs.output(name).file)
    tables = {
        "verification_results": verification_tables.tabulate_verification_results(
            SimpleNamespace(steps=steps)
        ),
        "verification_calibration": verification_tables.tabulate_verification_calibration(
            SimpleNamespace(steps=steps)
        ),
    }
    shown = []
    monkeypatch.setattr(section, "_show", lambda *parts: shown.append("\n".join(parts)))
    for code, language in (("74.05", "id"), ("74.05.01", "en")):
        report = SimpleNamespace(
            area_code=code,
            language=language,
            tr=lambda i, e, lang=language: i if lang == "id" else e,
            table=tables.get,
            row=lambda name, area, **_: Report.row(SimpleNamespace(table=tables.get), name, area),
        )
        section.show_verification_results(report)
    regency, kecamatan = shown
    by_area = pd.read_csv(root / "r1/verification_by_area.csv", dtype={"area": str})
    total = by_area.set_index("area").loc["ALL"]
    assert "Hasil verifikasi" in regency and "Perbandingan putaran" in regency
    assert f"<b>{int(total['found_inclusion_errors'])} penerima yang tidak layak</b>" in regency
    assert "Verification results" in kecamatan and "Round 2 is planned" in kecamatan
    ids = set(data.register["household_id"]) | set(data.register["nik_head"])
    for page in shown:
        assert not any(i in page for i in ids)
        assert not any(n in page for n in data.register["name_head"].head(200))


def test_the_rounds_tables_have_the_declared_columns(round_one):
    """Each CSV of an imported round has the columns konsel_analysis/outputs.py declares."""
    from konsel_analysis import outputs

    data, root, common = round_one
    if not (root / "r1").exists():  # the contract test imports it first
        assert run_import(root, common, root / "results.xlsx", "r1") == 0
    written = sorted((root / "r1").rglob("*.csv"))
    assert len(written) == 6
    for path in written:
        below = "/".join(path.relative_to(root / "r1").parts)
        declared = outputs.find(f"{outputs.STEP_FOLDERS['verification']}/{below}")
        assert declared is not None and declared.step == "verification", below
        found = tuple(pd.read_csv(path, nrows=0).columns)
        assert found == declared.expected_columns(), below
