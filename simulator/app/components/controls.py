"""Pickers and switches: area, preset, seed, view options, messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reacton.ipyvuetify as rv
import solara

from simulator.app.catalog import Area, Preset, in_words


@solara.component
def AreaPicker(
    areas: Sequence[Area],
    value: str,
    on_value: Callable[[str], Any],
    fraction: float,
    on_fraction_text: Callable[[str], Any],
    revision: int = 0,
) -> solara.Element:
    """Choose the area; England shows its sample fraction (simulated share of families).

    ``revision`` changes when a pick is refused: the box is made afresh and shows ``value`` (the
    browser has already put the refused pick in it, and the session's answer in the same
    exchange would not reach it).
    """
    items = [{"text": a.label, "value": a.key} for a in areas]
    with solara.Column(gap="0px").key(f"area-picker-{revision}"):
        rv.Autocomplete(  # every calibrated authority: type to search
            label="Area (type to search)",
            items=items,
            v_model=value,
            on_v_model=lambda v: on_value(v) if v else None,  # a cleared box keeps the area
            dense=True,
            hide_details=True,
            class_="area-picker",
        )
        chosen = next((a for a in areas if a.key == value), None)
        if chosen is not None and chosen.sample_fraction is not None:
            solara.InputText(
                "Sample fraction (share of families simulated)",
                value=f"{fraction:g}",
                on_value=on_fraction_text,
                dense=True,
                classes=["fraction-box"],
            )


@solara.component
def PresetPicker(
    presets: Sequence[Preset], value: str, on_value: Callable[[str], Any], revision: int = 0
) -> solara.Element:
    """Choose a preset scenario from ``scenarios/``; its description is shown below.

    ``revision``: as :func:`AreaPicker`'s.
    """
    items = [{"text": p.label, "value": p.key} for p in presets]
    with solara.Column(gap="0px").key(f"preset-picker-{revision}"):
        rv.Select(
            label="Preset",
            items=items,
            v_model=value,
            on_v_model=on_value,
            dense=True,
            hide_details=True,
            class_="preset-picker",
        )
        chosen = next((p for p in presets if p.key == value), None)
        if chosen is not None and chosen.description:
            solara.Text(
                chosen.description[:300],
                classes=["preset-description"],
                style={"font-size": "0.85em", "color": "#333"},
            )


@solara.component
def SeedBox(value: int, on_text: Callable[[str], Any]) -> solara.Element:
    """The random seed: typed text is cast to a whole number by the caller."""
    solara.InputText("Seed", value=str(value), on_value=on_text, dense=True, classes=["seed-box"])


@solara.component
def ViewOptions(
    overlay: bool,
    on_overlay: Callable[[bool], Any],
    uncertainty: bool,
    on_uncertainty: Callable[[bool], Any],
    projector: bool,
    on_projector: Callable[[bool], Any],
    on_reset: Callable[[], Any],
) -> solara.Element:
    """Overlay or side by side, uncertainty bands, projector mode, reset."""
    with solara.Column(gap="0px"):
        solara.Switch(
            label="Overlay baseline and scenario",
            value=overlay,
            on_value=on_overlay,
            classes=["overlay-switch"],
        )
        solara.Switch(
            label="Bands over the paired runs",
            value=uncertainty,
            on_value=on_uncertainty,
            classes=["bands-switch"],
        )
        solara.Switch(
            label="Projector mode", value=projector, on_value=on_projector, classes=["projector-switch"]
        )
        solara.Button(
            "Reset",
            icon_name="mdi-restore",
            on_click=on_reset,
            color="primary",
            outlined=True,
            classes=["reset-button"],
        )


@solara.component
def Messages(lines: Sequence[str], on_dismiss: Callable[[], Any] | None = None) -> solara.Element:
    """Why the last value given to a field was refused (shown beside the field), or what failed.

    Nothing else changed: the value in force, the other settings and the results on screen
    are the last good ones.
    """
    if not lines:
        return solara.Div()
    with solara.Column(gap="2px", classes=["input-messages"]):
        for line in lines:  # levers named as the panel names them, not by their paths
            solara.Error(in_words(line), dense=True, classes=["input-error"])
        solara.Text(
            "The settings in force and the results on screen are unchanged.", style={"font-size": "0.85em"}
        )
        if on_dismiss is not None:
            solara.Button("Dismiss", text=True, on_click=on_dismiss, small=True)
