"""The interface every lever implements.

A policy acts on the model through hooks called by
:meth:`simulator.model.CSCModel.step` each month, and only from the first
reported month (the burn-in is the same with or without levers):

- :meth:`Policy.start_month`: update its own state (enrol families, ramp up
  trust, move the risk-aversion index, fund early help places). A policy that
  changes hazards for some families puts them in a group of its lever channel
  (``model.families.lever[:, channel]``) and writes that group's multipliers
  in ``model.services.lever_table[channel, group, effect]`` (the seven hazards
  of :mod:`simulator.agents.kernel`, then re-referral after a closure);
- :meth:`Policy.end_month`: book-keeping after the month's events;
- :meth:`Policy.monthly_outputs`: its outputs (families served, places,
  running and capital cost in 2024-25 prices), recorded each reported month.

Each lever also declares, as class attributes, its mechanism, evidence and
evidence grade (read by the docs and the app); its parameters live in the
scenario schema (:mod:`simulator.schema`, section ``levers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from simulator.agents import kernel as kn
from simulator.schema import month_index, series_values

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView

# hazard columns of a lever row
ADVERSE, RECOVER, REFER, IDENTIFY, CLOSE, S47, CARE, REREFERRAL = range(kn.N_LEVER_EFFECTS)


class Policy:
    """A lever. Subclasses override the hooks they need."""

    name: ClassVar[str] = "policy"
    channel: ClassVar[int | None] = None
    mechanism: ClassVar[str] = ""
    evidence: ClassVar[str] = ""
    grade: ClassVar[str] = "assumption"

    def __init__(self, model: ModelView):
        self.model = model
        run = model.scenario.run
        self.start_year = run.start_year
        self.years = run.years

    # -- helpers -------------------------------------------------------------------------------

    def series(self, value: Any) -> list[float]:
        """A lever time series as one value per reported year."""
        return series_values(value, self.start_year, self.years)

    def month_of(self, date: str | int, field: str) -> int:
        """Reported month (0 = April after ``run.start_year``) of a date."""
        return month_index(date, self.start_year, field)

    @property
    def m(self) -> int:
        """Current reported month (negative during the burn-in)."""
        return self.model.month - self.model.burn_in

    def year_value(self, values: list[float]) -> float:
        """This reported year's value of an expanded series."""
        return values[min(max(self.m, 0) // 12, len(values) - 1)]

    # -- hooks ---------------------------------------------------------------------------------

    @staticmethod
    def active(model: ModelView) -> bool:
        """Whether the model's scenario switches this lever on (a lever at its defaults is not built).

        Every lever in :data:`simulator.policies.LEVERS` overrides this.
        """
        raise NotImplementedError("a lever must say when its scenario switches it on")

    def setup(self, model: ModelView) -> None:
        """Prepare once the population exists (validate against it if needed)."""

    def start_month(self, model: ModelView) -> None:
        """Update the policy's state at the start of a month."""

    def end_month(self, model: ModelView) -> None:
        """Book-keeping after the month's events."""

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """This month's outputs: families_served, places, running_cost_gbp, capital_cost_gbp."""
        return {}
