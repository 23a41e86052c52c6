"""What the levers, the results and the one-family view read of a running model.

:class:`ModelView` lists exactly the attributes and methods of
:class:`simulator.model.CSCModel` that :mod:`simulator.policies`,
:mod:`simulator.results`, :mod:`simulator.agents.episodes` and
:class:`simulator.agents.family.Family` use. They are typed against it, not
against the model, so none of them imports :mod:`simulator.model`: the model is
built on them, and imports them, never the other way round (no import circle;
``tests/test_imports.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from simulator.agents.services import Host

if TYPE_CHECKING:
    import numpy as np

    from simulator.agents.families import FamilyTable
    from simulator.agents.services import Services


class ModelView(Host, Protocol):
    """A running model, as the levers and the results see it (:class:`simulator.model.CSCModel`).

    Read-only here; the levers change the model only through its ``families`` and ``services``.
    """

    @property
    def seed(self) -> int | None:
        """The run's seed (``None`` when the model was given a generator instead)."""

    @property
    def month(self) -> int:
        """Months stepped so far (burn-in included)."""

    @property
    def burn_in(self) -> int:
        """Months of burn-in before the first reported month."""

    @property
    def scale(self) -> float:
        """Children represented by each simulated child (``1 / run.sample_fraction``)."""

    @property
    def base_eh_places(self) -> float:
        """Early help places before any lever adds to them."""

    @property
    def services(self) -> Services:
        """The services (the engine's arrays and monthly rules)."""

    @property
    def families(self) -> FamilyTable:
        """Named access to the family arrays."""

    @property
    def equity_rows(self) -> list[dict[str, Any]]:
        """Stocks by deprivation quintile at each 31 March so far."""

    @property
    def policy_rows(self) -> list[dict[str, Any]]:
        """Each lever's monthly outputs so far."""

    def monthly_columns(self) -> list[str]:
        """Names of the monthly reporters."""

    def monthly_table(self) -> np.ndarray:
        """Rows recorded so far (one per month, columns :meth:`monthly_columns`)."""
