"""Empirical best (EB) and synthetic predictions of FGT poverty measures by area.

Given the fitted nested-error model on ``t = T(y)``, the welfare of census
household ``i`` of area ``d`` is, given the survey data,

    t_i | data ~ N(mu_i, s_d^2),  mu_i = x_i' beta + u_hat_d,
    s_d^2 = s2e + s2u (1 - gamma_d)

(the EB conditional distribution of Molina & Rao 2010; ``u_hat_d = 0`` and
``gamma_d = 0`` in an unsampled area: the synthetic prediction with the full
area variance). Every measure here is an area mean (or total) of a function of
one household's welfare, so its EB predictor is the mean of each household's
expectation, and no Monte Carlo over households is needed:

- P0 (poverty and extreme poverty rate): ``Phi((T(z) - mu) / s)``, exact for any
  monotone transformation;
- P1 and P2 (gap and severity, ``(1 - y/z)^a`` below the line): closed forms
  from the lognormal partial moments under the log-shift transformation; under
  Box-Cox, a 16-point Gauss-Legendre rule in probability (``u = Phi((t-mu)/s)``
  on ``(0, P0)``, where the integrand is smooth and bounded).

Rates are over persons (households weighted by their size) when persons are
given, else over households. The census is treated as the population; survey
households are not removed from it (they are not linked, and the sampling
fraction per desa is small: 15 of about 240 households on the default data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from konsel_analysis.poverty_map.model import Transformation

MEASURES = ("poverty_rate", "extreme_poverty_rate", "poverty_gap", "poverty_severity")
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_GL_NODES = 0.5 * (_GL_NODES + 1.0)  # on (0, 1)
_GL_WEIGHTS = 0.5 * _GL_WEIGHTS


def unit_p0(mu: np.ndarray, s: np.ndarray, tr: Transformation, line: float) -> np.ndarray:
    """P(y < line) for t ~ N(mu, s^2), y = T^{-1}(t)."""
    return special.ndtr((float(tr.forward(line)) - mu) / s)


def unit_gap_severity(
    mu: np.ndarray, s: np.ndarray, tr: Transformation, line: float
) -> tuple[np.ndarray, np.ndarray]:
    """E[(1 - y/z)_+] and E[(1 - y/z)_+^2] for t ~ N(mu, s^2), y = T^{-1}(t)."""
    tz = float(tr.forward(line))
    k = (tz - mu) / s
    if tr.kind == "log-shift":
        # y = e^t - c below z  <=>  t < log(z + c); 1 - y/z = a - b e^t, a = 1 + c/z, b = 1/z.
        a = 1.0 + tr.param / line
        log_b = -np.log(line)
        p0 = special.ndtr(k)
        m1 = np.exp(log_b + mu + 0.5 * s**2) * special.ndtr(k - s)
        m2 = np.exp(2 * log_b + 2 * mu + 2 * s**2) * special.ndtr(k - 2 * s)
        gap = a * p0 - m1
        severity = a * a * p0 - 2 * a * m1 + m2
        return np.clip(gap, 0.0, 1.0), np.clip(severity, 0.0, 1.0)
    p0 = special.ndtr(k)
    safe = np.maximum(p0, 1e-300)
    gap = np.zeros(np.broadcast(mu, s).shape)
    severity = np.zeros_like(gap)
    for v, w in zip(_GL_NODES, _GL_WEIGHTS, strict=True):
        t = mu + s * special.ndtri(safe * v)
        g = np.clip(1.0 - tr.inverse(t) / line, 0.0, 1.0)
        gap += w * g
        severity += w * g * g
    return gap * p0, severity * p0


def unit_measures(
    mu: np.ndarray, s: np.ndarray, tr: Transformation, line: float, extreme_line: float | None
) -> dict[str, np.ndarray]:
    """Each household's expected P0, extreme P0, P1 and P2."""
    gap, severity = unit_gap_severity(mu, s, tr, line)
    out = {
        "poverty_rate": unit_p0(mu, s, tr, line),
        "poverty_gap": gap,
        "poverty_severity": severity,
    }
    if extreme_line is not None:
        out["extreme_poverty_rate"] = unit_p0(mu, s, tr, extreme_line)
    return out


def realised_measures(
    y: np.ndarray, line: float, extreme_line: float | None
) -> dict[str, np.ndarray]:
    """The same measures of known welfare values (the bootstrap populations, the truth)."""
    gap = np.clip(1.0 - y / line, 0.0, None) * (y < line)
    out = {
        "poverty_rate": (y < line).astype(float),
        "poverty_gap": gap,
        "poverty_severity": gap * gap,
    }
    if extreme_line is not None:
        out["extreme_poverty_rate"] = (y < extreme_line).astype(float)
    return out


@dataclass
class AreaAggregator:
    """Person-weighted sums of unit values by area and by the level above."""

    indicator: object  # sparse (D, n) with persons as entries
    persons: np.ndarray  # (D,) persons (or households) per area
    upper: object | None = None  # sparse (K, D): which area lies in which upper area

    def sums(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self.indicator @ values)

    def rates(self, sums: np.ndarray) -> np.ndarray:
        denom = self.persons if sums.ndim == 1 else self.persons[:, None]
        return sums / np.maximum(denom, 1e-300)

    def upper_persons(self) -> np.ndarray:
        return np.asarray(self.upper @ self.persons).ravel()


def area_predictions(
    mu: np.ndarray,
    s: np.ndarray,
    tr: Transformation,
    line: float,
    extreme_line: float | None,
    agg: AreaAggregator,
) -> dict[str, np.ndarray]:
    """Person-weighted area sums of each measure (unit expectations summed by area)."""
    return {k: agg.sums(v) for k, v in unit_measures(mu, s, tr, line, extreme_line).items()}
