"""The one-way nested-error model, fitted in closed form, and the choice of transformation.

Model (Battese, Harter & Fuller 1988; Molina & Rao 2010) for household ``j`` of
area ``d``, on a transformed welfare ``t = T(y)``::

    t_dj = x_dj' beta + u_d + e_dj,   u_d ~ N(0, s2u),   e_dj ~ N(0, s2e)

With ``tau = s2u / s2e`` the (restricted) likelihood profiles to one dimension:
for a given ``tau`` the GLS estimate of ``beta`` and ``s2e`` are closed forms of a
few area sums (the Fuller-Battese quasi-demeaning), so the fit is a search over
``tau`` alone. The sums depend on ``y`` only through area means and within-area
cross-products, so many responses (the bootstrap replicates) are fitted at
once: a grid over ``log tau`` shared by every replicate, then a parabola through
the best grid point and its neighbours. The fit is checked against statsmodels'
MixedLM in the tests.

Transformations (chosen by the profile REML likelihood of the transformed data
plus the log Jacobian of the transformation, i.e. the likelihood of ``y``):

- ``log-shift``: ``t = log(y + s)``, the shift ``s > -min(y)`` estimated;
- ``box-cox``: ``t = (y**lam - 1) / lam`` (``log y`` at ``lam = 0``), ``lam`` estimated.

Survey weights (``weights="pseudo"``, the default when the survey has weights):
the variance components come from the unweighted REML fit, ``beta`` and the area
effects from the pseudo-EBLUP of You & Rao (2002) as used in the pseudo-EB of
Guadarrama, Molina & Rao (2018): weighted area means ``ybar_dw``,
``gamma_dw = s2u / (s2u + s2e * sum(w^2) / sum(w)^2)``. With equal weights
inside each area this is exactly the unweighted EB. ``weights="ignore"`` fits the
model-based EB (valid when sampling is non-informative given ``x`` and the area).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

LOG_TAU_GRID = np.linspace(-6.0, 3.0, 91)  # log10 of s2u / s2e; tau = 0 is tried too


# --------------------------------------------------------------------------------------
# Transformations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transformation:
    """``kind`` ``log-shift`` (``param`` = shift) or ``box-cox`` (``param`` = lambda).

    ``shift`` (Box-Cox only) is added to welfare first: 0 unless welfare has values not
    above zero, then ``|min y| + 1`` (the rule of R's emdi, Kreutzmann et al. 2019).
    """

    kind: str
    param: float
    shift: float = 0.0

    def forward(self, y):
        y = np.asarray(y, dtype=float)
        if self.kind == "log-shift":
            return np.log(y + self.param)
        if self.kind == "box-cox":
            y = y + self.shift
            if abs(self.param) < 1e-10:
                return np.log(y)
            with np.errstate(invalid="ignore"):
                return (np.power(y, self.param) - 1.0) / self.param
        if self.kind == "none":
            return y
        raise ValueError(f"unknown transformation {self.kind!r}")

    def inverse(self, t, out: np.ndarray | None = None):
        """``T^{-1}(t)``. With ``out`` (a float array of ``t``'s shape; may be ``t``
        itself) it is computed in place there: the same operations in the same order."""
        t = np.asarray(t, dtype=float)
        if out is None:
            scalar = t.ndim == 0
            out = np.empty_like(t)
            return self.inverse(t, out)[()] if scalar else self.inverse(t, out)
        if self.kind == "log-shift":
            return np.subtract(np.exp(t, out=out), self.param, out=out)
        if self.kind == "box-cox":
            if abs(self.param) < 1e-10:
                return np.subtract(np.exp(t, out=out), self.shift, out=out)
            base = np.add(np.multiply(t, self.param, out=out), 1.0, out=out)
            np.maximum(base, 0.0, out=base)
            with np.errstate(divide="ignore", over="ignore"):
                return np.subtract(np.power(base, 1.0 / self.param, out=out), self.shift, out=out)
        if self.kind == "none":
            np.copyto(out, t)
            return out
        raise ValueError(f"unknown transformation {self.kind!r}")

    def log_jacobian(self, y) -> float:
        """Sum over units of log |dT/dy|: turns the likelihood of ``T(y)`` into that of ``y``."""
        y = np.asarray(y, dtype=float)
        if self.kind == "log-shift":
            return float(-np.sum(np.log(y + self.param)))
        if self.kind == "box-cox":
            return float((self.param - 1.0) * np.sum(np.log(y + self.shift)))
        return 0.0

    def describe(self) -> str:
        if self.kind == "log-shift":
            return f"log(y + {self.param:.6g})"
        if self.kind == "box-cox" and self.shift:
            return f"Box-Cox of (y + {self.shift:.6g}), lambda = {self.param:.4f}"
        if self.kind == "box-cox":
            return f"Box-Cox, lambda = {self.param:.4f}"
        return "none"


# --------------------------------------------------------------------------------------
# Grouped design: the sums the profile likelihood needs
# --------------------------------------------------------------------------------------


@dataclass
class GroupedDesign:
    """A fixed design (intercept included, full column rank) and its areas.

    ``group`` holds each unit's area index in ``0..n_areas-1``; areas without a
    unit have ``counts`` 0.
    """

    X: np.ndarray
    group: np.ndarray
    n_areas: int
    counts: np.ndarray = field(init=False)
    indicator: object = field(init=False, repr=False)
    xbar: np.ndarray = field(init=False)
    Wxx: np.ndarray = field(init=False)
    _grid: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.X = np.asarray(self.X, dtype=float)
        self.group = np.asarray(self.group, dtype=np.int64)
        self.counts = np.bincount(self.group, minlength=self.n_areas).astype(float)
        self.indicator = area_indicator(self.group, self.n_areas)
        self.xbar = self.area_means(self.X)
        self.Wxx = self.X.T @ self.X - (self.xbar * self.counts[:, None]).T @ self.xbar

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    def area_sums(self, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sums by area of a vector (n,) or matrix (n, B), optionally weighted."""
        values = np.asarray(values, dtype=float)
        if weights is not None:
            values = values * (weights if values.ndim == 1 else weights[:, None])
        if values.ndim == 1:
            return np.bincount(self.group, weights=values, minlength=self.n_areas)
        return np.asarray(self.indicator @ values)

    def area_means(self, values: np.ndarray) -> np.ndarray:
        sums = self.area_sums(values)
        counts = np.maximum(self.counts, 1.0)
        return sums / (counts if sums.ndim == 1 else counts[:, None])

    def grid_terms(self, tau: float) -> tuple[np.ndarray, np.ndarray, float]:
        """``c_d = n_d / (1 + n_d tau)``, ``A(tau)^{-1}`` and ``log |A(tau)|``, cached."""
        key = float(tau)
        if key not in self._grid:
            c = self.counts / (1.0 + self.counts * tau)
            A = self.Wxx + (self.xbar * c[:, None]).T @ self.xbar
            sign, logdet = np.linalg.slogdet(A)
            if sign <= 0:
                raise np.linalg.LinAlgError("design matrix is not of full column rank")
            self._grid[key] = (c, np.linalg.inv(A), float(logdet))
        return self._grid[key]


def area_indicator(group: np.ndarray, n_areas: int, weights: np.ndarray | None = None):
    """Sparse (n_areas, n) matrix: row d sums (weighted) the units of area d."""
    from scipy import sparse

    group = np.asarray(group, dtype=np.int64)
    data = np.ones(len(group)) if weights is None else np.asarray(weights, dtype=float)
    return sparse.csr_matrix((data, (group, np.arange(len(group)))), shape=(n_areas, len(group)))


def full_rank_columns(X: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns (pivoted QR), in order."""
    from scipy.linalg import qr

    if X.shape[1] == 0:
        return np.arange(0)
    scale = np.sqrt(np.sum(X**2, axis=0))
    scale[scale == 0] = 1.0
    _, R, piv = qr(X / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > tol * max(diag[0], 1e-300))) if len(diag) else 0
    return np.sort(piv[:rank])


# --------------------------------------------------------------------------------------
# Profile likelihood, many responses at once
# --------------------------------------------------------------------------------------


@dataclass
class ResponseSums:
    """The sums of responses ``Y`` (n, B) the profile likelihood needs."""

    ybar: np.ndarray  # (D, B)
    Wxy: np.ndarray  # (p, B)
    Wyy: np.ndarray  # (B,)

    @classmethod
    def of(cls, design: GroupedDesign, Y: np.ndarray) -> ResponseSums:
        Y = np.asarray(Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        ybar = design.area_means(Y)
        nyb = ybar * design.counts[:, None]
        Wxy = design.X.T @ Y - design.xbar.T @ nyb
        Wyy = np.einsum("ij,ij->j", Y, Y) - np.einsum("db,db->b", nyb, ybar)
        return cls(ybar, Wxy, Wyy)


def _profile(
    design: GroupedDesign, sums: ResponseSums, tau: float, method: str, adjust: bool = False
):
    """Profile log-likelihood (B,), beta (p, B) and s2e (B,) at one ``tau`` for every response.

    With ``adjust`` the log-likelihood gets ``+ log tau`` (the adjustment factor of Li &
    Lahiri 2010, here on ``tau = s2u / s2e``): its maximum is never at ``s2u = 0``.
    """
    c, Ainv, logdet = design.grid_terms(tau)
    r = sums.Wxy + design.xbar.T @ (sums.ybar * c[:, None])
    beta = Ainv @ r
    rss = sums.Wyy + np.einsum("d,db->b", c, sums.ybar**2) - np.einsum("pb,pb->b", r, beta)
    rss = np.maximum(rss, 1e-300)
    n, p = design.n, design.p
    logdet_v = float(np.sum(np.log1p(design.counts * tau)))
    if method == "reml":
        dof = n - p
        ll = -0.5 * dof * (np.log(2 * np.pi * rss / dof) + 1.0) - 0.5 * logdet_v - 0.5 * logdet
    else:
        dof = n
        ll = -0.5 * n * (np.log(2 * np.pi * rss / n) + 1.0) - 0.5 * logdet_v
    if adjust:
        ll = ll + (np.log(tau) if tau > 0 else -np.inf)
    return ll, beta, rss / dof


@dataclass
class VarianceFit:
    """Fitted nested-error parameters for B responses (B = 1 for an ordinary fit)."""

    beta: np.ndarray  # (p, B)
    s2e: np.ndarray  # (B,)
    s2u: np.ndarray  # (B,)
    loglik: np.ndarray  # (B,) profile log-likelihood of the (transformed) responses


def fit_many(
    design: GroupedDesign, Y: np.ndarray, method: str = "reml", adjust: bool = False
) -> VarianceFit:
    """Fit the nested-error model to every column of ``Y`` (n, B) at once.

    ``adjust``: maximise the adjusted likelihood (see :func:`_profile`); ``loglik`` is
    then still the unadjusted one at the chosen ``tau``.

    The search over ``tau`` is a grid in ``log10 tau`` (plus ``tau = 0``), refined
    by a parabola through the best grid point and its two neighbours (in log tau);
    the refined value is kept when its likelihood is higher.
    """
    sums = ResponseSums.of(design, Y)
    taus = np.concatenate([[0.0], 10.0**LOG_TAU_GRID])
    lls = np.stack([_profile(design, sums, t, method, adjust)[0] for t in taus])  # (G, B)
    best = np.argmax(lls, axis=0)
    B = lls.shape[1]
    tau_best = taus[best].copy()
    ll_best = lls[best, np.arange(B)]
    inner = (best >= 2) & (best < len(taus) - 1)
    if inner.any():
        x = np.log10(taus[1:])
        i = best[inner] - 1
        cols = np.flatnonzero(inner)
        y0, y1, y2 = lls[best[inner] - 1, cols], lls[best[inner], cols], lls[best[inner] + 1, cols]
        h = x[1] - x[0]
        denom = y0 - 2 * y1 + y2
        shift = np.where(denom < 0, 0.5 * h * (y0 - y2) / np.where(denom < 0, denom, -1), 0.0)
        tau_best[cols] = 10.0 ** (x[i] + np.clip(shift, -h, h))
    beta = np.empty((design.p, B))
    s2e = np.empty(B)
    loglik = np.empty(B)
    # Evaluate each distinct tau once (replicates at a grid point share it).
    for tau in np.unique(tau_best):
        cols = np.flatnonzero(tau_best == tau)
        sub = ResponseSums(sums.ybar[:, cols], sums.Wxy[:, cols], sums.Wyy[cols])
        ll, b, s = _profile(design, sub, float(tau), method, adjust)
        beta[:, cols], s2e[cols], loglik[cols] = b, s, ll
    worse = loglik < ll_best - 1e-9  # the parabola overshot: keep the grid point
    if worse.any():
        for j in np.flatnonzero(worse):
            sub = ResponseSums(sums.ybar[:, [j]], sums.Wxy[:, [j]], sums.Wyy[[j]])
            ll, b, s = _profile(design, sub, float(taus[best[j]]), method, adjust)
            beta[:, j], s2e[j], loglik[j] = b[:, 0], s[0], ll[0]
            tau_best[j] = taus[best[j]]
    if adjust:
        loglik = loglik - np.log(tau_best)
    design._grid = {k: v for k, v in design._grid.items() if k in set(taus.tolist())}
    return VarianceFit(beta, s2e, tau_best * s2e, loglik)


def area_effects(
    design: GroupedDesign,
    Y: np.ndarray,
    fit: VarianceFit,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EB area effects: ``(beta (p,B), u_hat (D,B), gamma (D,B))``.

    Unweighted: ``gamma_d = s2u / (s2u + s2e / n_d)`` and GLS ``beta`` (from ``fit``).
    With ``weights``: the pseudo-EBLUP (You & Rao 2002) ``beta_w`` and
    ``gamma_dw = s2u / (s2u + s2e * delta_d^2)``, ``delta_d^2 = sum w^2 / (sum w)^2``,
    on weighted area means. Areas without units get ``gamma = 0`` and ``u_hat = 0``.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    counts = design.counts
    sampled = counts > 0
    if weights is None:
        delta2 = np.where(sampled, 1.0 / np.maximum(counts, 1.0), np.inf)
        xbar, ybar = design.xbar, design.area_means(Y)
        beta = fit.beta
    else:
        w = np.asarray(weights, dtype=float)
        wsum = design.area_sums(w)
        w2 = design.area_sums(w**2)
        safe = np.where(sampled, wsum, 1.0)
        delta2 = np.where(sampled, w2 / safe**2, np.inf)
        xbar = design.area_sums(design.X, w) / safe[:, None]
        ybar = design.area_sums(Y, w) / safe[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = fit.s2u[None, :] / (fit.s2u[None, :] + fit.s2e[None, :] * delta2[:, None])
    gamma = np.where(sampled[:, None], np.nan_to_num(gamma), 0.0)
    if weights is not None:
        XtWX = design.X.T @ (design.X * w[:, None])
        XtWY = design.X.T @ (Y * w[:, None])
        B = Y.shape[1]
        beta = np.empty((design.p, B))
        for b in range(B):
            g = gamma[:, b] * wsum
            M = XtWX - (xbar * g[:, None]).T @ xbar
            rhs = XtWY[:, b] - xbar.T @ (g * ybar[:, b])
            beta[:, b] = np.linalg.solve(M, rhs)
    u = gamma * (ybar - xbar @ beta)
    return beta, np.where(sampled[:, None], u, 0.0), gamma


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


class NestedErrorModel:
    """Nested-error regression ``t = X beta + u_area + e`` fitted by closed-form REML or ML.

    ``fit(X, t, group, n_areas, weights=None)`` with ``X`` including its intercept
    column and of full column rank; ``group`` the area index of each unit.
    Attributes after fit: ``beta_``, ``s2e_``, ``s2u_``, ``u_`` (EB area effects, 0
    where unsampled), ``gamma_`` (shrinkage factors), ``loglik_``, ``icc_``.
    """

    def __init__(self, method: str = "reml", adjust: bool = False):
        if method not in ("reml", "ml"):
            raise ValueError("method must be 'reml' or 'ml'")
        self.method = method
        self.adjust = adjust

    def fit(self, X, t, group, n_areas: int, weights=None) -> NestedErrorModel:
        self.design_ = GroupedDesign(np.asarray(X, float), np.asarray(group), int(n_areas))
        t = np.asarray(t, dtype=float)
        fit = fit_many(self.design_, t[:, None], self.method, self.adjust)
        beta, u, gamma = area_effects(self.design_, t[:, None], fit, weights)
        self.beta_ = beta[:, 0]
        self.s2e_ = float(fit.s2e[0])
        self.s2u_ = float(fit.s2u[0])
        self.loglik_ = float(fit.loglik[0])
        self.u_ = u[:, 0]
        self.gamma_ = gamma[:, 0]
        self.icc_ = self.s2u_ / (self.s2u_ + self.s2e_)
        self.residuals_ = t - self.design_.X @ self.beta_ - self.u_[self.design_.group]
        return self


# --------------------------------------------------------------------------------------
# Choosing the transformation by likelihood
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformationChoice:
    chosen: Transformation
    candidates: dict  # kind -> {"param": .., "loglik": ..}

    def as_dict(self) -> dict:
        return {
            "chosen": self.chosen.kind,
            "parameter": self.chosen.param,
            "shift": self.chosen.shift,
            "formula": self.chosen.describe(),
            "criterion": "profile REML log-likelihood of welfare (with the log Jacobian)",
            "candidates": self.candidates,
        }


def transformed_loglik(design: GroupedDesign, y: np.ndarray, tr: Transformation, method="reml"):
    """Profile log-likelihood of ``y`` under the model on ``tr(y)`` (Jacobian included)."""
    t = tr.forward(y)
    if not np.all(np.isfinite(t)):
        return -np.inf
    return float(fit_many(design, t[:, None], method).loglik[0]) + tr.log_jacobian(y)


def choose_transformation(
    design: GroupedDesign, y: np.ndarray, kinds=("log-shift", "box-cox"), method: str = "reml"
) -> TransformationChoice:
    """Estimate each transformation's parameter by likelihood; keep the most likely one.

    The Box-Cox ``lambda`` is searched in [-1, 2], the log shift ``s`` in
    ``(-min y, 20 * range)`` on a log scale of ``s + min y``. Both have one
    parameter, so their likelihoods compare directly.
    """
    y = np.asarray(y, dtype=float)
    candidates: dict[str, dict] = {}
    # Welfare not above zero: Box-Cox of y + |min y| + 1 (emdi's rule); the log-shift
    # estimates its own shift.
    shift = abs(float(np.min(y))) + 1.0 if np.min(y) <= 0 else 0.0
    scale = float(np.median(y + shift))

    def fitted(kind: str) -> Transformation:
        if kind == "box-cox":
            # Box-Cox on (y + shift) / median (the same lambda; a better-conditioned search).
            res = optimize.minimize_scalar(
                lambda lam: (
                    -transformed_loglik(
                        design, (y + shift) / scale, Transformation("box-cox", lam), method
                    )
                ),
                bounds=(-1.0, 2.0),
                method="bounded",
                options={"xatol": 1e-4},
            )
            return Transformation("box-cox", float(res.x), shift)
        lo = -float(np.min(y))
        span = float(np.ptp(y)) or abs(scale) or 1.0
        res = optimize.minimize_scalar(
            lambda z: (
                -transformed_loglik(
                    design, y, Transformation("log-shift", lo + span * 10.0**z), method
                )
            ),
            bounds=(-6.0, np.log10(20.0)),
            method="bounded",
            options={"xatol": 1e-4},
        )
        return Transformation("log-shift", lo + span * 10.0 ** float(res.x))

    best = None
    for kind in kinds:
        tr = fitted(kind)
        ll = transformed_loglik(design, y, tr, method)
        candidates[kind] = {"param": tr.param, "loglik": ll}
        if tr.shift:
            candidates[kind]["shift"] = tr.shift
        if best is None or ll > best[1]:
            best = (tr, ll)
    if "log-shift" in kinds and y.min() > 0:
        candidates["log"] = {
            "param": 0.0,
            "loglik": transformed_loglik(design, y, Transformation("log-shift", 0.0), method),
        }
    return TransformationChoice(best[0], candidates)
