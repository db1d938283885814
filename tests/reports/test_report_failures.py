"""One kecamatan failing: the others still render, the index says which failed and why."""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest

BROKEN, HEALTHY = "74.05.02", "74.05.11"


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory, konsel_project, reports_runner):
    """A register in which Angata (74.05.02) has no household, built in English."""
    make_project, _ = konsel_project
    root = make_project(tmp_path_factory.mktemp("konsel-broken"))
    for table in ("register", "survey"):
        path = root / "data" / "raw" / f"{table}.parquet"
        frame = pd.read_parquet(path)
        frame[frame["kecamatan_code"] != BROKEN].to_parquet(path)
    code, out, err = reports_runner(root, only=[BROKEN, HEALTHY], language="en")
    return root, code, out, err


def test_the_command_exits_non_zero_with_a_summary(broken_build):
    _, code, out, _ = broken_build
    assert code == 1
    assert "2 of 3 reports built" in out
    assert f"FAILED {BROKEN} Angata" in out
    assert "no household in the register" in out
    assert "Traceback" not in out


def test_the_other_reports_still_render(broken_build):
    root, *_ = broken_build
    assert (root / "reports/kecamatan/74.05.11-laonti.html").is_file()
    assert (root / "reports/regency.html").is_file()
    assert not (root / "reports/kecamatan/74.05.02-angata.html").exists()


def test_the_failed_notebook_is_kept_for_audit(broken_build):
    root, *_ = broken_build
    assert (root / "reports/executed/kecamatan/74.05.02-angata.ipynb").is_file()


def test_the_index_marks_the_failure_with_its_error(broken_build):
    root, *_ = broken_build
    index = (root / "reports/index.html").read_text(encoding="utf-8")
    assert "failed" in index and "no household in the register" in index
    assert 'href="kecamatan/74.05.11-laonti.html"' in index
    assert 'href="kecamatan/74.05.02-angata.html"' not in index
    status = json.loads((root / "reports/build.json").read_text())
    errors = {r["code"]: r["error"] for r in status["reports"]}
    assert errors[HEALTHY] is None and "UserError" in errors[BROKEN]


def test_english_reports_are_in_english(broken_build):
    root, *_ = broken_build
    page = (root / "reports/kecamatan/74.05.11-laonti.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "<h2>Summary</h2>" in page and "<h2>Households to verify first</h2>" in page
    assert "Expected targeting errors in the register" in page and "most likely between" in page
    assert "Not yet available" not in page
    assert "Ringkasan" not in page and "Belum tersedia" not in page
    assert "<h2>Data quality</h2>" in page and "Kualitas data" not in page
    # Reason codes in English too (the field lists keep Bahasa Indonesia).
    priority = pd.read_csv(root / "data/processed/report_inputs/priority_households.csv", dtype=str)
    first = priority[priority["area_code"] == HEALTHY].iloc[0]
    assert html.escape(first["reasons_en"]) in page
    assert html.escape(first["reasons_id"]) not in page


def test_the_pipeline_runs_without_the_missing_kecamatan(broken_build):
    root, _, out, _ = broken_build
    assert "[done] register scoring" in out
    expected = pd.read_csv(root / "data/processed/score/expected_errors_by_area.csv", dtype=str)
    assert BROKEN not in set(expected["area"]) and HEALTHY in set(expected["area"])
    index = (root / "reports/index.html").read_text(encoding="utf-8")
    assert "Register: beneficiaries probably not poor" in index
