"""The workbench on the tables a `konsel reports` build left (the session's small build).

Checked against what the build's own steps wrote: the register scores (the point
of the expected errors) and the impact simulation (the impact on extreme poverty
with no minimum and no audit share).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from konsel_analysis import explore
from konsel_analysis.errors import UserError
from konsel_analysis.targeting.verification import visit_budget
from konsel_analysis.targeting.workbench_tables import replicate_groups


@pytest.fixture(scope="module")
def wb(built):
    return explore.load_workbench(built.root / "data" / "processed")


def test_expected_errors_at_the_survey_lines_are_the_score_steps(built, wb, pipeline_settings):
    scores = pd.read_parquet(built.root / "data/processed/score/register_scores.parquet")
    errors = explore.expected_errors(wb, wb.poverty_line, wb.extreme_line).set_index("area")
    b = scores["is_beneficiary"].to_numpy(bool)
    assert errors.loc["ALL", "beneficiaries"] == b.sum()
    assert errors.loc["ALL", "expected_exclusion_errors"] == pytest.approx(
        scores["p_poor"][~b].sum(), rel=1e-9
    )
    assert errors.loc["ALL", "expected_inclusion_errors"] == pytest.approx(
        (1 - scores["p_poor"][b]).sum(), rel=1e-9
    )
    assert errors.loc["ALL", "expected_extreme_poor_not_covered"] == pytest.approx(
        scores["p_extreme_poor"][~b].sum(), rel=1e-9
    )
    assert wb.replicates == pipeline_settings.score_reps
    for name in ("expected_inclusion_errors", "expected_exclusion_errors"):
        low, high, point = (errors.loc["ALL", f"{name}{s}"] for s in ("_low", "_high", ""))
        # 40 replicates of a 4,000-household regency: a real interval around the point
        assert low < point < high and high - low > 0.05 * point


def test_replicate_groups_sum_to_the_household_counts(wb, built):
    # the whole-survey model on its own households' groups: the groups' expected
    # exclusion errors add up to the households' to within 0.3% per kecamatan
    from konsel_analysis.targeting.workbench_tables import read_cached_tables

    processed = built.root / "data" / "processed"
    cached = read_cached_tables(processed / "score", processed / "impact")
    register = cached.register
    any_receipt = wb.beneficiary("any")
    groups = replicate_groups(
        register["log_welfare_index"].to_numpy(), wb.area, wb.programs, any_receipt
    ).assign(replicate=0)
    terms = explore._group_terms(groups, [cached.model])
    q = terms.below(np.log(wb.poverty_line))
    by_group = (
        pd.Series(~groups["any_receipt"] * groups["households"] * q).groupby(groups["area"]).sum()
    )
    p = explore.probabilities(wb, wb.poverty_line, wb.extreme_line)["p_poor"].to_numpy()
    exact = pd.Series(np.where(any_receipt, 0.0, p)).groupby(wb.area).sum()
    assert np.allclose(by_group.sort_index(), exact.sort_index(), rtol=3e-3)


def test_impact_without_minimum_or_audit_is_the_impact_steps(built, wb):
    step = pd.read_csv(built.root / "data/processed/impact/impact_by_area.csv", dtype={"area": str})
    step = step[step["scenario"] == "verified"].set_index("area")
    budget, _ = visit_budget(None, None)
    plan = replace(explore.default_controls(wb), minimum_per_area=0, audit_share=0.0)
    assert plan.budget == budget
    mine = explore.impact(wb, plan).set_index("area")
    assert sorted(mine.index) == sorted(step.index)
    # the comparison says something: the round moves the poverty rate (in this small
    # regency, with 0.6% extreme poor, it lifts nobody above the extreme line)
    assert step.loc["ALL", "poverty_fgt0_after"] < step.loc["ALL", "poverty_fgt0_before"] - 0.005
    for ours, theirs in (
        ("extreme_poor_lifted_persons", "extreme_poor_lifted_persons"),
        ("extreme_poor_added_persons", "extreme_poor_added_persons"),
        ("extreme_before_share", "extreme_fgt0_before"),
        ("extreme_after_share", "extreme_fgt0_after"),
        ("poor_after_share", "poverty_fgt0_after"),
    ):
        assert np.allclose(mine[ours], step.loc[mine.index, theirs], rtol=1e-9, atol=1e-12), ours


def test_the_plan_and_the_lines_move_the_impact(wb):
    c = replace(explore.default_controls(wb), audit_share=0.1)
    budget = c.budget
    base = explore.impact(wb, c)
    none = explore.impact(wb, replace(c, budget=0, minimum_per_area=0, audit_share=0.0))
    more = explore.impact(wb, replace(c, budget=3 * budget))
    # no visits: nothing moves; the plan's visits: the poor persons fall
    poor = [t.set_index("area").loc["ALL", "poor_after_persons"] for t in (none, base)]
    assert poor[0] == none.set_index("area").loc["ALL", "poor_before_persons"] > poor[1]
    # visits spent: the budget, whatever the split (the list to within one household's weight)
    heaviest = wb.survey["weight"].max()
    assert budget - heaviest <= base.set_index("area").loc["ALL", "visits"] <= budget + 1e-6
    assert more.set_index("area").loc["ALL", "visits"] > base.set_index("area").loc["ALL", "visits"]
    # a higher extreme line: more extreme poor before
    higher = explore.impact(wb, replace(c, extreme_line=1.3 * c.extreme_line))
    assert (
        higher.set_index("area").loc["ALL", "extreme_before_persons"]
        > base.set_index("area").loc["ALL", "extreme_before_persons"]
    )
    with pytest.raises(UserError, match="extreme line"):
        explore.impact(wb, replace(c, extreme_line=2 * c.poverty_line))


def test_a_higher_line_leaves_more_poor_out(wb):
    higher = explore.expected_errors(wb, 1.2 * wb.poverty_line, wb.extreme_line)
    base = explore.expected_errors(wb, wb.poverty_line, wb.extreme_line)
    assert higher.iloc[-1]["expected_exclusion_errors"] > base.iloc[-1]["expected_exclusion_errors"]
    pkh = explore.expected_errors(wb, wb.poverty_line, wb.extreme_line, "is_pkh_recipient")
    assert pkh.iloc[-1]["beneficiaries"] == wb.programs["is_pkh_recipient"].sum()


def test_the_sliders_move_the_split_and_the_impact(wb):
    box = explore.build_workbench(wb)
    sliders = {s.description: s for s in box.children if hasattr(s, "description")}
    status = next(c for c in box.children if type(c).__name__ == "HTML")
    sliders["Porsi audit acak"].value = 0.1
    sliders["Anggaran kunjungan"].value = 1000
    assert "900 prioritas + 100 audit" in status.value
    first = status.value.split("<span id='impact'>")[1].split("</span>")[0]
    sliders["Anggaran kunjungan"].value = 500
    assert "450 prioritas + 50 audit" in status.value
    assert "jiwa terangkat" in first or "terlalu sedikit" in first
    sliders["Garis kemiskinan ekstrem (Rp)"].value = 2 * wb.poverty_line
    assert "must lie above zero and below the poverty line" in status.value


def test_one_kecamatan_shows_next_to_the_regency_and_draws_four_charts(wb):
    import matplotlib

    matplotlib.use("Agg")
    c = explore.default_controls(wb)
    c.area = wb.areas[0]
    tables = explore.summarise(wb, c)
    assert set(tables) == {"errors", "split", "coverage", "impact"}
    for t in tables.values():
        assert set(t["area"]) <= {wb.areas[0], explore.ALL} and explore.ALL in set(t["area"])
    fig = explore.draw(tables, c)
    assert len(fig.axes) == 4
    title = "".join(fig.axes[0].get_title(loc=where) for where in ("left", "center", "right"))
    assert title.startswith(f"Kecamatan {wb.areas[0]}\n")


def test_missing_tables_say_run_make_reports(tmp_path):
    with pytest.raises(UserError, match="run `make reports` first"):
        explore.load_workbench(tmp_path)
    shown = explore.open_workbench(tmp_path)
    assert "make reports" in shown.value and "Traceback" not in shown.value


def test_no_identity_reaches_the_workbench(built, wb, register_identities, register_household_ids):
    niks, names = register_identities
    processed = built.root / "data" / "processed"
    tables = [pd.read_parquet(p) for p in (processed / "score").glob("workbench_*.parquet")]
    tables += [pd.read_parquet(p) for p in (processed / "impact").glob("workbench_*.parquet")]
    tables += list(explore.summarise(wb, explore.default_controls(wb)).values())
    secrets = niks | names | register_household_ids
    for table in tables:
        assert not {"household_id", "nik_head", "name_head"} & set(table.columns)
        for column in table.columns:
            if table[column].dtype == object:
                assert not secrets & set(table[column].astype(str)), column


def test_a_programme_the_impact_cannot_value_leaves_the_rest_standing(wb):
    import matplotlib

    matplotlib.use("Agg")
    unvalued = replace(wb, survey=wb.survey.drop(columns="benefit_is_pkh_recipient"), _memo={})
    c = replace(explore.default_controls(unvalued), programme="is_pkh_recipient")
    tables = explore.summarise(unvalued, c)
    assert tables["impact"].empty and "no benefit amounts for PKH" in tables["impact"].attrs["note"]
    assert tables["errors"].iloc[-1]["beneficiaries"] == wb.programs["is_pkh_recipient"].sum()
    assert "no benefit amounts for PKH" in explore.impact_words(tables)
    fig = explore.draw(tables, c)
    title = "".join(fig.axes[3].get_title(loc=where) for where in ("left", "center", "right"))
    assert title.endswith("dampak: tak dapat dihitung")
