"""The nested-error fit, EB predictor, transformations, weights and bootstrap MSE."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from konsel_analysis.poverty_map.bootstrap import bootstrap_errors
from konsel_analysis.poverty_map.ebp import AreaAggregator, unit_gap_severity, unit_p0
from konsel_analysis.poverty_map.model import (
    GroupedDesign,
    NestedErrorModel,
    ResponseSums,
    Transformation,
    VarianceFit,
    _profile,
    area_effects,
    area_indicator,
    choose_transformation,
    fit_many,
)

# A tiny hand-worked case: intercept only, area A = [1, 2, 3], area B = [4, 6],
# area C unsampled; s2u = 1, s2e = 2 (tau = 0.5).
T = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
G = np.array([0, 0, 0, 1, 1])
X1 = np.ones((5, 1))


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_eb_predictor_by_hand():
    design = GroupedDesign(X1, G, 3)
    _, beta, _ = _profile(design, ResponseSums.of(design, T), 0.5, "reml")
    # GLS: area weights n/(s2e + n s2u) = 3/5 and 2/4; beta = (0.6*2 + 0.5*5) / 1.1
    assert beta[0, 0] == pytest.approx(3.7 / 1.1, abs=1e-12)
    fit = VarianceFit(beta, np.array([2.0]), np.array([1.0]), np.array([0.0]))
    _, u, gamma = area_effects(design, T, fit)
    # gamma = s2u / (s2u + s2e/n): 1/(1 + 2/3) = 0.6 and 1/(1 + 1) = 0.5; C unsampled: 0
    assert gamma[:, 0] == pytest.approx([0.6, 0.5, 0.0])
    assert u[:, 0] == pytest.approx([0.6 * (2 - 3.7 / 1.1), 0.5 * (5 - 3.7 / 1.1), 0.0])
    # EB P(t < 3) of a household of A: N(beta + u_A, s2e + s2u (1 - gamma_A)) = N(2.5455, 2.4)
    mu_a = 3.7 / 1.1 + u[0, 0]
    tr = Transformation("none", 0.0)
    assert unit_p0(mu_a, math.sqrt(2.4), tr, 3.0) == pytest.approx(
        _phi((3 - 2.545454545) / math.sqrt(2.4)), abs=1e-8
    )
    # synthetic in C: N(beta, s2e + s2u) = N(3.3636, 3)
    assert unit_p0(3.7 / 1.1, math.sqrt(3.0), tr, 3.0) == pytest.approx(0.41686, abs=1e-4)


def test_reml_fit_matches_statsmodels_mixedlm():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    D, n_d = 25, 12
    g = np.repeat(np.arange(D), n_d)
    X = np.column_stack([np.ones(D * n_d), rng.normal(size=D * n_d), rng.integers(0, 2, D * n_d)])
    y = X @ [1.0, 0.5, -0.3] + rng.normal(0, 0.6, D)[g] + rng.normal(0, 1.0, D * n_d)
    ours = NestedErrorModel("reml").fit(X, y, g, D)
    ref = sm.MixedLM(y, X, groups=g).fit(reml=True)
    assert ours.beta_ == pytest.approx(ref.fe_params, abs=2e-4)
    assert ours.s2e_ == pytest.approx(ref.scale, rel=2e-3)
    assert ours.s2u_ == pytest.approx(float(np.asarray(ref.cov_re)[0, 0]), rel=5e-3)
    assert ours.loglik_ == pytest.approx(ref.llf, abs=1e-2)
    ml = NestedErrorModel("ml").fit(X, y, g, D)
    ref_ml = sm.MixedLM(y, X, groups=g).fit(reml=False)
    assert ml.loglik_ == pytest.approx(ref_ml.llf, abs=1e-2)


def test_many_responses_fit_like_one_at_a_time():
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(10), 6)
    X = np.column_stack([np.ones(60), rng.normal(size=60)])
    design = GroupedDesign(X, g, 12)  # two areas without units
    Y = rng.normal(0, 0.5, (10, 3))[g] + rng.normal(size=(60, 3))
    many = fit_many(design, Y)
    for b in range(3):
        one = fit_many(design, Y[:, [b]])
        assert many.s2u[b] == pytest.approx(one.s2u[0])
        assert many.beta[:, b] == pytest.approx(one.beta[:, 0])


def test_gap_and_severity_closed_forms_and_quadrature():
    # identity: E[(1 - y/z)_+] for y ~ N(mu, s^2) = Phi(k)(1 - mu/z) + (s/z) phi(k)
    mu, s, z = 80.0, 20.0, 100.0  # y < 0 has probability 3e-5 (the gap is capped at 1)
    k = (z - mu) / s
    gap, sev = unit_gap_severity(np.array([mu]), np.array([s]), Transformation("none", 0), z)
    # (the integrand in u has a log singularity at u = 0 without a floor on y; the
    # rule's change of variable tames it: 2e-5 here, 5e-4 with the plain 16-point rule)
    assert gap[0] == pytest.approx(
        stats.norm.cdf(k) * (1 - mu / z) + s / z * stats.norm.pdf(k), rel=1e-4
    )
    # log-shift (closed form) and Box-Cox (quadrature) against numerical integration
    for tr, mu in ((Transformation("log-shift", 50.0), 5.0), (Transformation("box-cox", 0.3), 6.0)):
        s = 0.6

        def term(t, a, tr=tr, mu=mu, s=s):
            return max(0.0, 1 - tr.inverse(t) / z) ** a * stats.norm.pdf(t, mu, s)

        upper = float(tr.forward(z))
        rel = 1e-8 if tr.kind == "log-shift" else 1e-5  # closed form; 8-point quadrature
        gap, sev = unit_gap_severity(np.array([mu]), np.array([s]), tr, z)
        assert gap[0] == pytest.approx(integrate.quad(term, mu - 12 * s, upper, (1,))[0], rel=rel)
        assert sev[0] == pytest.approx(integrate.quad(term, mu - 12 * s, upper, (2,))[0], rel=rel)


def test_box_cox_and_log_shift_round_trip_and_jacobian():
    y = np.array([0.5, 1.0, 4.0])
    for tr in (
        Transformation("box-cox", 0.4),
        Transformation("box-cox", 0.0),
        Transformation("log-shift", 2.0),
    ):
        assert tr.inverse(tr.forward(y)) == pytest.approx(y)
        eps = 1e-6  # log |dT/dy| summed, against a numerical derivative
        deriv = (tr.forward(y + eps) - tr.forward(y - eps)) / (2 * eps)
        assert tr.log_jacobian(y) == pytest.approx(np.sum(np.log(deriv)), rel=1e-6)


def _areas(seed: int, D: int, n_d: int):
    """A generator, area of each unit, one normal proxy and the design with intercept."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(D), n_d)
    x = rng.normal(size=D * n_d)
    return rng, g, x, np.column_stack([np.ones(D * n_d), x])


def test_box_cox_with_emdis_shift_by_hand():
    # (y + 3)^0.5: y = 1 -> (2 - 1) / 0.5 = 2; y = 6 -> (3 - 1) / 0.5 = 4
    tr = Transformation("box-cox", 0.5, shift=3.0)
    y = np.array([1.0, 6.0])
    assert tr.forward(y) == pytest.approx([2.0, 4.0])
    assert tr.inverse(np.array([2.0, 4.0])) == pytest.approx(y)
    # (lambda - 1) * sum log(y + shift) = -0.5 * log(4 * 9) = -log 6
    assert tr.log_jacobian(y) == pytest.approx(-math.log(6.0))


def test_welfare_not_above_zero_gets_a_shift():
    rng, g, x, X = _areas(6, 30, 20)
    y = np.exp(5 + 0.4 * x + rng.normal(0, 0.5, len(x))) - 40.0  # min about -39
    y[:3] = [0.0, -5.0, 0.0]
    choice = choose_transformation(GroupedDesign(X, g, 30), y)
    # emdi's rule: Box-Cox of y + |min y| + 1; the log-shift's own shift lies above -min y
    assert choice.candidates["box-cox"]["shift"] == pytest.approx(abs(y.min()) + 1.0)
    assert choice.candidates["log-shift"]["param"] > -y.min()
    assert "log" not in choice.candidates  # the plain log cannot take y <= 0
    assert np.isfinite(choice.chosen.forward(y)).all()
    assert np.isfinite([c["loglik"] for c in choice.candidates.values()]).all()


def test_transformation_choice_by_likelihood():
    rng, g, x, X = _areas(5, 40, 25)
    t = 5 + 0.4 * x + rng.normal(0, 0.2, 40)[g] + rng.normal(0, 0.5, len(x))
    design = GroupedDesign(X, g, 40)
    # log-normal welfare: the chosen transformation is (close to) the log
    lognormal = choose_transformation(design, np.exp(t))
    assert lognormal.candidates["box-cox"]["param"] == pytest.approx(0.0, abs=0.06)
    # square of a normal: Box-Cox with lambda near 1/2, far more likely than the log
    squared = choose_transformation(design, t**2)
    assert squared.chosen.kind == "box-cox"
    assert squared.chosen.param == pytest.approx(0.5, abs=0.1)
    assert squared.candidates["box-cox"]["loglik"] > squared.candidates["log"]["loglik"] + 10


def test_pseudo_eb_weights_by_hand():
    design = GroupedDesign(X1, G, 3)
    fit = VarianceFit(np.zeros((1, 1)), np.array([2.0]), np.array([1.0]), np.array([0.0]))
    w = np.array([1.0, 1.0, 2.0, 1.0, 3.0])
    beta, u, gamma = area_effects(design, T, fit, weights=w)
    # A: ybar_w = 9/4, delta^2 = 6/16, gamma = 1/(1 + 2*0.375) = 4/7
    # B: ybar_w = 22/4, delta^2 = 10/16, gamma = 1/(1 + 2*0.625) = 4/9
    g_a, g_b = 4 / 7, 4 / 9
    beta_w = (4 * (1 - g_a) * 2.25 + 4 * (1 - g_b) * 5.5) / (4 * (1 - g_a) + 4 * (1 - g_b))
    assert gamma[:2, 0] == pytest.approx([g_a, g_b])
    assert beta[0, 0] == pytest.approx(beta_w)
    assert u[0, 0] == pytest.approx(g_a * (2.25 - beta_w))
    # equal weights (any scale): the pseudo-EB is the unweighted EB
    _, beta_gls, _ = _profile(design, ResponseSums.of(design, T), 0.5, "reml")
    fit = VarianceFit(beta_gls, np.array([2.0]), np.array([1.0]), np.array([0.0]))
    b_eq, u_eq, _ = area_effects(design, T, fit, weights=np.full(5, 7.0))
    b_un, u_un, _ = area_effects(design, T, fit)
    assert b_eq == pytest.approx(b_un)
    assert u_eq == pytest.approx(u_un)


def test_bootstrap_mse_of_an_unsampled_area_matches_its_formula():
    # 40 sampled areas of 50 households, intercept 0, s2u = 0.25, s2e = 1, line t = 0
    # (identity); area 40 has 50 census households and no sample. Its synthetic P0 is
    # Phi(-beta_hat / sqrt(s2e + s2u)); the truth is the share of its 50 households with
    # t < 0. MSE = E_u[(Phi(-u) - 1/2)^2] + E_u[p(1-p)]/50 + phi(0)^2/1.25 * Var(beta_hat).
    D, n_d, N = 40, 50, 50
    design = GroupedDesign(np.ones((D * n_d, 1)), np.repeat(np.arange(D), n_d), D + 1)
    g_c = np.concatenate([np.repeat(np.arange(D), n_d), np.full(N, D)])
    persons = np.ones(len(g_c))
    agg = AreaAggregator(area_indicator(g_c, D + 1, persons), np.bincount(g_c, minlength=D + 1))
    tr = Transformation("none", 0.0)
    errors = bootstrap_errors(
        design,
        np.ones((len(g_c), 1)),
        g_c,
        agg,
        tr,
        np.zeros(1),
        1.0,
        0.25,
        0.0,
        None,
        reps=1500,
        seed=1,
    )
    mse = np.mean((errors["poverty_rate"][D] / N) ** 2)
    u_pdf = lambda u: stats.norm.pdf(u, 0, 0.5)  # noqa: E731
    p = lambda u: stats.norm.cdf(-u)  # noqa: E731
    between = integrate.quad(lambda u: (p(u) - 0.5) ** 2 * u_pdf(u), -5, 5)[0]
    within = integrate.quad(lambda u: p(u) * (1 - p(u)) * u_pdf(u), -5, 5)[0] / N
    beta_term = stats.norm.pdf(0) ** 2 / 1.25 * (0.25 + 1 / n_d) / D
    assert mse == pytest.approx(between + within + beta_term, rel=0.08)


def test_benchmark_ratio_by_hand():
    from konsel_analysis.poverty_map.bootstrap import benchmark_ratio

    # predicted poor persons 2 and 6 of 10 and 30 persons: model rate 8/40 = 0.2;
    # direct 0.25 -> ratio 1.25, areas 2.5/10 and 7.5/30, their mean 10/40 = 0.25
    persons = np.array([10.0, 30.0])
    assert benchmark_ratio(np.array([2.0, 6.0]), persons, 0.25) == pytest.approx(1.25)
    # per replicate (columns), each to its own direct rate; a model rate of 0 keeps 1
    sums = np.array([[2.0, 0.0], [6.0, 0.0]])
    assert benchmark_ratio(sums, persons, np.array([0.1, 0.3])).tolist() == [0.5, 1.0]


def test_benchmarked_map_adds_up_to_the_direct_rate():
    import pandas as pd

    from konsel_analysis.poverty_map.estimator import Households, PovertyMap

    rng, g, x, _ = _areas(9, 30, 60)
    y = np.exp(9 + 0.5 * x + rng.normal(0, 0.2, 30)[g] + rng.normal(0, 0.5, len(x)))
    sampled = np.concatenate([np.flatnonzero(g == d)[:12] for d in range(20)])
    w = np.where(np.arange(len(sampled)) % 2, 3.0, 7.0)  # unequal weights
    census = Households(pd.DataFrame({"z": x}), g.astype(str))
    survey = Households(pd.DataFrame({"z": x[sampled]}), g[sampled].astype(str), y[sampled], w)
    direct = float(w @ (y[sampled] < 8_000) / w.sum())
    plain = PovertyMap(8_000, numeric=["z"], reps=30, seed=1).fit(survey, census)
    pm = PovertyMap(8_000, numeric=["z"], reps=30, seed=1, benchmark=True).fit(survey, census)
    # 60 households per area: the household-weighted mean is the plain mean of the areas
    assert pm.table_.poverty_rate.mean() == pytest.approx(direct, rel=1e-12)
    ratio = pm.summary()["benchmark"]["ratio"]
    assert ratio == pytest.approx(direct / plain.table_.poverty_rate.mean(), rel=1e-12)
    assert pm.table_.poverty_rate.to_numpy() == pytest.approx(
        ratio * plain.table_.poverty_rate.to_numpy(), rel=1e-12
    )
    # gap and severity are not benchmarked; the replicates are (other errors, same draws)
    assert pm.table_.poverty_gap.to_numpy() == pytest.approx(plain.table_.poverty_gap.to_numpy())
    assert not np.allclose(pm.errors_["poverty_rate"], plain.errors_["poverty_rate"])
    assert np.allclose(pm.errors_["poverty_gap"], plain.errors_["poverty_gap"])
