"""Components of the workshop app: data comes in as arguments, events go out through ``on_<event>``."""

from simulator.app.components.controls import AreaPicker, Messages, PresetPicker, SeedBox, ViewOptions
from simulator.app.components.explainer import Explainer
from simulator.app.components.export import Downloads
from simulator.app.components.levers import LeverControl, LeverPanel
from simulator.app.components.results import ExpectedChange, Results, RunStamp

__all__ = [
    "AreaPicker",
    "Downloads",
    "ExpectedChange",
    "Explainer",
    "LeverControl",
    "LeverPanel",
    "Messages",
    "PresetPicker",
    "Results",
    "RunStamp",
    "SeedBox",
    "ViewOptions",
]
