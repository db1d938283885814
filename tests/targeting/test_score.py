"""`konsel score`: reason codes, the output contract, field lists, and the visit rules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from konsel_analysis.cli import main
from konsel_analysis.geography import load_villages
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.privacy import find_personal_data
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.reasons import proxy_contributions, reason_texts

# Judging visit lists against the truth is the benchmark's (benchmarks/visit_rules.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from visit_rules import (  # noqa: E402
    compare_visit_rules,
    corrections_per_1000_visits,
    desil_visits,
)

CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def test_contributions_sum_the_terms_of_each_proxy():
    # Terms: size, size^2, floor=ceramic, has_car; coefficients 0.1, -0.01, 0.3, 0.5;
    # survey means 4, 18, 0.25, 0.1. Household: size 2, ceramic floor, a car.
    Z = np.array([[2.0, 4.0, 1.0, 1.0]])
    coef = np.array([0.1, -0.01, 0.3, 0.5])
    reference = np.array([4.0, 18.0, 0.25, 0.1])
    contrib, proxies = proxy_contributions(
        Z, coef, reference, ["size", "size^2", "floor=ceramic", "has_car"]
    )
    assert proxies == ["size", "floor", "has_car"]
    # size: 0.1*(2-4) - 0.01*(4-18) = -0.2 + 0.14 = -0.06; floor: 0.3*0.75; car: 0.5*0.9
    np.testing.assert_allclose(contrib, [[-0.06, 0.225, 0.45]])


def test_reason_texts_in_bahasa_indonesia_in_the_asked_direction():
    X = pd.DataFrame(
        {
            "has_refrigerator": [1.0, 0.0],
            "floor_material": ["ceramic", "earth"],
            "household_size": [3.0, 9.0],
        }
    )
    contrib = np.array([[0.3, 0.2, 0.05], [-0.2, -0.3, -0.4]])
    proxies = ["has_refrigerator", "floor_material", "household_size"]
    texts = reason_texts(contrib, proxies, X, push_up=np.array([True, False]), n_reasons=2)
    assert texts[0] == "Lemari es: ya; lantai keramik"
    assert texts[1] == "Jumlah anggota rumah tangga: 9; lantai tanah"
    english = reason_texts(contrib, proxies, X, push_up=np.array([True, False]), language="en")
    assert english[0].startswith("Refrigerator: yes; ceramic tile floor")


def test_desil_rule_and_counting_by_hand():
    # Beneficiary in desil 9 (score 9), non-beneficiary in desil 1 (score 10),
    # beneficiary in desil 2 (2), non-beneficiary in desil 8 (3): budget 2 takes the first two.
    chosen = desil_visits([9, 1, 2, 8], [True, False, True, False], budget=2)
    assert chosen.tolist() == [True, True, False, False]
    # Errors: a non-poor beneficiary (1) and a poor non-beneficiary (2): both corrected.
    assert (
        corrections_per_1000_visits(chosen, [True, False, True, False], [False, True, True, False])
        == 1000.0
    )


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    root = tmp_path_factory.mktemp("score")
    data = generate_konsel(households=20_000, seed=17)
    write_konsel(data, root / "raw")
    code = main(
        [
            "score",
            "--survey",
            str(root / "raw/survey.parquet"),
            "--register",
            str(root / "raw/register.parquet"),
            "--config",
            str(CONFIG),
            "--budget",
            "1000",
            "--reps",
            "30",
            "--out",
            str(root / "out"),
            "--restricted-out",
            str(root / "restricted"),
        ]
    )
    assert code == 0
    return data, root


def test_score_writes_the_contract(scored):
    _, root = scored
    scores = pd.read_parquet(root / "out/register_scores.parquet")
    for column in (
        "household_id",
        "area",
        "predicted_welfare",
        "p_poor",
        "p_extreme_poor",
        "is_beneficiary",
        "priority",
        "reasons",
    ):
        assert column in scores.columns
    assert len(scores) == 20_000 and scores["household_id"].is_unique
    assert scores["p_poor"].between(0, 1).all()
    expected = pd.read_csv(root / "out/expected_errors_by_area.csv", dtype={"area": str})
    for column in (
        "area",
        "beneficiaries",
        "expected_inclusion_errors",
        "expected_inclusion_errors_low",
        "expected_inclusion_errors_high",
        "expected_exclusion_errors",
        "expected_exclusion_errors_low",
        "expected_exclusion_errors_high",
    ):
        assert column in expected.columns
    allocation = pd.read_csv(root / "out/verification_allocation.csv", dtype={"area": str})
    # parameters.yml: 10% of the 1,000 visits are audits, the rest priority visits.
    assert allocation["visits"].sum() == 900 == scores["is_visited"].sum()
    # parameters.yml: at least 40 per kecamatan, as far as 900 priority visits go (36
    # each); the audit's two draws per kecamatan and receipt bring each to 40.
    assert allocation["visits"].min() == 36
    plan = pd.read_csv(root / "out/verification_plan.csv", dtype={"area": str})
    assert len(plan) == 1000 and plan["is_audit"].sum() == 100
    assert plan.groupby("area").size().min() >= 40


def test_personal_data_only_in_the_restricted_folder(scored):
    data, root = scored
    niks, names = data.register["nik_head"], data.register["name_head"]
    assert find_personal_data(root / "out", niks, names) == []
    # Parquet is compressed, so a text scan cannot see into it: check its columns too.
    scores = pd.read_parquet(root / "out/register_scores.parquet")
    assert not {"nik_head", "name_head"} & set(scores.columns)
    assert not scores.astype(str).isin(set(niks) | set(names)).any().any()
    lists = sorted((root / "restricted/verification_lists").glob("*.csv"))
    assert len(lists) == 25 and len(list(lists[0].parent.glob("*.xlsx"))) == 25
    first = pd.read_csv(lists[0], dtype=str)
    assert list(first.columns[:5]) == [
        "Urutan kunjungan",
        "Desa/kelurahan",
        "ID rumah tangga",
        "NIK kepala rumah tangga",
        "Nama kepala rumah tangga",
    ]
    assert first["Urutan kunjungan"].astype(int).is_monotonic_increasing
    assert first["NIK kepala rumah tangga"].isin(niks).all()
    assert oct(lists[0].stat().st_mode)[-3:] == "600"
    # A field worker reads the desa's name, with its code: "Lapoa (74.05.01.2003)".
    villages = load_villages().set_index("village_code")["village_name"]
    shown = first["Desa/kelurahan"].str.extract(r"^(.+) \((74\.05\.\d\d\.\d{4})\)$")
    assert shown.notna().all().all()
    assert (shown[1].map(villages) == shown[0]).all()


def test_toolkit_list_corrects_clearly_more_than_simple_rules(scored):
    data, root = scored
    scores = pd.read_parquet(root / "out/register_scores.parquet")
    table = compare_visit_rules(
        scores["is_visited"],
        data.register["desil"],
        scores["is_beneficiary"],
        data.register_truth["is_poor"],
    )
    rate = table.set_index("rule")["corrected_errors_per_1000_visits"]
    assert rate["toolkit priority list"] > 2 * rate["desil only"]
    assert rate["toolkit priority list"] > 4 * rate["random visits"]


def test_score_works_with_other_column_names_and_no_pkh_components(tmp_path):
    data = generate_konsel(households=6_000, seed=4)
    mapping = {
        "household_id": "hhid",
        "kecamatan_code": "kec",
        "village_code": "desa",
        "consumption_pc_month_idr": "pcexp",
        "design_weight": "wt",
        "is_pkh_recipient": "bansos_a",
        "is_bpnt_recipient": "bansos_b",
        "household_size": "art",
        "floor_material": "lantai",
    }
    keep = ["hhid", "kec", "desa", "art", "lantai", "has_car", "bansos_a", "bansos_b"]
    survey = data.survey.rename(columns=mapping)[keep + ["pcexp", "wt"]]
    personal = {"nik_head": "no_ktp", "name_head": "nama_krt"}
    register = data.register.rename(columns={**mapping, **personal})[keep + [*personal.values()]]
    survey.to_csv(tmp_path / "s.csv", index=False)
    register.to_parquet(tmp_path / "r.parquet")
    config = {
        "household_id": "hhid",
        "welfare": "pcexp",
        "weight": "wt",
        "area": "kec",
        "cluster": "desa",
        "programs": ["bansos_a", "bansos_b"],
        "proxies": {"numeric": ["art", "has_car"], "categorical": ["lantai"]},
        "poverty_line": {"quantile": 0.1},
        "nik": "no_ktp",
        "names": ["nama_krt"],
    }
    (tmp_path / "c.yml").write_text(yaml.safe_dump(config))
    assert (
        main(
            [
                "score",
                "--survey",
                str(tmp_path / "s.csv"),
                "--register",
                str(tmp_path / "r.parquet"),
                "--config",
                str(tmp_path / "c.yml"),
                "--budget",
                "300",
                "--min-per-area",  # 25 kecamatan x 12: the default 40 would need 1,000
                "12",
                "--reps",
                "20",
                "--out",
                str(tmp_path / "o"),
                "--restricted-out",
                str(tmp_path / "restricted"),
            ]
        )
        == 0
    )
    scores = pd.read_parquet(tmp_path / "o/register_scores.parquet")
    assert (scores["worth"] == 1).all()  # unknown programmes: every correction counts 1
    assert scores["is_visited"].sum() == 270  # and 30 audit visits (parameters.yml: 10%)
    # The personal columns the config names reach the field lists, and only them.
    niks, names = data.register["nik_head"], data.register["name_head"]
    assert find_personal_data(tmp_path / "o", niks, names) == []
    lists = pd.concat(pd.read_csv(p, dtype=str) for p in (tmp_path / "restricted").rglob("*.csv"))
    assert len(lists) == 300
    assert lists["NIK kepala rumah tangga"].isin(set(niks)).all()
    assert lists["Nama kepala rumah tangga"].isin(set(names)).all()


def test_score_refuses_a_class_only_survey(tmp_path, capsys):
    frame = pd.DataFrame(
        {
            "id": range(40),
            "cls": [1, 2, 3, 4] * 10,
            "a": ["x", "y"] * 20,
            "size": range(40),
            "p": [0, 1] * 20,
        }
    )
    frame.to_csv(tmp_path / "s.csv", index=False)
    config = {
        "household_id": "id",
        "welfare_class": "cls",
        "poor_classes": [1],
        "area": "a",
        "programs": ["p"],
        "proxies": {"numeric": ["size"]},
    }
    (tmp_path / "c.yml").write_text(yaml.safe_dump(config))
    code = main(
        [
            "score",
            "--survey",
            str(tmp_path / "s.csv"),
            "--register",
            str(tmp_path / "s.csv"),
            "--config",
            str(tmp_path / "c.yml"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "continuous per-capita 'welfare'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
