"""``konsel poverty-map`` end to end on a small synthetic regency, and its bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.poverty_map.estimator import result_columns
from konsel_analysis.synth import generate_konsel

CONFIG = str(CONFIGS_DIR / "konsel_survey.yml")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    data = generate_konsel(households=6_000, seed=11)
    folder = tmp_path_factory.mktemp("pm")
    data.survey.to_parquet(folder / "survey.parquet")
    data.register.to_parquet(folder / "register.parquet")
    return folder, data


def _run(folder, out, *extra, census="register.parquet", survey="survey.parquet"):
    return main(
        [
            "poverty-map",
            "--survey",
            str(folder / survey),
            "--census",
            str(folder / census),
            "--config",
            CONFIG,
            "--out",
            str(out),
            "--reps",
            "20",
            *extra,
        ]
    )


def test_desa_map_has_the_contract_columns_and_every_census_desa(tables, tmp_path):
    folder, data = tables
    assert _run(folder, tmp_path, "--level", "cluster") == 0
    table = pd.read_csv(tmp_path / "poverty_map.csv", dtype={"area": str})
    assert list(table.columns) == result_columns()
    assert sorted(table.area) == sorted(data.register.village_code.astype(str).unique())
    sampled = set(data.survey.village_code.astype(str))
    assert set(table.area[table.method == "EB"]) == sampled
    unsampled = table[table.method == "synthetic"]
    assert unsampled.direct_poverty_rate.isna().all() and len(unsampled) > 0
    assert (unsampled.sampled_households == 0).all()
    # synthetic predictions are less certain than EB ones (on average)
    assert unsampled.rmse.mean() > table[table.method == "EB"].rmse.mean()
    assert (
        (table.poverty_rate_low <= table.poverty_rate)
        & (table.poverty_rate <= table.poverty_rate_high)
    ).all()
    # rates over persons: poor persons = rate x census persons of the desa
    persons = data.register.groupby(data.register.village_code.astype(str)).household_size.sum()
    expected = table.poverty_rate.to_numpy() * persons.reindex(table.area).to_numpy()
    assert table.poor_persons.to_numpy() == pytest.approx(expected, rel=1e-5)
    png = (tmp_path / "direct_vs_model.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    upper = pd.read_csv(tmp_path / "poverty_map_upper.csv", dtype={"area": str})
    assert upper.poor_persons.sum() == pytest.approx(table.poor_persons.sum(), rel=1e-5)


def _fails(capsys, code, out, *words):
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not out.exists() or not any(out.iterdir())


def test_census_without_a_proxy(tables, tmp_path, capsys):
    folder, data = tables
    data.register.drop(columns=["floor_material"]).to_parquet(tmp_path / "census.parquet")
    out = tmp_path / "out"
    _fails(
        capsys,
        _run(tmp_path, out, census="census.parquet", survey=str(folder / "survey.parquet")),
        out,
        "floor_material",
        "census.parquet",
    )


def test_survey_area_missing_from_census(tables, tmp_path, capsys):
    folder, data = tables
    first = data.survey.village_code.iloc[0]
    data.register[data.register.village_code != first].to_parquet(tmp_path / "census.parquet")
    out = tmp_path / "out"
    code = _run(
        tmp_path,
        out,
        "--level",
        "cluster",
        census="census.parquet",
        survey=str(folder / "survey.parquet"),
    )
    _fails(capsys, code, out, "village_code", "census.parquet")


def test_welfare_of_zero_is_mapped_not_refused(tables, tmp_path):
    # incomes may be zero or negative: the transformation shifts, the households count as poor
    folder, data = tables
    survey = data.survey.copy()
    survey.loc[:2, "consumption_pc_month_idr"] = 0  # (the Konsel dictionary bars negatives)
    survey.to_parquet(tmp_path / "survey.parquet")
    out = tmp_path / "out"
    assert _run(tmp_path, out, census=str(folder / "register.parquet")) == 0
    meta = json.loads((out / "poverty_map.json").read_text())
    chosen = meta["model"]["transformation"]
    assert chosen["shift"] == 1.0 or (chosen["chosen"] == "log-shift" and chosen["parameter"] > 0)
    table = pd.read_csv(out / "poverty_map.csv", dtype={"area": str})
    kec = survey.kecamatan_code.astype(str).iloc[0]
    assert table.set_index("area").loc[kec, "direct_poverty_rate"] > 0


def test_benchmark_flag_is_recorded_and_adds_up(tables, tmp_path):
    folder, data = tables
    assert _run(folder, tmp_path, "--benchmark") == 0
    meta = json.loads((tmp_path / "poverty_map.json").read_text())
    bench = meta["model"]["benchmark"]
    table = pd.read_csv(tmp_path / "poverty_map.csv", dtype={"area": str})
    persons = data.register.groupby(data.register.kecamatan_code.astype(str)).household_size.sum()
    overall = table.poor_persons.sum() / persons.sum()
    assert overall == pytest.approx(bench["direct_overall_rate"], rel=1e-5)
    s = data.survey
    wm = s.design_weight * s.household_size
    direct = (wm * (s.consumption_pc_month_idr < meta["poverty_line"])).sum() / wm.sum()
    assert bench["direct_overall_rate"] == pytest.approx(direct, rel=1e-9)


def test_weights_enter_the_direct_estimate(tables):
    from konsel_analysis.poverty_map.direct import direct_estimates

    # area a: poor, non-poor with weights 3 and 1 -> 3/4; area b unsampled
    out = direct_estimates(
        {"poverty_rate": np.array([1.0, 0.0])},
        np.array(["a", "a"]),
        np.array(["a", "b"]),
        np.array([3.0, 1.0]),
    )
    assert out.direct_poverty_rate.tolist()[0] == pytest.approx(0.75)
    assert np.isnan(out.direct_poverty_rate.iloc[1])


def test_a_census_with_other_column_names_and_no_persons(tmp_path):
    # 30 areas, numeric codes, a third unsampled; log-normal welfare; census columns renamed
    rng = np.random.default_rng(8)
    area = np.repeat(np.arange(1, 31), 60)
    x = rng.normal(size=len(area))
    welfare = np.exp(9 + 0.5 * x + rng.normal(0, 0.2, 30)[area - 1] + rng.normal(0, 0.5, len(area)))
    pop = pd.DataFrame({"hid": np.arange(len(area)), "dist": area, "inc": welfare, "z": x})
    rows = np.concatenate([np.flatnonzero(area == d)[:12] for d in range(1, 21)])
    pop.iloc[rows].assign(w=5.0).to_csv(tmp_path / "sample.csv", index=False)
    census = pop.drop(columns=["inc"]).rename(columns={"hid": "id", "dist": "district", "z": "Z"})
    census.to_csv(tmp_path / "census.csv", index=False)
    (tmp_path / "sample.yml").write_text(
        "household_id: hid\nwelfare: inc\nweight: w\narea: dist\n"
        "proxies: {numeric: [z]}\npoverty_line: 5000\n"
    )
    (tmp_path / "census.yml").write_text(
        "household_id: id\narea: district\nproxies: {numeric: [Z]}\n"
    )
    code = main(
        [
            "poverty-map",
            "--survey",
            str(tmp_path / "sample.csv"),
            "--census",
            str(tmp_path / "census.csv"),
            "--config",
            str(tmp_path / "sample.yml"),
            "--census-config",
            str(tmp_path / "census.yml"),
            "--reps",
            "20",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "out/poverty_map.csv")
    assert list(table.columns) == result_columns()
    assert table.area.tolist() == sorted(table.area.tolist()) and len(table) == 30
    assert (table.method == "EB").sum() == 20 and table.extreme_poverty_rate.isna().all()
    # rates over households: poor "persons" are poor households here
    poor_households = 60 * table.poverty_rate.to_numpy()
    assert table.poor_persons.to_numpy() == pytest.approx(poor_households, rel=1e-4)
    # the direct estimate of a sampled area is its share of the 12 sampled households
    poor = pop.iloc[rows].assign(p=lambda f: f.inc < 5000).groupby("dist").p.mean()
    assert table.direct_poverty_rate[:20].to_numpy() == pytest.approx(poor.to_numpy(), abs=1e-6)


def test_a_census_config_that_gives_a_key_twice_is_refused(tmp_path):
    from konsel_analysis.datasets import DatasetError, load_dataset_config
    from konsel_analysis.poverty_map.step import census_config

    text = (CONFIGS_DIR / "konsel_survey.yml").read_text(encoding="utf-8")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("area:"))
    census = tmp_path / "census.yml"
    census.write_text(text + "area: desa_code\n", encoding="utf-8")
    with pytest.raises(DatasetError) as err:
        census_config(load_dataset_config(CONFIG), census)
    line = len(text.splitlines()) + 1
    assert str(err.value) == (
        f"{census}: key 'area' is given twice (lines {first} and {line}); keep one"
    )
