"""Who the PMT itself misses: exclusion error at the quota per group (issue 18).

For the chosen PMT and the runner-up of :func:`~konsel_analysis.pmt.validation.validate_pmt`,
households are selected as in the ``at_rate`` rule (the poorest weighted share equal
to the poverty rate, by out-of-sample predictions), and the exclusion error of that
selection is measured per group level with the survey-side machinery of
:mod:`konsel_analysis.measured.groups`: survey-weighted, cluster-bootstrap 90%
intervals, and the gap against the rest of the group. A PMT that misses poor
elderly households more than others is a finding for the model card.

The selection is held fixed across bootstrap replicates (the intervals carry the
sampling error of the survey's households, not the refitting of the PMT).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.measured.groups import (
    form_groups,
    interval_columns,
    measure_group_targeting,
)
from konsel_analysis.measured.targeting import TargetingDesign
from konsel_analysis.pmt import metrics

CI = 0.90
REPLICATES = 200
COLUMNS = [
    "estimator",
    "group",
    "level",
    "sampled_households",
    "sampled_poor",
    *interval_columns("exclusion_error", "exclusion_gap"),
    "gap_excludes_zero",
    "note",
]


def pmt_exclusion_by_group(result, reps: int = REPLICATES, seed: int = 0) -> pd.DataFrame:
    """Exclusion error at the quota per group level, for the chosen PMT and the runner-up.

    ``result`` is a :class:`~konsel_analysis.pmt.validation.ValidationResult`. Returns
    one row per estimator, group and level (:data:`COLUMNS`); empty when no group can
    be formed from the data's columns.
    """
    from konsel_analysis.pmt.validation import rank_estimators

    ds = result.dataset
    names = rank_estimators(result.results)[:2]
    selected = {
        name: metrics.select_at_rate(
            result.predictions[name].ranking_score, ds.weight, ds.poverty_rate
        )
        for name in names
    }
    groups = form_groups(ds.frame, ds.config.groups, personal=ds.config.personal)
    if not groups.levels:
        return pd.DataFrame(columns=COLUMNS)
    extreme = ds.is_extreme_poor if ds.is_extreme_poor is not None else np.zeros(ds.n, bool)
    design = TargetingDesign(ds.is_poor, extreme, ds.weight, ds.area, ds.cluster)
    table, _ = measure_group_targeting(
        design, selected, groups, ci=CI, reps=reps, seed=seed, areas=False
    )
    table = table[table["level"] != ""].rename(columns={"program": "estimator"})
    return table.loc[:, COLUMNS].reset_index(drop=True)


def fairness_lines(records: list[dict]) -> list[str]:
    """The model card's Markdown section from :func:`pmt_exclusion_by_group` records."""
    if not records:
        return []
    table = pd.DataFrame(records)
    names = list(dict.fromkeys(table["estimator"]))

    def cell(row) -> str:
        if row is None or pd.isna(row["exclusion_error"]):
            return "–"
        flag = " *" if row["gap_excludes_zero"] else ""
        return (
            f"{row['exclusion_error']:.2f} [{row['exclusion_error_low']:.2f}, "
            f"{row['exclusion_error_high']:.2f}]{flag}"
        )

    lines = [
        f"## Exclusion error at the quota by group ({int(CI * 100)}% intervals)",
        "",
        "Households selected as in the *at rate* rule; `*`: the gap against the rest of "
        "the group has an interval that excludes 0.",
        "",
        "| group | level | sampled poor | " + " | ".join(names) + " |",
        "|" + "---|" * (3 + len(names)),
    ]
    for (group, level), rows in table.groupby(["group", "level"], sort=False):
        by_name = {r["estimator"]: r for _, r in rows.iterrows()}
        first = rows.iloc[0]
        cells = [cell(by_name.get(n)) for n in names]
        lines.append(f"| {group} | {level} | {first['sampled_poor']} | " + " | ".join(cells) + " |")
    return [*lines, ""]
