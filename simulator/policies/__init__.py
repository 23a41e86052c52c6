"""Policy levers, one module per lever (see :mod:`simulator.policies.base`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Policy

if TYPE_CHECKING:
    from simulator.schema import Scenario


def build_policies(scenario: Scenario) -> list[Policy]:
    """The levers a scenario switches on, in the order they act each month."""
    return []


__all__ = ["Policy", "build_policies"]
