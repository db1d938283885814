"""Field outcomes drawn from the synthetic truth, for demos and tests only.

``konsel verification simulate`` plays the field teams: for every planned visit it
draws whether the household was met and, if so, what the team found, from
``register_truth`` (the consumption the synthetic generator drew). The result is
one XLSX in the shape the teams return (the field list's columns, without names
or NIK, plus the columns they fill in).

Non-contact shares (:data:`NON_CONTACT_SHARES`, 7.5% in all) sit inside the 5-10%
the issue names for moved or not found households. The synthetic register's
proxies are the ones the consumption was drawn from, so a "misreported" proxy is
simulated as a binary asset the team reports the other way round
(:data:`CORRECTION_SHARE` of the households met): it exercises the reading of
corrections and the decisions file, not the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.verification.outcomes import OUTCOME_LABELS

#: Probability of each non-contact outcome per planned visit (demo values).
NON_CONTACT_SHARES = {"moved": 0.03, "not_found": 0.03, "refused": 0.01, "deceased": 0.005}
#: Share of households met whose team corrects one binary asset proxy.
CORRECTION_SHARE = 0.05
#: Binary proxies a simulated team may correct, when the register has them.
CORRECTABLE = ("has_refrigerator", "has_television", "has_motorcycle", "has_gas_cylinder")
#: Spread (log) of a measured consumption around the true one.
MEASUREMENT_SD = 0.1
#: The columns the teams fill in, in the returned lists (Bahasa Indonesia).
FILLED = {
    "visit_date": "Tanggal kunjungan",
    "outcome": "Hasil kunjungan",
    "officer": "Petugas",
    "measured_consumption": "Pengeluaran per kapita terukur (Rp/bulan)",
}
CORRECTION_PREFIX = "Koreksi "
FIRST_VISIT_DAY = pd.Timestamp("2024-10-01")


def simulate_outcomes(
    plan: pd.DataFrame,
    is_beneficiary: pd.Series,
    truth: pd.DataFrame,
    register: pd.DataFrame | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The returned field list of a plan, drawn from the truth.

    ``is_beneficiary`` and ``truth`` (``consumption_pc_month_idr``, ``is_poor``) are
    indexed by household_id; ``register`` (indexed by household_id) gives the
    proxies a team may correct.
    """
    rng = np.random.default_rng([seed, 1616])
    n = len(plan)
    ids = plan["household_id"].astype(str)
    benef = is_beneficiary.reindex(ids).fillna(False).to_numpy(bool)
    t = truth.reindex(ids)
    poor = t["is_poor"].fillna(False).to_numpy(bool)
    outcome = np.where(poor, np.where(benef, "eligible", "poor_not_receiving"), "not_eligible")
    u = rng.random(n)
    edges = np.cumsum(list(NON_CONTACT_SHARES.values()))
    for code, lo, hi in zip(NON_CONTACT_SHARES, np.r_[0, edges[:-1]], edges, strict=True):
        outcome = np.where((u >= lo) & (u < hi), code, outcome)
    met = ~np.isin(outcome, list(NON_CONTACT_SHARES))
    consumption = t["consumption_pc_month_idr"].to_numpy(float)
    measured = np.exp(np.log(consumption) + MEASUREMENT_SD * rng.standard_normal(n)).round(-2)
    out = pd.DataFrame(
        {
            "Urutan kunjungan": plan["visit_rank"].to_numpy(),
            "Kecamatan": plan["area"].to_numpy(),
            "ID rumah tangga": ids.to_numpy(),
            "Status bantuan": np.where(benef, "Penerima (KPM)", "Bukan penerima"),
            FILLED["visit_date"]: (
                FIRST_VISIT_DAY + pd.to_timedelta(rng.integers(0, 45, n), unit="D")
            ).strftime("%Y-%m-%d"),
            FILLED["outcome"]: [OUTCOME_LABELS[c] for c in outcome],
            FILLED["officer"]: [f"Pendamping {k:02d}" for k in rng.integers(1, 40, n)],
            FILLED["measured_consumption"]: np.where(met, measured, np.nan),
        }
    )
    if register is not None:
        columns = [c for c in CORRECTABLE if c in register.columns]
        corrected = met & (rng.random(n) < CORRECTION_SHARE)
        which = rng.integers(0, max(len(columns), 1), n)
        for j, column in enumerate(columns):
            rows = corrected & (which == j)
            current = register[column].reindex(ids).to_numpy()
            values = np.full(n, np.nan)
            values[rows] = 1 - current[rows].astype(float)
            out[CORRECTION_PREFIX + column] = values
    return out.sort_values(["Kecamatan", "Urutan kunjungan"], kind="stable", ignore_index=True)
