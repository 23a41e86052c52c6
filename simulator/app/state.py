"""Per-session state of the app: reactive values and the actions that change them.

Every ``solara.reactive`` here is scoped to one browser session (Solara keeps one
value per virtual kernel), so two people at two browsers never see each other's
levers or results. Components read these values (data flows down) and call the
actions below from their ``on_<event>`` callbacks (events flow up).

An action validates the whole scenario through the schema *before* it changes
anything: a bad value (text in a number box, a number out of range) leaves every
setting as it was and puts the schema's own message (field, value, what is
allowed) in :data:`messages`. A valid change starts the runs off the UI thread
(:mod:`simulator.app.runs`); their results arrive later and replace the shown
ones only if no newer change was made meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import solara

from simulator.app import catalog
from simulator.app.runs import RunOutput, RunTicket
from simulator.schema import Scenario, ScenarioError, build_scenario, deep_merge

SEED_FIELD = catalog.field_info("run.seed")[0]
DEFAULT_SEED = int(SEED_FIELD.get_default())
SEED_MAX = 2**63 - 1
#: Seeds run for the uncertainty bands.
BAND_SEEDS = 5


@dataclass(frozen=True)
class Outcome:
    """Results on screen: a baseline and a scenario run with the same seed."""

    baseline: RunOutput
    scenario: RunOutput
    baseline_scenario: Scenario
    scenario_scenario: Scenario
    generation: int
    requested_at: float
    shown_at: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class Bands:
    """Runs over several seeds for the uncertainty bands."""

    seeds: tuple[int, ...]
    baseline: tuple[RunOutput, ...]
    scenario: tuple[RunOutput, ...]


# -- the session's reactive values ---------------------------------------------------------------

area_key = solara.reactive("baseline")
preset_key = solara.reactive("none")
overrides: solara.Reactive[dict[str, Any]] = solara.reactive(cast(dict[str, Any], {}))
seed = solara.reactive(DEFAULT_SEED)
england_fraction = solara.reactive(catalog.ENGLAND_SAMPLE_FRACTION)
uncertainty = solara.reactive(False)
overlay = solara.reactive(True)
projector = solara.reactive(False)
sankey_year: solara.Reactive[int | None] = solara.reactive(cast(int | None, None))
messages: solara.Reactive[list[str]] = solara.reactive(cast(list[str], []))
status = solara.reactive("starting")
outcome: solara.Reactive[Outcome | None] = solara.reactive(cast(Outcome | None, None))
bands: solara.Reactive[Bands | None] = solara.reactive(cast(Bands | None, None))
bands_status = solara.reactive("")
runs_shown = solara.reactive(0)
_ticket: solara.Reactive[RunTicket | None] = solara.reactive(cast(RunTicket | None, None))
_band_ticket: solara.Reactive[RunTicket | None] = solara.reactive(cast(RunTicket | None, None))


# -- composing scenarios -----------------------------------------------------------------------------


def area() -> catalog.Area:
    """The chosen area."""
    for a in catalog.list_areas():
        if a.key == area_key.value:
            return a
    return catalog.list_areas()[0]


def preset() -> catalog.Preset:
    """The chosen preset."""
    for p in catalog.list_presets():
        if p.key == preset_key.value:
            return p
    return catalog.list_presets()[0]


def compose(area_: catalog.Area | None = None, preset_: catalog.Preset | None = None,
            user: Mapping[str, Any] | None = None, seed_: int | None = None,
            fraction: float | None = None) -> tuple[Scenario, Scenario]:
    """The baseline and scenario for the given (or current) settings, validated.

    The baseline is the area as it is; the scenario adds the preset and the user's
    changes. Both share the run settings (years, seed, sample) so differences are the
    levers' alone (common random numbers).

    Raises:
        ScenarioError: a setting the schema does not allow (one line per problem).
    """
    area_ = area_ or area()
    preset_ = preset_ or preset()
    user = overrides.value if user is None else user
    seed_ = seed.value if seed_ is None else seed_
    data = area_.data()
    for key in ("name", "description", "evidence", "base"):
        data.pop(key, None)
    scen = deep_merge(deep_merge(data, preset_.overrides), user)
    run: dict[str, Any] = dict(scen.get("run", {}))
    run.update({"seed": seed_, "record_episodes": False})
    if area_.sample_fraction is not None:
        run["sample_fraction"] = england_fraction.value if fraction is None else fraction
    scen["run"] = run
    scen["name"] = f"{area_.key}-{preset_.key}" + ("-custom" if user else "")
    base = deep_merge(data, {"run": run, "name": f"{area_.key}-baseline"})
    scenario = build_scenario(scen, source="scenario")
    baseline = build_scenario(base, source="baseline")
    return baseline, scenario


def current_scenario() -> Scenario:
    """The scenario of the current settings (the last valid ones)."""
    return compose()[1]


# -- running ----------------------------------------------------------------------------------------------


def _context() -> Any:
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:  # noqa: BLE001 - outside a server (plain scripts)
        return None


def _in_context(ctx: Any, fn: Any) -> None:
    if ctx is None:
        fn()
    else:
        with ctx:
            fn()


def _ticket_for(which: solara.Reactive[RunTicket | None]) -> RunTicket:
    ticket = which.value
    if ticket is None:
        ticket = RunTicket()
        which.set(ticket)
    return ticket


def request_runs() -> None:
    """Run the baseline (cached) and the scenario for the current settings, off the UI thread."""
    try:
        baseline, scenario = compose()
    except ScenarioError as err:  # settings were validated before they were stored
        messages.set(list(err.problems))
        return
    ctx = _context()
    requested = time.perf_counter()
    s = int(seed.value)
    jobs = {"baseline": (baseline.model_dump(mode="json"), s),
            "scenario": (scenario.model_dump(mode="json"), s)}
    status.set("running")

    def on_done(gen: int, outs: dict[str, RunOutput] | None, error: BaseException | None) -> None:
        def apply() -> None:
            if error is not None or outs is None:
                status.set(f"error: {type(error).__name__}: {error}")
                return
            outcome.set(Outcome(outs["baseline"], outs["scenario"], baseline, scenario, gen, requested))
            runs_shown.set(runs_shown.value + 1)
            status.set("ready")
        _in_context(ctx, apply)

    _ticket_for(_ticket).request(jobs, on_done)
    if uncertainty.value:
        request_bands(baseline, scenario)
    else:
        bands.set(None)


def request_bands(baseline: Scenario | None = None, scenario: Scenario | None = None) -> None:
    """Run :data:`BAND_SEEDS` seeds of baseline and scenario for the uncertainty bands."""
    if baseline is None or scenario is None:
        baseline, scenario = compose()
    ctx = _context()
    seeds = tuple(int(seed.value) + i for i in range(BAND_SEEDS))
    b, s = baseline.model_dump(mode="json"), scenario.model_dump(mode="json")
    jobs = {f"b{x}": (b, x) for x in seeds} | {f"s{x}": (s, x) for x in seeds}
    bands_status.set(f"running {len(jobs)} runs for the bands")

    def on_done(gen: int, outs: dict[str, RunOutput] | None, error: BaseException | None) -> None:
        def apply() -> None:
            if error is not None or outs is None:
                bands_status.set(f"error: {error}")
                return
            bands.set(Bands(seeds, tuple(outs[f"b{x}"] for x in seeds), tuple(outs[f"s{x}"] for x in seeds)))
            bands_status.set("")
        _in_context(ctx, apply)

    _ticket_for(_band_ticket).request(jobs, on_done)


# -- actions (called from components' on_<event> callbacks) --------------------------------------------


def _try(area_: catalog.Area | None = None, preset_: catalog.Preset | None = None,
         user: Mapping[str, Any] | None = None, seed_: int | None = None,
         fraction: float | None = None) -> bool:
    """Validate candidate settings; on failure put the problems in :data:`messages`."""
    try:
        compose(area_, preset_, user, seed_, fraction)
    except ScenarioError as err:
        messages.set(list(err.problems))
        return False
    messages.set([])
    return True


def set_lever(path: str, value: Any) -> bool:
    """Set one parameter (dotted path) and re-run; a value the schema rejects changes nothing.

    Returns:
        True if the value was accepted.
    """
    spec = next((s for s in catalog.lever_panel() if s.path == path), None)
    if spec is not None and not isinstance(value, list | dict):
        value = catalog.override_for(spec, float(value), int(current_run_start()))
    user = catalog.set_path(overrides.value, path, value)
    if not _try(user=user):
        return False
    overrides.set(user)
    request_runs()
    return True


def set_lever_text(path: str, text: str) -> bool:
    """Set a parameter from typed text: not a number, or out of range, shows a message."""
    spec = next((s for s in catalog.lever_panel() if s.path == path), None)
    label = spec.label if spec else path
    try:
        value = float(str(text).replace(",", "").replace("£", "").strip())
    except ValueError:
        messages.set([f"{path} = {text!r}: '{label}' needs a number"
                      + (f" (unit: {spec.unit})" if spec else "")])
        return False
    if spec is not None and spec.kind == "int" and value != int(value):
        messages.set([f"{path} = {text!r}: '{label}' needs a whole number"])
        return False
    if spec is not None and spec.control == "hubs" and value < 0:
        messages.set([f"{path} = {text!r}: the number of hubs must be 0 or more"])
        return False
    return set_lever(path, value)


def set_seed_text(text: str) -> bool:
    """Set the seed from typed text (cast to int); bad input shows a message and changes nothing."""
    raw = str(text).strip()
    try:
        value = int(raw)
    except ValueError:
        messages.set([f"run.seed = {raw!r}: the seed must be a whole number "
                      f"(allowed: 0 to {SEED_MAX})"])
        return False
    if not _try(seed_=value):
        return False
    seed.set(value)
    request_runs()
    return True


def set_england_fraction_text(text: str) -> bool:
    """Set England's sample fraction from typed text."""
    raw = str(text).strip()
    try:
        value = float(raw)
    except ValueError:
        messages.set([f"run.sample_fraction = {raw!r}: needs a number (allowed: > 0 and <= 1)"])
        return False
    if not _try(fraction=value):
        return False
    england_fraction.set(value)
    if area().sample_fraction is not None:
        request_runs()
    return True


def choose_area(key: str) -> None:
    """Simulate another area (user changes and preset are kept if still valid)."""
    new = next((a for a in catalog.list_areas() if a.key == key), None)
    if new is None:
        messages.set([f"unknown area {key!r}"])
        return
    if not _try(area_=new):
        return
    area_key.set(key)
    request_runs()


def choose_preset(key: str) -> None:
    """Start from a preset scenario (clears the user's own changes)."""
    new = next((p for p in catalog.list_presets() if p.key == key), None)
    if new is None:
        messages.set([f"unknown preset {key!r}"])
        return
    if not _try(preset_=new, user={}):
        return
    preset_key.set(key)
    overrides.set({})
    request_runs()


def reset() -> None:
    """Back to the area as it is: no preset, no changes, the default seed."""
    preset_key.set("none")
    overrides.set({})
    seed.set(DEFAULT_SEED)
    messages.set([])
    request_runs()


def set_uncertainty(on: bool) -> None:
    """Toggle the uncertainty bands (runs several seeds)."""
    uncertainty.set(bool(on))
    if on:
        request_bands()
    else:
        bands.set(None)
        bands_status.set("")


def set_overlay(on: bool) -> None:
    """Overlay baseline and scenario in one chart, or draw them side by side."""
    overlay.set(bool(on))


def set_projector(on: bool) -> None:
    """Large type and high contrast for a projector."""
    projector.set(bool(on))


def set_sankey_year(year: int) -> None:
    """Year of the movement (Sankey) diagram."""
    sankey_year.set(int(year))


def dismiss_messages() -> None:
    """Clear the messages."""
    messages.set([])


def start() -> None:
    """First run of a new session."""
    if outcome.value is None and status.value in ("starting", "ready"):
        request_runs()


def current_run_start() -> int:
    """The start year of the current scenario (for hubs' opening dates)."""
    data = deep_merge(deep_merge(area().data(), preset().overrides), overrides.value)
    return int(catalog.get_path(data, "run.start_year", catalog.field_info("run.start_year")[0].get_default()))


def shown_values() -> dict[str, Any]:
    """The scenario dict the lever panel shows (area, preset, then the user's changes)."""
    data = area().data()
    return deep_merge(deep_merge(data, preset().overrides), overrides.value)
