"""The Costa Rican household table, on tiny person-level tables worked out by hand.

Four households (the challenge's columns, each one-hot group set once):

- "a": head (man, 40, 11 years, complete secondary), spouse (woman, 38, 6 years),
  children of 5 and 10 (the 10-year-old a year behind in school). The head says
  Target 2, one child says 3: the head's class, 2, is used.
- "b": a woman of 65 living alone, no schooling, Target 1, owns her house.
- "c": no head row; only two children (17 and 6) are in the file, of a reported
  3 members. Their Target is 3 and 4: the tie goes to the poorer class, 3.
  edjefa "yes" says the (missing) head is a woman with 1 year of schooling.
- "d": two adults of 18 and 30 with 15 years and university, renting for
  100,000 colones a month, 2 tablets, rural Brunca.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from konsel_analysis.paths import CONFIGS_DIR, project_paths

# The household table is the benchmark's helper (benchmarks/), not the package's.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import costa_rica_households as cr  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs" / "costa_rica.md"

# A dwelling with one of each one-hot group set: brick walls, ceramic floor, zinc
# roof, water inside, public electricity, septic tank, gas, collection truck,
# walls/roof/floor in good state, owned outright, Central region, urban.
DWELLING = {
    "v2a1": np.nan,
    "hacdor": 0,
    "rooms": 5,
    "hacapo": 0,
    "v14a": 1,
    "refrig": 1,
    "v18q": 0,
    "v18q1": np.nan,
    "tamviv": 4,
    "hhsize": 4,
    "cielorazo": 1,
    "edjefe": "no",
    "edjefa": "no",
    "bedrooms": 2,
    "overcrowding": 2.0,
    "computer": 0,
    "television": 1,
    "qmobilephone": 2,
    "area1": 1,
    "lugar1": 1,
    "paredblolad": 1,
    "pisomoscer": 1,
    "techozinc": 1,
    "abastaguadentro": 1,
    "public": 1,
    "sanitario3": 1,
    "energcocinar3": 1,
    "elimbasu1": 1,
    "epared3": 1,
    "etecho3": 1,
    "eviv3": 1,
    "tipovivi1": 1,
}


def person(
    idhogar: str,
    dwelling: dict,
    *,
    age: int,
    target: int,
    head: bool = False,
    spouse: bool = False,
    female: int = 0,
    escolari: int = 6,
    instlevel: int = 3,
    rez_esc: float = np.nan,
    marital: int = 7,
    dis: int = 0,
) -> dict:
    """One person row with every column the module reads; unset dummies are 0."""
    row = dict.fromkeys(cr.REQUIRED_COLUMNS, 0)
    row.update(dwelling)
    row.update(
        {
            "idhogar": idhogar,
            "Target": target,
            "age": age,
            "female": female,
            "escolari": escolari,
            "rez_esc": rez_esc,
            "dis": dis,
            "parentesco1": int(head),
            "parentesco2": int(spouse),
            f"instlevel{instlevel}": 1,
            f"estadocivil{marital}": 1,
        }
    )
    return row


def persons_table() -> pd.DataFrame:
    a = {**DWELLING, "edjefe": "11"}
    b = {
        **DWELLING,
        "hhsize": 1,
        "tamviv": 1,
        "rooms": 2,
        "bedrooms": 1,
        "overcrowding": 1.0,
        "qmobilephone": 1,
        "edjefa": "no",
    }
    c = {**DWELLING, "hhsize": 3, "tamviv": 3, "edjefa": "yes", "techozinc": 0}  # no roof set
    d = {
        **DWELLING,
        "hhsize": 2,
        "tamviv": 2,
        "v2a1": 100_000.0,
        "tipovivi1": 0,
        "tipovivi3": 1,
        "v18q": 1,
        "v18q1": 2,
        "area1": 0,
        "lugar1": 0,
        "lugar4": 1,
        "edjefe": "15",
    }
    rows = [
        person("a", a, age=40, target=2, head=True, escolari=11, instlevel=5, marital=3),
        person("a", a, age=38, target=2, spouse=True, female=1, escolari=6, instlevel=3, marital=3),
        person("a", a, age=5, target=3, escolari=0, instlevel=1, marital=1),
        person("a", a, age=10, target=2, escolari=3, instlevel=2, rez_esc=1.0, marital=1),
        person(
            "b", b, age=65, target=1, head=True, female=1, escolari=0, instlevel=1, marital=6, dis=1
        ),
        person("c", c, age=17, target=3, female=1, escolari=10, instlevel=4, rez_esc=0.0),
        person("c", c, age=6, target=4, escolari=0, instlevel=1),
        person("d", d, age=30, target=4, head=True, escolari=15, instlevel=8),
        person("d", d, age=18, target=4, female=1, escolari=15, instlevel=8),
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def households() -> pd.DataFrame:
    return cr.build_household_table(persons_table()).set_index("household_id")


# (household, column, expected, why)
CASES = [
    ("a", "welfare_class", 2, "head says 2, a child says 3: the head's Target"),
    ("b", "welfare_class", 1, "one member"),
    ("c", "welfare_class", 3, "no head: modal Target, tie 3 vs 4 to the poorer class"),
    ("d", "welfare_class", 4, "head and member agree"),
    ("a", "has_head_row", 1, ""),
    ("c", "has_head_row", 0, ""),
    ("c", "n_member_rows", 2, "2 rows of a reported 3 members"),
    ("a", "n_age_0_5", 1, "the 5-year-old"),
    ("a", "n_age_6_17", 1, "the 10-year-old"),
    ("a", "n_age_18_64", 2, "head and spouse"),
    ("b", "n_age_65_plus", 1, "65 is elderly"),
    ("a", "n_men_18_64", 1, ""),
    ("a", "n_women_18_64", 1, ""),
    ("a", "dependency_ratio", 1.0, "2 children / 2 adults of working age"),
    ("b", "dependency_ratio", 1.0, "1 elderly / max(1, 0 working-age)"),
    ("d", "dependency_ratio", 0.0, "no dependants"),
    ("d", "n_age_18_64", 2, "18 is working age"),
    ("d", "share_adults_female", 0.5, "the woman of 18 is an adult"),
    ("d", "adults_schooling_years_per_person", 15.0, "(15 + 15) / 2"),
    ("b", "has_working_age_member", 0, ""),
    ("a", "share_members_working_age", 0.5, "2 of hhsize 4"),
    ("a", "adults_schooling_mean_years", 8.5, "(11 + 6) / 2"),
    ("a", "adults_schooling_max_years", 11.0, ""),
    ("a", "adults_schooling_years_per_person", 4.25, "(11 + 6) / 4"),
    ("a", "share_adults_secondary_complete", 0.5, "head instlevel5, spouse instlevel3"),
    ("a", "adults_secondary_complete_per_person", 0.25, "1 / 4"),
    ("d", "share_adults_tertiary", 1.0, "both instlevel8"),
    ("a", "share_adults_female", 0.5, ""),
    ("a", "n_children_behind_school", 1, "rez_esc 1 for the 10-year-old"),
    ("c", "n_children_behind_school", 0, "rez_esc 0 (on track) and missing (age 6)"),
    ("a", "has_spouse_or_partner", 1, ""),
    ("d", "has_spouse_or_partner", 0, ""),
    ("a", "head_schooling_years", 11.0, "head's escolari"),
    ("a", "head_is_female", 0, ""),
    ("a", "head_age_years", 40.0, ""),
    ("a", "head_marital_status", "married", "estadocivil3"),
    ("b", "head_is_female", 1, ""),
    ("b", "n_disabled", 1, ""),
    ("c", "head_schooling_years", 1.0, "edjefa 'yes' = 1 year; edjefe 'no'"),
    ("c", "head_is_female", 1, "edjefa > 0: a woman heads the household"),
    ("c", "head_age_years", 17.0, "oldest member row present stands in"),
    ("c", "head_marital_status", "not_recorded", "no head row"),
    ("c", "adults_schooling_mean_years", 1.0, "no adult row: the head's 1 year stands in"),
    ("c", "share_adults_secondary_complete", 0.0, "1 year < 11"),
    ("c", "adults_schooling_years_per_person", 1 / 3, "1 year / hhsize 3"),
    ("c", "n_age_6_17", 2, "6 and 17 are both school age"),
    ("c", "n_age_0_5", 0, "6 is not under 6"),
    ("c", "roof_material", "not_recorded", "no roof dummy set"),
    ("a", "roof_material", "metal_or_zinc", ""),
    ("a", "area", "Central", "lugar1"),
    ("d", "area", "Brunca", "lugar4"),
    ("d", "is_urban", 0, "area1 = 0"),
    ("a", "tenure", "owned_outright", "tipovivi1"),
    ("d", "tenure", "rented", "tipovivi3"),
    ("a", "rent_monthly_crc", 0.0, "v2a1 missing: no rent"),
    ("a", "is_rent_missing", 1, ""),
    ("d", "is_rent_missing", 0, ""),
    ("d", "log_rent_monthly_crc", math.log1p(100_000), ""),
    ("d", "log_rent_per_person_crc", math.log1p(50_000), "100,000 / 2 members"),
    ("a", "n_tablets", 0, "v18q1 missing with v18q 0: none"),
    ("d", "n_tablets", 2, ""),
    ("d", "tablets_per_person", 1.0, "2 / 2"),
    ("a", "mobile_phones_per_person", 0.5, "2 phones / 4"),
    ("a", "rooms_per_person", 1.25, "5 rooms / 4"),
    ("a", "bedrooms_per_person", 0.5, "2 bedrooms / 4"),
    ("a", "n_assets", 3, "refrigerator, television, a mobile phone"),
    ("d", "n_assets", 4, "plus tablets"),
    ("a", "wall_state_index", 2, "epared3: good"),
    ("a", "dwelling_state_index", 6, "all three good"),
    ("a", "household_size", 4, ""),
    ("b", "log_household_size", 0.0, "log(1)"),
]


@pytest.mark.parametrize(("household", "column", "expected", "why"), CASES)
def test_household_features_by_hand(households, household, column, expected, why):
    value = households.loc[household, column]
    if isinstance(expected, float):
        assert value == pytest.approx(expected), why
    else:
        assert value == expected, why


def test_table_has_one_row_per_household_and_no_missing_proxy(households):
    assert list(households.index) == ["a", "b", "c", "d"]
    proxies = [*cr.NUMERIC_PROXIES, *cr.CATEGORICAL_PROXIES]
    assert not households[proxies].isna().any().any()
    assert [households.index.name, *households.columns] == [f.name for f in cr.FEATURES]


def test_no_identifier_or_label_among_proxies():
    proxies = {*cr.NUMERIC_PROXIES, *cr.CATEGORICAL_PROXIES}
    assert proxies.isdisjoint(
        {"household_id", "welfare_class", "has_head_row", "n_member_rows", "area"}
    )
    sources = " ".join(f.sources for f in cr.FEATURES if f.name in proxies)
    for leaky in ("Target", "Id,", "idhogar", "SQB", "agesq", "meaneduc", "dependency,"):
        assert leaky not in sources


def test_row_order_does_not_change_the_table():
    persons = persons_table()
    shuffled = persons.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        cr.build_household_table(persons), cr.build_household_table(shuffled)
    )


# (raw value, parsed, why)
YES_NO_CASES = [
    ("yes", 1.0, "'yes' is 1 in the challenge data"),
    ("no", 0.0, "'no' is 0"),
    ("6", 6.0, "a number as text"),
    (".5", 0.5, "dependency writes decimals without the leading 0"),
    (11, 11.0, "already a number"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), YES_NO_CASES)
def test_parse_yes_no_number(raw, expected, why):
    assert cr.parse_yes_no_number(pd.Series([raw], name="edjefe")).iloc[0] == expected, why


def test_parse_yes_no_number_names_the_column_of_a_bad_value():
    with pytest.raises(ValueError, match="'edjefa' holds 'maybe'"):
        cr.parse_yes_no_number(pd.Series(["6", "maybe"], name="edjefa"))


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="lacks column.*escolari"):
        cr.build_household_table(persons_table().drop(columns="escolari"), source="people.csv")


def test_unknown_welfare_class_is_refused():
    persons = persons_table()
    persons.loc[persons["idhogar"].eq("d"), "Target"] = 5
    with pytest.raises(ValueError, match="'Target' holds 5 for household d"):
        cr.build_household_table(persons)


def test_config_lists_exactly_the_module_proxies():
    config = yaml.safe_load((CONFIGS_DIR / "costa_rica.yml").read_text(encoding="utf-8"))
    assert config["proxies"]["numeric"] == list(cr.NUMERIC_PROXIES)
    assert config["proxies"]["categorical"] == list(cr.CATEGORICAL_PROXIES)
    assert config["household_id"] == "household_id"
    assert config["welfare_class"] == "welfare_class"
    assert config["poor_classes"] == [1, 2]
    assert config["extreme_poor_classes"] == [1]
    assert config["area"] == "area"
    assert config["area_effects"] is True  # the region enters the models once, as area
    assert not {"weight", "cluster", "programs", "poverty_line", "welfare"} & set(config)


def test_docs_carry_the_feature_table():
    assert cr.feature_table_markdown() in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_main_writes_the_table(tmp_path, capsys, suffix):
    raw = tmp_path / "households_raw.csv"
    persons_table().to_csv(raw, index=False)
    out = tmp_path / "out" / f"households{suffix}"
    assert cr.main(["--raw", str(raw), "--out", str(out)]) == 0
    table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert table["welfare_class"].tolist() == [2, 1, 3, 4]
    assert "4 households (50.0% in classes 1-2)" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


@pytest.mark.parametrize(
    ("raw_name", "out_name", "message"),
    [
        ("absent.csv", "out.csv", "absent.csv does not exist"),
        ("households_raw.csv", "out.xlsx", "must end in .csv or .parquet"),
    ],
)
def test_main_refuses_bad_paths(tmp_path, capsys, raw_name, out_name, message):
    persons_table().to_csv(tmp_path / "households_raw.csv", index=False)
    code = cr.main(["--raw", str(tmp_path / raw_name), "--out", str(tmp_path / out_name)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / out_name).exists()


def _real_file() -> Path:
    """The challenge file: KONSEL_COSTA_RICA_RAW, else the shared data folder beside the
    checkout (as on the project's machines and CI), else data/raw/costa_rica/."""
    env = os.environ.get("KONSEL_COSTA_RICA_RAW")
    if env:
        return Path(env)
    shared = project_paths().root.parent / "shared" / "data" / "costa_rica" / "households_raw.csv"
    return shared if shared.is_file() else project_paths().raw / "costa_rica" / "households_raw.csv"


@pytest.mark.skipif(
    not _real_file().is_file(),
    reason="the IDB challenge file is not in the repository and not in ../shared: set "
    "KONSEL_COSTA_RICA_RAW or put it at data/raw/costa_rica/",
)
def test_real_file_matches_its_readme():
    table = cr.load_costa_rica_households(_real_file())
    assert len(table) == 2988
    assert table["welfare_class"].value_counts().to_dict() == {4: 1955, 2: 442, 3: 369, 1: 222}
    assert table["has_head_row"].eq(0).sum() == 15
    assert not table[[*cr.NUMERIC_PROXIES, *cr.CATEGORICAL_PROXIES]].isna().any().any()


def _benchmark():
    """benchmarks/costa_rica_pmt.py as a module (benchmarks/ is not a package)."""
    import importlib.util
    import sys

    name = "costa_rica_pmt_benchmark"
    if name not in sys.modules:  # dataclasses look their module up in sys.modules
        path = Path(__file__).resolve().parents[1] / "benchmarks" / "costa_rica_pmt.py"
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def test_benchmark_load_path_on_a_file_with_the_challenge_columns(tmp_path):
    """The benchmark's load (household table, then the dataset config, as validate-pmt reads
    it) on the four hand-built households: their roofs, floors and walls use the
    challenge's own codes ("metal_or_zinc"), which the Konsel data dictionary does not
    list, and every row is accepted (issue 14: the row checks once rejected them all)."""
    raw = tmp_path / "households_raw.csv"
    persons_table().to_csv(raw, index=False)
    dataset = _benchmark().load(raw)
    assert dataset.n == 4 and dataset.intake.rejected == 0
    by_id = dict(zip(dataset.frame["household_id"], dataset.is_poor, strict=True))
    assert by_id == {"a": True, "b": True, "c": False, "d": False}  # classes 2, 1, 3, 4
    assert dataset.X.loc[dataset.frame["household_id"] == "a", "roof_material"].item() == (
        "metal_or_zinc"
    )


@pytest.mark.skipif(
    not _real_file().is_file(),
    reason="the IDB challenge file is not in the repository and not in ../shared",
)
def test_real_file_loads_through_the_benchmark_and_its_config():
    dataset = _benchmark().load(_real_file())
    assert dataset.n == 2988 and dataset.intake.rejected == 0
    assert int(dataset.is_poor.sum()) == 222 + 442
