"""`konsel score-partitioned` and `konsel synth --partitioned` from the command line:
bad input stops with one sentence and no output; the national register's layout."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import socket

import pandas as pd
import pyarrow.parquet as pq
import pytest
from scale_helpers import BOOT_SEED, BUDGET, CONFIG, MINIMUM

from konsel_analysis.cli import main
from konsel_analysis.scale import cluster, national
from konsel_analysis.scale.national import plan_regencies, write_national_register
from konsel_analysis.synth import generate_konsel


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def score_args(survey, register, out, *extra) -> list[str]:
    return [
        "score-partitioned",
        "--survey",
        str(survey),
        "--register",
        str(register),
        "--config",
        str(CONFIG),
        "--out",
        str(out),
        "--reps",
        "20",
        *extra,
    ]


def _drop_column(path, column: str) -> None:
    table = pq.read_table(path)
    pq.write_table(table.drop_columns([column]), path)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def national_small(tmp_path_factory):
    """`konsel synth --partitioned` at 2,600 households: two regencies of 1,300."""
    out = tmp_path_factory.mktemp("national")
    paths = write_national_register(2_600, out, seed=5, per_regency=1_300)
    return out, paths


@pytest.mark.parametrize(
    ("break_input", "message"),
    [
        ("missing_folder", "folder does not exist"),
        ("no_parquet", "holds no .parquet files"),
        ("missing_column", "has no column 'has_car'"),
        ("unreachable_scheduler", "no dask scheduler answered"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    national_small, tmp_path, monkeypatch, break_input, message
):
    source, _ = national_small
    register = tmp_path / "register"
    extra: list[str] = []
    if break_input == "missing_folder":
        register = tmp_path / "nowhere"
    elif break_input == "no_parquet":
        (register / "regency=74.05").mkdir(parents=True)
        (register / "regency=74.05" / "notes.txt").write_text("not a partition")
    else:
        shutil.copytree(source / "register", register)
        if break_input == "missing_column":
            bad = register / "regency=S0001" / "kecamatan=S0001.07" / "part-0.parquet"
            _drop_column(bad, "has_car")
            message = f"{bad}: this partition has no column 'has_car'"
        else:
            monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
            extra = ["--scheduler", f"tcp://127.0.0.1:{_closed_port()}"]
    out = tmp_path / "out"
    code, stdout, err = run(score_args(source / "survey.parquet", register, out, *extra))
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())  # no partial outputs


def test_score_partitioned_writes_the_tables_and_no_personal_data(both_paths, tmp_path):
    """From the command line, on partitions that do carry synthetic NIK and names."""
    raw, out = both_paths.raw, tmp_path / "out"
    register = raw / "register_parts"
    args = score_args(raw / "survey.parquet", register, out, "--budget", "100")
    code, stdout, err = run([*args, "--min-per-area", "2"])
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "expected_errors_by_area.csv",
        "register_scores",
        "verification_allocation.csv",
        "verification_priority.parquet",
    ]
    expected = pd.read_csv(out / "expected_errors_by_area.csv", dtype={"area": str})
    assert len(expected) == 26 and expected["area"].iloc[-1] == "ALL"
    allocation = pd.read_csv(out / "verification_allocation.csv")
    visits = pd.read_parquet(out / "verification_priority.parquet")
    assert len(visits) == allocation["visits"].sum() == 100
    assert allocation["visits"].min() >= 2
    identities = pd.read_parquet(raw / "register.parquet", columns=["nik_head", "name_head"])
    niks, names = set(identities["nik_head"]), set(identities["name_head"])
    for path in [*out.glob("*.*"), *(out / "register_scores").glob("*.parquet")]:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            assert not {"nik_head", "name_head"} & set(frame.columns)
            text = frame.to_csv()
        else:
            text = path.read_text()
        assert not set(re.findall(r"\d{16}", text)) & niks, path
        assert not any(name in text for name in names), path
    assert not set(re.findall(r"\d{16}", stdout + err)) & niks


def test_the_national_register_is_written_regency_by_regency(national_small, monkeypatch):
    out, paths = national_small
    files = sorted((out / "register").rglob("*.parquet"))
    assert len(files) == 50  # 2 regencies x 25 kecamatan
    assert files[0].parent.name == "kecamatan=74.05.01"
    assert files[-1].parts[-3:] == ("regency=S0001", "kecamatan=S0001.25", "part-0.parquet")
    register = pd.concat(map(pd.read_parquet, files), ignore_index=True)
    assert len(register) == 2_600 and register["household_id"].is_unique
    assert register["household_id"].min() == "N000000001"
    assert register["household_id"].max() == "N000002600"
    assert not {"nik_head", "name_head"} & set(register.columns)
    # The first regency is Konsel itself: the same households as `konsel synth` would make.
    first = register[register["kecamatan_code"].str.startswith("74.05.")]
    konsel = generate_konsel(households=1_300, seed=5).register
    pd.testing.assert_series_equal(
        first["floor_area_m2"].reset_index(drop=True), konsel["floor_area_m2"]
    )
    copy = register[register["kecamatan_code"].str.startswith("S0001.")]
    assert len(copy) == 1_300 and copy["village_code"].str.startswith("S0001.").all()
    assert (out / "survey.parquet").is_file()


def test_one_regency_at_a_time_and_nothing_left_when_one_fails(tmp_path, monkeypatch):
    sizes = []

    def generate(households, seed):
        sizes.append(households)
        if len(sizes) == 3:
            raise RuntimeError("disk full")
        return generate_konsel(households=households, seed=seed)

    monkeypatch.setattr(national, "generate_konsel", generate)
    with pytest.raises(RuntimeError):
        write_national_register(2_500, tmp_path, per_regency=1_000)
    assert sizes == [1_000, 1_000, 500]  # never the whole register at once
    assert list(tmp_path.iterdir()) == []  # no half-written register, no survey


def test_plan_regencies_splits_ten_million_like_konsel():
    plans = plan_regencies(10_000_000)
    assert len(plans) == 121  # 120 x 83,000 + 40,000
    assert plans[-1].households == 40_000 and plans[-1].code == "S0120"
    assert sum(p.households for p in plans) == 10_000_000


def test_synth_partitioned_refuses_to_overwrite(tmp_path):
    args = ["synth", "--partitioned", "--households", "500", "--out", str(tmp_path)]
    assert run(args)[0] == 0
    code, _, err = run(args)
    assert code == 2 and "--force" in err


def test_scoring_on_a_local_cluster_gives_the_same_tables(both_paths, tmp_path):
    """`--scheduler ADDRESS`: the fitted model travels to two worker processes; the
    tables are those of the in-process run (and so of `konsel score`)."""
    from distributed import LocalCluster

    raw, out = both_paths.raw, tmp_path / "cluster"
    args = score_args(raw / "survey.parquet", raw / "register_parts", out)
    args += ["--seed", str(BOOT_SEED), "--budget", str(BUDGET), "--min-per-area", str(MINIMUM)]
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as local:
        code, _, err = run([*args, "--scheduler", local.scheduler_address])
    assert code == 0, err
    on_cluster = pd.read_csv(out / "expected_errors_by_area.csv", dtype={"area": str})
    on_cluster["interval_note"] = on_cluster["interval_note"].fillna("")  # CSV: "" reads as NaN
    pd.testing.assert_frame_equal(
        on_cluster, both_paths.dask.expected_by_area, check_exact=False, rtol=1e-9
    )
    allocation = pd.read_csv(out / "verification_allocation.csv", dtype={"area": str})
    pd.testing.assert_frame_equal(
        allocation, both_paths.dask.allocation, check_exact=False, rtol=1e-9
    )
