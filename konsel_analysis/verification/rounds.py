"""Rounds on disk: the raw files of each round, the demo round, the main job's step.

A completed round is two raw files under ``data/raw/verification/`` (immutable,
like every raw table): ``round_N_plan.csv`` (the plan the teams were sent, the
format of ``verification_plan.csv``) and ``round_N_results.xlsx`` or ``.csv`` (what
they returned). The main job imports the latest complete round into
``data/processed/verification/`` (:func:`import_latest_round`); the reports show it.

``konsel synth`` writes a completed first round for the default data
(:func:`write_demo_round`): the plan ``konsel score`` makes on that data with the
default budget and audit share, and the teams' results simulated from
``register_truth``, so that ``make reports`` shows the whole loop.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd

from konsel_analysis.files import write_atomic, write_csv_atomic

ROUNDS_FOLDER = "verification"
#: Replicates of the model when a round is imported in the main job: the import uses
#: the model's point probabilities; its own intervals come from the recalibration.
IMPORT_REPS = 20


def round_files(raw: Path) -> list[tuple[int, Path, Path]]:
    """Complete rounds under ``raw/verification``: (number, plan, results), by number."""
    folder = Path(raw) / ROUNDS_FOLDER
    rounds = []
    for plan in sorted(folder.glob("round_*_plan.csv")) if folder.is_dir() else []:
        match = re.fullmatch(r"round_(\d+)_plan\.csv", plan.name)
        if not match:
            continue
        n = int(match.group(1))
        for suffix in (".xlsx", ".csv"):
            results = folder / f"round_{n}_results{suffix}"
            if results.exists():
                rounds.append((n, plan, results))
                break
    return sorted(rounds)


def write_demo_round(
    raw: Path, truth: pd.DataFrame, config: Path, seed: int = 0, reps: int = IMPORT_REPS
) -> list[Path]:
    """Plan round 1 on ``raw``'s survey and register as ``konsel score`` does, and simulate
    the teams' results from ``truth`` (synthetic data only)."""
    from konsel_analysis.datasets import load_register
    from konsel_analysis.synth import TABLE_FILES
    from konsel_analysis.targeting.score import run_score
    from konsel_analysis.targeting.score_settings import ScoreSettings
    from konsel_analysis.verification.cli import read_plan
    from konsel_analysis.verification.simulate import simulate_outcomes

    folder = Path(raw) / ROUNDS_FOLDER
    with tempfile.TemporaryDirectory() as tmp:
        run_score(
            raw / TABLE_FILES["survey"],
            raw / TABLE_FILES["register"],
            config,
            ScoreSettings(reps=reps, seed=seed),  # the budget: parameters.yml
            out=Path(tmp),
        )
        plan = read_plan(Path(tmp) / "verification_plan.csv")
    register = load_register(raw / TABLE_FILES["register"], config)
    ids = pd.Index(register.household_id.astype(str))
    flags = [pd.Series(v, index=ids).astype(bool) for v in register.programs.values()]
    benef = pd.concat(flags, axis=1).any(axis=1)
    frame = register.frame.assign(household_id=ids).set_index("household_id")
    truth = truth.assign(household_id=truth["household_id"].astype(str)).set_index("household_id")
    results = simulate_outcomes(plan, benef, truth, frame, seed=seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv_atomic(plan, folder / "round_1_plan.csv"),
        write_atomic(
            folder / "round_1_results.xlsx",
            lambda p: results.to_excel(p, index=False, sheet_name="Hasil verifikasi"),
            mode=0o600,
        ),
    ]


def import_latest_round(
    raw: Path,
    survey: Path,
    register: Path,
    config: Path,
    out: Path,
    restricted: Path | None,
    seed: int = 0,
) -> list[Path]:
    """Import the latest complete round (nothing when there is none)."""
    from konsel_analysis.verification.cli import import_round, write_round

    rounds = round_files(raw)
    if not rounds:
        return []
    n, plan, results = rounds[-1]
    result = import_round(
        results, plan, survey, register, config, round_number=n, reps=IMPORT_REPS, seed=seed
    )
    return write_round(result, out, restricted)
