"""One module per command-line command (``add_arguments`` and ``main``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.schema import Scenario, ScenarioError, load_scenario


def scenario_from_args(path: str, years: int | None = None, seed: int | None = None,
                       **run_overrides: Any) -> Scenario:
    """Load a scenario file with command-line overrides of ``run`` (validated by the schema)."""
    if not Path(path).exists():
        raise ScenarioError([f"file not found: {path}"], source=str(path))
    run: dict[str, Any] = {k: v for k, v in run_overrides.items() if v is not None}
    if years is not None:
        run["years"] = years
    if seed is not None:
        run["seed"] = seed
    return load_scenario(path, {"run": run} if run else None)
