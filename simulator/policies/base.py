"""The interface every lever implements.

A policy acts on the model through four hooks, called by
:meth:`simulator.model.CSCModel.step` each month:

- :meth:`Policy.start_month`: update its own state (enrol families, ramp up
  trust, move the risk-aversion index, fund early help places);
- :meth:`Policy.max_rate_multipliers`: an upper bound on how much it can raise
  each hazard this month (for the engine's stage-one bound; 1 if it only lowers);
- :meth:`Policy.adjust_rates`: multiply the exact annual hazard rates of the
  candidate families in place;
- :meth:`Policy.monthly_outputs`: its own outputs (places used, families served,
  spend) recorded each reporting month.

A policy also declares its parameters (in :mod:`simulator.schema`), its
mechanism, its evidence and its costs (:attr:`Policy.costs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from simulator.model import CSCModel


class Policy:
    """A lever: does nothing unless a subclass overrides the hooks."""

    name: ClassVar[str] = "policy"
    mechanism: ClassVar[str] = ""
    evidence: ClassVar[str] = ""

    def setup(self, model: CSCModel) -> None:
        """Prepare per-family arrays once the population exists."""

    def start_month(self, model: CSCModel) -> None:
        """Update the policy's state at the start of a month."""

    def max_rate_multipliers(self, model: CSCModel) -> np.ndarray:
        """Largest factor by which this policy can raise each hazard this month."""
        return np.ones(7)

    def adjust_rates(self, model: CSCModel, rows: np.ndarray, rates: np.ndarray) -> None:
        """Multiply the annual hazard rates ``rates[i, event]`` of families ``rows`` in place."""

    def end_month(self, model: CSCModel) -> None:
        """Book-keeping after the month's events."""

    def monthly_outputs(self, model: CSCModel) -> dict[str, Any]:
        """This month's outputs of the policy (places, families served, spend)."""
        return {}
