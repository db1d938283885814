"""Report tables drawn from what the pipeline steps wrote to data/processed.

The PMT validation, the survey-measured targeting errors, the register scores
and the impact simulation are computed once by :mod:`konsel_analysis.build.steps`.
:mod:`.report_data` finds their outputs and checks that they were computed from the
same raw files and with the same poverty lines and budget as the report; this module
turns them into small report tables (one row per area, the regency as ``74.05``).
Published tables hide cells built from fewer than five households and never
carry a household id, a NIK or a name: the households to verify first are
shown by pseudonymous key only (:func:`konsel_analysis.privacy.pseudonymize`).

When a step's outputs are missing or were computed from other data, its tables
are left out and the reason is recorded; the sections then say what to run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from konsel_analysis import outputs
from konsel_analysis.datasets import parquet_columns
from konsel_analysis.geography import REGENCY_CODE, load_kecamatan, load_villages
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS, pseudonymize
from konsel_analysis.reports.report_data import ReportData
from konsel_analysis.targeting.field_lists import field_list_stem

#: Households per kecamatan listed in the "verify first" table of a report.
PRIORITY_LIST_LENGTH = 20

#: Programme columns of the default config -> the reports' programme codes.
PROGRAMME_CODES = {"is_pkh_recipient": "pkh", "is_bpnt_recipient": "bpnt", "any": "pkh_or_bpnt"}


def _with_area_code(table: pd.DataFrame) -> pd.DataFrame:
    """``area`` (with ``ALL`` for the whole survey or register) -> ``area_code``."""
    codes = table["area"].astype(str).replace({"ALL": REGENCY_CODE})
    return table.drop(columns="area").assign(area_code=codes)[
        ["area_code", *[c for c in table.columns if c != "area"]]
    ]


# --------------------------------------------------------------------------------------
# Survey-measured targeting errors with intervals (step "targeting")
# --------------------------------------------------------------------------------------


def tabulate_targeting_intervals(data: ReportData) -> pd.DataFrame:
    """Inclusion and exclusion error per area and programme with bootstrap intervals.

    Estimates of areas with fewer than 30 sampled beneficiaries (or poor;
    :data:`konsel_analysis.measured.targeting.SHRINK_BELOW_HOUSEHOLDS`) were
    shrunk towards the regency value by the targeting step;
    ``is_shrunk_inclusion``/``_exclusion`` say which. Cells resting on fewer
    than five sampled households are left empty.
    """
    table = pd.read_csv(data.steps.path("targeting_by_area"), dtype={"area": str})
    table = table[table["program"].isin(PROGRAMME_CODES)].copy()
    note = table["note"].fillna("")
    out = pd.DataFrame(
        {
            "area_code": table["area"].replace({"ALL": REGENCY_CODE}),
            "programme": table["program"].map(PROGRAMME_CODES),
            "sampled_households": table["households"],
            "sampled_beneficiaries": table["sampled_beneficiaries"],
            "sampled_poor": table["sampled_poor"],
        }
    )
    for measure, basis in (
        ("inclusion_error", "sampled_beneficiaries"),
        ("exclusion_error", "sampled_poor"),
    ):
        small = table[basis] < MIN_CELL_HOUSEHOLDS
        for suffix in ("", "_low", "_high"):
            out[measure + suffix] = table[measure + suffix].where(~small)
        kind = measure.removesuffix("_error")
        out[f"is_shrunk_{kind}"] = note.str.contains(f"{measure} shrunk", regex=False)
    out["is_single_village"] = table["single_cluster"].astype(bool)
    return out.reset_index(drop=True)


def tabulate_targeting_errors(data: ReportData) -> pd.DataFrame:
    """Point estimates per area and programme, as the targeting step measured them.

    The report's one source of these figures when the step ran: the direct (sample
    alone) inclusion and exclusion errors (``inclusion_error_direct``, shown beside
    the shrunk ones), the share of households that receive (``beneficiary_rate``) and
    the share of the poor that receive (``coverage``, which is 1 - the step's shrunk
    exclusion error, so that a page quoting coverage of the poor and the exclusion error
    quotes one estimate). Rates resting on fewer than five sampled households are left
    empty. Every kecamatan of the geography has its rows, with zero counts where the
    survey has no household.
    """
    table = pd.read_csv(data.steps.path("targeting_by_area"), dtype={"area": str})
    table = table[table["program"].isin(PROGRAMME_CODES)]
    n_rec, n_poor = table["sampled_beneficiaries"], table["sampled_poor"]
    measured = pd.DataFrame(
        {
            "area_code": table["area"].replace({"ALL": REGENCY_CODE}),
            "programme": table["program"].map(PROGRAMME_CODES),
            "survey_recipients": n_rec,
            "survey_poor_households": n_poor,
            "inclusion_error": table["inclusion_error_direct"].where(n_rec >= MIN_CELL_HOUSEHOLDS),
            "exclusion_error": table["exclusion_error_direct"].where(n_poor >= MIN_CELL_HOUSEHOLDS),
            "coverage_households": table["beneficiary_rate"],
            "coverage_poor": table["coverage"].where(n_poor >= MIN_CELL_HOUSEHOLDS),
        }
    )
    grid = pd.MultiIndex.from_product(
        [[*load_kecamatan()["kecamatan_code"], REGENCY_CODE], list(PROGRAMME_CODES.values())],
        names=["area_code", "programme"],
    )
    out = measured.set_index(["area_code", "programme"]).reindex(grid).reset_index()
    counts = ["survey_recipients", "survey_poor_households"]
    out[counts] = out[counts].fillna(0).astype(int)
    return out


# --------------------------------------------------------------------------------------
# The register: expected errors, the verification allocation, who to visit first
# --------------------------------------------------------------------------------------

_EXPECTED = ("expected_inclusion_errors", "expected_exclusion_errors")
_EXPECTED_EXTREME = "expected_extreme_poor_not_covered"


def tabulate_expected_errors(data: ReportData) -> pd.DataFrame:
    """Expected errors in the register per kecamatan and for the regency, 90% intervals.

    ``expected_inclusion_errors``: beneficiaries (PKH or BPNT) probably not poor;
    ``expected_exclusion_errors``: registered non-beneficiaries probably poor;
    ``expected_extreme_poor_not_covered``: of those, probably extremely poor.
    """
    table = _with_area_code(
        pd.read_csv(data.steps.path("expected_errors_by_area"), dtype={"area": str})
    )
    for measure, basis in (
        ("expected_inclusion_errors", "beneficiaries"),
        ("expected_exclusion_errors", "non_beneficiaries"),
        (_EXPECTED_EXTREME, "non_beneficiaries"),
    ):
        if measure not in table:
            continue
        small = table[basis] < MIN_CELL_HOUSEHOLDS
        for suffix in ("", "_low", "_high"):
            table[measure + suffix] = table[measure + suffix].where(~small)
    return table


def _desa_of(scores: pd.DataFrame, data: ReportData) -> pd.Series:
    """Each scored household's desa code: the scores' own ``cluster``; looked up in the
    register (by household id) only when the scores lack it (a dataset config without
    a cluster column)."""
    if "cluster" in scores and scores["cluster"].notna().all():
        return scores["cluster"].astype(object)
    village = data.register.set_index("household_id")["village_code"]
    return scores["household_id"].map(village)


def tabulate_desa_expected_errors(data: ReportData) -> pd.DataFrame:
    """Expected errors per desa (point estimates: sums of household probabilities).

    The register scores give each household its chance of being an error; their
    sum over a desa is the expected number of errors there. No interval is
    computed at desa level. Desa with fewer than five beneficiaries (or
    non-beneficiaries) have the corresponding figure left empty.
    """
    path = data.steps.path("register_scores")
    columns = ["household_id", "is_beneficiary", "p_error", "is_visited"]
    scores = pd.read_parquet(
        path, columns=[*columns, *(["cluster"] if "cluster" in parquet_columns(path) else [])]
    )
    frame = scores.assign(village_code=_desa_of(scores, data))
    frame["b"] = frame["is_beneficiary"].astype(bool)
    frame["incl"] = np.where(frame["b"], frame["p_error"], 0.0)
    frame["excl"] = np.where(frame["b"], 0.0, frame["p_error"])
    table = frame.groupby("village_code").agg(
        beneficiaries=("b", "sum"),
        households=("b", "size"),
        expected_inclusion_errors=("incl", "sum"),
        expected_exclusion_errors=("excl", "sum"),
        visits=("is_visited", "sum"),
    )
    table["non_beneficiaries"] = table["households"] - table["beneficiaries"]
    table["expected_inclusion_errors"] = table["expected_inclusion_errors"].where(
        table["beneficiaries"] >= MIN_CELL_HOUSEHOLDS
    )
    table["expected_exclusion_errors"] = table["expected_exclusion_errors"].where(
        table["non_beneficiaries"] >= MIN_CELL_HOUSEHOLDS
    )
    small = table["households"] < MIN_CELL_HOUSEHOLDS
    table.loc[small, ["expected_inclusion_errors", "expected_exclusion_errors", "visits"]] = np.nan
    # Counts of beneficiaries are not published per desa (desa_composition gives shares).
    table = table.drop(columns=["beneficiaries", "non_beneficiaries", "households"])
    return table.reset_index()


def tabulate_verification_allocation(data: ReportData) -> pd.DataFrame:
    """The split of the verification budget across kecamatan, with the regency total.

    ``expected_corrections``: visits expected to find an error (a beneficiary not
    eligible or a poor non-beneficiary); ``expected_value_idr_per_month``: the
    benefits, Rp per month, those corrections move to where they belong.
    """
    table = _with_area_code(
        pd.read_csv(data.steps.path("verification_allocation"), dtype={"area": str})
    )
    table = table.rename(columns={"expected_value": "expected_value_idr_per_month"})
    total = table[
        ["households", "visits", "expected_corrections", "expected_value_idr_per_month"]
    ].sum()
    table = pd.concat(
        [table, pd.DataFrame([{"area_code": REGENCY_CODE, **total.to_dict()}])], ignore_index=True
    )
    table["share_of_visits"] = table["visits"] / total["visits"]
    table["corrections_per_100_visits"] = 100 * table["expected_corrections"] / table["visits"]
    kecamatan = table["area_code"] != REGENCY_CODE
    table["rank_by_visits"] = (
        table["visits"].where(kecamatan).rank(ascending=False, method="min").astype("Int64")
    )
    return table


def list_priority_households(data: ReportData) -> pd.DataFrame:
    """The first :data:`PRIORITY_LIST_LENGTH` households to visit in each kecamatan.

    Identified by pseudonymous key only (HMAC of the household id under the
    project's secret key); with the desa, the status, the chance that the
    household is a targeting error and the reason codes a field worker can
    check at the door. The household id itself is dropped here.
    """
    scores = pd.read_parquet(data.steps.path("register_scores"))
    columns = ["household_id", "area", "is_beneficiary", "p_error", "rank_in_area", "reasons"]
    columns += ["cluster"] if "cluster" in scores else []
    top = scores.loc[scores["rank_in_area"] <= PRIORITY_LIST_LENGTH].copy()
    if "reasons_en" not in top:
        top["reasons_en"] = top["reasons"]
    top = top[[*columns, "reasons_en"]].sort_values(["area", "rank_in_area"], kind="stable")
    names = load_villages().set_index("village_code")["village_name"]
    codes = _desa_of(top, data)
    lists = outputs.step_folder(ProjectPaths(data.root), "field_lists")
    out = pd.DataFrame(
        {
            "area_code": top["area"].astype(str),
            "rank_in_area": top["rank_in_area"].astype(int),
            "pseudonym": pseudonymize(top["household_id"], data.pseudonym_key()),
            "village_code": codes,
            "village_name": codes.map(names),
            "is_beneficiary": top["is_beneficiary"].astype(bool),
            "p_error": top["p_error"],
            "reasons_id": top["reasons"],
            "reasons_en": top["reasons_en"],
        }
    )
    # Where authorised staff find the same households with names and NIK.
    stems = {a: field_list_stem(a) for a in out["area_code"].unique()}
    out["field_list"] = out["area_code"].map(
        lambda a: str((lists / f"{stems[a]}.csv").relative_to(data.root))
    )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Impact of a correction round (step "impact")
# --------------------------------------------------------------------------------------

FGT_MEASURES = tuple(f"{line}_fgt{alpha}" for line in ("poverty", "extreme") for alpha in (0, 1, 2))


def tabulate_impact(data: ReportData) -> pd.DataFrame:
    """FGT 0/1/2 before and after a correction round, per scenario and area.

    Figures "after" a scenario are left empty where fewer than five sample
    households of the area change: the kecamatan samples are small and a
    correction round touches few of their households. Counts of extreme-poor
    people lifted (or pushed below the line) are left empty where they rest on
    one to four sample households.
    """
    table = _with_area_code(pd.read_csv(data.steps.path("impact_by_area"), dtype={"area": str}))
    thin = table["sampled_households_changed"] < MIN_CELL_HOUSEHOLDS
    for measure in FGT_MEASURES:
        table[f"{measure}_after"] = table[f"{measure}_after"].where(~thin)
    for what in ("lifted", "added"):
        n = table[f"sampled_extreme_poor_{what}"]
        hidden = thin | ((n > 0) & (n < MIN_CELL_HOUSEHOLDS))
        table[f"extreme_poor_{what}_persons"] = table[f"extreme_poor_{what}_persons"].where(~hidden)
    table["is_suppressed"] = thin
    return table


# --------------------------------------------------------------------------------------
# The PMT model card (step "pmt")
# --------------------------------------------------------------------------------------


def _model_card(data: ReportData) -> dict:
    return json.loads(data.steps.path("model_card").read_text(encoding="utf-8"))


def tabulate_pmt_estimators(data: ReportData) -> pd.DataFrame:
    """Out-of-sample accuracy of every PMT estimator, the chosen one first."""
    card = _model_card(data)
    best = card["best"]["name"]
    rows = []
    for name, e in card["estimators"].items():
        rows.append(
            {
                "estimator": name,
                "is_chosen": name == best,
                "r2": e.get("r2"),
                "auc": e.get("auc"),
                "exclusion_error_at_rate": e["at_rate"]["exclusion_error"],
                "inclusion_error_at_rate": e["at_rate"]["inclusion_error"],
                "exclusion_error_at_line": e["at_line"]["exclusion_error"],
                "inclusion_error_at_line": e["at_line"]["inclusion_error"],
                "coverage_at_line": e["at_line"]["coverage"],
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values(
        ["is_chosen", "exclusion_error_at_rate"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def summarise_pmt(data: ReportData) -> pd.DataFrame:
    """One row: the data the PMT was validated on, the chosen estimator and how sure."""
    card = _model_card(data)
    d, best = card["data"], card["best"]
    lead = best.get("bootstrap_lead_over_runner_up") or {}
    linear = card.get("linear_model") or {}
    row = {
        "households": d["n"],
        "villages": d.get("n_clusters"),
        "poor_households": d.get("n_poor"),
        "poverty_rate_households": d.get("poverty_rate"),
        "folds": card["validation"]["folds"],
        "chosen": best["name"],
        "runner_up": lead.get("runner_up"),
        "lead_std_err": lead.get("lead_std_err"),
        "share_replicates_chosen_ahead": lead.get("share_replicates_best_ahead"),
        "bootstrap_replicates": lead.get("replicates"),
        "linear_r2_in_sample": linear.get("r2_in_sample"),
        "linear_terms": linear.get("n_terms"),
        "failed_estimators": len(card.get("failed_estimators") or {}),
        # Estimators of `konsel validate-pmt` that this run did not compare (a setting).
        "left_out_estimators": ",".join(card.get("left_out_estimators") or []),
    }
    return pd.DataFrame([row])


def tabulate_pmt_curve(data: ReportData) -> pd.DataFrame:
    """The chosen PMT's coverage of the poor when the poorest share by its score is selected.

    Out of sample (cross-validated), regency-wide: one row per share selected.
    """
    best = _model_card(data)["best"]["name"]
    curves = pd.read_csv(data.steps.path("error_curves"))
    curve = curves[curves["estimator"] == best]
    return pd.DataFrame(
        {
            "estimator": best,
            "share_households": curve["coverage"],
            "share_poor": 1 - curve["exclusion_error"],
        }
    ).reset_index(drop=True)


def tabulate_intake(data: ReportData) -> pd.DataFrame:
    """Rows read, accepted and rejected by the row checks, per raw table (no person named)."""
    return pd.read_csv(data.steps.path("intake_summary"), keep_default_na=False)


def tabulate_proxy_differences(data: ReportData) -> pd.DataFrame:
    """Every proxy (level) with its survey and register mean and standardised difference."""
    return pd.read_csv(
        data.steps.path("comparability"), keep_default_na=False, dtype={"level": str}
    )


def tabulate_poverty_map_desa(data: ReportData) -> pd.DataFrame:
    """The desa poverty map (EBP, 90% intervals) with names, persons and ranking flags.

    ``area_code`` is the desa's kecamatan. Desa of fewer than five register households
    have their estimates hidden (small-cell rule).
    """
    from konsel_analysis.privacy import suppress_small_cells

    t = pd.read_csv(data.steps.path("poverty_map"), dtype={"area": str})
    a = pd.read_csv(data.steps.path("poverty_map_areas"), dtype={"area": str})
    villages = load_villages().set_index("village_code")
    out = t.merge(a, on="area", how="left").rename(columns={"area": "village_code"})
    out.insert(0, "area_code", villages["kecamatan_code"].reindex(out["village_code"]).to_numpy())
    out.insert(2, "village_name", villages["village_name"].reindex(out["village_code"]).to_numpy())
    values = [
        c
        for c in out.columns
        if c.startswith(("poverty_rate", "extreme_p", "poor_persons", "poverty_gap", "poverty_s"))
        or c in ("rmse", "cv")
    ]
    return suppress_small_cells(out, "census_households", values)


def tabulate_poverty_map_kecamatan(data: ReportData) -> pd.DataFrame:
    """The kecamatan poverty map (desa EBP summed), 90% intervals; ``area_code`` the kecamatan."""
    t = pd.read_csv(data.steps.path("poverty_map_upper"), dtype={"area": str})
    return t.rename(columns={"area": "area_code"})
