"""A small synthetic regency, its report build, and helpers shared by the report tests.

The build runs once per test session (two kecamatan and the regency, about
15 seconds on the 2-core machine); the tests then read what it left behind.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.synth import generate_konsel, write_konsel

SMALL_HOUSEHOLDS = 4_000
SEED = 11
BUILT_CODES = ("74.05.01", "74.05.11")  # Tinanggea (inland south) and Laonti (coastal, remote)


@dataclass(frozen=True)
class Build:
    root: Path
    exit_code: int
    stdout: str
    stderr: str

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def make_project(root: Path, households: int = SMALL_HOUSEHOLDS, seed: int = SEED) -> Path:
    for sub in ("data/raw", "data/processed", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    write_konsel(generate_konsel(households=households, seed=seed), root / "data" / "raw")
    return root


def run_konsel(root: Path, args: list[str]) -> tuple[int, str, str]:
    """Run the `konsel` command against a scratch project; returns exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KONSEL_PROJECT_ROOT", str(root))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Build:
    """`konsel reports --only 74.05.01 74.05.11` on a 4,000-household synthetic regency."""
    root = make_project(tmp_path_factory.mktemp("konsel-reports"))
    code, out, err = run_konsel(root, ["reports", "--only", *BUILT_CODES])
    return Build(root, code, out, err)


@pytest.fixture(scope="session")
def register_identities(built) -> tuple[set[str], set[str]]:
    """Every NIK and every name of the register the build read."""
    register = pd.read_parquet(
        built.root / "data/raw/register.parquet", columns=["nik_head", "name_head"]
    )
    return set(register["nik_head"]), set(register["name_head"])


@pytest.fixture(scope="session")
def konsel_project():
    """make_project(root, households, seed) and run_konsel(root, args), for tests that need
    a project of their own."""
    return make_project, run_konsel
