"""What the estimators of one validation share gives the numbers each would compute.

:mod:`konsel_analysis.pmt.sharing` hands the second and later estimators the first
one's design matrices and inner folds; the probit takes one log-CDF per row
instead of two. Both are speed-ups that must not move a bit (docs/speed_tricks.md,
"Step CPU, session 7").
"""

from __future__ import annotations

import numpy as np
import pytest
from pmt_helpers import KONSEL_CONFIG
from sklearn.base import clone

from konsel_analysis.datasets import load_dataset
from konsel_analysis.pmt import sharing
from konsel_analysis.pmt.classifiers import _loss_and_gradient
from konsel_analysis.pmt.validation import cross_fit, default_estimators, grouped_folds


def test_probit_one_sided_loss_is_the_two_sided_loss_bit_for_bit():
    # Far tails (where a log-CDF is 0 or a ratio underflows), zero, both signs.
    eta = np.array([-40.0, -38.5, -9.0, -1.0, -1e-300, 0.0, 1e-3, 0.7, 6.5, 9.0, 38.5, 40.0])
    for event in (np.zeros(len(eta)), np.ones(len(eta)), np.arange(len(eta)) % 2.0):
        loss2, grad2 = _loss_and_gradient(eta, event, "probit")
        loss1, grad1 = _loss_and_gradient(eta, event, "probit", is_event=event == 1)
        assert loss1.tobytes() == loss2.tobytes()  # equal bits, signs of zeros included
        assert grad1.tobytes() == grad2.tobytes()
    # By hand: at eta = 0, P = 1/2 each side, so the loss is log 2 and the
    # gradient -/+ phi(0) / (1/2) = -/+ 2 / sqrt(2 pi) = -/+ 0.79788...
    loss, grad = _loss_and_gradient(np.zeros(2), np.array([1.0, 0.0]), "probit", np.array([1, 0]))
    np.testing.assert_allclose(loss, [np.log(2), np.log(2)], rtol=1e-15)
    np.testing.assert_allclose(grad, [-0.7978845608028654, 0.7978845608028654], rtol=1e-15)


@pytest.fixture(scope="module")
def wave_dataset(wave):
    return load_dataset(wave / "survey.parquet", KONSEL_CONFIG)


def test_estimators_get_the_same_predictions_with_and_without_sharing(wave_dataset):
    every = default_estimators(wave_dataset)
    chosen = {k: every[k] for k in ("wls_lasso", "probit")}
    fold = grouped_folds(wave_dataset.is_poor, wave_dataset.cluster, 3, 0)
    alone = {name: cross_fit(e, wave_dataset, fold, name) for name, e in chosen.items()}
    with sharing.shared_work():
        shared = {name: cross_fit(e, wave_dataset, fold, name) for name, e in chosen.items()}
    for name in chosen:
        for field in ("p_poor", "p_extreme", "predicted_welfare"):
            a, b = getattr(alone[name], field), getattr(shared[name], field)
            assert (a is None) == (b is None), (name, field)
            if a is not None:
                assert a.tobytes() == b.tobytes(), (name, field)


def test_the_second_estimator_reuses_the_first_ones_design(wave_dataset):
    X, y, w = wave_dataset.X, wave_dataset.y, wave_dataset.weight
    every = default_estimators(wave_dataset)
    with sharing.shared_work():
        first = clone(every["wls"]).fit(X, y, sample_weight=w)
        second = clone(every["logit"]).fit(X, y, sample_weight=w)
        assert second.features_ is first.features_  # one fit, handed on
        Z1, _ = first._design(X)
        Z1[:] = np.nan  # a caller may write into its matrix: the next gets a clean copy
        Z2, _ = second._design(X)
        assert np.isfinite(Z2).all()
        np.testing.assert_array_equal(Z2, first.features_.transform(X))
    third = clone(every["wls"]).fit(X, y, sample_weight=w)  # outside the block: its own fit
    assert third.features_ is not first.features_


def test_splits_are_shared_within_the_block_only():
    from sklearn.model_selection import GroupKFold

    groups = np.repeat(np.arange(6), 3)
    cv = GroupKFold(3, shuffle=True, random_state=0)
    expected = list(cv.split(np.zeros((18, 1)), groups=groups))
    with sharing.shared_work():
        one = sharing.splits(cv, 18, groups)
        one[0][0][:] = -1  # the caller's copy
        two = sharing.splits(cv, 18, groups)
    for (a, b), (c, d) in zip(two, expected, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    # Each test fold holds whole groups: 2 of the 6 groups, 6 rows.
    assert sorted(len(test) for _, test in two) == [6, 6, 6]
    assert all(len(np.unique(groups[test])) == 2 for _, test in two)


def test_lasso_path_without_its_input_checks_is_the_checked_path():
    # lasso_bic hands lasso_path a column-major copy and skips its checks; the path
    # must be the one the checked call computes from the row-major matrix.
    from sklearn.linear_model import lasso_path

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 12))
    y = X[:, 0] - 0.5 * X[:, 3] + rng.normal(0, 0.3, 300)
    alphas = np.max(np.abs(X.T @ y)) / len(y) * np.logspace(0, -3, 40)
    _, checked, _ = lasso_path(X, y, alphas=alphas)
    _, unchecked, _ = lasso_path(np.asfortranarray(X), y, alphas=alphas, check_input=False)
    assert checked.tobytes() == unchecked.tobytes()
    # At alpha_max = max |X'y| / n no column is in; at the weakest penalty both true
    # predictors are, with about their coefficients 1 and -0.5.
    assert not checked[:, 0].any()
    assert abs(checked[0, -1] - 1) < 0.1 and abs(checked[3, -1] + 0.5) < 0.1
