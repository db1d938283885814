"""The quadrature of the gap and severity under Box-Cox, against scipy's adaptive quad.

The reference integrates ``(1 - y/z)_+^a phi(x)`` over the standard-normal ``x`` of
``t = mu + s x`` with ``scipy.integrate.quad`` (adaptive Gauss-Kronrod, tolerance
1e-13): a different method on a different variable from the rule under test
(Gauss-Legendre in probability). The cells are those of the main job (the default
data's fitted Box-Cox lambda 0.137, the EB sd 0.8 to 2 around its 1.40, the poverty
line of konsel_facts) from P0 about 1e-15 to P0 about 1, and a few other shapes
(lambda near 0 and below 0, the emdi shift).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, special

from konsel_analysis.poverty_map import ebp
from konsel_analysis.poverty_map.ebp import unit_gap_severity
from konsel_analysis.poverty_map.model import Transformation

LINE = 462_710.0  # the default data's poverty line (IDR per person per month)
LAMBDA = 0.1372522004657427  # Box-Cox lambda the default data's fit chooses
K = (-8.0, -5.0, -3.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 8.0)  # (T(z) - mu) / s


def _cells() -> list[tuple[Transformation, float, float]]:
    """(transformation, s, k) of every cell tried."""
    main = Transformation("box-cox", LAMBDA)
    cells = [(main, s, k) for s in (0.8, 1.4, 2.0) for k in K]
    for tr, s in (
        (Transformation("box-cox", 1e-6), 0.5),
        (Transformation("box-cox", 0.05), 1.0),
        (Transformation("box-cox", -0.1), 0.05),
        (Transformation("box-cox", 0.3, shift=50_000.0), 6.0),
    ):
        cells += [(tr, s, k) for k in (-5.0, -1.0, 0.0, 1.0, 3.0, 8.0)]
    return cells


def _reference(tr: Transformation, s: float, k: float) -> np.ndarray:
    """E[(1 - y/z)_+^a], a = 1, 2, by adaptive quadrature over x ~ N(0, 1), x < k."""
    mu = float(tr.forward(LINE)) - k * s

    def term(x: float, a: int) -> float:
        g = min(max(1.0 - float(tr.inverse(mu + s * x)) / LINE, 0.0), 1.0)
        return g**a * math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)

    breaks = sorted(b for b in (k - 6.0, k - 3.0, k - 1.0, 0.0) if k - 40.0 < b < k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return np.array(
            [
                integrate.quad(
                    term, k - 40.0, k, (a,), epsabs=1e-16, epsrel=1e-13, limit=400, points=breaks
                )[0]
                for a in (1, 2)
            ]
        )


def _plain_rule(tr: Transformation, s: float, k: float, n: int = 16) -> np.ndarray:
    """The rule before session 7: n-point Gauss-Legendre in u on (0, P0), no substitution."""
    x, w = np.polynomial.legendre.leggauss(n)
    p0 = special.ndtr(k)
    mu = float(tr.forward(LINE)) - k * s
    g = np.clip(1.0 - tr.inverse(mu + s * special.ndtri(p0 * 0.5 * (x + 1.0))) / LINE, 0, 1)
    return p0 * np.array([0.5 * w @ g, 0.5 * w @ g**2])


@pytest.fixture(scope="module")
def errors() -> dict[str, np.ndarray]:
    """Absolute and relative errors of the rule and of the plain 16-point rule, (cells, 2)."""
    ours, plain, ref = [], [], []
    for tr, s, k in _cells():
        mu = float(tr.forward(LINE)) - k * s
        gap, sev = unit_gap_severity(np.array([mu]), np.array([s]), tr, LINE)
        ours.append([gap[0], sev[0]])
        plain.append(_plain_rule(tr, s, k))
        ref.append(_reference(tr, s, k))
    ours, plain, ref = map(np.array, (ours, plain, ref))
    return {
        "abs": np.abs(ours - ref),
        "rel": np.abs(ours - ref) / ref,
        "plain_abs": np.abs(plain - ref),
        "ref": ref,
    }


def test_rule_is_far_more_accurate_than_any_page_prints(errors):
    # Pages print rates in percent to 1 decimal (P1, P2 to 2): 5e-5 is 0.005 points,
    # and the bootstrap's Monte Carlo error of a 200-replicate interval end is about
    # 0.1 x RMSE (RMSE of an area's P1 about 2e-3 on the default data): 2e-4.
    assert errors["abs"].max() < 5e-5
    main = errors["abs"][: 3 * len(K)]  # the main job's cells
    assert main.max() < 2e-5
    # relative error where the value is not negligible (P0 above about 1e-6)
    big = errors["ref"] > 1e-9
    assert errors["rel"][big].max() < 1e-3


def test_rule_beats_the_plain_16_point_rule_with_half_the_nodes(errors):
    assert len(ebp.QUADRATURE[0]) == 8
    # in every cell the larger of the gap's and the severity's errors is at least 3
    # times smaller (one component alone can be closer by luck: errors change sign)
    assert np.all(errors["abs"].max(axis=1) <= errors["plain_abs"].max(axis=1) / 3)
    assert np.median(errors["abs"]) < np.median(errors["plain_abs"]) / 10


def test_rule_weights_integrate_polynomials_in_probability():
    # v = S(w), dv = S'(w) dw: sum of weights is the length of (0, 1); the rule is
    # exact for polynomials in w of degree < 16, so for v and v^2 (degree 5 and 10 in w)
    v, w = ebp.QUADRATURE
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert w @ v == pytest.approx(0.5, abs=1e-14)
    assert w @ v**2 == pytest.approx(1.0 / 3.0, abs=1e-14)
    assert np.all((v > 0) & (v < 1)) and np.all(np.diff(v) > 0)


def test_chunks_and_shapes_give_each_cell_its_own_value(monkeypatch):
    # (4, 3) cells cut in chunks of 5 cells: each cell as if it were computed alone
    tr = Transformation("box-cox", LAMBDA)
    tz = float(tr.forward(LINE))
    mu = tz - np.arange(12.0).reshape(4, 3) / 3.0 + 1.0
    s = np.array([1.2, 1.4, 1.6])  # broadcast along rows, as (D,) sd over (n, B) cells
    sd = np.broadcast_to(s, mu.shape).ravel()
    alone = [unit_gap_severity(mu.ravel()[i : i + 1], sd[i : i + 1], tr, LINE) for i in range(12)]
    monkeypatch.setattr(ebp, "CHUNK", 5)
    gap, sev = unit_gap_severity(mu, s, tr, LINE)
    assert gap.shape == sev.shape == (4, 3)
    assert np.array_equal(gap.ravel(), [a[0][0] for a in alone])
    assert np.array_equal(sev.ravel(), [a[1][0] for a in alone])


@pytest.mark.parametrize(
    "tr",
    [
        Transformation("box-cox", LAMBDA),
        Transformation("box-cox", 0.0, shift=3.0),
        Transformation("box-cox", -0.5, shift=1.0),
        Transformation("log-shift", 40.0),
        Transformation("none", 0.0),
    ],
)
def test_inverse_in_place_is_bit_for_bit_the_inverse(tr):
    t = np.array([-30.0, -2.5, 0.0, 1.0, 7.25, 36.0])
    expected = tr.inverse(t)
    out = np.empty_like(t)
    assert tr.inverse(t, out=out) is out
    assert np.array_equal(out, expected)
    assert np.array_equal(tr.inverse(t, out=t), expected)  # over its own input
    assert np.ndim(tr.inverse(2.0)) == 0


def test_ndtri_lower_agrees_with_scipy_in_every_branch():
    # lower tail (AS 241's rational function), its borders 0.075 and exp(-25), the
    # far tail, the centre and the upper tail (scipy's ndtri), and the floor 1e-300
    y = np.concatenate(
        [
            np.exp(-np.linspace(0.0, 60.0, 2001)[1:]),  # 0.9995 down to 1e-26
            [0.075, np.nextafter(0.075, 0), math.exp(-25.0), 1e-300, 0.5, 0.999999],
        ]
    )
    out = ebp.ndtri_lower(np.log(y), y, np.empty_like(y), np.empty_like(y), np.empty_like(y))
    expected = special.ndtri(y)
    assert np.all(np.abs(out - expected) <= 2e-15 * np.abs(expected) + 1e-300)
    assert np.array_equal(np.sign(out), np.sign(expected))
