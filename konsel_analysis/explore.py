"""The statistician's workbench: what-ifs on the register without rerunning the pipeline.

:func:`load_workbench` fits nothing: it reads what ``make reports`` left in
data/processed (:mod:`konsel_analysis.targeting.workbench_tables`): the receipt-aware
model of :mod:`konsel_analysis.targeting.expected` fitted on the survey and its
cluster-bootstrap replicates (the score step's), the register households'
PMT indexes, and the survey with the impact step's cross-fitted models. Every
fitted stage is independent of the poverty lines (only the final probabilities
use them), so loading keeps each household's (and each replicate group's)
line-free terms and each callback below meets the lines the user picks:

- :func:`expected_errors`: expected inclusion and exclusion errors and extreme
  poor not covered, per kecamatan, with 90% intervals (the score step's bootstrap
  replicates, plus the Bernoulli variation of the count, as in ``konsel score``);
- :func:`visit_split`: the visit budget split into a priority list and random
  audit visits (``budget x (1 - audit share)`` by priority, the rest at random,
  as ``verification.audit_share`` in parameters.yml describes), per kecamatan,
  with the expected corrections and extreme poor found;
- :func:`coverage`: measured in the survey, the share of poor and extreme-poor
  households and persons the programme reaches at the chosen lines;
- :func:`impact`: the impact on extreme poverty of that visit plan: extreme-poor
  persons lifted above the line (:mod:`konsel_analysis.explore_impact`).

``notebooks/workbench.ipynb`` puts sliders on these (:func:`build_workbench`).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError

#: Share of the visit budget spent on random audit visits when parameters.yml has no
#: ``verification.audit_share`` (issue 16's default).
DEFAULT_AUDIT_SHARE = 0.10
CI = 0.90
PROGRAMMES = {"any": "PKH atau BPNT", "is_pkh_recipient": "PKH", "is_bpnt_recipient": "BPNT"}
ALL = "ALL"
_PLAN = ("budget", "minimum_per_area", "audit_share")  # the controls of the visit plan


def audit_share_default() -> float:
    """``verification.audit_share`` from parameters.yml when present, else 0.10."""
    from konsel_analysis.parameters import load_parameters

    try:
        return float(load_parameters().value("verification.audit_share"))
    except KeyError:
        return DEFAULT_AUDIT_SHARE


@dataclass
class Workbench:
    """Everything the callbacks need, read once (:func:`load_workbench`)."""

    area: np.ndarray  # register kecamatan of each household
    programs: dict[str, np.ndarray]  # register receipt per programme
    worth: np.ndarray  # Rp per month a correction is worth
    terms: object  # LineFreeTerms of the whole-survey model, per register household
    groups: pd.DataFrame  # replicate groups: replicate, area, any_receipt, households, programmes
    group_terms: object  # LineFreeTerms of each group's replicate model
    survey: pd.DataFrame  # area, welfare, weight, persons, programme flags, benefits
    survey_terms: object  # LineFreeTerms of the cross-fitted model, per surveyed household
    poverty_line: float
    extreme_line: float
    seconds_to_load: float = 0.0
    _memo: dict = field(default_factory=dict, repr=False)  # probabilities per line

    @property
    def areas(self) -> list[str]:
        return sorted(set(self.area))

    @property
    def replicates(self) -> int:
        return int(self.groups["replicate"].nunique()) if len(self.groups) else 0

    def beneficiary(self, programme: str = "any") -> np.ndarray:
        if programme == "any":
            return np.logical_or.reduce([np.asarray(v, bool) for v in self.programs.values()])
        return np.asarray(self.programs[programme], bool)

    def at_lines(self, poverty_line: float, extreme_line: float) -> dict[str, np.ndarray]:
        """P(poor), P(extreme poor) of register households, replicate groups and survey
        households at the lines. Each line's probabilities are kept (the last few), so
        moving one line evaluates only that line, and moving anything else none."""
        check_lines(poverty_line, extreme_line)
        out = {}
        for name, terms in (
            ("", self.terms),
            ("group_", self.group_terms),
            ("survey_", self.survey_terms),
        ):
            poor = self._below(name, terms, poverty_line)
            out[f"{name}p_poor"] = poor
            out[f"{name}p_extreme"] = np.minimum(self._below(name, terms, extreme_line), poor)
        return out

    def _below(self, name: str, terms, line: float) -> np.ndarray:
        key = (name, float(line))
        if key not in self._memo:
            if len(self._memo) >= 12:  # two lines, two moves back, three sets of terms
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = terms.below(np.log(float(line)))
        return self._memo[key]


def check_lines(poverty_line: float, extreme_line: float) -> None:
    if not 0 < extreme_line < poverty_line:
        raise UserError(
            f"extreme line {extreme_line:,.0f} must lie above zero and below the poverty line "
            f"{poverty_line:,.0f}; lower it"
        )


def probabilities(wb: Workbench, poverty_line: float, extreme_line: float) -> pd.DataFrame:
    """P(poor) and P(extreme poor) of each register household at the given lines."""
    p = wb.at_lines(poverty_line, extreme_line)
    return pd.DataFrame({"p_poor": p["p_poor"], "p_extreme": p["p_extreme"]})


def _counts(p_poor, p_extreme, beneficiary) -> dict[str, np.ndarray]:
    return {
        "expected_inclusion_errors": np.where(beneficiary, 1 - p_poor, 0.0),
        "expected_exclusion_errors": np.where(~beneficiary, p_poor, 0.0),
        "expected_extreme_poor_not_covered": np.where(~beneficiary, p_extreme, 0.0),
    }


def _by_area(values: np.ndarray, codes: np.ndarray, n_areas: int) -> np.ndarray:
    per_area = np.bincount(codes, weights=values, minlength=n_areas)
    return np.r_[per_area, per_area.sum()]


def _group_counts(groups: pd.DataFrame, programme: str, q_poor, q_extreme):
    """Per replicate group: expected count and Bernoulli variance of each error."""
    households = groups["households"].to_numpy(float)
    if programme == "any":
        recipients = np.where(groups["any_receipt"].to_numpy(bool), households, 0.0)
    else:
        recipients = groups[programme].to_numpy(float)
    others = households - recipients
    return {
        "expected_inclusion_errors": (recipients * (1 - q_poor), recipients * q_poor),
        "expected_exclusion_errors": (others * q_poor, others * (1 - q_poor)),
        "expected_extreme_poor_not_covered": (others * q_extreme, others * (1 - q_extreme)),
    }


def expected_errors(
    wb: Workbench, poverty_line: float, extreme_line: float, programme: str = "any", seed: int = 0
) -> pd.DataFrame:
    """Per kecamatan and ``ALL``: beneficiaries and each expected count with a 90% interval.

    The point is the whole-survey model's; the interval the percentiles over the
    score step's replicates, each count drawn around the replicate's expected count
    with its Bernoulli variance (normal approximation), the regency the sum of its
    kecamatan draws.
    """
    beneficiary = wb.beneficiary(programme)
    codes, names = pd.factorize(pd.Series(wb.area, dtype=object), sort=True)
    k = len(names)
    p = wb.at_lines(poverty_line, extreme_line)
    point = _counts(p["p_poor"], p["p_extreme"], beneficiary)
    out = pd.DataFrame({"area": [*names, ALL]})
    out["beneficiaries"] = _by_area(beneficiary.astype(float), codes, k).astype(int)
    groups = wb.groups
    reps = wb.replicates
    group_area = pd.Index(names).get_indexer(groups["area"])
    key = groups["replicate"].to_numpy() * k + group_area
    known = group_area >= 0
    rng = np.random.default_rng(seed)
    counts = _group_counts(groups, programme, p["group_p_poor"], p["group_p_extreme"])
    tail = (1 - CI) / 2
    for name, values in point.items():
        out[name] = _by_area(values, codes, k)
        mean, other = counts[name]
        # the Bernoulli variance n q (1 - q) of a group: mean x (share of the other outcome)
        n = mean + other
        var = mean * np.divide(other, n, out=np.zeros_like(other), where=n > 0)
        m = np.bincount(key[known], weights=mean[known], minlength=reps * k).reshape(reps, k)
        v = np.bincount(key[known], weights=var[known], minlength=reps * k).reshape(reps, k)
        draws = np.maximum(m + np.sqrt(v) * rng.standard_normal(m.shape), 0.0)
        draws = np.column_stack([draws, draws.sum(axis=1)])
        if reps:
            out[f"{name}_low"] = np.quantile(draws, tail, axis=0)
            out[f"{name}_high"] = np.quantile(draws, 1 - tail, axis=0)
        else:
            out[f"{name}_low"] = out[f"{name}_high"] = np.nan
    return out


def split_visits(
    area,
    p_poor,
    p_extreme,
    beneficiary,
    worth,
    budget: int,
    minimum_per_area: int,
    audit_share: float,
    seed: int = 0,
) -> pd.DataFrame:
    """The budget split into priority and random audit visits, per kecamatan and ``ALL``.

    ``budget x (1 - audit_share)`` visits (rounded) go by priority with at least
    ``minimum_per_area`` per kecamatan
    (:func:`~konsel_analysis.targeting.verification.allocate_visits`); the rest are
    drawn at random, uniformly among the households not on the list. Expected
    corrections are the sum of P(error) over the visited households; extreme poor
    found, of P(extreme poor) over visited non-beneficiaries.
    """
    from konsel_analysis.targeting.verification import allocate_visits, priority_scores

    if not 0 <= audit_share < 1:
        raise UserError(f"audit share {audit_share} must lie in [0, 1); e.g. 0.10")
    area = np.asarray(area, dtype=object)
    beneficiary = np.asarray(beneficiary, bool)
    budget = min(int(budget), len(area))
    p_error, priority = priority_scores(beneficiary, p_poor, p_extreme, worth)
    p_error = np.asarray(p_error, float)
    plan = allocate_visits(
        area, priority, p_error, int(round(budget * (1 - audit_share))), minimum_per_area
    )
    listed = np.asarray(plan.is_visited, bool)
    rest = np.flatnonzero(~listed)
    audit = np.zeros(len(listed), bool)
    draw = np.random.default_rng(seed).choice(
        rest, size=min(budget - int(listed.sum()), len(rest)), replace=False
    )
    audit[draw] = True
    visited = listed | audit
    frame = pd.DataFrame(
        {
            "area": area,
            "households": 1,
            "priority_visits": listed.astype(int),
            "audit_visits": audit.astype(int),
            "expected_corrections": p_error * visited,
            "expected_extreme_poor_found": np.where(~beneficiary, p_extreme, 0.0) * visited,
        }
    )
    by_area = frame.groupby("area", sort=True).sum().reset_index()
    total = by_area.drop(columns="area").sum().to_frame().T.assign(area=ALL)
    out = pd.concat([by_area, total[by_area.columns]], ignore_index=True)
    counts = ["households", "priority_visits", "audit_visits"]
    out[counts] = out[counts].astype(int)
    out["visits"] = out["priority_visits"] + out["audit_visits"]
    return out


def visit_split(
    wb: Workbench,
    budget: int,
    minimum_per_area: int,
    audit_share: float,
    poverty_line: float,
    extreme_line: float,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`split_visits` of the register at the given lines."""
    p = probabilities(wb, poverty_line, extreme_line)
    return split_visits(
        wb.area,
        p["p_poor"].to_numpy(),
        p["p_extreme"].to_numpy(),
        wb.beneficiary(),
        wb.worth,
        budget,
        minimum_per_area,
        audit_share,
        seed,
    )


def coverage(
    wb: Workbench, poverty_line: float, extreme_line: float, programme: str = "any"
) -> pd.DataFrame:
    """Measured in the survey: share of poor and extreme-poor households and persons reached.

    Per kecamatan and ``ALL``; ``None`` where no surveyed household is (extreme) poor.
    """
    s = wb.survey
    reached = (
        s[[c for c in s.columns if c in wb.programs]].any(axis=1).to_numpy()
        if programme == "any"
        else s[programme].to_numpy(bool)
    )
    rows = []
    for name, idx in [(ALL, np.arange(len(s))), *s.groupby("area", sort=True).indices.items()]:
        g = s.iloc[idx]
        row = {"area": name, "sampled_households": len(g)}
        for label, line in (("poor", poverty_line), ("extreme_poor", extreme_line)):
            target = g["welfare"].to_numpy() < line
            for unit, w in (("households", g["weight"]), ("persons", g["weight"] * g["persons"])):
                w = w.to_numpy(float)
                total = float(np.sum(w * target))
                row[f"coverage_{label}_{unit}"] = (
                    float(np.sum(w * target * reached[idx])) / total if total > 0 else None
                )
            row[f"sampled_{label}"] = int(target.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def benefits(wb: Workbench, programme: str = "any") -> tuple[np.ndarray, np.ndarray]:
    """Rp per month each surveyed household receives now and would receive if given the
    programme (``any``: every programme the survey values), as the impact step counts."""
    s = wb.survey
    valued = [c.removeprefix("benefit_") for c in s.columns if c.startswith("benefit_")]
    chosen = valued if programme == "any" else [p for p in valued if p == programme]
    if not chosen:
        raise UserError(
            f"no benefit amounts for {PROGRAMMES.get(programme, programme)} in the survey "
            "tables: the impact simulation values PKH and BPNT only"
        )
    now = np.sum([s[f"benefit_{p}"].to_numpy() * s[p].to_numpy(bool) for p in chosen], axis=0)
    if_given = np.sum([s[f"benefit_{p}"].to_numpy() for p in chosen], axis=0)
    return now, if_given


def impact(wb: Workbench, c: Controls) -> pd.DataFrame:
    """Extreme poverty before and after the corrections of the visit plan the controls ``c``
    describe, per kecamatan and ``ALL``
    (:func:`konsel_analysis.explore_impact.correction_round` on the survey)."""
    from konsel_analysis.explore_impact import correction_round

    if not 0 <= c.audit_share < 1:
        raise UserError(f"audit share {c.audit_share} must lie in [0, 1); e.g. 0.10")
    p = wb.at_lines(c.poverty_line, c.extreme_line)
    now, if_given = benefits(wb, c.programme)
    s = wb.survey
    return correction_round(
        s["area"].to_numpy(),
        s["welfare"].to_numpy(),
        s["weight"].to_numpy(),
        s["persons"].to_numpy(),
        p["survey_p_poor"],
        p["survey_p_extreme"],
        now,
        if_given,
        **{k: getattr(c, k) for k in (*_PLAN, "poverty_line", "extreme_line")},
    )


# --------------------------------------------------------------------------------------
# Loading (what make reports left, once)
# --------------------------------------------------------------------------------------


def _concat_terms(parts: list):
    from konsel_analysis.targeting.receipt_model import LineFreeTerms

    if not parts:
        return LineFreeTerms(np.zeros(0), np.ones(0))
    names = ("mean", "sd") if parts[0].k is None else ("mean", "sd", "k", "rho", "denominator")
    return LineFreeTerms(**{n: np.concatenate([getattr(t, n) for t in parts]) for n in names})


def _rows(model, programs: dict[str, np.ndarray], area: np.ndarray):
    from konsel_analysis.targeting.receipt_model import ReceiptRows

    return ReceiptRows.build(programs, model.programs, area, model.areas)


def _group_terms(groups: pd.DataFrame, models: list):
    """Line-free terms of every replicate group, each from its replicate's model."""
    from konsel_analysis.targeting.receipt_model import ReceiptRows

    parts = []
    for r, g in groups.groupby("replicate", sort=True):
        model = models[int(r)]
        area = g["area"].to_numpy(dtype=object)
        dummies = (area[:, None] == np.asarray(model.areas, dtype=object)[None, :]).astype(float)
        rows = ReceiptRows(g["any_receipt"].to_numpy(bool), dummies)
        parts.append(model.line_free_terms(rows, g["index"].to_numpy()))
    return _concat_terms(parts)


def _survey_terms(survey: pd.DataFrame, models: list):
    """Line-free terms of each surveyed household from the fold model that did not see it."""
    order = np.argsort(survey["fold"].to_numpy(), kind="stable")
    parts = []
    for f, g in survey.iloc[order].groupby("fold", sort=True):
        model = models[int(f)]
        programs = {p: g[p].to_numpy(bool) for p in model.programs}
        rows = _rows(model, programs, g["area"].to_numpy())
        parts.append(model.line_free_terms(rows, g["log_welfare_index"].to_numpy()))
    terms = _concat_terms(parts)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return type(terms)(**{k: None if v is None else v[back] for k, v in vars(terms).items()})


def load_workbench(processed: Path | None = None) -> Workbench:
    """Read what ``make reports`` left in ``processed`` (default: data/processed).

    Raises :class:`UserError` (one sentence: run ``make reports`` first) when a
    table is missing; nothing is fitted here.
    """
    from konsel_analysis.outputs import below_processed
    from konsel_analysis.paths import project_paths
    from konsel_analysis.targeting.workbench_tables import read_cached_tables

    started = time.perf_counter()
    processed = Path(processed) if processed else project_paths().processed
    cached = read_cached_tables(
        processed / below_processed("score"), processed / below_processed("impact")
    )
    register = cached.register
    model = cached.model
    programs = {p: register[p].to_numpy(bool) for p in model.programs}
    area = register["area"].to_numpy(dtype=object)
    terms = model.line_free_terms(
        _rows(model, programs, area), register["log_welfare_index"].to_numpy()
    )
    groups = cached.replicates.sort_values("replicate", kind="stable").reset_index(drop=True)
    return Workbench(
        area=area,
        programs=programs,
        worth=register["worth"].to_numpy(float),
        terms=terms,
        groups=groups,
        group_terms=_group_terms(groups, cached.replicate_models),
        survey=cached.survey,
        survey_terms=_survey_terms(cached.survey, cached.fold_models),
        poverty_line=cached.poverty_line,
        extreme_line=cached.extreme_line,
        seconds_to_load=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------
# The widgets
# --------------------------------------------------------------------------------------


@dataclass
class Controls:
    """The values the widgets hold (also what the tests set)."""

    budget: int
    minimum_per_area: int
    audit_share: float
    poverty_line: float
    extreme_line: float
    programme: str = "any"
    area: str = ALL


def default_controls(wb: Workbench) -> Controls:
    """Budget and minimum from parameters.yml, the survey's lines, the audit share default."""
    from konsel_analysis.targeting.verification import visit_budget

    budget, minimum = visit_budget(None, None)
    return Controls(budget, minimum, audit_share_default(), wb.poverty_line, wb.extreme_line)


def summarise(wb: Workbench, c: Controls) -> dict[str, pd.DataFrame]:
    """Every table the workbench shows for the controls ``c`` (the one callback)."""
    errors = expected_errors(wb, c.poverty_line, c.extreme_line, c.programme)
    split = visit_split(
        wb, c.budget, c.minimum_per_area, c.audit_share, c.poverty_line, c.extreme_line
    )
    reach = coverage(wb, c.poverty_line, c.extreme_line, c.programme)
    note = None
    try:
        lifted = impact(wb, c)
    except UserError as err:  # e.g. a programme the simulation cannot value: the rest stands
        lifted, note = pd.DataFrame({"area": pd.Series(dtype=object)}), str(err)
    tables = {"errors": errors, "split": split, "coverage": reach, "impact": lifted}
    if c.area != ALL:
        tables = {name: t[t["area"].isin([c.area, ALL])] for name, t in tables.items()}
    if note:
        tables["impact"].attrs["note"] = note
    return tables


def impact_words(tables: dict[str, pd.DataFrame], area: str = ALL) -> str:
    """One line on the impact on extreme poverty (people lifted, pushed below, the rate)."""
    from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS

    if "note" in tables["impact"].attrs:
        return html.escape(tables["impact"].attrs["note"])
    rows = tables["impact"].set_index("area")
    if area not in rows.index:
        return "tidak ada rumah tangga sampel survei di kecamatan ini"
    r = rows.loc[area]
    if 0 < r["sampled_extreme_poor_lifted"] < MIN_CELL_HOUSEHOLDS:
        return (
            f"terangkat dari kemiskinan ekstrem: &lt; {MIN_CELL_HOUSEHOLDS} rumah tangga sampel, "
            "terlalu sedikit untuk angka"
        )
    return (
        f"{r['extreme_poor_lifted_persons']:,.0f} jiwa terangkat dari kemiskinan ekstrem, "
        f"{r['extreme_poor_added_persons']:,.0f} jatuh; miskin ekstrem "
        f"{100 * r['extreme_before_share']:.2f}% → {100 * r['extreme_after_share']:.2f}% penduduk"
    )


def _draw_impact(ax, tables: dict[str, pd.DataFrame], c: Controls, where: str) -> None:
    rows = tables["impact"].set_index("area")
    if c.area not in rows.index:
        ax.set_axis_off()
        missing = "note" in tables["impact"].attrs
        ax.set_title(
            f"{where}\ndampak: {'tak dapat dihitung' if missing else 'tidak ada sampel survei'}",
            fontsize=10,
        )
        return
    r = rows.loc[c.area]
    values = [r["extreme_before_persons"], r["extreme_after_persons"]]
    ax.bar(["sekarang", "setelah koreksi\nrencana kunjungan"], values, color=["#8064a2", "#4bacc6"])
    for x, v in enumerate(values):
        ax.annotate(f"{v:,.0f}", (x, v), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("jiwa miskin ekstrem (survei)")
    ax.set_title(
        f"{where}\nterangkat {r['extreme_poor_lifted_persons']:,.0f} jiwa, "
        f"jatuh {r['extreme_poor_added_persons']:,.0f} (sampel: "
        f"{int(r['sampled_extreme_poor_lifted'])} rumah tangga)",
        fontsize=10,
    )


def draw(tables: dict[str, pd.DataFrame], c: Controls):
    """Four charts: expected errors with intervals, the visit split, coverage, the impact."""
    from matplotlib.figure import Figure

    # Not pyplot's: a figure of its own, drawn to PNG here (:func:`figure_png`), so that no
    # backend's global state (the notebook's inline backend) takes part in drawing it.
    fig = Figure(figsize=(10, 7))  # about 1,000 pixels: a notebook width
    grid = fig.subplots(2, 2)
    axes = grid.ravel()
    where = "Kabupaten" if c.area == ALL else f"Kecamatan {c.area}"
    e = tables["errors"].set_index("area").loc[c.area]
    names = [
        "expected_inclusion_errors",
        "expected_exclusion_errors",
        "expected_extreme_poor_not_covered",
    ]
    labels = ["salah sasaran\n(inklusi)", "terlewat\n(eksklusi)", "miskin ekstrem\ntak tercakup"]
    values = [e[n] for n in names]
    axes[0].bar(labels, values, color=["#c0504d", "#4f81bd", "#8064a2"])
    # the 90% interval as a line (a percentile interval need not contain the point)
    axes[0].vlines(
        labels,
        [e[f"{n}_low"] for n in names],
        [e[f"{n}_high"] for n in names],
        color="black",
        linewidth=2,
    )
    axes[0].set_title(f"{where}\nperkiraan kesalahan di register (interval 90%)", fontsize=10)
    s = tables["split"]
    s = s[s["area"] != ALL] if c.area == ALL else s[s["area"] == c.area]
    axes[1].bar(s["area"], s["priority_visits"], label="daftar prioritas", color="#4f81bd")
    axes[1].bar(
        s["area"],
        s["audit_visits"],
        bottom=s["priority_visits"],
        label="audit acak",
        color="#f79646",
    )
    axes[1].tick_params(axis="x", labelrotation=90, labelsize=7)
    axes[1].legend()
    total = tables["split"].set_index("area").loc[ALL]
    axes[1].set_title(
        f"Kunjungan: {int(total['priority_visits']):,} prioritas + {int(total['audit_visits']):,} "
        f"audit\nperkiraan koreksi {total['expected_corrections']:,.0f}",
        fontsize=10,
    )
    r = tables["coverage"].set_index("area").loc[c.area]
    shares = [r["coverage_poor_persons"], r["coverage_extreme_poor_persons"]]
    axes[2].bar(
        ["miskin", "miskin ekstrem"],
        [0 if v is None else v for v in shares],
        color=["#9bbb59", "#4bacc6"],
    )
    axes[2].set_ylim(0, 1)
    programme = PROGRAMMES.get(c.programme, c.programme)
    axes[2].set_title(f"{where}\ncakupan {programme} (survei, jiwa)", fontsize=10)
    _draw_impact(axes[3], tables, c, where)
    fig.tight_layout()
    return fig


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (100 dpi)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def build_workbench(wb: Workbench):
    """The sliders and pickers, wired to :func:`summarise` and :func:`draw`; a VBox."""
    import ipywidgets as w
    from IPython.display import Image, display

    c = default_controls(wb)
    style = {"description_width": "220px"}
    rupiah = {"readout_format": ",.0f"}
    specs = {  # name: (slider, value, min, max, step, label, extra)
        "budget": (
            w.IntSlider,
            c.budget,
            0,
            max(10 * c.budget, 1000),
            100,
            "Anggaran kunjungan",
            {},
        ),
        "minimum_per_area": (
            w.IntSlider,
            c.minimum_per_area,
            0,
            200,
            5,
            "Minimum per kecamatan",
            {},
        ),
        "audit_share": (w.FloatSlider, c.audit_share, 0.0, 0.5, 0.01, "Porsi audit acak", {}),
        "poverty_line": (
            w.FloatSlider,
            c.poverty_line,
            0.5 * c.poverty_line,
            2 * c.poverty_line,
            5_000,
            "Garis kemiskinan (Rp)",
            rupiah,
        ),
        "extreme_line": (
            w.FloatSlider,
            c.extreme_line,
            0.5 * c.extreme_line,
            2 * c.extreme_line,
            5_000,
            "Garis kemiskinan ekstrem (Rp)",
            rupiah,
        ),
    }
    sliders = {
        name: kind(
            value=value,
            min=lo,
            max=hi,
            step=step,
            description=label,
            style=style,
            layout=w.Layout(width="640px"),
            **extra,
        )
        for name, (kind, value, lo, hi, step, label, extra) in specs.items()
    }
    sliders |= {
        "programme": w.Dropdown(
            # any programme of the dataset config, named as Konsel's are when it is one
            options=[(PROGRAMMES.get(p, p), p) for p in ("any", *wb.programs)],
            value="any",
            description="Program",
            style=style,
        ),
        "area": w.Dropdown(
            options=[ALL, *wb.areas], value=ALL, description="Kecamatan", style=style
        ),
    }
    status = w.HTML()
    numbers = w.Output()
    charts = w.Output()

    def update(_=None) -> None:
        started = time.perf_counter()
        values = Controls(**{k: s.value for k, s in sliders.items()})
        try:
            tables = summarise(wb, values)
        except UserError as err:
            status.value = f"<b>{err}</b>"
            return
        with numbers:
            numbers.clear_output(wait=True)
            display(tables["split"].round(1))
            display(tables["errors"].round(1))
            display(tables["coverage"].round(3))
            display(tables["impact"].round(4))
        png = figure_png(draw(tables, values))  # drawn whole before the output is touched
        with charts:
            charts.clear_output(wait=True)
            display(Image(data=png, format="png"))
        total = tables["split"].set_index("area").loc[ALL]
        status.value = (
            f"<span id='visit-split'>{int(total['priority_visits'])} prioritas + "
            f"{int(total['audit_visits'])} audit</span> · <span id='impact'>"
            f"{impact_words(tables, values.area)}</span> · dihitung dalam "
            f"{time.perf_counter() - started:.2f} s"
        )

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return w.VBox([*sliders.values(), status, charts, numbers])


def open_workbench(processed: Path | None = None):
    """The workbench on what ``make reports`` left (:func:`load_workbench`), with a line on
    what it read; when a table is missing, that one sentence (run ``make reports``
    first) in place of the sliders, never a traceback."""
    import ipywidgets as w

    try:
        wb = load_workbench(processed)
    except UserError as err:
        return w.HTML(f"<p id='workbench-missing'><b>Meja kerja belum bisa dibuka:</b> {err}</p>")
    about = w.HTML(
        f"<p>{len(wb.area):,} rumah tangga di register, {len(wb.survey):,} di survei; "
        f"{wb.replicates} replikasi bootstrap dari langkah skor; dibaca dalam "
        f"{wb.seconds_to_load:.1f} s dari data/processed (hasil <code>make reports</code>)</p>"
    )
    return w.VBox([about, build_workbench(wb)])
