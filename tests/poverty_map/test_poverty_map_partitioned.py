"""``konsel poverty-map --census DIR``: a partitioned census gives the single file's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.poverty_map.bootstrap import bootstrap_errors
from konsel_analysis.poverty_map.ebp import AreaAggregator
from konsel_analysis.poverty_map.model import GroupedDesign, Transformation, area_indicator
from konsel_analysis.poverty_map.step import run as run_poverty_map
from konsel_analysis.synth import generate_konsel

CONFIG = CONFIGS_DIR / "konsel_survey.yml"
TABLES = ("poverty_map.csv", "poverty_map_areas.csv", "poverty_map_upper.csv")


def _partition(register: pd.DataFrame, root) -> None:
    """One file per kecamatan (regency=/kecamatan= folders), rows in register order; the
    first kecamatan cut in two files, so that some desa lie across two partitions."""
    for i, (code, part) in enumerate(register.groupby("kecamatan_code", sort=True)):
        folder = root / "regency=74.05" / f"kecamatan={code}"
        folder.mkdir(parents=True)
        if i == 0:
            half = len(part) // 2
            part.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
            part.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
        else:
            part.to_parquet(folder / "part-0.parquet", index=False)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    data = generate_konsel(households=6_000, seed=11)
    folder = tmp_path_factory.mktemp("pmpart")
    data.survey.to_parquet(folder / "survey.parquet")
    data.register.to_parquet(folder / "register.parquet")
    _partition(data.register, folder / "register")
    return folder


@pytest.mark.parametrize("level", ["cluster", "area"])
def test_partitioned_census_equals_the_single_file(tables, tmp_path, level):
    folder = tables
    runs = {}
    for name, census in (("file", "register.parquet"), ("parts", "register")):
        pm, _ = run_poverty_map(
            folder / "survey.parquet",
            folder / census,
            CONFIG,
            tmp_path / name,
            level=level,
            reps=60,  # two replicate blocks (REP_BLOCK = 50)
            seed=3,
            benchmark=level == "area",
        )
        runs[name] = pm
    a, b = runs["file"], runs["parts"]
    for m in a.errors_:
        np.testing.assert_allclose(b.errors_[m], a.errors_[m], rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(b.table_, a.table_, check_exact=False, rtol=0, atol=1e-10)
    for name in TABLES:
        if not (tmp_path / "file" / name).exists():
            assert level == "area" and not (tmp_path / "parts" / name).exists()
            continue
        x = pd.read_csv(tmp_path / "file" / name, dtype={"area": str})
        y = pd.read_csv(tmp_path / "parts" / name, dtype={"area": str})
        assert list(x.columns) == list(y.columns) and len(x) == len(y) > 0
        for col in x.columns:
            if pd.api.types.is_numeric_dtype(x[col]):
                np.testing.assert_allclose(y[col], x[col], rtol=0, atol=1e-10, err_msg=col)
            else:
                assert y[col].equals(x[col]), col


def test_census_draws_do_not_depend_on_the_order_of_areas():
    # Two areas of 30 households, the census rows interleaved or area after area (each
    # area's rows in the same order): the same bootstrap errors.
    design = GroupedDesign(np.ones((20, 1)), np.repeat([0, 1], 10), 2)
    g = np.repeat([0, 1], 30)
    x = np.ones((60, 1))
    tr = Transformation("none", 0.0)

    def errors(order):
        gg = g[order]
        agg = AreaAggregator(area_indicator(gg, 2), np.bincount(gg).astype(float))
        return bootstrap_errors(
            design, x[order], gg, agg, tr, np.zeros(1), 1.0, 0.3, 0.5, None, reps=70, seed=5
        )

    blocked = errors(np.arange(60))
    interleaved = errors(np.ravel(np.column_stack([np.arange(30), np.arange(30, 60)])))
    for m in blocked:
        np.testing.assert_allclose(interleaved[m], blocked[m], rtol=0, atol=1e-12)


def _fails(capsys, code, out, *words):
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not out.exists() or not any(out.iterdir())


def _run(folder, census, out):
    return main(
        [
            "poverty-map",
            "--survey",
            str(folder / "survey.parquet"),
            "--census",
            str(census),
            "--config",
            str(CONFIG),
            "--out",
            str(out),
            "--reps",
            "5",
        ]
    )


def test_empty_census_folder_stops(tables, tmp_path, capsys):
    empty = tmp_path / "census"
    empty.mkdir()
    out = tmp_path / "out"
    _fails(capsys, _run(tables, empty, out), out, str(empty), ".parquet")


def test_partition_without_a_proxy_stops(tables, tmp_path, capsys):
    census = tmp_path / "census"
    register = pd.read_parquet(tables / "register.parquet")
    _partition(register, census)
    bad = sorted(census.rglob("*.parquet"))[-1]
    pd.read_parquet(bad).drop(columns=["floor_material"]).to_parquet(bad, index=False)
    out = tmp_path / "out"
    _fails(capsys, _run(tables, census, out), out, str(bad), "'floor_material'")
