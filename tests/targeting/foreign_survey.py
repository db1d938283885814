"""A household survey and register no one here wrote: foreign names, skewed assets, strata.

What a national survey brings that the synthetic Konsel data does not: its own
column names (none shares a name with the Konsel data dictionary, so the intake
applies no dictionary code to them), lognormal asset values in the hundreds of
thousands, explicit strata with one stratum of a single PSU (a lonely PSU), an
area with no poor household, an area with no beneficiary, person weights through a
household-size column and an ordinal welfare class beside consumption.

Used by the tests and by the runs recorded in docs/real_surveys.md::

    python -c "import sys; sys.path.insert(0, 'tests/targeting'); \
        import foreign_survey as f; f.write_files('/tmp/foreign')"
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

#: area -> stratum; S4 holds a single PSU (the lonely one); A6 has no poor household,
#: A5 no beneficiary.
AREA_STRATUM = {"A1": "S1", "A2": "S1", "A3": "S2", "A4": "S3", "A5": "S3", "A6": "S4"}
PSUS_PER_AREA = {"A1": 5, "A2": 5, "A3": 6, "A4": 4, "A5": 4, "A6": 1}
PER_PSU = 12
LINE = 100_000.0  # poverty line of the foreign welfare, per person per month


def households(seed: int = 0, *, survey: bool = True, id_offset: int = 0) -> pd.DataFrame:
    """One table of households (survey: with welfare, weights and design columns)."""
    rng = np.random.default_rng(seed)
    rows = []
    for area, n_psu in PSUS_PER_AREA.items():
        for j in range(n_psu):
            psu = f"{area}-{j:02d}"
            for _ in range(PER_PSU):
                rows.append((area, AREA_STRATUM[area], psu))
    frame = pd.DataFrame(rows, columns=["region_id", "strat", "psu"])
    n = len(frame)
    frame.insert(0, "hhid", [f"H{id_offset + i:06d}" for i in range(n)])
    members = rng.integers(1, 9, n)
    assets = np.round(rng.lognormal(12.5, 1.3, n), -3)  # Rp 270,000 median, long tail
    land = np.round(rng.lognormal(-1.5, 1.2, n) * (rng.random(n) < 0.6), 2)
    roof = rng.choice(["tile", "zinc", "leaf"], n, p=[0.5, 0.35, 0.15])
    log_c = (
        12.2
        + 0.22 * (np.log1p(assets) - 12.5)
        + 0.1 * np.log1p(land)
        - 0.09 * members
        + np.where(roof == "leaf", -0.25, 0.0)
        + rng.normal(0, 0.35, n)
    )
    rich = frame["region_id"].eq("A6").to_numpy()
    log_c = np.where(rich, np.log(LINE) + 1.0 + rng.uniform(0, 0.5, n), log_c)  # no poor in A6
    consumption = np.round(np.exp(log_c), 0)
    poor = consumption < LINE
    receives_a = rng.random(n) < np.where(poor, 0.55, 0.12)
    receives_b = rng.random(n) < np.where(poor, 0.4, 0.15)
    none = frame["region_id"].eq("A5").to_numpy()  # no programme reaches A5
    frame["hh_members"] = members
    frame["asset_value"] = assets
    frame["land_owned"] = land
    frame["roof_type"] = roof
    frame["prog_cash"] = (receives_a & ~none).astype(int)
    frame["prog_food"] = (receives_b & ~none).astype(int)
    if survey:
        frame["wgt"] = np.round(rng.uniform(20, 80, n), 1)
        frame["cons_pc"] = consumption
        # Ordinal welfare class, 1 = poorest (quintiles of consumption).
        frame["welfare_cls"] = pd.qcut(consumption, 5, labels=False).astype(int) + 1
    else:
        frame = frame.drop(columns=["strat"])
    return frame


def config(*, target: str = "welfare", strata: bool = True) -> dict:
    """The dataset config of :func:`households` (``target``: welfare or class)."""
    raw = {
        "name": "Foreign survey (synthetic, for the toolkit's tests)",
        "household_id": "hhid",
        "area": "region_id",
        "cluster": "psu",
        "weight": "wgt",
        "persons": "hh_members",
        "programs": ["prog_cash", "prog_food"],
        "proxies": {
            "numeric": ["hh_members", "asset_value", "land_owned"],
            "categorical": ["roof_type"],
        },
        "area_effects": False,
    }
    if strata:
        raw["strata"] = "strat"
    if target == "welfare":
        raw.update(welfare="cons_pc", poverty_line=LINE)
    else:
        raw.update(welfare_class="welfare_cls", poor_classes=[1, 2], extreme_poor_classes=[1])
    return raw


def write_files(folder, seed: int = 0) -> dict[str, Path]:
    """survey.csv, register.csv and the configs (welfare, class, no strata) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"survey": folder / "survey.csv", "register": folder / "register.csv"}
    households(seed).to_csv(paths["survey"], index=False)
    register = pd.concat(
        [households(seed + k + 1, survey=False, id_offset=100_000 * (k + 1)) for k in range(3)],
        ignore_index=True,
    )
    register.to_csv(paths["register"], index=False)
    for name, keys in (
        ("config", {}),
        ("config_class", {"target": "class"}),
        ("config_flat", {"strata": False}),
    ):
        paths[name] = folder / f"{name}.yml"
        paths[name].write_text(yaml.safe_dump(config(**keys), sort_keys=False), encoding="utf-8")
    return paths
