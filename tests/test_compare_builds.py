"""benchmarks/compare_builds.py sets aside the build's bookkeeping by name, never an output."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import compare_builds  # noqa: E402


@pytest.mark.parametrize(
    "name",
    [
        "data/processed/pmt/manifest.json",
        "data/processed/verification/manifest.json",
        "data/processed/register_summary_by_kecamatan.manifest.json",
        "data/processed/report_inputs/manifest.json",
        "data/processed/report_inputs/charts/expected_errors-en.json",
        "reports/executed/render_keys.json",
    ],
)
def test_the_builds_bookkeeping_is_set_aside(name):
    assert compare_builds.BOOKKEEPING.match(name)


@pytest.mark.parametrize(
    "name",
    [
        "data/raw/manifest.json",  # the synthetic data's description: an output of synth
        "data/processed/pmt/model_card.json",
        "data/processed/pmt/saved_model/manifest.json",  # a saved model's format
        "data/processed/report_inputs/area_summary.csv",
        "data/processed/report_inputs/charts/expected_errors-en-0123456789abcdef0123.npz",
        "reports/build.json",
        "reports/executed/74.05.01-tinanggea.ipynb",
    ],
)
def test_every_output_is_compared(name):
    assert not compare_builds.BOOKKEEPING.match(name)


def test_set_aside_files_are_listed_not_counted(capsys):
    first = {"reports/executed/render_keys.json": b"{}", "reports/regency.html": b"a"}
    second = {"reports/regency.html": b"a", "data/processed/pmt/manifest.json": b"{}"}
    assert compare_builds.compare(first, second, "toy") == 0
    out = capsys.readouterr().out
    aside = "set aside (the build's bookkeeping, not an output): "
    assert aside + "reports/executed/render_keys.json" in out
    assert "1 files compared: 1 byte-identical" in out and "2 bookkeeping files set aside" in out
    assert compare_builds.compare(first, {"reports/regency.html": b"b"}, "toy") == 1


def _executed(key: str, code: str = "74.05.01") -> bytes:
    import json

    injected = {
        "cell_type": "code",
        "id": key[:8],
        "metadata": {"tags": ["injected-parameters"]},
        "source": f'# Parameters\nkecamatan_code = "{code}"\ninputs_key = "{key}"\n',
    }
    return json.dumps({"cells": [injected], "metadata": {}}).encode()


def test_the_injected_report_tables_key_is_ignored_but_not_the_other_parameters():
    a, b = _executed("a" * 64), _executed("b" * 64)
    assert compare_builds.compare_file("x.ipynb", a, b)[0]
    assert not compare_builds.compare_file("x.ipynb", a, _executed("b" * 64, "74.05.02"))[0]
