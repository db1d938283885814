from datetime import date

import pytest

from konsel_analysis.parameters import ParameterFileError, load_parameters


def test_poverty_lines_carry_value_unit_date_and_source():
    params = load_parameters()
    line = params["poverty_lines.poverty_line"]
    assert line.value == 462710  # BPS Sultra, March 2024 (konsel_facts.md)
    assert line.unit == "IDR per capita per month"
    assert line.applies_from == date(2024, 3, 1)
    assert "BPS" in line.source
    assert params.value("poverty_lines.extreme_poverty_line") == 351957


def test_benefits_are_read_with_their_units():
    params = load_parameters()
    assert params.value("benefits.bpnt") == 200000
    assert params["benefits.bpnt"].unit == "IDR per family per month"
    assert params.value("benefits.pbi_jk") == 42000


def test_every_parameter_has_a_source_and_a_date():
    for parameter in load_parameters().items.values():
        assert parameter.source.strip(), parameter.key
        assert isinstance(parameter.applies_from, date), parameter.key


def test_unknown_key_names_the_file_and_the_known_keys():
    with pytest.raises(KeyError, match="parameters.yml.*poverty_lines.poverty_line"):
        load_parameters()["poverty_lines.no_such_line"]


def test_parameter_without_source_is_refused(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(
        "lines:\n  poverty_line:\n    value: 1\n    unit: IDR\n    applies_from: 2024-01-01\n"
    )
    with pytest.raises(ParameterFileError, match=r"bad\.yml.*lines\.poverty_line.*source"):
        load_parameters(path)


def test_a_parameter_given_twice_is_refused(tmp_path):
    leaf = "    value: {}\n    unit: IDR\n    applies_from: 2024-01-01\n    source: x\n"
    path = tmp_path / "twice.yml"
    path.write_text(
        "lines:\n  poverty_line:\n" + leaf.format(1) + "  poverty_line:\n" + leaf.format(2)
    )
    with pytest.raises(
        ParameterFileError, match=r"twice\.yml: key 'poverty_line' is given twice \(lines 2 and 7\)"
    ):
        load_parameters(path)
