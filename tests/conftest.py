"""Shared fixtures: small, seeded scenarios built from the schema (the one source of defaults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.schema import Scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def scenario(children: int = 61_300, years: int = 5, **over) -> Scenario:
    """The baseline with a population size, a horizon and nested overrides."""
    data = {"population": {"children": children}, "run": {"years": years}}
    for key, value in over.items():
        data.setdefault(key, {}).update(value) if isinstance(value, dict) else data.update({key: value})
    return with_overrides(Scenario(), data)


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT
