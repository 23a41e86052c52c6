"""The lever panel: one control per schema parameter (label, unit, range, default from the schema)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import reacton.ipyvuetify as rv
import solara

from simulator.app.catalog import (
    LeverSpec,
    control_value,
    is_path,
    plain_message,
    short_unit,
    year_values,
    yearly,
)
from simulator.app.components.controls import Messages


def format_value(spec: LeverSpec, value: float) -> str:
    """A control's value as text (whole numbers without decimals, money with separators)."""
    if spec.kind == "int" or spec.control == "hubs":
        return f"{int(round(value)):d}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


@solara.component
def LeverControl(
    spec: LeverSpec,
    value: float,
    on_value: Callable[[Any], Any],
    on_text: Callable[[str], Any],
    changed: bool = False,
    path: bool = False,
    on_focus: Callable[[], Any] | None = None,
    messages: Sequence[str] = (),
    on_dismiss: Callable[[], Any] | None = None,
    by_year: tuple[list[int], list[float]] | None = None,
    on_year_text: Callable[[int, str], Any] | None = None,
) -> solara.Element:
    """A slider that reports on release, and a box to type an exact value.

    Args:
        spec: the control's description (from the schema).
        value: the value in force.
        on_value: called with the slider's value when it is released (or a key moves it);
            checked by the caller, like typed text.
        on_text: called with the typed text (validated by the caller).
        changed: the value differs from the area's default (shown in bold).
        path: the value in force changes over the years (a preset's path); moving the
            control replaces it with one value for every year.
        on_focus: called when the slider gets the focus (the app runs its next steps ahead).
        messages: why the last value given to this control was refused (shown beside it).
        on_dismiss: called to clear the messages.
        by_year: the run's years and this lever's value in each (a lever the schema lets change
            from year to year): shown in an editor under the slider.
        on_year_text: ``on_year_text(index, text)`` when one year's value is typed.
    """
    draft, set_draft = solara.use_state(value, key=f"draft-{spec.path}")

    def sync() -> None:
        set_draft(value)

    solara.use_effect(sync, [value])
    hi = max(spec.maximum, value)
    lo = min(spec.minimum, value)
    with solara.Column(
        gap="0px",
        classes=["lever", "lever-changed" if changed else "lever-default"],
        style={"margin-bottom": "6px"},
    ):
        solara.Text(spec.label, classes=["lever-label"], style={"font-weight": "bold" if changed else "500"})
        with solara.Row(gap="8px", style={"align-items": "center"}, classes=["lever-row"]):
            slider = rv.Slider(
                v_model=draft,
                on_v_model=set_draft,
                min=lo,
                max=hi,
                step=spec.step,
                hide_details=True,
                thumb_label=False,
                dense=True,
                class_="lever-slider",
                style_="flex: 1 1 auto; min-width: 120px;",
                attributes={"aria-label": spec.label, "data-path": spec.path},
            )

            def on_change(_widget: Any, _event: str, data: Any) -> None:
                on_value(data)

            rv.use_event(slider, "change", on_change)

            def on_focus_event(_widget: Any, _event: str, _data: Any) -> None:
                if on_focus is not None:
                    on_focus()

            rv.use_event(slider, "focus", on_focus_event)
            solara.InputText(
                "",
                value=format_value(spec, value),
                on_value=on_text,
                dense=True,
                classes=["lever-input"],
                style={"max-width": "130px"},
                hide_details=True,
                error=bool(messages),
            )
        solara.Text(
            short_unit(spec.unit), classes=["lever-unit"], style={"font-size": "0.8em", "color": "#444"}
        )
        if path:
            solara.Text(
                "Set year by year (below, or by the preset); moving the slider sets one value for every "
                "year.",
                classes=["lever-path-note"],
                style={"font-size": "0.8em", "color": "#D55E00"},
            )
        if by_year is not None and on_year_text is not None:
            # keyed: the note above comes and goes with a path, and the editor must stay open
            YearEditor(spec, *by_year, on_year_text).key(f"years-{spec.path}")
        if messages:
            Messages(messages, on_dismiss)


@solara.component
def YearEditor(
    spec: LeverSpec, years: list[int], values: list[float], on_year_text: Callable[[int, str], Any]
) -> solara.Element:
    """A lever's value year by year (the slider sets every year; here one year at a time).

    The boxes are built only while the editor is open (a panel redraw stays light).
    """
    is_open, set_open = solara.use_state(False, key=f"years-{spec.path}")
    solara.Button(
        "Hide years" if is_open else "Year by year",
        on_click=lambda: set_open(not is_open),
        text=True,
        small=True,
        classes=["year-toggle"],
    )
    if is_open:
        room = {"flex-wrap": "wrap", "row-gap": "16px", "padding-top": "8px"}  # labels clear of the row above
        with solara.Row(gap="4px", style=room, classes=["year-editor"]):
            for i, (year, value) in enumerate(zip(years, values, strict=True)):
                solara.InputText(
                    f"{year - 1}-{str(year)[2:]}",
                    value=format_value(spec, value),
                    on_value=lambda t, i=i: on_year_text(i, t),
                    dense=True,
                    classes=["year-input", f"year-input-{year}"],
                    style={"max-width": "110px"},
                ).key(f"{spec.path}-{year}")


@solara.component
def LeverPanel(
    specs: Sequence[LeverSpec],
    values: Mapping[str, Any],
    defaults: Mapping[str, Any],
    on_value: Callable[[str, Any], Any],
    on_text: Callable[[str, str], Any],
    on_focus: Callable[[str], Any] | None = None,
    messages: Mapping[str, Sequence[str]] | None = None,
    on_dismiss: Callable[[], Any] | None = None,
    on_year_text: Callable[[str, int, str], Any] | None = None,
) -> solara.Element:
    """Every lever, grouped as in :data:`simulator.app.catalog.PANEL`.

    Args:
        specs: the controls (from :func:`simulator.app.catalog.lever_panel`).
        values: the scenario dict in force (the controls show its values).
        defaults: the area's scenario dict (to mark changed controls).
        on_value: ``on_value(path, value)`` when a slider is released.
        on_text: ``on_text(path, text)`` when a value is typed.
        on_focus: ``on_focus(path)`` when a slider gets the focus.
        messages: by path, why the last value given to a control was refused.
        on_dismiss: called to clear the messages.
        on_year_text: ``on_year_text(path, index, text)`` when one year of a lever's path is typed.
    """
    messages = messages or {}
    groups: dict[str, list[LeverSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.group, []).append(spec)
    with solara.Column(gap="4px", classes=["lever-panel"]):
        for group, items in groups.items():
            with solara.Details(group, expand=group in ("Prevention", "Risk aversion")):
                for spec in items:
                    v = control_value(spec, values)
                    LeverControl(
                        spec,
                        v,
                        on_value=lambda x, p=spec.path: on_value(p, x),
                        on_text=lambda t, p=spec.path: on_text(p, t),
                        changed=abs(v - control_value(spec, defaults)) > 1e-12,
                        path=is_path(spec, values),
                        on_focus=(lambda p=spec.path: on_focus(p)) if on_focus else None,
                        messages=tuple(plain_message(spec, m) for m in messages.get(spec.path, ())),
                        on_dismiss=on_dismiss,
                        by_year=year_values(spec, values) if yearly(spec) and on_year_text else None,
                        on_year_text=(lambda i, t, p=spec.path: on_year_text(p, i, t))
                        if on_year_text
                        else None,
                    ).key(spec.path)
