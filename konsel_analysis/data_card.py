"""Measure the synthetic data against its calibration targets (the data card).

Used by the tests (which assert the targets) and to write docs/data_card.md::

    python -m konsel_analysis.data_card > docs/data_card.md

The truth table is read here because checking the generator is validation;
the pipeline itself never reads ``register_truth``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from konsel_analysis.geography import load_kecamatan
from konsel_analysis.synth import DEFAULT_SEED, SyntheticKonsel, generate_konsel

PROGRAMMES = {"PKH": "is_pkh_recipient", "BPNT": "is_bpnt_recipient"}


def _rates(frame: pd.DataFrame) -> pd.Series:
    persons = frame["household_size"]
    out = {
        "households": len(frame),
        "persons": int(persons.sum()),
        "poverty_rate_persons": float(np.average(frame["is_poor"], weights=persons)),
        "extreme_poverty_rate_persons": float(
            np.average(frame["is_extreme_poor"], weights=persons)
        ),
        "poverty_rate_households": float(frame["is_poor"].mean()),
        "urban_share": float(frame["is_urban"].mean()),
    }
    for name, flag in {**PROGRAMMES, "PKH or BPNT": "_any"}.items():
        recipient = frame[flag].astype(bool)
        poor = frame["is_poor"]
        out[f"{name} share"] = float(recipient.mean())
        out[f"{name} inclusion error"] = (
            float((~poor[recipient]).mean()) if recipient.any() else np.nan
        )
        out[f"{name} exclusion error"] = float((~recipient[poor]).mean()) if poor.any() else np.nan
    return pd.Series(out)


def measure_synthetic(data: SyntheticKonsel) -> tuple[pd.Series, pd.DataFrame]:
    """Regency and per-kecamatan figures of a synthetic data set, measured on the truth.

    Inclusion error: share of recipient households that are not poor. Exclusion
    error: share of poor households that receive nothing from the programme.
    Poverty rates are shares of persons, as BPS publishes them.
    """
    frame = data.register.merge(data.register_truth, on="household_id", validate="1:1")
    frame["_any"] = frame["is_pkh_recipient"] | frame["is_bpnt_recipient"]
    regency = _rates(frame)
    regency["kecamatan"] = frame["kecamatan_code"].nunique()
    regency["villages"] = frame["village_code"].nunique()
    regency["survey_households"] = len(data.survey)
    regency["survey_villages"] = data.survey["village_code"].nunique()
    by_kecamatan = frame.groupby("kecamatan_code").apply(_rates, include_groups=False)
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    by_kecamatan.insert(0, "kecamatan", names.reindex(by_kecamatan.index))
    return regency, by_kecamatan


def render_data_card(households: int | None = None, seed: int = DEFAULT_SEED) -> str:
    data = generate_konsel(households=households, seed=seed)
    regency, by_kec = measure_synthetic(data)
    kec_table = by_kec[
        [
            "kecamatan",
            "households",
            "persons",
            "poverty_rate_persons",
            "extreme_poverty_rate_persons",
            "PKH or BPNT inclusion error",
            "PKH or BPNT exclusion error",
        ]
    ]
    lines = [
        "# Data card: synthetic Konsel",
        "",
        f"Measured by `python -m konsel_analysis.data_card` (seed {seed}, "
        f"{int(regency['households']):,} households). Fully synthetic: no row describes a real "
        "person. Poverty rates are shares of persons at the Sultra March 2024 line "
        "(Rp 462,710) and the extreme line (Rp 351,957); errors are shares of households.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| kecamatan / villages | {int(regency['kecamatan'])} / {int(regency['villages'])} "
        "| 25 / 351 |",
        f"| persons | {int(regency['persons']):,} | about 323,000 |",
        f"| poverty rate (persons) | {regency['poverty_rate_persons']:.1%} | 10-12% |",
        f"| extreme poverty rate (persons) | {regency['extreme_poverty_rate_persons']:.1%} "
        "| 1.5-3% |",
        f"| poor households | {regency['poverty_rate_households']:.1%} | |",
    ]
    for name in [*PROGRAMMES, "PKH or BPNT"]:
        lines.append(
            f"| {name}: share of households / inclusion error / exclusion error | "
            f"{regency[f'{name} share']:.1%} / {regency[f'{name} inclusion error']:.1%} / "
            f"{regency[f'{name} exclusion error']:.1%} | inclusion 40-50%, exclusion about 50% |"
        )
    lines += [
        f"| survey households / villages | {int(regency['survey_households']):,} / "
        f"{int(regency['survey_villages'])} | a few thousand |",
        "",
        "## By kecamatan",
        "",
        _markdown_table(kec_table.reset_index()),
    ]
    return "\n".join(lines)


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float) and value <= 1:
            return f"{value:.1%}"
        if isinstance(value, float | int | np.integer):
            return f"{int(value):,}"
        return str(value)

    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_data_card())
