"""The synthetic Konsel data: structure, calibration targets, determinism, sizes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from konsel_analysis.data_card import measure_synthetic
from konsel_analysis.dictionary import (
    COLUMNS,
    PROXY_BOOLEAN,
    PROXY_CATEGORICAL,
    PROXY_NUMERIC,
    TABLES,
)
from konsel_analysis.geography import load_villages
from konsel_analysis.parameters import load_parameters
from konsel_analysis.synth import (
    calibrate_log_consumption,
    generate_konsel,
    weighted_quantile,
    write_konsel,
)

# --- calibration targets (foundation issue; figures from konsel_facts.md) ---------


def test_regency_calibration_targets(konsel_default):
    regency, _ = measure_synthetic(konsel_default)
    assert regency["kecamatan"] == 25
    assert regency["villages"] == 351
    assert 80_000 <= regency["households"] <= 86_000
    assert 315_000 <= regency["persons"] <= 332_000  # 322,950 (Dukcapil June 2024)
    assert 0.10 <= regency["poverty_rate_persons"] <= 0.12
    assert 0.015 <= regency["extreme_poverty_rate_persons"] <= 0.03
    assert 1_500 <= regency["survey_households"] <= 5_000


@pytest.mark.parametrize("programme", ["PKH", "BPNT", "PKH or BPNT"])
def test_programmes_are_mistargeted_as_in_the_field(konsel_default, programme):
    regency, _ = measure_synthetic(konsel_default)
    # Roughly 40-50% of beneficiaries non-poor, about half of the poor not covered.
    assert 0.38 <= regency[f"{programme} inclusion error"] <= 0.55
    assert 0.40 <= regency[f"{programme} exclusion error"] <= 0.60


def test_targeting_and_poverty_differ_clearly_between_kecamatan(konsel_default):
    _, by_kec = measure_synthetic(konsel_default)
    inclusion = by_kec["PKH or BPNT inclusion error"]
    exclusion = by_kec["PKH or BPNT exclusion error"]
    assert inclusion.max() - inclusion.min() > 0.15
    assert exclusion.max() - exclusion.min() > 0.30
    pov = by_kec["poverty_rate_persons"]
    # Poorer on the remote coast (Laonti) and in the south-east (Kolono Timur),
    # richer next to Kendari (Ranomeeto, Ranomeeto Barat).
    assert min(pov["74.05.11"], pov["74.05.23"]) > max(pov["74.05.08"], pov["74.05.22"]) + 0.08
    assert pov.max() - pov.min() > 0.10


def test_calibration_puts_the_target_quantiles_on_the_lines():
    # Persons 1..10 with raw log consumption 0..9 and one person each: the 20%
    # quantile is 1 and the 50% quantile is 4 (lower weighted quantile).
    raw = np.arange(10.0)
    persons = np.ones(10)
    log_c = calibrate_log_consumption(
        raw, persons, poverty_line=np.e**5, extreme_line=np.e**2, poverty_rate=0.5, extreme_rate=0.2
    )
    # Affine: 4 -> 5 and 1 -> 2, so slope 1 and intercept 1.
    np.testing.assert_allclose(log_c, raw + 1, atol=1e-8)


def test_weighted_quantile_by_hand():
    values = np.array([10.0, 20.0, 30.0])
    weights = np.array([1.0, 1.0, 2.0])  # cumulative shares 0.25, 0.5, 1.0
    assert weighted_quantile(values, weights, 0.25) == 10.0
    assert weighted_quantile(values, weights, 0.26) == 20.0
    assert weighted_quantile(values, weights, 0.75) == 30.0


def test_consumption_is_not_exactly_what_a_pmt_fits(konsel_default):
    """A linear PMT on every proxy explains much, but far from all, of log consumption."""
    reg = konsel_default.register.merge(konsel_default.register_truth, on="household_id")
    X = pd.get_dummies(
        reg[list(PROXY_NUMERIC + PROXY_BOOLEAN + PROXY_CATEGORICAL)], drop_first=True
    ).astype(float)
    fit = sm.OLS(np.log(reg["consumption_pc_month_idr"]), sm.add_constant(X)).fit()
    assert 0.45 <= fit.rsquared <= 0.75
    # Heteroskedastic: residual spread differs by sector of the head.
    spread = pd.Series(fit.resid).groupby(reg["head_sector"].astype(str), observed=True).std()
    assert spread["agriculture"] > 1.2 * spread["formal_public"]


# --- structure ------------------------------------------------------------------


@pytest.mark.parametrize("table", ["register", "survey", "register_truth"])
def test_tables_follow_the_data_dictionary(konsel_small, table):
    frame = konsel_small.tables()[table]
    assert list(frame.columns) == list(TABLES[table])
    for name in frame.columns:
        col = COLUMNS[name]
        values = frame[name]
        assert values.notna().all(), name
        if col.dtype == "bool":
            assert values.dtype == bool, name
        if col.dtype == "category":
            assert set(values.astype(str).unique()) <= set(col.categories), name
        if col.minimum is not None:
            assert values.min() >= col.minimum, name
            assert values.max() <= col.maximum, name
        if col.pattern:
            assert values.astype(str).str.fullmatch(col.pattern).all(), name


def test_register_covers_every_village(konsel_small):
    reg = konsel_small.register
    assert set(reg["village_code"]) == set(load_villages()["village_code"])
    assert reg["household_id"].is_unique


def test_nik_is_shaped_like_dukcapil_and_unique(konsel_small):
    reg = konsel_small.register
    nik = reg["nik_head"]
    assert nik.is_unique
    assert (nik.str[:6] == reg["kecamatan_code"].str.replace(".", "")).all()
    day = nik.str[6:8].astype(int)
    female = reg["is_head_female"]
    assert day[female].between(41, 71).all() and day[~female].between(1, 31).all()
    birth_yy = nik.str[10:12].astype(int)
    assert ((2024 - reg["head_age_years"]) % 100 == birth_yy).all()


def test_programme_rules(konsel_small):
    reg = konsel_small.register
    components = reg[
        [
            "n_members_age_0_6",
            "n_members_primary_school",
            "n_members_junior_secondary",
            "n_members_senior_secondary",
            "n_members_age_70_plus",
            "n_members_severe_disability",
            "has_pregnant_member",
        ]
    ].sum(axis=1)
    assert (components[reg["is_pkh_recipient"]] > 0).all()  # PKH needs a component
    blt = reg["is_blt_dd_recipient"]
    assert reg.loc[blt, "village_code"].str[9].eq("2").all()  # BLT Dana Desa: desa only
    assert not (blt & (reg["is_pkh_recipient"] | reg["is_bpnt_recipient"])).any()
    assert reg["desil"].value_counts().sort_index().tolist() == [500] * 10


def test_truth_is_separate_and_matches_the_lines(konsel_small):
    truth = konsel_small.register_truth
    params = load_parameters()
    assert (truth["household_id"] == konsel_small.register["household_id"]).all()
    line = params.value("poverty_lines.poverty_line")
    extreme = params.value("poverty_lines.extreme_poverty_line")
    assert (truth["is_poor"] == (truth["consumption_pc_month_idr"] < line)).all()
    assert (truth["is_extreme_poor"] == (truth["consumption_pc_month_idr"] < extreme)).all()


def test_survey_is_a_clustered_weighted_sample(konsel_default):
    survey = konsel_default.survey
    register = konsel_default.register
    assert survey["household_id"].is_unique
    assert not set(survey["household_id"]) & set(register["household_id"])
    per_cluster = survey.groupby("village_code").size()
    assert per_cluster.max() <= 15 and len(per_cluster) >= 150
    assert survey["kecamatan_code"].nunique() == 25
    # Design weights add up to the households of each kecamatan (PPS is
    # self-weighting within a kecamatan; certainty villages make it close, not exact).
    by_kec = survey.groupby("kecamatan_code")["design_weight"].sum()
    households = register.groupby("kecamatan_code").size()
    np.testing.assert_allclose(by_kec, households.loc[by_kec.index], rtol=0.02)


def test_survey_estimates_the_poverty_rate(konsel_default):
    survey = konsel_default.survey
    line = load_parameters().value("poverty_lines.poverty_line")
    persons_weight = survey["design_weight"] * survey["household_size"]
    estimate = np.average(survey["consumption_pc_month_idr"] < line, weights=persons_weight)
    regency, _ = measure_synthetic(konsel_default)
    assert abs(estimate - regency["poverty_rate_persons"]) < 0.025


# --- determinism and sizes -------------------------------------------------------------


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path):
    write_konsel(generate_konsel(households=3_000, seed=11), tmp_path / "a")
    write_konsel(generate_konsel(households=3_000, seed=11), tmp_path / "b")
    write_konsel(generate_konsel(households=3_000, seed=12), tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert (
        _digest(tmp_path / "a")["register.parquet"] != _digest(tmp_path / "c")["register.parquet"]
    )


def test_files_round_trip_with_their_types(tmp_path, konsel_small):
    write_konsel(konsel_small, tmp_path)
    back = pd.read_parquet(tmp_path / "register.parquet")
    pd.testing.assert_frame_equal(back, konsel_small.register, check_dtype=False)
    assert isinstance(back["floor_material"].dtype, pd.CategoricalDtype)
    assert back["floor_material"].cat.categories.tolist() == list(
        COLUMNS["floor_material"].categories
    )


def test_one_thousand_households_still_fill_every_village():
    data = generate_konsel(households=1_000, seed=3)
    assert len(data.register) == 1_000
    assert data.register["village_code"].nunique() == 351
    assert data.register["kecamatan_code"].nunique() == 25
    assert 0 < len(data.survey) <= 250
    assert data.survey["design_weight"].sum() == pytest.approx(1_000, rel=0.1)


def test_fewer_households_than_villages():
    data = generate_konsel(households=100, seed=3)
    assert len(data.register) == 100
    assert len(data.survey) >= 1
