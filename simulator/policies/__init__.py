"""Policy levers, one module per lever (see :mod:`simulator.policies.base`).

A lever left at its default is not built at all, so a scenario with every
lever off runs exactly the baseline (same seed, identical outputs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Policy
from simulator.policies.community_hubs import CommunityHubsPolicy
from simulator.policies.prevention import PreventionPolicy
from simulator.policies.risk_aversion import RiskAversionPolicy
from simulator.policies.troubled_families import TroubledFamiliesPolicy

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView

#: Levers in the order they act each month.
LEVERS: tuple[type[Policy], ...] = (
    RiskAversionPolicy,
    PreventionPolicy,
    CommunityHubsPolicy,
    TroubledFamiliesPolicy,
)


def build_policies(model: ModelView) -> list[Policy]:
    """The levers a model's scenario switches on."""
    return [cls(model) for cls in LEVERS if cls.active(model)]


__all__ = [
    "LEVERS",
    "CommunityHubsPolicy",
    "Policy",
    "PreventionPolicy",
    "RiskAversionPolicy",
    "TroubledFamiliesPolicy",
    "build_policies",
]
