"""One estimator that fails never takes the others down (issue 14, item 2).

Three ways an estimator fails on real data, each on one fold only: it raises (as
scikit-learn's QuantileRegressor did when HiGHS hit "numerical difficulties"), its
solver does not converge, or it predicts a non-finite welfare. The estimators that work
keep exactly the numbers they have when validated alone.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import small_config, write_config

from konsel_analysis.cli import main
from konsel_analysis.datasets import DatasetError, load_dataset
from konsel_analysis.pmt import validation
from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.pmt.validation import validate_pmt

N = 360


class _OnFold(LinearPMT):
    """WLS that misbehaves when fitted on the training rows that leave out one household.

    The household ``H00007`` is in exactly one test fold, so exactly one fit (the one
    whose training rows lack it) misbehaves.
    """

    def __init__(self, how: str = "raise", poverty_line=None):
        self.how = how
        super().__init__(poverty_line=poverty_line)

    def fit(self, X, y, sample_weight=None, groups=None):
        ids = set(X.index)
        if 7 not in ids and self.how == "raise":
            raise TypeError("'NoneType' object is not subscriptable")
        if 7 not in ids and self.how == "converge":
            message = "HiGHS: numerical difficulties"
            warnings.warn(message, validation.ConvergenceWarning, stacklevel=2)
        super().fit(X, y, sample_weight=sample_weight, groups=groups)
        self.nan_ = 7 not in ids and self.how == "nan"
        return self

    def predict(self, X):
        out = super().predict(X)
        return np.where(self.nan_, np.nan, out) if self.nan_ else out


def _table(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 9, n)
    car = (rng.random(n) < 0.25).astype(int)
    log_y = 6.5 - 0.12 * size + 0.4 * car + rng.normal(0, 0.3, n)
    return pd.DataFrame(
        {
            "hh": [f"H{i:05d}" for i in range(n)],
            "area": [f"A{i % 4}" for i in range(n)],
            "village": [f"V{i % 36:02d}" for i in range(n)],
            "cons": np.exp(log_y).round(3),
            "size": size,
            "car": car,
        }
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("fail")
    _table().to_csv(root / "t.csv", index=False)
    return load_dataset(root / "t.csv", write_config(root / "t.yml", small_config()))


def _estimators(dataset, how: str) -> dict:
    line = dataset.poverty_line
    return {"wls": LinearPMT(poverty_line=line), "broken": _OnFold(how, poverty_line=line)}


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("raise", "it raised TypeError: 'NoneType' object is not subscriptable"),
        (
            "converge",
            "its solver did not converge (ConvergenceWarning: HiGHS: numerical difficulties)",
        ),
        ("nan", "it predicted {size} non-finite predicted welfare value(s)"),
    ],
)
def test_a_failing_estimator_is_recorded_and_the_others_stand(dataset, how, reason):
    alone = validate_pmt(dataset, folds=5, estimators={"wls": LinearPMT(dataset.poverty_line)})
    result = validate_pmt(dataset, folds=5, estimators=_estimators(dataset, how))
    fold_of_7 = int(result.fold[7]) + 1
    size = int(np.sum(result.fold == result.fold[7]))  # every household of the fold left out
    reason = reason.format(size=f"{size:,}")
    assert result.failures == {"broken": f"broken failed on fold {fold_of_7} of 5 {reason}"}
    assert result.best == "wls" and result.results["wls"] == alone.results["wls"]
    contract = result.validation_json()["estimators"]
    assert list(contract) == ["wls", "broken"]
    assert contract["broken"] == {"status": "failed", "reason": result.failures["broken"]}
    assert contract["wls"]["status"] == "ok"


def _validate_cli(dataset, out) -> int:
    args = ["--data", dataset.data_path, "--config", dataset.config.path, "--out", out]
    return main(["validate-pmt", *map(str, args)])


def test_every_estimator_failing_is_one_line_and_writes_nothing(
    dataset, tmp_path, capsys, monkeypatch
):
    def broken(ds, random_state=0):
        line = ds.poverty_line
        return {"a": _OnFold("raise", line), "b": _OnFold("nan", line)}

    monkeypatch.setattr(validation, "default_estimators", broken)
    with pytest.raises(DatasetError, match="every PMT estimator failed on this table"):
        validate_pmt(dataset, folds=5)
    out = tmp_path / "pmt"
    code = _validate_cli(dataset, out)
    err = capsys.readouterr().err
    assert code == 2 and "every PMT estimator failed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_the_cli_prints_and_writes_the_failure(dataset, tmp_path, capsys, monkeypatch):
    def one_broken(ds, random_state=0):
        return _estimators(ds, "raise")

    monkeypatch.setattr(validation, "default_estimators", one_broken)
    out = tmp_path / "pmt"
    code = _validate_cli(dataset, out)
    printed = capsys.readouterr().out
    assert code == 0
    assert "broken" in printed and "failed (see below)" in printed
    assert "failed: broken failed on fold" in printed
    contract = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert contract["best"] == "wls" and contract["estimators"]["broken"]["status"] == "failed"
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert list(card["failed_estimators"]) == ["broken"]
    assert "Estimators that failed" in (out / "model_card.md").read_text(encoding="utf-8")
