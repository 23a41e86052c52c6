"""Compile the engine and the expected-value view ahead of use.

Both are numba code with ``cache=True``: the first process to run them compiles them (about
1.5 minutes for the engine and 2.5 for the view on a 2-core machine, measured on a cold cache)
and writes the result into ``__pycache__``; every later process loads it in seconds. This
module does that first compilation on purpose, with a tiny run of each, so that nobody waits
for it in the middle of something else:

- ``python -m simulator.warm`` compiles both, side by side in two processes (the test session
  does this before its workers start, see ``tests/conftest.py``);
- the app's workers run the same tiny scenario when the app starts (``simulator.app.runs._warm``).

A tiny run is enough: what is compiled depends on the types of the arrays, not on their sizes
or the scenario's values.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any


def tiny_scenario() -> dict[str, Any]:
    """A one-year baseline of 2,000 children, with no warm-up months and no episode table."""
    from simulator.schema import Scenario

    data = Scenario().model_dump(mode="json")
    data["run"].update({"years": 1, "burn_in_months": 0, "record_episodes": False})
    data["population"]["children"] = 2_000
    return data


def compile_engine() -> None:
    """Compile the agent-based engine (and the rules it calls) by running it once."""
    from simulator import run_scenario
    from simulator.schema import build_scenario

    run_scenario(build_scenario(tiny_scenario(), source="warm-up"), seed=1)


def compile_view() -> None:
    """Compile the expected-value view (and the rules it calls) by running it once."""
    from simulator.aggregate import run_aggregate
    from simulator.schema import build_scenario

    run_aggregate(build_scenario(tiny_scenario(), source="warm-up"))


def compile_both_in_parallel(timeout: float = 1200.0) -> float:
    """Compile the engine and the view in two child processes at once; the seconds it took.

    Raises:
        RuntimeError: a compilation failed (its error output is in the message).
    """
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", f"from simulator.warm import {fn}; {fn}()"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for fn in ("compile_engine", "compile_view")
    ]
    errors = []
    for p in procs:
        _, err = p.communicate(timeout=timeout)
        if p.returncode != 0:
            errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {p.returncode}")
    if errors:
        raise RuntimeError("compiling the model failed: " + "; ".join(errors))
    return time.perf_counter() - t0


def main() -> int:
    """``python -m simulator.warm``: compile both and say how long it took."""
    print("Compiling the engine and the expected-value view (a few minutes the first time)...")
    seconds = compile_both_in_parallel()
    print(f"Ready in {seconds:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
