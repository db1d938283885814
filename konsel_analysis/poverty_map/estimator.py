"""The poverty map: survey + census in, one row of estimates per census area out.

:class:`PovertyMap` is a scikit-learn-like estimator (parameters in ``__init__``,
learned attributes end in ``_``): ``fit(survey, census)`` fits the nested-error
model on the survey, predicts every census area (EB where sampled, synthetic
where not), runs the parametric bootstrap and the direct estimates; ``table_``
and ``upper_table_`` hold the results (see :func:`result_columns`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from konsel_analysis.pmt.features import ProxyFeatures
from konsel_analysis.poverty_map.bootstrap import (
    CensusAccumulator,
    benchmark_ratio,
    interval_from_errors,
    survey_replicates,
)
from konsel_analysis.poverty_map.direct import direct_estimates
from konsel_analysis.poverty_map.ebp import (
    MEASURES,
    AreaAggregator,
    area_predictions,
    realised_measures,
)
from konsel_analysis.poverty_map.model import (
    GroupedDesign,
    NestedErrorModel,
    Transformation,
    area_indicator,
    choose_transformation,
    full_rank_columns,
)

log = logging.getLogger(__name__)


@dataclass
class Households:
    """Households of the survey (with ``welfare``) or the census (without).

    ``X`` the proxies; ``area`` the mapped area of each household; ``upper`` the
    area above it (e.g. the kecamatan of a desa), optional; ``persons`` household
    size (rates over persons), optional; ``weight`` and ``cluster`` survey only.
    """

    X: pd.DataFrame
    area: np.ndarray
    welfare: np.ndarray | None = None
    weight: np.ndarray | None = None
    persons: np.ndarray | None = None
    upper: np.ndarray | None = None
    cluster: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.area)

    def subset(self, keep: np.ndarray) -> Households:
        """The households where ``keep`` is true."""

        def take(v):
            return None if v is None else np.asarray(v)[keep]

        return Households(
            self.X.loc[keep].reset_index(drop=True),
            take(self.area),
            take(self.welfare),
            take(self.weight),
            take(self.persons),
            take(self.upper),
            take(self.cluster),
        )


class CensusParts(Protocol):
    """A census read part by part (a partitioned register): ``parts()`` yields
    :class:`Households` (no welfare), the census rows in order, and may be called twice
    (the first pass fixes the area list, the second predicts)."""

    def parts(self) -> Iterator[Households]: ...


def census_parts(census) -> CensusParts:
    """``census`` itself when it has ``parts()``, else one in-memory part."""
    if hasattr(census, "parts"):
        return census

    class _Whole:
        def parts(self):
            yield census

    return _Whole()


def scan_areas(source: CensusParts) -> tuple[np.ndarray, dict[str, str]]:
    """The census areas in order and each one's upper area (its first, in census order)."""
    labels: dict[str, None] = {}
    upper_first: dict[str, str] = {}
    for part in source.parts():
        c_lab = np.asarray(part.area).astype(str)
        labels.update(dict.fromkeys(pd.unique(c_lab)))
        if part.upper is not None:
            up = pd.Series(np.asarray(part.upper).astype(str)).groupby(c_lab, sort=False)
            for a, u in up.first().items():
                upper_first.setdefault(a, u)
    return area_order(np.array(list(labels), dtype=object).astype(str)), upper_first


def area_order(labels: np.ndarray) -> np.ndarray:
    """Area labels in order: by number when every label is a number, else as text."""
    numbers = pd.to_numeric(pd.Series(labels), errors="coerce")
    if len(labels) and numbers.notna().all():
        return np.asarray(labels)[np.argsort(numbers.to_numpy(), kind="stable")]
    return np.sort(np.asarray(labels))


def result_columns(measures=MEASURES) -> list[str]:
    """The columns of ``poverty_map.csv``, in order (the command's stable contract)."""
    cols = ["area", "census_households", "sampled_households"]
    for m in (*measures, "poor_persons"):
        cols += [f"direct_{m}", f"direct_{m}_low", f"direct_{m}_high", m, f"{m}_low", f"{m}_high"]
        cols.append("rmse" if m == "poverty_rate" else f"{m}_rmse")
        if m == "poverty_rate":
            cols.append("method")
    return cols


class PovertyMap:
    """EBP poverty map with a parametric-bootstrap MSE.

    Parameters
    ----------
    line, extreme_line : poverty and extreme poverty lines (welfare units).
    numeric, categorical, squared : proxy columns of ``X`` (as :class:`ProxyFeatures`).
    transformation : ``"auto"`` (log-shift or Box-Cox, by likelihood), ``"log-shift"``,
        ``"box-cox"``, ``"log"`` or a :class:`Transformation`.
    weights : ``"pseudo"`` (pseudo-EB with the survey weights) or ``"ignore"``.
    reps : bootstrap replicates (0: no MSE, no intervals).
    level : interval coverage (0.90).
    benchmark : scale the poverty rate (P0) of every area by one ratio so that the
        population-weighted mean of the areas equals the survey's direct (weighted)
        regency rate; done in every bootstrap replicate too, so the MSE holds it.
        Other measures are not benchmarked.
    adjust : fit the variance components by adjusted REML (Li & Lahiri 2010; never
        ``s2u = 0``, which would make every interval ignore the area effects), in the
        fit and in every bootstrap refit. The transformation is chosen on the
        unadjusted likelihood.
    """

    def __init__(
        self,
        line: float,
        extreme_line: float | None = None,
        numeric=(),
        categorical=(),
        squared=(),
        transformation="auto",
        weights: str = "pseudo",
        reps: int = 200,
        seed: int = 0,
        level: float = 0.90,
        method: str = "reml",
        min_count: int = 10,
        adjust: bool = True,
        benchmark: bool = False,
    ):
        self.line = line
        self.extreme_line = extreme_line
        self.numeric = numeric
        self.categorical = categorical
        self.squared = squared
        self.transformation = transformation
        self.weights = weights
        self.reps = reps
        self.seed = seed
        self.level = level
        self.method = method
        self.min_count = min_count
        self.adjust = adjust
        self.benchmark = benchmark

    # ----------------------------------------------------------------------------------
    def _design(self, survey: Households) -> np.ndarray:
        """The survey's design matrix; fixes the features and the columns kept."""
        self.features_ = ProxyFeatures(
            numeric=list(self.numeric),
            categorical=list(self.categorical),
            squared=list(self.squared),
            min_count=self.min_count,
        ).fit(survey.X, sample_weight=survey.weight)
        Xs = np.column_stack([np.ones(len(survey)), self.features_.transform(survey.X)])
        keep = full_rank_columns(Xs)
        if 0 not in keep:  # keep the intercept; drop the column it makes redundant instead
            keep = full_rank_columns(Xs[:, [0, *range(1, Xs.shape[1])]])
        names = ["(intercept)", *self.features_.get_feature_names_out()]
        self.columns_ = [names[i] for i in keep]
        self.dropped_columns_ = [n for i, n in enumerate(names) if i not in set(keep)]
        self._keep = keep
        return Xs[:, keep]

    def _census_design(self, X: pd.DataFrame) -> np.ndarray:
        """A census part's design matrix (the survey's features and columns)."""
        Xc = np.column_stack([np.ones(len(X)), self.features_.transform(X)])
        return Xc[:, self._keep]

    def _transformation(self, design: GroupedDesign, y: np.ndarray) -> Transformation:
        spec = self.transformation
        if isinstance(spec, Transformation):
            self.transformation_choice_ = None
            return spec
        kinds = {
            "auto": ("log-shift", "box-cox"),
            "log-shift": ("log-shift",),
            "box-cox": ("box-cox",),
        }
        if spec == "log":
            self.transformation_choice_ = None
            return Transformation("log-shift", 0.0)
        if spec not in kinds:
            raise ValueError(f"unknown transformation {spec!r}")
        choice = choose_transformation(design, y, kinds[spec], self.method)
        self.transformation_choice_ = choice
        return choice.chosen

    def fit(self, survey: Households, census: Households | CensusParts) -> PovertyMap:
        """Fit on ``survey``; predict every area of ``census`` (whole, or part by part).

        A :class:`CensusParts` census is read twice, one part at a time: the first
        pass fixes the area list (and each area's upper area, its first in census
        order), the second accumulates the area sums of the predictions and of the
        bootstrap's replicate truths; only one part's rows are held at once.
        """
        if survey.welfare is None:
            raise ValueError("the survey needs welfare")
        source = census_parts(census)
        self.areas_, upper_first = scan_areas(source)
        index = {a: i for i, a in enumerate(self.areas_)}
        s_area = np.asarray(survey.area).astype(str)
        missing = sorted(set(s_area) - set(index))
        if missing:
            raise ValueError(f"survey areas not in the census: {', '.join(missing[:5])}")
        g_s = np.array([index[a] for a in s_area], dtype=np.int64)
        D = len(self.areas_)
        Xs = self._design(survey)
        design = GroupedDesign(Xs, g_s, D)
        y = np.asarray(survey.welfare, dtype=float)
        tr = self._transformation(design, y)
        t = tr.forward(y)
        if not np.all(np.isfinite(t)):
            raise ValueError(f"welfare outside the domain of the transformation {tr.describe()}")
        self.transformation_ = tr
        use_w = self.weights == "pseudo" and survey.weight is not None
        w = np.asarray(survey.weight, float) if use_w else None
        model = NestedErrorModel(self.method, self.adjust).fit(Xs, t, g_s, D, weights=w)
        self.model_ = model
        bench_w = None
        if self.benchmark:
            m_s = survey.persons if survey.persons is not None else np.ones(len(survey))
            w_s = survey.weight if survey.weight is not None else np.ones(len(survey))
            bench_w = np.asarray(w_s, float) * np.asarray(m_s, float)
        acc = None
        if self.reps > 0:  # the survey side of the bootstrap, once
            rep = survey_replicates(
                design, tr, model.beta_, model.s2e_, model.s2u_, self.line, int(self.reps),
                int(self.seed), w, self.method, self.adjust, bench_w,
            )  # fmt: skip
            acc = CensusAccumulator(rep, tr, self.line, self.extreme_line, D)
        # The census side, part by part: the area sums add up over parts.
        sums, persons, n_census = self._census_pass(source, index, acc)
        agg = AreaAggregator(None, persons)
        self.persons_ = persons
        self.measures_ = [m for m in MEASURES if m in sums]
        self.benchmark_ = None
        if self.benchmark:
            direct = float(bench_w @ (y < self.line) / bench_w.sum())
            ratio = float(benchmark_ratio(sums["poverty_rate"], agg.persons, direct))
            self.benchmark_ = {
                "measure": "poverty_rate",
                "direct_overall_rate": direct,
                "model_overall_rate": float(sums["poverty_rate"].sum() / agg.persons.sum()),
                "ratio": ratio,
            }
            sums["poverty_rate"] = sums["poverty_rate"] * ratio
        errors = acc.errors() if acc is not None else None
        self.errors_ = errors  # person-weighted area sums, prediction - truth, (D, reps)
        # Upper level (kecamatan of each desa), when given.
        upper_of = None
        if upper_first:
            up = [upper_first[a] for a in self.areas_]
            self.upper_areas_ = area_order(np.unique(np.asarray(up, dtype=object).astype(str)))
            uidx = {a: i for i, a in enumerate(self.upper_areas_)}
            upper_of = np.array([uidx[u] for u in up])
        self.table_ = self._table(
            self.areas_,
            sums,
            errors,
            agg.persons,
            n_census,
            np.bincount(g_s, minlength=D),
            survey,
            s_area,
        )
        self.upper_table_ = None
        if upper_of is not None:
            from scipy import sparse

            K = len(self.upper_areas_)
            U = sparse.csr_matrix((np.ones(D), (upper_of, np.arange(D))), shape=(K, D))
            up_sums = {m: U @ v for m, v in sums.items()}
            up_errors = {m: np.asarray(U @ e) for m, e in errors.items()} if errors else None
            self.upper_table_ = self._table(
                self.upper_areas_,
                up_sums,
                up_errors,
                U @ agg.persons,
                np.bincount(upper_of, weights=n_census, minlength=K).astype(np.int64),
                np.bincount(upper_of[g_s], minlength=K),
                survey,
                np.asarray(survey.upper).astype(str) if survey.upper is not None else None,
            )
        return self

    def _census_pass(self, source: CensusParts, index: dict, acc):
        """Person-weighted area sums of the EB/synthetic predictions, persons and
        households per area, over the census parts; feeds ``acc`` (the bootstrap)."""
        model, tr = self.model_, self.transformation_
        D = len(index)
        s_area_sd = np.sqrt(model.s2e_ + model.s2u_ * (1.0 - model.gamma_))
        sums: dict[str, np.ndarray] = {}
        persons = np.zeros(D)
        n_census = np.zeros(D, dtype=np.int64)
        for part in source.parts():
            g_c = np.array([index[a] for a in np.asarray(part.area).astype(str)], dtype=np.int64)
            persons_c = (
                np.asarray(part.persons, float) if part.persons is not None else np.ones(len(g_c))
            )
            Xc = self._census_design(part.X)
            persons += np.bincount(g_c, persons_c, D)
            n_census += np.bincount(g_c, minlength=D)
            agg = AreaAggregator(area_indicator(g_c, D, persons_c), persons)
            mu = Xc @ model.beta_ + model.u_[g_c]
            for m, v in area_predictions(
                mu, s_area_sd[g_c], tr, self.line, self.extreme_line, agg
            ).items():
                sums[m] = sums.get(m, 0.0) + v
            if acc is not None:
                acc.add(Xc, g_c, persons_c)
            del Xc, mu
        return sums, persons, n_census

    # ----------------------------------------------------------------------------------
    def _table(self, areas, sums, errors, persons, n_census, n_sampled, survey, s_area):
        out = pd.DataFrame(
            {"area": areas, "census_households": n_census, "sampled_households": n_sampled}
        )
        safe = np.maximum(persons, 1e-300)
        # Direct estimates.
        if s_area is not None:
            m_s = survey.persons if survey.persons is not None else np.ones(len(survey))
            w = (survey.weight if survey.weight is not None else np.ones(len(survey))) * m_s
            values = realised_measures(
                np.asarray(survey.welfare, float), self.line, self.extreme_line
            )
            cluster = survey.cluster if survey.cluster is not None else None
            direct = direct_estimates(values, s_area, areas, w, cluster, self.level)
        else:
            direct = pd.DataFrame({"area": areas})
        for m in self.measures_:
            est = sums[m] / safe
            for suffix in ("", "_low", "_high"):
                out[f"direct_{m}{suffix}"] = direct.get(f"direct_{m}{suffix}", np.nan)
            out[m] = est
            if errors is not None:
                rmse, lo, hi = interval_from_errors(est, errors[m] / safe[:, None], self.level)
                # The interval always holds the estimate (few replicates, skewed errors).
                lo, hi = np.minimum(lo, est), np.maximum(hi, est)
                out[f"{m}_low"], out[f"{m}_high"] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
            else:
                rmse = np.full(len(areas), np.nan)
                out[f"{m}_low"] = out[f"{m}_high"] = np.nan
            out["rmse" if m == "poverty_rate" else f"{m}_rmse"] = rmse
            if m == "poverty_rate":
                out["method"] = np.where(n_sampled > 0, "EB", "synthetic")
        # Poor persons: the poverty rate times the area's persons (census counts are known).
        for suffix in ("", "_low", "_high"):
            out[f"direct_poor_persons{suffix}"] = out[f"direct_poverty_rate{suffix}"] * persons
            out[f"poor_persons{suffix}"] = out[f"poverty_rate{suffix}"] * persons
        out["poor_persons_rmse"] = out["rmse"] * persons
        # Every contract column, a measure without its line (no extreme line) left empty.
        return out.reindex(columns=result_columns())

    def summary(self) -> dict:
        """What was fitted: transformation, variance components, ICC, design columns."""
        m = self.model_
        return {
            "transformation": (
                self.transformation_choice_.as_dict()
                if self.transformation_choice_ is not None
                else {
                    "chosen": self.transformation_.kind,
                    "parameter": self.transformation_.param,
                    "formula": self.transformation_.describe(),
                    "criterion": "given",
                }
            ),
            "sigma2_u": m.s2u_,
            "sigma2_e": m.s2e_,
            "icc": m.icc_,
            "loglik": m.loglik_,
            "method": "adjusted REML" if self.adjust and self.method == "reml" else self.method,
            "weights": self.weights,
            "benchmark": self.benchmark_,
            "reps": int(self.reps),
            "seed": int(self.seed),
            "level": self.level,
            "columns": self.columns_,
            "dropped_columns": self.dropped_columns_,
            "beta": dict(zip(self.columns_, map(float, m.beta_), strict=True)),
        }
