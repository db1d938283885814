"""Every folder the toolkit reads or writes, derived once from the project root.

Set ``KONSEL_PROJECT_ROOT`` to run against another checkout or a scratch copy
(the tests do this so that they never touch the real data folders).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = PACKAGE_DIR / "reference"
CONFIGS_DIR = PACKAGE_DIR / "configs"
#: The dataset config of the default data (data/raw/survey.parquet and register.parquet).
DEFAULT_DATASET_CONFIG = CONFIGS_DIR / "konsel_survey.yml"


@dataclass(frozen=True)
class ProjectPaths:
    """Folders of one project checkout; raw data is read-only for the pipeline."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def intake(self) -> Path:
        """What the row checks found: intake_summary.csv, comparability.csv."""
        return self.processed / "intake"

    @property
    def rejected(self) -> Path:
        """Rows set aside by the row checks, one CSV per raw table, with the reason per row."""
        return self.processed / "rejected"

    @property
    def pmt(self) -> Path:
        """PMT validation: validation.json, model_card.json/.md, scorecard.csv, curves."""
        return self.processed / "pmt"

    @property
    def targeting(self) -> Path:
        """Survey-measured targeting errors: targeting_by_area.csv, targeting_by_cluster.csv."""
        return self.processed / "targeting"

    @property
    def score(self) -> Path:
        """Register scores, expected errors in the register, the verification allocation."""
        return self.processed / "score"

    @property
    def scale(self) -> Path:
        """Scores of a partitioned register (``konsel score-partitioned``, with dask)."""
        return self.processed / "scale"

    @property
    def impact(self) -> Path:
        """The impact simulation of a correction round: impact_by_area.csv."""
        return self.processed / "impact"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def restricted(self) -> Path:
        """Outputs that carry names and NIK for field teams; git-ignored, never published."""
        return self.root / "restricted"

    @property
    def verification_lists(self) -> Path:
        """Field lists with names and NIK: one CSV and one XLSX per kecamatan (restricted)."""
        return self.restricted / "verification_lists"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"


def project_root() -> Path:
    """The project checkout: ``KONSEL_PROJECT_ROOT`` if set, else the folder above the package."""
    env = os.environ.get("KONSEL_PROJECT_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def project_paths() -> ProjectPaths:
    return ProjectPaths(project_root())
