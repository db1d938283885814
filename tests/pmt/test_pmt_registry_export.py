"""Exports of the linear PMT, checked against the registry formats they follow.

The reference scorers below re-implement, from OpenSPP's spp_scoring source
(spp.scoring.indicator.calculate_score and its _calculate_* methods,
spp.scoring.threshold.matches_score, spp.scoring.model._validate_configuration)
and OpenG2P's g2p_proxy_means_test (_compute_pmt_score: sum of pmt_weightage x
field, stored in an Integer field), how those systems read the exported records;
docs/registry_export.md cites them. They share no code with the exporter.
"""

from __future__ import annotations

import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.datasets import load_register
from konsel_analysis.pmt.artifact import load_model
from konsel_analysis.pmt.registry_export import HEADERS_ID, openg2p_params, openspp_model

CALCULATION_TYPES = {"direct", "mapped", "range", "formula", "derived"}


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _default(ind: dict):
    """The value used for a missing field: default_value as a number, or as text."""
    try:
        return float(ind["default_value"])
    except ValueError:
        return ind["default_value"]


def _mapped(ind: dict, value) -> float:
    for m in ind["value_mappings"]:
        if m["input_value"] == str(value):
            return m["output_score"]
    return ind["default_score"]


def _range(ind: dict, value) -> float:
    for m in sorted(ind["value_mappings"], key=lambda m: m["range_min"]):
        if m["range_min"] <= float(value) <= m["range_max"]:
            return m["output_score"]
    return ind["default_score"]


def openspp_indicator_score(ind: dict, value) -> float:
    """spp.scoring.indicator.calculate_score (min/max constraints unset)."""
    if not _present(value):
        if not ind.get("default_value"):
            return ind["default_score"]
        value = _default(ind)
    kind = ind["calculation_type"]
    if kind == "direct":
        return float(value)
    if kind == "mapped":
        return _mapped(ind, value)
    if kind == "range":
        return _range(ind, value)
    assert kind == "formula" and ind["cel_expression"] == "value * value"
    return float(value) * float(value)


def openspp_score(model: dict, household: dict) -> tuple[float, str]:
    """weighted_sum of the indicators, then the first threshold (by sequence) that matches."""
    total = sum(
        ind["weight"] * openspp_indicator_score(ind, household.get(ind["field_path"]))
        for ind in model["indicators"]
    )
    for t in sorted(model["thresholds"], key=lambda t: t["sequence"]):
        if t["min_score"] <= total <= t["max_score"]:
            return total, t["classification_code"]
    raise AssertionError(f"no threshold matches {total}")


def check_openspp_configuration(model: dict) -> None:
    """What OpenSPP checks before a model may be activated."""
    m = model["model"]
    assert m["calculation_method"] == "weighted_sum" and m["category"] == "poverty"
    assert model["indicators"] and model["thresholds"]
    codes = [i["code"] for i in model["indicators"]]
    assert len(codes) == len(set(codes)), "indicator codes must be unique within the model"
    for ind in model["indicators"]:
        assert ind["calculation_type"] in CALCULATION_TYPES
        assert ind["field_path"], "direct, mapped, range and formula read a field"
        if ind["calculation_type"] == "formula":
            assert ind["cel_expression"]
        if ind["calculation_type"] == "mapped":
            inputs = [v["input_value"] for v in ind["value_mappings"]]
            assert len(inputs) == len(set(inputs)), "duplicate input values"
    if m["expected_total_weight"] > 0:
        assert (
            abs(sum(i["weight"] for i in model["indicators"]) - m["expected_total_weight"]) < 0.01
        )
    ordered = sorted(model["thresholds"], key=lambda t: t["min_score"])
    for a, b in zip(ordered, ordered[1:], strict=False):
        assert -0.01 <= b["min_score"] - a["max_score"] <= 0.01, "gap or overlap"
    assert len({t["classification_code"] for t in ordered}) == len(ordered)


# --------------------------------------------------------------------------------------
# A scorecard small enough to score by hand
# --------------------------------------------------------------------------------------

TINY = pd.DataFrame(
    [
        ("intercept", "intercept", "", "", 10.0, np.nan),
        ("size", "numeric", "size", "", -0.1, 4.0),
        ("size^2", "squared", "size", "", 0.01, 4.0),
        ("size__missing", "missing", "size", "", 0.2, np.nan),
        ("floor=tile", "reference", "floor", "tile", 0.0, np.nan),
        ("floor=earth", "level", "floor", "earth", -0.5, np.nan),
        ("floor=mud", "pooled", "floor", "mud", 0.0, np.nan),
    ],
    columns=["term", "kind", "variable", "level", "weight", "fill_value"],
).assign(note="")
LINES = {"poverty_line": math.exp(9.5), "extreme_line": math.exp(9.0)}


@pytest.mark.parametrize(
    ("household", "total", "klass"),
    [
        # size missing -> 4: -0.4 + 0.16 + 0.2 (missing) - 0.5 (earth) = -0.54 -> ln c = 9.46
        ({"size": None, "floor": "earth"}, -0.54, "POOR"),
        # -0.2 + 0.04 + 0 (tile) = -0.16 -> 9.84
        ({"size": 2.0, "floor": "tile"}, -0.16, "NON_POOR"),
        # -1.0 + 1.0 - 0.5 = -0.5 -> 9.5: exactly at the line (the boundary belongs to POOR)
        ({"size": 10.0, "floor": "earth"}, -0.5, "POOR"),
        # -1.2 + 1.44 + 0 (an unlisted level scores as the reference) = 0.24
        ({"size": 12.0, "floor": "bamboo"}, 0.24, "NON_POOR"),
        # -0.3 + 0.09 - 0.5 = -0.71 -> 9.29; extreme line at 9.0: -1.0
        ({"size": 3.0, "floor": "earth"}, -0.71, "POOR"),
    ],
)
def test_openspp_model_scores_by_hand(household, total, klass):
    model = openspp_model(TINY, code="T", name="tiny", **LINES)
    check_openspp_configuration(model)
    got, got_class = openspp_score(model, household)
    assert got == pytest.approx(total, abs=1e-12)
    assert got_class == klass
    assert model["intercept"] == 10.0
    poor = next(t for t in model["thresholds"] if t["classification_code"] == "POOR")
    assert (poor["min_score"], poor["max_score"]) == pytest.approx((-1.0, -0.5))


def test_openg2p_params_by_hand():
    params = openg2p_params(TINY, **LINES)
    weights = {p["pmt_field"]: p["pmt_weightage"] for p in params["proxy_means_params_ids"]}
    assert weights == {
        "x_pmt_size": -100.0,
        "x_pmt_size_2": 10.0,
        "x_pmt_size_missing": 200.0,
        "x_pmt_floor_earth": -500.0,
    }
    cuts = {t["classification_code"]: t["score_below"] for t in params["thresholds"]}
    assert cuts == pytest.approx({"EXTREME_POOR": -1000.0, "POOR": -500.0})


# --------------------------------------------------------------------------------------
# The exports of a fitted model, scored as the registries would
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(wave, saved, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    assert main(["export-pmt", "--model", str(wave / "model"), "--out", str(out)]) == 0
    register = load_register(wave / "register.parquet", saved.dataset.config)
    predicted = load_model(wave / "model").log_welfare(register.X)
    return out, register.X, predicted


def _households(X: pd.DataFrame, n: int = 400) -> list[dict]:
    rows = X.iloc[:n].astype(object).where(X.iloc[:n].notna(), None)
    households = rows.to_dict(orient="records")
    for h in households:  # the registry's derived log(1 + value) fields
        h.update({f"{k}_log1p": math.log1p(v) for k, v in list(h.items()) if _is_number(v)})
    return households


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0


def test_openspp_export_reproduces_the_model(exported, saved):
    out, X, predicted = exported
    model = json.loads((out / "openspp_scoring_model.json").read_text())
    check_openspp_configuration(model)
    line = math.log(saved.dataset.poverty_line)
    extreme = math.log(saved.dataset.extreme_poverty_line)
    for household, log_c in zip(_households(X), predicted, strict=False):
        total, klass = openspp_score(model, household)
        assert model["intercept"] + total == pytest.approx(log_c, abs=1e-8)
        if min(abs(log_c - line), abs(log_c - extreme)) > 1e-6:
            expected = "EXTREME_POOR" if log_c < extreme else "POOR" if log_c < line else "NON_POOR"
            assert klass == expected


def _openg2p_field(field: dict, household: dict) -> float:
    value = household.get(field["variable"])
    if field["kind"] == "level":
        text = "(missing)" if value is None else str(value)
        return float(text == field["level"])
    if field["kind"] == "missing":
        return float(value is None)
    x = field["fill_value"] if value is None else float(value)
    if field["kind"] == "log1p":
        return math.log1p(x)
    return x * x if field["kind"] == "squared" else x


def test_openg2p_export_reproduces_the_model(exported, saved):
    out, X, predicted = exported
    params = json.loads((out / "openg2p_pmt_params.json").read_text())
    fields = {f["name"]: f for f in params["registrant_info_fields"]}
    assert all(f["ttype"] in ("integer", "float") for f in fields.values())
    cut = {t["classification_code"]: t["score_below"] for t in params["thresholds"]}
    for household, log_c in zip(_households(X), predicted, strict=False):
        score = int(
            sum(  # pmt_score is an Integer field: the sum is truncated
                p["pmt_weightage"] * _openg2p_field(fields[p["pmt_field"]], household)
                for p in params["proxy_means_params_ids"]
            )
        )
        # 1 per mille from the integer, and the 4-decimal weightages (x up to ~8,000 for age^2)
        assert params["intercept"] + score / params["scale"] == pytest.approx(log_c, abs=0.002)
        if abs(log_c - math.log(saved.dataset.poverty_line)) > 0.002:
            assert (score < cut["POOR"]) == (log_c < math.log(saved.dataset.poverty_line))


def test_xlsx_scorecard_has_indonesian_headers_and_the_weights(exported, wave):
    out, _, _ = exported
    book = openpyxl.load_workbook(out / "kartu_skor_pmt.xlsx")
    assert book.sheetnames == ["Kartu skor", "Batas", "Petunjuk"]
    rows = list(book["Kartu skor"].values)
    assert list(rows[0]) == list(HEADERS_ID.values())
    card = pd.read_csv(wave / "model" / "scorecard.csv")
    np.testing.assert_allclose([r[4] for r in rows[1:]], card["weight"], rtol=1e-12)
    assert rows[1][1] == "konstanta"


def test_export_without_a_saved_model_stops_with_one_sentence(tmp_path, capsys):
    code = main(["export-pmt", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and not (tmp_path / "o").exists()
