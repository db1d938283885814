"""The statistician's workbench: what-ifs on the register without rerunning the pipeline.

:func:`load_workbench` does the heavy work once: it reads the survey and the
register (the default dataset config), fits the receipt-aware model of
:mod:`konsel_analysis.targeting.expected` on the survey, and refits it on
Rao-Wu cluster-bootstrap replicates of the survey. Every fitted stage of that
model is independent of the poverty lines (only the final probabilities use
them), so each callback below re-evaluates the fitted models at the lines the
user picks and answers in a fraction of a second:

- :func:`expected_errors`: expected inclusion and exclusion errors and extreme
  poor not covered, per kecamatan, with 90% intervals (bootstrap replicates,
  plus the Bernoulli variation of the count, as in ``konsel score``);
- :func:`visit_split`: the visit budget split into a priority list and random
  audit visits (``budget x (1 - audit share)`` by priority, the rest at random,
  as ``verification.audit_share`` in parameters.yml describes), per kecamatan,
  with the expected corrections and extreme poor found;
- :func:`coverage`: measured in the survey, the share of poor and extreme-poor
  households and persons the programme reaches at the chosen lines.

``notebooks/workbench.ipynb`` puts sliders on these (:func:`build_workbench`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError

#: Share of the visit budget spent on random audit visits when parameters.yml has no
#: ``verification.audit_share`` (issue 16's default).
DEFAULT_AUDIT_SHARE = 0.10
#: Bootstrap replicates fitted once when the workbench loads (``konsel score`` uses 200;
#: 40 keep loading near 20 s of CPU on the default data, and put two replicates
#: beyond each of the 5% and 95% percentiles).
WORKBENCH_REPLICATES = 40
CI = 0.90
#: Width of the PMT-index bins the replicates are evaluated on (log consumption).
BIN_WIDTH = 0.01
PROGRAMMES = {"any": "PKH atau BPNT", "is_pkh_recipient": "PKH", "is_bpnt_recipient": "BPNT"}
ALL = "ALL"


def audit_share_default() -> float:
    """``verification.audit_share`` from parameters.yml when present, else 0.10."""
    from konsel_analysis.parameters import load_parameters

    try:
        return float(load_parameters().value("verification.audit_share"))
    except KeyError:
        return DEFAULT_AUDIT_SHARE


@dataclass
class Workbench:
    """Everything the callbacks need, computed once."""

    area: np.ndarray  # register kecamatan of each household
    programs: dict[str, np.ndarray]  # register receipt per programme
    worth: np.ndarray  # Rp per month a correction is worth
    rows: object  # ReceiptRows of the register
    model: object  # ReceiptAwareModel fitted on the whole survey
    index: np.ndarray  # its PMT index of each register household
    replicates: list  # (model, index) per bootstrap replicate
    survey: pd.DataFrame  # area, welfare, weight, persons, programme flags
    poverty_line: float
    extreme_line: float
    seconds_to_load: float = 0.0

    @property
    def areas(self) -> list[str]:
        return sorted(set(self.area))

    def beneficiary(self, programme: str = "any") -> np.ndarray:
        if programme == "any":
            return np.logical_or.reduce([np.asarray(v, bool) for v in self.programs.values()])
        return np.asarray(self.programs[programme], bool)


def _lines(model, poverty_line: float, extreme_line: float):
    if extreme_line >= poverty_line:
        raise UserError(
            f"extreme line {extreme_line:,.0f} must lie below the poverty line "
            f"{poverty_line:,.0f}; lower it"
        )
    return replace(
        model,
        log_lines={"poor": float(np.log(poverty_line)), "extreme": float(np.log(extreme_line))},
    )


def probabilities(wb: Workbench, poverty_line: float, extreme_line: float) -> pd.DataFrame:
    """P(poor) and P(extreme poor) of each register household at the given lines."""
    p = _lines(wb.model, poverty_line, extreme_line).probabilities(wb.rows, wb.index)
    return pd.DataFrame({"p_poor": p["poor"], "p_extreme": np.minimum(p["extreme"], p["poor"])})


def binned_probabilities(model, rows, cell: np.ndarray, index: np.ndarray, width=BIN_WIDTH):
    """P(poor) and P(extreme poor) of each household, evaluated once per bin.

    Households are grouped by ``cell`` (kecamatan x any receipt: all the receipt
    rows depend on) and by their PMT index in bins of ``width``; each bin is
    evaluated at its centre. A bin of 0.01 in log consumption is far below the
    spread of log consumption given the proxies (about 0.3), as in
    :mod:`konsel_analysis.targeting.expected`'s replicates.
    """
    from konsel_analysis.targeting.expected import ReceiptRows

    step = np.floor(np.asarray(index) / width).astype(np.int64)
    key = cell * (step.max() - step.min() + 1) + (step - step.min())
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    centre = (step[first] + 0.5) * width
    sub = ReceiptRows(rows.any_receipt[first], rows.dummies[first])
    p = model.probabilities(sub, centre)
    return p["poor"][inverse], np.minimum(p["extreme"], p["poor"])[inverse]


def _counts(p_poor, p_extreme, beneficiary) -> dict[str, np.ndarray]:
    return {
        "expected_inclusion_errors": np.where(beneficiary, 1 - p_poor, 0.0),
        "expected_exclusion_errors": np.where(~beneficiary, p_poor, 0.0),
        "expected_extreme_poor_not_covered": np.where(~beneficiary, p_extreme, 0.0),
    }


def _by_area(values: np.ndarray, codes: np.ndarray, n_areas: int) -> np.ndarray:
    per_area = np.bincount(codes, weights=values, minlength=n_areas)
    return np.r_[per_area, per_area.sum()]


def expected_errors(
    wb: Workbench, poverty_line: float, extreme_line: float, programme: str = "any", seed: int = 0
) -> pd.DataFrame:
    """Per kecamatan and ``ALL``: beneficiaries and each expected count with a 90% interval."""
    beneficiary = wb.beneficiary(programme)
    codes, names = pd.factorize(pd.Series(wb.area, dtype=object), sort=True)
    k = len(names)
    p = probabilities(wb, poverty_line, extreme_line)
    point = _counts(p["p_poor"].to_numpy(), p["p_extreme"].to_numpy(), beneficiary)
    rng = np.random.default_rng(seed)
    draws = {name: [] for name in point}
    cell = codes * 2 + np.asarray(wb.rows.any_receipt, dtype=np.int64)
    for model, index in wb.replicates:
        q_poor, q_extreme = binned_probabilities(
            _lines(model, poverty_line, extreme_line), wb.rows, cell, index
        )
        rep = _counts(q_poor, q_extreme, beneficiary)
        for name, values in rep.items():
            mean = _by_area(values, codes, k)
            var = _by_area(values * (1 - values), codes, k)  # Bernoulli, normal approximation
            draws[name].append(mean + rng.standard_normal(k + 1) * np.sqrt(var))
    out = pd.DataFrame({"area": [*names, ALL]})
    out["beneficiaries"] = _by_area(beneficiary.astype(float), codes, k).astype(int)
    tail = (1 - CI) / 2
    for name, values in point.items():
        out[name] = _by_area(values, codes, k)
        stacked = np.maximum(np.asarray(draws[name]), 0.0)
        out[f"{name}_low"] = np.quantile(stacked, tail, axis=0)
        out[f"{name}_high"] = np.quantile(stacked, 1 - tail, axis=0)
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


# --------------------------------------------------------------------------------------
# Loading (the heavy part, once)
# --------------------------------------------------------------------------------------


def _replicates(sample, model_args: dict, reps: int, seed: int) -> list:
    from konsel_analysis.targeting.expected import fit_receipt_model
    from konsel_analysis.targeting.measured import rao_wu_multiplicities, resampling_units

    units = resampling_units(sample.area, sample.cluster)
    mult = rao_wu_multiplicities(units.area_of_unit, reps, np.random.default_rng(seed))
    models = []
    for r in range(reps):
        weight = sample.weight * mult[r, units.unit_of_household]
        keep = weight > 0
        part = replace(
            sample,
            X=sample.X.loc[keep],
            log_welfare=sample.log_welfare[keep],
            weight=weight[keep],
            cluster=sample.cluster[keep],
            area=sample.area[keep],
            programs={k: v[keep] for k, v in sample.programs.items()},
        )
        try:
            models.append(fit_receipt_model(part, **model_args))
        except (ValueError, np.linalg.LinAlgError):  # a degenerate replicate: left out
            continue
    return models


def load_workbench(
    survey_path=None,
    register_path=None,
    config_path=None,
    reps: int = WORKBENCH_REPLICATES,
    seed: int = 0,
) -> Workbench:
    """Read the survey and register, fit the model and its replicates: the slow part, once.

    Defaults: data/raw/survey.parquet and register.parquet with the default config.
    """
    from threadpoolctl import threadpool_limits

    from konsel_analysis.datasets import load_dataset, load_register
    from konsel_analysis.paths import CONFIGS_DIR, project_paths
    from konsel_analysis.synth import TABLE_FILES
    from konsel_analysis.targeting.expected import ReceiptRows, fit_receipt_model
    from konsel_analysis.targeting.score import benefit_worth, register_households, survey_sample

    started = time.perf_counter()
    raw = project_paths().raw
    survey_path = survey_path or raw / TABLE_FILES["survey"]
    register_path = register_path or raw / TABLE_FILES["register"]
    config_path = config_path or CONFIGS_DIR / "konsel_survey.yml"
    for path in (survey_path, register_path):
        if not path.exists():
            raise UserError(
                f"{path}: not found; run `make reports` first (it writes the synthetic data "
                "when data/raw has none, and the tables the reports read)"
            )
    dataset = load_dataset(survey_path, config_path)
    register = load_register(register_path, dataset.config)
    sample = survey_sample(dataset)
    households = register_households(register)
    args = {
        "poverty_line": dataset.poverty_line,
        "extreme_poverty_line": dataset.extreme_poverty_line,
        "squared": dataset.config.squared,
        "seed": seed,
    }
    with threadpool_limits(limits=1):
        model = fit_receipt_model(sample, **args)
        replicate_models = _replicates(sample, args, reps, seed)
    rows = ReceiptRows.build(households.programs, model.programs, households.area, model.areas)
    Z = model.features.transform(register.X)
    index = model.log_welfare_index(register.X)
    replicates = [
        (m, np.column_stack([np.ones(len(Z)), m.features.transform(register.X)]) @ m.pmt_beta)
        for m in replicate_models
    ]
    del Z
    frame = dataset.frame
    persons = dataset.config.persons if hasattr(dataset.config, "persons") else None
    survey = pd.DataFrame(
        {
            "area": dataset.area,
            "welfare": dataset.y,
            "weight": dataset.weight,
            "persons": frame[persons or "household_size"].to_numpy(float)
            if (persons or "household_size") in frame
            else 1.0,
            **{p: dataset.programs[p].to_numpy(bool) for p in dataset.config.programs},
        }
    )
    return Workbench(
        area=np.asarray(register.area, dtype=object),
        programs=households.programs,
        worth=benefit_worth(register.frame, register.programs),
        rows=rows,
        model=model,
        index=index,
        replicates=replicates,
        survey=survey,
        poverty_line=float(dataset.poverty_line),
        extreme_line=float(dataset.extreme_poverty_line),
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
    if c.area != ALL:
        pick = [c.area, ALL]
        errors, split, reach = (t[t["area"].isin(pick)] for t in (errors, split, reach))
    return {"errors": errors, "split": split, "coverage": reach}


def draw(tables: dict[str, pd.DataFrame], c: Controls):
    """Three charts: expected errors with intervals, the visit split, coverage."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
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
    axes[2].set_title(f"{where}\ncakupan {PROGRAMMES[c.programme]} (survei, jiwa)", fontsize=10)
    fig.tight_layout()
    return fig


def build_workbench(wb: Workbench):
    """The sliders and pickers, wired to :func:`summarise` and :func:`draw`; a VBox."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

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
            options=[(v, k) for k, v in PROGRAMMES.items()],
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
        with charts:
            charts.clear_output(wait=True)
            fig = draw(tables, values)
            display(fig)
            plt.close(fig)
        total = tables["split"].set_index("area").loc[ALL]
        status.value = (
            f"<span id='visit-split'>{int(total['priority_visits'])} prioritas + "
            f"{int(total['audit_visits'])} audit</span> · dihitung dalam "
            f"{time.perf_counter() - started:.2f} s"
        )

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return w.VBox([*sliders.values(), status, charts, numbers])
