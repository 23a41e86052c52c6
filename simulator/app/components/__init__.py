"""Components of the workshop app: data comes in as arguments, events go out through ``on_<event>``."""

from simulator.app.components.controls import AreaPicker, Messages, PresetPicker, SeedBox, ViewOptions
from simulator.app.components.explainer import Explainer
from simulator.app.components.export import Downloads
from simulator.app.components.levers import LeverControl, LeverPanel
from simulator.app.components.results import (
    ExpectedChange,
    HeadlineCards,
    KeepButton,
    KeptRuns,
    PrintSummary,
    Results,
    RunStamp,
    StartHint,
)
from simulator.app.components.scenario_file import AddressBar, ScenarioUpload

__all__ = [
    "AddressBar",
    "AreaPicker",
    "Downloads",
    "ExpectedChange",
    "Explainer",
    "HeadlineCards",
    "KeepButton",
    "KeptRuns",
    "LeverControl",
    "LeverPanel",
    "Messages",
    "PresetPicker",
    "PrintSummary",
    "Results",
    "RunStamp",
    "ScenarioUpload",
    "SeedBox",
    "StartHint",
    "ViewOptions",
]
