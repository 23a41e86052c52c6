"""Shared fixtures: small, seeded scenarios built from the schema (the one source of defaults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.schema import Scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


_WARM_SECONDS = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the engine and the view once, side by side, before any test or worker starts.

    On a fresh clone numba's cache is empty; without this the first tests to need the engine
    and the view would compile them one after the other, and each pytest-xdist worker would
    compile them again. With a warm cache this takes seconds (``simulator/warm.py``).
    """
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has done it
        return
    from simulator.warm import compile_both_in_parallel

    seconds = compile_both_in_parallel()
    session.config.stash[_WARM_SECONDS] = seconds


def pytest_report_header(config: pytest.Config) -> str | None:
    seconds = config.stash.get(_WARM_SECONDS, None)
    return None if seconds is None else f"engine and view compiled (or loaded) in {seconds:.0f} s"


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
