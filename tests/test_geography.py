"""The 25 kecamatan and 351 villages against konsel_facts.md."""

import pytest

from konsel_analysis.geography import (
    kecamatan_name,
    load_kecamatan,
    load_villages,
    normalize_area_code,
)

# (code, name, kelurahan, desa) as tabulated in konsel_facts.md.
FACTS = [
    ("74.05.01", "Tinanggea", 2, 22),
    ("74.05.02", "Angata", 0, 24),
    ("74.05.03", "Andoolo", 2, 8),
    ("74.05.04", "Palangga", 1, 14),
    ("74.05.05", "Landono", 1, 11),
    ("74.05.06", "Lainea", 0, 12),
    ("74.05.07", "Konda", 1, 16),
    ("74.05.08", "Ranomeeto", 1, 11),
    ("74.05.09", "Kolono", 1, 20),
    ("74.05.10", "Moramo", 1, 19),
    ("74.05.11", "Laonti", 0, 19),
    ("74.05.12", "Lalembuu", 1, 17),
    ("74.05.13", "Benua", 0, 12),
    ("74.05.14", "Palangga Selatan", 1, 9),
    ("74.05.15", "Mowila", 0, 20),
    ("74.05.16", "Moramo Utara", 1, 9),
    ("74.05.17", "Buke", 0, 16),
    ("74.05.18", "Wolasi", 0, 7),
    ("74.05.19", "Laeya", 2, 15),
    ("74.05.20", "Baito", 0, 8),
    ("74.05.21", "Basala", 0, 9),
    ("74.05.22", "Ranomeeto Barat", 0, 9),
    ("74.05.23", "Kolono Timur", 0, 10),
    ("74.05.24", "Sabulakoa", 0, 9),
    ("74.05.25", "Andoolo Barat", 0, 10),
]
# The village list (cahyadsn/wilayah, Kepmendagri 300.2.2-2138/2025) differs from
# the facts' per-kecamatan desa counts in four kecamatan; the totals agree.
SOURCE_DIFFERS = {"74.05.05": 12, "74.05.07": 17, "74.05.18": 6, "74.05.24": 8}


def test_regency_has_25_kecamatan_and_351_villages():
    villages = load_villages()
    assert villages["kecamatan_code"].nunique() == 25
    assert len(villages) == 351
    assert villages["is_kelurahan"].sum() == 15
    assert (~villages["is_kelurahan"]).sum() == 336
    assert villages["village_code"].is_unique


@pytest.mark.parametrize(("code", "name", "kelurahan", "desa"), FACTS)
def test_kecamatan_match_the_facts(code, name, kelurahan, desa):
    row = load_kecamatan().set_index("kecamatan_code").loc[code]
    assert row["kecamatan_name"] == name
    assert row["n_kelurahan"] == kelurahan
    assert row["n_desa"] == SOURCE_DIFFERS.get(code, desa)


def test_the_15_kelurahan_are_the_ones_the_facts_name():
    villages = load_villages()
    names = set(villages.loc[villages["is_kelurahan"], "village_name"])
    assert names == {
        "Tinanggea",
        "Ngapaah",
        "Alangga",
        "Potoro",
        "Palangga",
        "Landono",
        "Konda",
        "Ranomeeto",
        "Kolono",
        "Lapuko",
        "Atari Indah",
        "Amondo",
        "Lalowaru",
        "Puunggaluku",
        "Ambalodangge",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("74.05.01", "74.05.01"),
        ("740501", "74.05.01"),
        (" 74.05.25 ", "74.05.25"),
        ("7405012001", "74.05.01.2001"),
        ("74.05.19.1002", "74.05.19.1002"),
    ],
)
def test_area_codes_are_normalised(raw, expected):
    assert normalize_area_code(raw) == expected


@pytest.mark.parametrize("raw", ["7405080", "74.06.01", "74.05.1", "Tinanggea", "74.05.01.3001"])
def test_codes_that_are_not_konsel_kemendagri_codes_are_refused(raw):
    with pytest.raises(ValueError, match="not a Konawe Selatan"):
        normalize_area_code(raw)


def test_kecamatan_name_reads_either_code_form():
    assert kecamatan_name("740508") == "Ranomeeto"
    assert kecamatan_name("74.05.11") == "Laonti"
