"""``konsel validate-pmt``: the stable contract, on any described table, and its errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import KONSEL_CONFIG, write_config

from konsel_analysis.cli import main
from konsel_analysis.files import write_files_atomic
from konsel_analysis.parameters import load_parameters
from konsel_analysis.pmt.step import OUTPUT_FILES

CONTRACT_KEYS = {"n", "poverty_line", "poverty_rate", "folds", "estimators", "best"}
ENTRY_KEYS = {"status", "r2", "auc", "at_line", "at_rate"}
RULE_KEYS = {"exclusion_error", "inclusion_error", "coverage"}


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["validate-pmt", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_contract(out_dir, n: int, folds: int, class_data: bool = False) -> dict:
    """Assert the validation.json contract and return it."""
    result = json.loads((out_dir / "validation.json").read_text(encoding="utf-8"))
    assert set(result) == CONTRACT_KEYS
    assert result["n"] == n and result["folds"] == folds
    assert 0 < result["poverty_rate"] < 1
    assert result["best"] in result["estimators"]
    for name, entry in result["estimators"].items():
        assert set(entry) == ENTRY_KEYS and entry["status"] == "ok", name
        assert (entry["r2"] is None) == (class_data or name in ("logit", "probit")), name
        assert 0.5 < entry["auc"] <= 1
        for rule in ("at_line", "at_rate"):
            assert set(entry[rule]) == RULE_KEYS
            assert all(v is None or 0 <= v <= 1 for v in entry[rule].values())
    return result


@pytest.fixture(scope="module")
def survey_run(tmp_path_factory, small_survey):
    """One full run on the synthetic survey (Parquet, the Konsel config), shared by tests."""
    root = tmp_path_factory.mktemp("konsel")
    small_survey.to_parquet(root / "survey.parquet")
    code = main(
        [
            "validate-pmt",
            "--data",
            str(root / "survey.parquet"),
            "--config",
            str(KONSEL_CONFIG),
            "--folds",
            "3",
            "--out",
            str(root / "pmt"),
        ]
    )
    return code, root / "pmt"


def test_contract_on_the_synthetic_survey(survey_run, small_survey):
    code, out = survey_run
    assert code == 0
    result = check_contract(out, n=len(small_survey), folds=3)
    assert result["poverty_line"] == load_parameters().value("poverty_lines.poverty_line")
    poor = small_survey["consumption_pc_month_idr"] < result["poverty_line"]
    w = small_survey["design_weight"]
    assert result["poverty_rate"] == pytest.approx(w[poor].sum() / w.sum())
    assert set(result["estimators"]) == {
        "wls",
        "wls_stepwise",
        "wls_lasso",
        "quantile",
        "poverty_weighted",
        "logit",
        "probit",
        "gradient_boosting",
        "random_forest",
    }
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_FILES, "rejected"])
    # Every row passed the row checks: the rejected table holds only its header.
    rejected = pd.read_csv(out / "rejected" / "survey.csv")
    assert len(rejected) == 0 and list(rejected.columns[:2]) == ["source_row", "reasons"]


def test_side_files(survey_run):
    _, out = survey_run
    curves = pd.read_csv(out / "error_curves.csv")
    assert curves.groupby("estimator").size().eq(12).all()  # coverage 5%, 10%, ..., 60%
    reliability = pd.read_csv(out / "reliability.csv")
    assert set(reliability["target"]) == {"poor", "extreme_poor"}
    scorecard = pd.read_csv(out / "scorecard.csv", keep_default_na=False)
    assert scorecard.loc[0, "term"] == "intercept"
    assert (scorecard["kind"] == "reference").sum() == 11  # 10 categorical proxies + kecamatan
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert card["best"]["name"] == json.loads((out / "validation.json").read_text())["best"]
    assert "## Chosen model" in (out / "model_card.md").read_text(encoding="utf-8")


RENAMES = {
    "household_id": "id_rt",
    "consumption_pc_month_idr": "pengeluaran_kapita",
    "village_code": "desa",
    "kecamatan_code": "kec",
    "household_size": "jml_art",
    "floor_material": "lantai",
}


def renamed_config(config: dict, weight: bool) -> dict:
    out = {k: RENAMES.get(v, v) if isinstance(v, str) else v for k, v in config.items()}
    out["programs"] = config["programs"]
    out["proxies"] = {k: [RENAMES.get(c, c) for c in v] for k, v in config["proxies"].items()}
    if not weight:
        del out["weight"]
    return out


def test_renamed_columns_no_weight_csv(tmp_path, capsys, small_survey, konsel_config_dict):
    table = small_survey.drop(columns="design_weight").rename(columns=RENAMES)
    table.to_csv(tmp_path / "survei.csv", index=False)
    config = write_config(tmp_path / "survei.yml", renamed_config(konsel_config_dict, False))
    code, stdout, _ = run(
        capsys,
        "--data",
        tmp_path / "survei.csv",
        "--config",
        config,
        "--folds",
        3,
        "--out",
        tmp_path / "out",
    )
    assert code == 0
    result = check_contract(tmp_path / "out", n=len(table), folds=3)
    # Unweighted: the poverty rate is the plain share below the line.
    poor = table["pengeluaran_kapita"] < result["poverty_line"]
    assert result["poverty_rate"] == pytest.approx(poor.mean())
    assert "best:" in stdout
    # The quantile model's R2 is of a low quantile, not the mean: the table says so.
    assert result["estimators"]["quantile"]["r2"] is not None
    assert "note: R2 of quantile: its predictions are a low conditional quantile" in stdout
    scorecard = pd.read_csv(tmp_path / "out" / "scorecard.csv", keep_default_na=False)
    assert "jml_art" in set(scorecard["variable"]) and "lantai" in set(scorecard["variable"])


def test_xlsx_without_cluster_in_class_mode(tmp_path, capsys, small_survey, konsel_config_dict):
    # An ordinal class (1 poorest .. 4) instead of consumption; no cluster column.
    c = small_survey["consumption_pc_month_idr"]
    table = small_survey.assign(welfare_class=np.digitize(c, [350_000, 462_710, 700_000]) + 1)
    table = table.drop(columns=["consumption_pc_month_idr"]).head(400)
    table.to_excel(tmp_path / "kelas.xlsx", index=False)
    config = {
        k: v
        for k, v in konsel_config_dict.items()
        if k not in ("welfare", "poverty_line", "extreme_poverty_line", "cluster")
    }
    config.update(welfare_class="welfare_class", poor_classes=[1, 2], extreme_poor_classes=[1])
    code, _, err = run(
        capsys,
        "--data",
        tmp_path / "kelas.xlsx",
        "--config",
        write_config(tmp_path / "kelas.yml", config),
        "--folds",
        3,
        "--out",
        tmp_path / "out",
    )
    assert code == 0, err
    result = check_contract(tmp_path / "out", n=400, folds=3, class_data=True)
    assert result["poverty_line"] is None
    assert set(result["estimators"]) == {
        "logit",
        "probit",
        "multinomial_logit",
        "gradient_boosting",
        "random_forest",
    }
    assert not (tmp_path / "out" / "scorecard.csv").exists()  # no welfare, no linear PMT


def test_default_out_is_data_processed_pmt(project_root, capsys, small_survey):
    small_survey.to_parquet(project_root / "survey.parquet")
    code, _, err = run(
        capsys, "--data", project_root / "survey.parquet", "--config", KONSEL_CONFIG, "--folds", 2
    )
    assert code == 0, err
    assert (project_root / "data" / "processed" / "pmt" / "validation.json").is_file()


def _break(frame: pd.DataFrame, config: dict, what: str) -> tuple[pd.DataFrame, dict]:
    if what == "missing column":
        return frame.drop(columns="floor_area_m2"), config
    if what == "welfare mostly text":
        c = frame["consumption_pc_month_idr"].astype(object)
        c.iloc[: len(c) // 2 + 1] = (
            "sekitar 500rb"  # not a number ("tidak tahu", "n/a" are missing codes)
        )
        return frame.assign(consumption_pc_month_idr=c), config
    if what == "no poor households":
        return frame, {**config, "poverty_line": 1000}
    if what == "single cluster":  # codes unchecked: one made-up cluster for every household
        config = {k: v for k, v in config.items() if k != "area_codes"}
        return frame.assign(village_code="V1"), config
    raise ValueError(what)


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("missing column", ["'floor_area_m2'", "proxies.numeric", "does not have"]),
        ("welfare mostly text", ["'consumption_pc_month_idr'", "not numbers", "right column"]),
        ("no poor households", ["no household has welfare", "poverty line 1,000"]),
        ("single cluster", ["'village_code'", "single cluster"]),
    ],
)
def test_bad_data_or_config_stops_with_one_message(
    tmp_path, capsys, small_survey, konsel_config_dict, what, words
):
    frame, config = _break(small_survey.copy(), dict(konsel_config_dict), what)
    frame.to_csv(tmp_path / "s.csv", index=False)
    code, stdout, err = run(
        capsys,
        "--data",
        tmp_path / "s.csv",
        "--config",
        write_config(tmp_path / "c.yml", config),
        "--out",
        tmp_path / "out",
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("konsel validate-pmt: error: ")
    for word in words:
        assert word in lines[0], (what, lines[0])
    assert "Traceback" not in err and stdout == ""
    assert not (tmp_path / "out").exists()


def test_outputs_are_all_or_nothing(tmp_path):
    def good(path):
        path.write_text("ok")

    def bad(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_files_atomic({"a.json": good, "b.csv": bad}, tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither file, and no temporary left behind
    (tmp_path / "a.json").write_text("old")
    with pytest.raises(OSError):
        write_files_atomic({"a.json": good, "b.csv": bad}, tmp_path)
    assert (tmp_path / "a.json").read_text() == "old"


def test_one_bad_cell_sets_one_row_aside(tmp_path, capsys, small_survey, konsel_config_dict):
    # A word in one welfare cell: the household is set aside with its reason, the
    # validation runs on the others, and the command says how many were rejected.
    frame = small_survey.copy()
    c = frame["consumption_pc_month_idr"].astype(object)
    c.iloc[3] = "sekitar 500rb"  # text, not a missing code
    frame.assign(consumption_pc_month_idr=c).to_csv(tmp_path / "s.csv", index=False)
    code, stdout, err = run(
        capsys,
        "--data",
        tmp_path / "s.csv",
        "--config",
        write_config(tmp_path / "c.yml", konsel_config_dict),
        "--folds",
        2,
        "--out",
        tmp_path / "out",
    )
    assert code == 0, err
    n = len(frame)
    assert f"s.csv: {n:,} rows read, {n - 1:,} accepted, 1 rejected" in stdout
    rejected = pd.read_csv(tmp_path / "out" / "rejected" / "s.csv")
    assert rejected["source_row"].tolist() == [5]  # header on line 1, fourth household on 5
    assert rejected["reasons"].tolist() == ["'consumption_pc_month_idr': not a number"]
    assert rejected["household_id"].tolist() == [frame["household_id"].iloc[3]]
    assert json.loads((tmp_path / "out" / "validation.json").read_text())["n"] == n - 1


def test_leave_out_names_what_was_not_compared(tmp_path, capsys, small_survey):
    small_survey.to_parquet(tmp_path / "survey.parquet")
    common = ["--data", tmp_path / "survey.parquet", "--config", KONSEL_CONFIG, "--folds", "3"]
    code, out, _ = run(capsys, *common, "--out", tmp_path / "pmt", "--leave-out", "quantile")
    assert code == 0
    assert "not compared (--leave-out): quantile" in out
    card = json.loads((tmp_path / "pmt" / "model_card.json").read_text(encoding="utf-8"))
    assert card["left_out_estimators"] == ["quantile"]
    assert "quantile" not in check_contract(tmp_path / "pmt", len(small_survey), 3)["estimators"]
    # A name that is no estimator is a typo, said in one line, before any fit.
    code, _, err = run(capsys, *common, "--out", tmp_path / "bad", "--leave-out", "quantil")
    assert code == 2 and "--leave-out quantil: not an estimator" in err
    assert not (tmp_path / "bad").exists()
