"""The one data dictionary: complete, named by the conventions, bilingual."""

import re
from pathlib import Path

import pytest

from konsel_analysis.dictionary import (
    COLUMNS,
    PERSONAL_COLUMNS,
    PROXY_BOOLEAN,
    PROXY_CATEGORICAL,
    PROXY_NUMERIC,
    TABLES,
    column,
    label,
    to_markdown,
)


def test_every_table_column_is_described():
    for table, names in TABLES.items():
        missing = [n for n in names if n not in COLUMNS]
        assert missing == [], f"{table}: {missing}"
        assert len(set(names)) == len(names), table


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_names_follow_the_conventions(name):
    col = COLUMNS[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    if col.dtype == "bool":
        assert name.startswith(("is_", "has_")), "booleans read as is_/has_"
    if col.unit == "IDR per capita per month":
        assert name.endswith("_pc_month_idr")
    if col.unit in ("m2", "ha", "years"):
        assert name.endswith({"m2": "_m2", "ha": "_ha", "years": "_years"}[col.unit])
    assert col.description_en.strip() and col.description_id.strip()
    assert col.label_en.strip() and col.label_id.strip()


def test_ranges_and_categories_are_consistent():
    for col in COLUMNS.values():
        if col.minimum is not None and col.maximum is not None:
            assert col.minimum < col.maximum, col.name
        if col.dtype == "category":
            assert len(col.categories) >= 2, col.name
            for en, id_ in col.categories.values():
                assert en and id_


def test_personal_data_is_marked_and_absent_from_the_survey():
    assert set(PERSONAL_COLUMNS) == {"nik_head", "name_head"}
    assert not set(PERSONAL_COLUMNS) & set(TABLES["survey"])
    assert not set(PERSONAL_COLUMNS) & set(TABLES["register_truth"])


def test_register_has_no_consumption_and_survey_has_weights():
    assert "consumption_pc_month_idr" not in TABLES["register"]
    assert {"consumption_pc_month_idr", "design_weight"} <= set(TABLES["survey"])


def test_proxies_are_in_both_register_and_survey():
    proxies = set(PROXY_NUMERIC) | set(PROXY_BOOLEAN) | set(PROXY_CATEGORICAL)
    assert proxies <= set(TABLES["register"]) & set(TABLES["survey"])
    assert {COLUMNS[p].dtype for p in PROXY_CATEGORICAL} == {"category"}
    assert {COLUMNS[p].dtype for p in PROXY_BOOLEAN} == {"bool"}


def test_labels_in_bahasa_indonesia_by_default_with_units():
    assert label("consumption_pc_month_idr") == "Pengeluaran per kapita per bulan (Rp)"
    assert label("consumption_pc_month_idr", "en") == "Consumption per capita per month (Rp)"
    assert label("floor_area_m2") == "Luas lantai (m²)"
    assert column("floor_material").category_label("ceramic") == "lantai keramik"
    assert column("floor_material").category_label("ceramic", "en") == "ceramic tile floor"


def test_unknown_column_is_named_in_the_error():
    with pytest.raises(KeyError, match="no_such_column"):
        column("no_such_column")


def test_markdown_lists_every_column_once():
    text = to_markdown()
    for name in COLUMNS:
        assert text.count(f"| `{name}` |") == 1


def test_docs_data_dictionary_is_the_generated_table():
    """docs/data_dictionary.md says it is generated from the dictionary: hold it to that."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md").read_text()
    table = [line for line in doc.splitlines() if line.startswith("|")]
    assert table == to_markdown().strip().splitlines(), (
        "docs/data_dictionary.md is out of date: regenerate it with the command on its first lines"
    )
