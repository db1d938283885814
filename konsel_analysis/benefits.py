"""Programme benefits a household receives, or would receive, in Rp per month.

The amounts are policy numbers (parameters.yml, ``benefits.*``: the PKH components
per person and year, at most four components per family, and the BPNT amount per
family and month; sources there). Used where a correction is valued: the register
scoring's priorities (:mod:`konsel_analysis.targeting.score`) and the impact
simulation (:mod:`konsel_analysis.impact`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.parameters import Parameters, load_parameters

PKH_COMPONENTS = {
    # register column -> parameter key (PKH, per person per year)
    "has_pregnant_member": "benefits.pkh_pregnancy",
    "n_members_age_0_6": "benefits.pkh_child_0_6",
    "n_members_primary_school": "benefits.pkh_primary_pupil",
    "n_members_junior_secondary": "benefits.pkh_junior_secondary_pupil",
    "n_members_senior_secondary": "benefits.pkh_senior_secondary_pupil",
    "n_members_severe_disability": "benefits.pkh_severe_disability",
    "n_members_age_70_plus": "benefits.pkh_elderly_70_plus",
}


def pkh_benefit_per_month(frame: pd.DataFrame, params: Parameters | None = None) -> np.ndarray:
    """PKH a family would receive, Rp per month: its components, at most four (facts)."""
    params = params or load_parameters()
    amounts = []
    for column, key in PKH_COMPONENTS.items():
        count = frame[column].to_numpy().astype(float)
        # One column per person in the component, up to four people.
        amounts.append((np.arange(4)[None, :] < count[:, None]) * params.value(key) / 12)
    # Each person in a component is one component; keep the four largest per family.
    per_person = np.sort(np.concatenate(amounts, axis=1), axis=1)[:, ::-1]
    limit = int(params.value("benefits.pkh_max_components"))
    return per_person[:, :limit].sum(axis=1)


def household_benefit_per_month(
    frame: pd.DataFrame, params: Parameters | None = None
) -> dict[str, np.ndarray]:
    """Rp per month each household gets, or would get, from PKH and BPNT."""
    params = params or load_parameters()
    return {
        "is_pkh_recipient": pkh_benefit_per_month(frame, params),
        "is_bpnt_recipient": np.full(len(frame), float(params.value("benefits.bpnt"))),
    }
