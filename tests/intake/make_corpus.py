"""Write the corpus of broken inputs in tests/intake/corpus/ (run once; the files are committed).

    python tests/intake/make_corpus.py

Every file is a small variation of one sound table (``good.csv``, 40 households in
two kecamatan, four desa) described by ``config.yml``; ``cases.yml`` says, for
each file, what the toolkit must do with it: stop with a message holding the
given words, or accept the table and reject the listed rows with their reasons.
All names and NIK are invented. ``bps_crosswalk.csv`` is a test fixture: of its two
pairs only BPS 7405080 = Konda (Kemendagri 74.05.07) is a published fact
(konsel_facts.md); the other pair is invented for the test.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).parent / "corpus"

VILLAGES = [("74.05.01", "74.05.01.1001"), ("74.05.01", "74.05.01.2003"),
            ("74.05.07", "74.05.07.1001"), ("74.05.07", "74.05.07.2002")]  # fmt: skip
FLOORS = ["earth", "wood_bamboo", "cement", "ceramic"]


def good() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    kec, village = zip(*(VILLAGES[i % 4] for i in range(n)), strict=True)
    size = rng.integers(1, 8, n)
    spend = np.round(rng.lognormal(np.log(520_000), 0.45, n), -3)
    return pd.DataFrame(
        {
            "id_rt": [f"H{i:03d}" for i in range(1, n + 1)],
            "nik": [f"74050{i:011d}" for i in range(1, n + 1)],
            "nama": [f"Warga Contoh {i}" for i in range(1, n + 1)],
            "kec": kec,
            "desa": village,
            "bobot": np.round(rng.uniform(20, 60, n), 1),
            "pengeluaran": spend,
            "household_size": size,
            "punya_tv": rng.integers(0, 2, n),
            "floor_material": [FLOORS[i] for i in rng.integers(0, 4, n)],
            "pkh": (spend < 480_000).astype(int),
        }
    )


CONFIG = {
    "name": "Broken-input corpus (invented households)",
    "household_id": "id_rt",
    "welfare": "pengeluaran",
    "weight": "bobot",
    "area": "kec",
    "cluster": "desa",
    "area_codes": "kemendagri",
    "programs": ["pkh"],
    "proxies": {"numeric": ["household_size", "punya_tv"], "categorical": ["floor_material"]},
    # household_size and floor_material follow the Konsel data dictionary (its range
    # and codes are checked); punya_tv is the table's own column.
    "dictionary": ["household_size", "floor_material"],
    "poverty_line": 480_000,
    "nik": "nik",
    "names": ["nama"],
}


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _set(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    out = frame.astype({column: object}).copy()
    out.loc[row, column] = value
    return out


def write_corpus() -> None:
    HERE.mkdir(exist_ok=True)
    base = good()
    files: dict[str, str | bytes] = {"good.csv": _csv(base)}
    config_changes: dict[str, dict] = {}
    cases: list[dict] = []

    def stop(name: str, content, words: list[str], why: str, config: dict | None = None):
        files[name] = content
        if config is not None:
            config_changes[name] = config
        cases.append({"file": name, "expect": "stop", "words": words, "why": why})

    def reject(name: str, frame: pd.DataFrame, rows: dict[int, str], why: str):
        files[name] = _csv(frame)
        cases.append(
            {
                "file": name,
                "expect": "reject",
                "rows": {int(r) + 2: reason for r, reason in rows.items()},  # line in the file
                "why": why,
            }
        )

    # --- whole-table problems: the command stops ---------------------------------
    stop("empty.csv", "", ["empty.csv", "the file is empty", "export the table again"], "0 bytes")
    stop(
        "header_only.csv",
        _csv(base.head(0)),
        ["header_only.csv", "header but no rows"],
        "a header and nothing else",
    )
    stop(
        "binary.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        ["binary.csv", "not", "CSV"],
        "a picture renamed .csv",
    )
    stop(
        "not_a_workbook.xlsx",
        "id_rt,pengeluaran\nH001,1\n",
        ["not_a_workbook.xlsx", "not a valid .xlsx workbook", "save it again"],
        "a CSV renamed .xlsx",
    )
    stop(
        "unknown_sheet.xlsx",
        "xlsx:base",
        ["unknown_sheet.xlsx", "no sheet 'Data KPM'", "'Sheet1'", "read.sheet"],
        "the config names a sheet the workbook lacks",
        {"read": {"sheet": "Data KPM"}},
    )
    stop(
        "missing_column.csv",
        _csv(base.drop(columns="pengeluaran")),
        ["'pengeluaran' (welfare)", "missing_column.csv", "does not have", "correct the config"],
        "the welfare column is absent",
    )
    stop(
        "welfare_is_text.csv",
        _csv(base.assign(pengeluaran=["cukup"] * 40)),
        ["welfare_is_text.csv", "'pengeluaran' (welfare)", "not numbers", "right column"],
        "the welfare column holds words",
    )
    comma = base.assign(
        pengeluaran=[
            f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
            for v in base["pengeluaran"]
        ],  # fmt: skip
        bobot=[str(v).replace(".", ",") for v in base["bobot"]],
    )
    stop(
        "decimal_comma_undeclared.csv",
        comma.to_csv(index=False, sep=";", lineterminator="\n"),
        ["decimal_comma_undeclared.csv", "decimal commas", "read: {decimal: ','"],
        "Indonesian numbers (1.234,56) without `read: {decimal: ','}`",
    )
    stop(
        "bps_codes.csv",
        _csv(base.assign(kec=base["kec"].map({"74.05.01": "7405010", "74.05.07": "7405080"}))),
        ["bps_codes.csv", "'kec' (area)", "7-digit BPS", "area_crosswalk"],
        "BPS kecamatan codes without a crosswalk",
    )
    stop(
        "duplicate_header.csv",
        _csv(base).replace("household_size,punya_tv", "household_size,household_size", 1),
        ["duplicate_header.csv", "'household_size' appears twice", "rename"],
        "two columns with one name",
    )
    ragged = _csv(base).splitlines()
    ragged[5] += ",extra,cells"
    stop(
        "ragged.csv",
        "\n".join(ragged) + "\n",
        ["ragged.csv", "different numbers of fields", "read.sep"],
        "a row with more fields than the header",
    )
    stop(
        "corrupt.parquet",
        b"PAR1" + b"\x00" * 64,
        ["corrupt.parquet", "not a readable Parquet file"],
        "a truncated Parquet file",
    )
    stop(
        "latin1.csv",
        _csv(base.assign(nama=[f"Warga Désa {i}" for i in range(40)])).encode("latin-1"),
        ["latin1.csv", "CSV UTF-8", "read.encoding"],
        "an export in another encoding",
    )
    stop(
        "table.txt",
        _csv(base),
        ["table.txt", "unknown table type '.txt'"],
        "a text file that is not .csv",
    )
    stop(
        "line_below_all.csv",
        _csv(base),
        ["line_below_all.csv", "no household has welfare", "below the poverty line 1"],
        "a poverty line below every household's welfare",
        {"poverty_line": 1},
    )
    many = base.copy()
    many.loc[[1, 4, 9], "pengeluaran"] = -1
    stop(
        "too_many_rejected.csv",
        _csv(many),
        [
            "too_many_rejected.csv",
            "3 of 40 rows",
            "'pengeluaran': must be above zero",
            "max_rejected_share",
        ],  # fmt: skip
        "more rows rejected than max_rejected_share (5%) allows",
    )
    stop(
        "config_without_id.csv",
        _csv(base),
        ["config_without_id.yml", "'household_id' is missing", "add `household_id: COLUMN`"],
        "a dataset config that lacks a required key",
        {"household_id": None},
    )
    stop(
        "config_absent_proxy.csv",
        _csv(base),
        ["'luas_lantai' (proxies.numeric)", "does not have"],
        "a dataset config that names a column the table lacks",
        {"proxies": {"numeric": ["household_size", "luas_lantai"], "categorical": []}},
    )

    # --- row problems: the run goes on without those rows --------------------------
    reject("missing_welfare.csv", _set(base, 3, "pengeluaran", None),
           {3: "'pengeluaran': missing (required)"}, "an empty welfare cell")  # fmt: skip
    reject("negative_welfare.csv", _set(base, 5, "pengeluaran", -250000),
           {5: "'pengeluaran': must be above zero"}, "negative consumption")  # fmt: skip
    reject("zero_weight.csv", _set(base, 7, "bobot", 0),
           {7: "'bobot': must be above zero"}, "a design weight of 0")  # fmt: skip
    reject("household_size_zero.csv", _set(base, 8, "household_size", 0),
           {8: "'household_size': below the minimum"}, "a household of 0 persons")  # fmt: skip
    reject("too_large.csv", _set(base, 9, "household_size", 40),
           {9: "'household_size': above the maximum"}, "40 persons (dictionary: 25)")  # fmt: skip
    elsewhere = _set(_set(base, 10, "kec", "74.05.99"), 10, "desa", "74.05.99.2001")
    reject("unknown_kecamatan.csv", elsewhere,
           {10: "'kec': not a Konawe Selatan kecamatan code; "
                "'desa': not a desa/kelurahan code of the household's kecamatan"},
           "kecamatan 74.05.99 does not exist")  # fmt: skip
    reject("desa_of_other_kecamatan.csv", _set(base, 0, "desa", "74.05.07.2002"),
           {0: "'desa': not a desa/kelurahan code of the household's kecamatan"},
           "a Konda desa in a Tinanggea household")  # fmt: skip
    reject("duplicate_id.csv", _set(base, 12, "id_rt", "H012"),
           {11: "'id_rt': household id also used by another row with other values",
            12: "'id_rt': household id also used by another row with other values"},
           "two different households with one id: both set aside")  # fmt: skip
    copy = pd.concat([base, base.iloc[[14]]], ignore_index=True)
    reject("duplicate_copy.csv", copy,
           {40: "'id_rt': exact copy of an earlier row (the first is kept)"},
           "the same household exported twice: the copy is set aside")  # fmt: skip
    reject("programme_not_0_1.csv", _set(base, 15, "pkh", 2),
           {15: "'pkh': must be 0 or 1"}, "a programme flag of 2")  # fmt: skip
    reject("unknown_floor.csv", _set(base, 16, "floor_material", "marble"),
           {16: "'floor_material': not one of the data dictionary's codes"},
           "a floor code the dictionary lacks")  # fmt: skip
    reject("text_in_number.csv", _set(base, 17, "punya_tv", "ada"),
           {17: "'punya_tv': not a number"}, "a word in a 0/1 proxy")  # fmt: skip
    reject("missing_area.csv", _set(base, 18, "kec", None),
           {18: "'kec': missing (required); "
                "'desa': not a desa/kelurahan code of the household's kecamatan"},
           "a household without kecamatan")  # fmt: skip
    reject("nik_15_digits.csv", _set(base, 19, "nik", "740500000000019"),
           {19: "'nik': NIK must be 16 digits"}, "a NIK of 15 digits (register)")  # fmt: skip
    cases[-1]["role"] = "register"

    for name, content in files.items():
        path = HERE / name
        if content == "xlsx:base":
            base.to_excel(path, index=False, sheet_name="Sheet1")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (HERE / "config.yml").write_text(yaml.safe_dump(CONFIG, sort_keys=False), encoding="utf-8")
    for name, change in config_changes.items():
        config = {**CONFIG, **change}
        config = {k: v for k, v in config.items() if v is not None}
        target = HERE / (Path(name).stem + ".yml")
        target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        for case in cases:
            if case["file"] == name:
                case["config"] = target.name

    # Formats that must read like good.csv: P3KE-style title rows above the header
    # (XLSX), Indonesian decimal commas and ';' (declared), codes written as digits.
    with pd.ExcelWriter(HERE / "p3ke_title_rows.xlsx") as writer:
        title = pd.DataFrame(
            [["DATA P3KE KABUPATEN KONAWE SELATAN"], ["Dicetak: 2024-09-02"], [None]]
        )
        title.to_excel(writer, index=False, header=False, sheet_name="Data")
        base.to_excel(writer, index=False, startrow=3, sheet_name="Data")
    (HERE / "decimal_comma.csv").write_text(
        comma.to_csv(index=False, sep=";", lineterminator="\n"), encoding="utf-8"
    )
    declared = {**CONFIG, "read": {"sep": ";", "decimal": ",", "thousands": "."}}
    (HERE / "decimal_comma.yml").write_text(yaml.safe_dump(declared, sort_keys=False))
    digits = base.assign(
        kec=base["kec"].map({"74.05.01": "7405010", "74.05.07": "7405080"}),
        desa=base["desa"].str.replace(".", "", regex=False),
    )
    (HERE / "codes_as_digits.csv").write_text(_csv(digits), encoding="utf-8")
    (HERE / "bps_crosswalk.csv").write_text(
        "bps_code,kemendagri_code\n7405010,74.05.01\n7405080,74.05.07\n", encoding="utf-8"
    )
    crosswalked = {**CONFIG, "area_crosswalk": "bps_crosswalk.csv"}
    (HERE / "codes_as_digits.yml").write_text(yaml.safe_dump(crosswalked, sort_keys=False))
    buffer = io.StringIO()
    yaml.safe_dump({"cases": cases}, buffer, sort_keys=False, allow_unicode=True, width=100)
    (HERE / "cases.yml").write_text(buffer.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    write_corpus()
