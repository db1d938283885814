"""The main job's first step (validated inputs) and reproducible processed tables."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
from conftest import FAST, SEED, make_project

from konsel_analysis.build.schedule import run_steps
from konsel_analysis.build.steps import STEPS, StepContext, run_step
from konsel_analysis.paths import ProjectPaths


def _digests(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(_comparable(p)).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _comparable(path) -> bytes:
    """A file's bytes; a step manifest without the digests of the field lists it wrote
    under restricted/ (XLSX files carry the time they were written)."""
    if path.name != "manifest.json":
        return path.read_bytes()
    manifest = json.loads(path.read_text())
    digests = manifest.get("digests", {})
    manifest["digests"] = {k: v for k, v in digests.items() if not k.startswith("restricted/")}
    return json.dumps(manifest, sort_keys=True).encode()


def test_same_inputs_and_seed_give_byte_identical_processed_tables(built, tmp_path):
    # A second project with the same synthetic data (same seed), every step run from
    # scratch: each file under data/processed matches the session build's, byte for byte.
    root = make_project(tmp_path / "again", seed=SEED)
    key = ".konsel_secret_key"  # the same pseudonymisation key, as on the same machine
    (root / key).write_bytes((built.root / key).read_bytes())
    run_steps(ProjectPaths(root), FAST, echo=lambda line: None)
    first = _digests(built.root / "data" / "processed")
    again = _digests(root / "data" / "processed")
    assert set(again) <= set(first)  # the build also wrote the report tables
    assert len(again) >= 20
    assert {k: first[k] for k in again} == again


def test_broken_register_rows_are_set_aside_with_their_reasons(tmp_path, register_identities):
    root = make_project(tmp_path / "broken", households=1_500, seed=3)
    raw = root / "data" / "raw" / "register.parquet"
    register = pd.read_parquet(raw)
    register.loc[10, "household_size"] = 0
    register.loc[20, "nik_head"] = register.loc[20, "nik_head"][:15]
    register.loc[30, "kecamatan_code"] = "74.05.99"
    register = pd.concat([register, register.iloc[[40]]], ignore_index=True)  # exported twice
    register.to_parquet(raw, index=False)
    paths = ProjectPaths(root)
    run_step(STEPS[0], StepContext(paths, FAST))

    rejected = pd.read_csv(paths.rejected / "register.csv")
    assert dict(zip(rejected["source_row"], rejected["reasons"], strict=True)) == {
        11: "'household_size': below the minimum",
        21: "'nik_head': NIK must be 16 digits",
        31: "'kecamatan_code': not a Konawe Selatan kecamatan code; "
        "'village_code': not a desa/kelurahan code of the household's kecamatan",
        1501: "'household_id': exact copy of an earlier row (the first is kept)",
    }
    summary = pd.read_csv(paths.intake / "intake_summary.csv").set_index("table")
    assert summary.loc["register", ["rows_read", "accepted", "rejected"]].tolist() == [
        1501,
        1497,
        4,
    ]
    assert summary.loc["survey", "rejected"] == 0
    # Personal columns never reach the rejected rows.
    assert {"nik_head", "name_head"}.isdisjoint(rejected.columns)
    text = (paths.rejected / "register.csv").read_text(encoding="utf-8")
    niks, names = register_identities
    assert not any(n in text for n in niks) and not any(n in text for n in names)


def test_comparability_of_register_and_survey_by_hand(built):
    table = pd.read_csv(
        built.root / "data" / "processed" / "intake" / "comparability.csv",
        keep_default_na=False,
        dtype={"level": str},
    )
    raw = built.root / "data" / "raw"
    survey, register = (
        pd.read_parquet(raw / "survey.parquet"),
        pd.read_parquet(raw / "register.parquet"),
    )
    # household_size: weighted survey mean and variance against the register's.
    w = survey["design_weight"].to_numpy()
    s = survey["household_size"].to_numpy(float)
    r = register["household_size"].to_numpy(float)
    m_s = np.sum(w * s) / np.sum(w)
    v_s = np.sum(w * (s - m_s) ** 2) / np.sum(w)
    d = (m_s - r.mean()) / np.sqrt((v_s + r.var()) / 2)
    row = table[table["proxy"] == "household_size"].iloc[0]
    assert row["std_difference"] == round(d, 4)
    # A categorical level: shares and their binomial variances.
    p_s = np.sum(w * (survey["floor_material"] == "earth")) / np.sum(w)
    p_r = np.mean(register["floor_material"] == "earth")
    d = (p_s - p_r) / np.sqrt((p_s * (1 - p_s) + p_r * (1 - p_r)) / 2)
    row = table[(table["proxy"] == "floor_material") & (table["level"] == "earth")].iloc[0]
    assert row["std_difference"] == round(d, 4)


def test_the_main_job_keeps_no_copy_of_the_checked_tables(built):
    """Each process checks the raw tables itself: no pickle of the register's rows (names
    and NIK) is left anywhere (earlier builds kept them in restricted/checked_tables)."""
    assert not (built.root / "restricted" / "checked_tables").exists()
    assert not list((built.root / "restricted").rglob("*.pkl"))
    assert not list((built.root / "data").rglob("*.pkl"))
    assert not list((built.root / "reports").rglob("*.pkl"))
