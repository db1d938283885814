"""`konsel targeting`: the stable CSV contract on any survey a config describes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from konsel_analysis.cli import main
from konsel_analysis.measured.targeting import CONTRACT_COLUMNS, targeting_indicators
from konsel_analysis.synth import generate_konsel


@pytest.fixture(scope="module")
def survey():
    return generate_konsel(households=12_000, seed=21).survey


def _config(path, **keys):
    base = {
        "household_id": "household_id",
        "welfare": "consumption_pc_month_idr",
        "weight": "design_weight",
        "area": "kecamatan_code",
        "cluster": "village_code",
        "programs": ["is_pkh_recipient", "is_bpnt_recipient"],
        "proxies": {"numeric": ["household_size"], "categorical": ["floor_material"]},
        "poverty_line": 462710,
        "extreme_poverty_line": 351957,
    }
    base.update(keys)
    path.write_text(yaml.safe_dump(base))
    return path


def test_contract_on_the_synthetic_survey(tmp_path, survey):
    data = tmp_path / "survey.parquet"
    survey.to_parquet(data)
    code = main(
        [
            "targeting",
            "--data",
            str(data),
            "--config",
            str(_config(tmp_path / "c.yml")),
            "--reps",
            "100",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "out" / "targeting_by_area.csv", dtype={"area": str})
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert set(table["program"]) == {"is_pkh_recipient", "is_bpnt_recipient", "any"}
    assert (table.groupby("program")["area"].apply(lambda a: "ALL" in set(a))).all()
    regency = table[(table["program"] == "is_pkh_recipient") & (table["area"] == "ALL")].iloc[0]
    poor = survey["consumption_pc_month_idr"] < 462710
    direct = targeting_indicators(survey["is_pkh_recipient"], poor, survey["design_weight"])
    assert regency["inclusion_error"] == pytest.approx(direct["inclusion_error"])
    assert regency["exclusion_error"] == pytest.approx(direct["exclusion_error"])
    assert regency["households"] == len(survey)
    rates = table[
        ["poverty_rate", "beneficiary_rate", "inclusion_error", "exclusion_error", "coverage"]
    ].to_numpy()
    assert np.nanmin(rates) >= 0 and np.nanmax(rates) <= 1
    assert (tmp_path / "out" / "targeting_by_cluster.csv").exists()


def test_other_column_names_csv_no_weight_no_cluster(tmp_path, survey):
    renamed = survey.rename(
        columns={
            "household_id": "idrt",
            "consumption_pc_month_idr": "pcexp",
            "kecamatan_code": "kab_kec",
            "is_pkh_recipient": "pkh",
            "is_bpnt_recipient": "sembako",
        }
    )
    renamed["pkh"] = renamed["pkh"].astype(int)
    data = tmp_path / "other.csv"
    renamed.to_csv(data, index=False)
    config = _config(
        tmp_path / "c.yml",
        household_id="idrt",
        welfare="pcexp",
        area="kab_kec",
        programs=["pkh", "sembako"],
    )
    yaml_text = yaml.safe_load(config.read_text())
    del yaml_text["weight"], yaml_text["cluster"]
    config.write_text(yaml.safe_dump(yaml_text))
    assert (
        main(
            [
                "targeting",
                "--data",
                str(data),
                "--config",
                str(config),
                "--programs",
                "pkh",
                "--reps",
                "50",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "o" / "targeting_by_area.csv")
    assert set(table["program"]) == {"pkh"}
    unweighted = targeting_indicators(renamed["pkh"], renamed["pcexp"] < 462710)
    assert table.loc[table["area"] == "ALL", "inclusion_error"].item() == pytest.approx(
        unweighted["inclusion_error"]
    )
    assert not (tmp_path / "o" / "targeting_by_cluster.csv").exists()


def test_unknown_programme_column_is_named(tmp_path, survey, capsys):
    data = tmp_path / "survey.parquet"
    survey.to_parquet(data)
    code = main(
        [
            "targeting",
            "--data",
            str(data),
            "--config",
            str(_config(tmp_path / "c.yml")),
            "--programs",
            "is_pkh_recipient,pkh_2025",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "'pkh_2025'" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_programme_column_that_is_not_0_1(tmp_path, survey, capsys):
    frame = survey.copy()
    frame["is_pkh_recipient"] = np.where(frame["is_pkh_recipient"], "2", "0")
    data = tmp_path / "survey.parquet"
    frame.to_parquet(data)
    code = main(
        [
            "targeting",
            "--data",
            str(data),
            "--config",
            str(_config(tmp_path / "c.yml")),
            "--programs",
            "is_pkh_recipient",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "'is_pkh_recipient'" in capsys.readouterr().err
