"""Children's social care demand simulator.

An agent-based model (Mesa) of families moving through universal services,
early help, child in need, child protection and care in an English local
authority or all of England, with prevention levers, costs and payback.
"""

from simulator.model import CSCModel
from simulator.results import Results, __version__
from simulator.schema import Scenario, ScenarioError, load_scenario
from simulator.states import EndReason, Placement, State

__all__ = [
    "CSCModel",
    "EndReason",
    "Placement",
    "Results",
    "Scenario",
    "ScenarioError",
    "State",
    "__version__",
    "load_scenario",
    "run_scenario",
]


def run_scenario(scenario: Scenario, seed: int | None = None) -> Results:
    """Build, run and return the results of one scenario (the one-line API)."""
    model = CSCModel(scenario, seed=seed)
    model.run()
    return model.results()
