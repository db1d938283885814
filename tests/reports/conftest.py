"""A small synthetic regency, its report build, and helpers shared by the report tests.

The build runs once per test session: the pipeline steps on the whole small
regency (PMT validation, targeting errors, register scoring, impact) with fewer
replicates than the defaults, then two kecamatan reports and the regency report;
about 25 seconds on the 2-core machine. The tests then read what it left behind.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from konsel_analysis.build.steps import PipelineSettings
from konsel_analysis.cli import main
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports.main_job import run_pipeline
from konsel_analysis.synth import generate_konsel, write_konsel

SMALL_HOUSEHOLDS = 4_000
SEED = 11
BUILT_CODES = ("74.05.01", "74.05.11")  # Tinanggea (inland south) and Laonti (coastal, remote)
# The steps' defaults (5 folds, 500 and 200 replicates) are for real runs; the tests check
# the wiring and the numbers' path into the reports, which fewer replicates show as well.
FAST = PipelineSettings(pmt_folds=3, targeting_reps=100, score_reps=40, poverty_map_reps=40)


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


def run_reports(
    root: Path, only=BUILT_CODES, language: str = "id", settings: PipelineSettings = FAST
) -> tuple[int, str, str]:
    """What `konsel reports --only ...` runs, with the tests' settings; code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KONSEL_PROJECT_ROOT", str(root))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_pipeline(
                ProjectPaths(root), language=language, only=list(only), settings=settings
            )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Build:
    """`konsel reports --only 74.05.01 74.05.11` on a 4,000-household synthetic regency."""
    root = make_project(tmp_path_factory.mktemp("konsel-reports"))
    code, out, err = run_reports(root)
    return Build(root, code, out, err)


@pytest.fixture(scope="session")
def register_identities(built) -> tuple[set[str], set[str]]:
    """Every NIK and every name of the register the build read."""
    register = pd.read_parquet(
        built.root / "data/raw/register.parquet", columns=["nik_head", "name_head"]
    )
    return set(register["nik_head"]), set(register["name_head"])


@pytest.fixture(scope="session")
def register_household_ids(built) -> set[str]:
    """Every household id of the register the build read."""
    return set(pd.read_parquet(built.root / "data/raw/register.parquet")["household_id"])


@pytest.fixture(scope="session")
def konsel_project():
    """make_project(root, households, seed) and run_konsel(root, args), for tests that need
    a project of their own."""
    return make_project, run_konsel


@pytest.fixture(scope="session")
def reports_runner():
    """run_reports(root, only, language, settings): the main job with the tests' settings."""
    return run_reports


@pytest.fixture(scope="session")
def pipeline_settings() -> PipelineSettings:
    """The settings the session's build ran with (fewer replicates than the defaults)."""
    return FAST


@pytest.fixture(scope="session")
def chromium() -> tuple[Path, Path]:
    """The Chromium binary and its driver (Debian packages chromium, chromium-driver);
    the test is skipped, saying which to install, when either is missing."""
    paths = (Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver"))
    for path, package in zip(paths, ("chromium", "chromium-driver"), strict=True):
        if not path.exists():
            pytest.skip(f"{path} not found: install the Debian package {package} (.ci/run does)")
    return paths
