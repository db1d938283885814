"""Shared fixtures: synthetic regencies made once per test session."""

from __future__ import annotations

import pytest

from konsel_analysis.synth import DEFAULT_SEED, generate_konsel


@pytest.fixture(scope="session")
def konsel_default():
    """The default synthetic regency (about 83,000 households; under a second to make)."""
    return generate_konsel(seed=DEFAULT_SEED)


@pytest.fixture(scope="session")
def konsel_small():
    """A small synthetic regency for structural checks."""
    return generate_konsel(households=5_000, seed=7)


@pytest.fixture
def project_root(tmp_path, monkeypatch):
    """A scratch project checkout, so tests never touch the real data folders."""
    for sub in ("data/raw", "data/processed", "reports"):
        (tmp_path / sub).mkdir(parents=True)
    monkeypatch.setenv("KONSEL_PROJECT_ROOT", str(tmp_path))
    return tmp_path
