"""`konsel check`: the row checks alone, on one file or a folder of partitions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konsel_analysis.cli import main

CORPUS = Path(__file__).parent / "corpus"


def _partitions(root: Path) -> pd.DataFrame:
    good = pd.read_csv(CORPUS / "good.csv", dtype={"nik": str})
    for kec, part in good.groupby("kec"):
        folder = root / "regency=74.05" / f"kecamatan={kec}"
        folder.mkdir(parents=True)
        part.to_parquet(folder / "part-0.parquet", index=False)
    return good


def test_a_partitioned_register_is_checked_file_by_file(tmp_path, capsys):
    good = _partitions(tmp_path / "register")
    konda = tmp_path / "register/regency=74.05/kecamatan=74.05.07/part-0.parquet"
    part = pd.read_parquet(konda)
    part.loc[1, "household_size"] = 0  # the second household of Konda's file
    part.to_parquet(konda, index=False)
    code = main(
        [
            "check",
            "--data",
            str(tmp_path / "register"),
            "--config",
            str(CORPUS / "config.yml"),
            "--out",
            str(tmp_path / "out"),
        ]  # fmt: skip
    )
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "regency=74.05/kecamatan=74.05.07/part-0.parquet: 20 rows read, 19 accepted, 1 rej" in out
    )
    assert (
        "regency=74.05/kecamatan=74.05.01/part-0.parquet: 20 rows read, 20 accepted, 0 rej" in out
    )
    rejected = pd.read_csv(
        tmp_path / "out/rejected/regency=74.05/kecamatan=74.05.07/part-0.csv", dtype=str
    )
    assert rejected[["source_row", "reasons"]].values.tolist() == [
        ["2", "'household_size': below the minimum"]
    ]
    # The accepted rows, in the same layout, are what score-partitioned then reads.
    accepted = tmp_path / "out/accepted/regency=74.05/kecamatan=74.05.07/part-0.parquet"
    kept = pd.read_parquet(accepted)
    assert len(kept) == 19 and part.loc[1, "id_rt"] not in set(kept["id_rt"])
    assert len(pd.read_parquet(tmp_path / "out/accepted")) == 39
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.csv"))
    assert not any(nik in text for nik in good["nik"])  # personal columns left out


def test_check_stops_on_a_file_with_too_many_rejected_rows(tmp_path, capsys):
    table = pd.read_csv(CORPUS / "good.csv", dtype=str)
    table.loc[:4, "bobot"] = "0"  # 5 of 40 rows: 12.5%, above the 5% allowed
    table.to_csv(tmp_path / "survei.csv", index=False)
    code = main(
        [
            "check",
            "--data",
            str(tmp_path / "survei.csv"),
            "--config",
            str(CORPUS / "config.yml"),
            "--table",
            "survey",
            "--out",
            str(tmp_path / "out"),
        ]  # fmt: skip
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "survei.csv: 5 of 40 rows (12.5%) fail the row checks" in err
    assert "'bobot': must be above zero" in err
    assert len(pd.read_csv(tmp_path / "out/rejected/survei.csv")) == 5


def test_a_config_that_gives_a_key_twice_is_refused_naming_both_lines(tmp_path, capsys):
    # PyYAML keeps the last of two equal keys silently: `welfare: bobot` below would have
    # made the weights the welfare measure without a word.
    text = (CORPUS / "config.yml").read_text(encoding="utf-8")
    assert text.splitlines()[2] == "welfare: pengeluaran"
    config = tmp_path / "survei.yml"
    config.write_text(text + "welfare: bobot\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    code = main(
        ["check", "--data", str(CORPUS / "good.csv"), "--config", str(config),
         "--table", "survey", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.strip() == (
        f"konsel check: error: {config}: "
        f"key 'welfare' is given twice (lines 3 and {line}); keep one"
    )
    assert not (tmp_path / "out").exists()  # nothing written
