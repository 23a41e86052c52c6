"""One module per command-line command (``add_arguments`` and ``main``)."""

from __future__ import annotations

import re
from typing import Any

from simulator.schema import Scenario, ScenarioError, load_scenario

#: Command-line options that override a ``run`` field, named in messages about that field.
RUN_OPTIONS = {"years": "--years", "seed": "--seed", "sample_fraction": "--sample-fraction"}


def scenario_from_args(
    path: str, years: int | None = None, seed: int | None = None, **run_overrides: Any
) -> Scenario:
    """Load a scenario file with command-line overrides of ``run`` (validated by the schema).

    Raises:
        ScenarioError: the file cannot be read or the scenario is invalid; a problem with a value
            given on the command line names its option (``run.years = 0 (--years): ...``).
    """
    run: dict[str, Any] = {k: v for k, v in run_overrides.items() if v is not None}
    if years is not None:
        run["years"] = years
    if seed is not None:
        run["seed"] = seed
    if run:
        load_scenario(path)  # the file on its own first: an option must not hide a bad value in it
    try:
        return load_scenario(path, {"run": run} if run else None)
    except ScenarioError as err:
        problems = []
        for line in err.problems:
            for field, option in RUN_OPTIONS.items():
                prefix = f"run.{field} = "
                if field in run and line.startswith(prefix):
                    rest = line[len(prefix) :]
                    value = re.match(r"[^\s:]*", rest).group(0)  # the value as shown, up to ':' or ' '
                    line = f"{prefix}{value} (from {option}){rest[len(value) :]}"
                    break
            problems.append(line)
        raise ScenarioError(problems, source=err.source) from None
