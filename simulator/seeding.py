"""One seeding recipe for every entry point: run, compare, payback, sweeps, validation, the app.

A run's seed becomes its random key (:func:`simulator.agents.keyed.key_words`); every draw of
the run is addressed under that key by who it is for, the month and what it decides. Replicates
come from one master seed by :func:`replicate_seeds`: the ``r``-th replicate seed is the same for
a scenario and its baseline, for every point of a sweep, for the central estimate and the Monte
Carlo of ``payback``, so every comparison is paired run by run (common random numbers).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: Largest seed accepted (seeds are 63-bit non-negative integers).
MAX_SEED = 2**63 - 1


class SeedError(ValueError):
    """A seed that is not a whole number from 0 to :data:`MAX_SEED` (exit code 2 on the command line)."""


def handle_seed(seed: Any, field: str = "seed") -> int:
    """A seed as an int in ``[0, 2**63)``.

    Numbers and whole-number text are accepted; anything else is refused with a message naming
    ``field``, the value and what is allowed.
    """
    if isinstance(seed, bool):
        raise SeedError(f"{field} = {seed!r}: must be a whole number from 0 to {MAX_SEED}")
    if isinstance(seed, str):
        text = seed.strip()
        if not text.lstrip("+").isdigit():
            raise SeedError(f"{field} = {seed!r}: must be a whole number from 0 to {MAX_SEED}")
        seed = int(text)
    if isinstance(seed, numbers.Integral):
        value = int(seed)
    elif isinstance(seed, numbers.Real) and float(seed).is_integer():
        value = int(seed)
    else:
        raise SeedError(f"{field} = {seed!r}: must be a whole number from 0 to {MAX_SEED}")
    if not 0 <= value <= MAX_SEED:
        raise SeedError(f"{field} = {value}: must be a whole number from 0 to {MAX_SEED}")
    return value


def replicate_seeds(master: int, n: int) -> list[int]:
    """The first ``n`` replicate seeds of ``master``.

    Replicate 0 is the master seed itself (so ``run --seed S`` reproduces the first run of any
    comparison, payback or app session with master seed ``S``); the others are
    ``SeedSequence(master).spawn`` children as 63-bit integers. The list for ``n`` begins the
    list for any larger ``n``, so adding runs keeps the runs already made.
    """
    master = handle_seed(master, "master seed")
    if n <= 0:
        return []
    children = np.random.SeedSequence(master).spawn(int(n) - 1)
    return [master, *(int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children)]


def design_generator(master: int, stream: int = 1) -> np.random.Generator:
    """A generator for what a master seed decides besides model runs, keyed apart from them.

    Used for a sampled sweep design and the input draws of a Monte Carlo.
    """
    return np.random.default_rng(
        np.random.SeedSequence(handle_seed(master, "master seed"), spawn_key=(2**32 - 1, int(stream)))
    )
