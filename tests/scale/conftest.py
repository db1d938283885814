"""The small regency scored both ways, once per session (see scale_helpers)."""

from __future__ import annotations

import pytest
from scale_helpers import BothPaths, score_both_ways


@pytest.fixture(scope="session")
def both_paths(tmp_path_factory) -> BothPaths:
    return score_both_ways(tmp_path_factory.mktemp("scale"))
