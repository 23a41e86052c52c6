"""Per-session state of the app: reactive values and the actions that change them.

Every ``solara.reactive`` here is scoped to one browser session (Solara keeps one
value per virtual kernel), so two people at two browsers never see each other's
levers or results. Components read these values (data flows down) and call the
actions below from their ``on_<event>`` callbacks (events flow up).

An action validates the whole scenario through the schema *before* it changes
anything: a bad value (text in a number box, a number out of range) leaves every
setting as it was and puts the schema's own message (field, value, what is
allowed) in :data:`messages`, shown beside the field named in :data:`problem_field`.
Checks that cost nothing come first (:func:`simulator.app.catalog.lever_number`), so a
value such as 1e7 hubs is refused before anything is built. A valid change starts the runs
off the UI thread (:mod:`simulator.app.runs`); their results arrive later and replace the
shown ones only if no newer change was made meanwhile.

Nothing a user does shows a traceback: every action is guarded (:func:`_guarded`), and a run
that fails anyway (the model refuses a value only the built population can judge, a worker
dies) puts the settings back as they were before the change, keeps the last good results on
screen, says what failed beside the field, and is logged at WARNING (no traceback dump).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import solara

from simulator.app import catalog, scenario_io
from simulator.app.finance_view import FinanceView, finance_view, paired_money
from simulator.app.runs import RunOutput, RunTicket, expected_data, get_runner, scenario_key
from simulator.schema import Scenario, ScenarioError, build_scenario, deep_merge
from simulator.seeding import replicate_seeds

log = logging.getLogger(__name__)

SEED_FIELD = catalog.field_info("run.seed")[0]
DEFAULT_SEED = int(SEED_FIELD.get_default())
SEED_MAX = 2**63 - 1
#: Print where the time goes between a lever move and the redraw (``CSC_APP_TIMING=1``).
TIMING = os.environ.get("CSC_APP_TIMING", "") not in ("", "0")
#: Paired runs behind the headline figures (medians and P10-P90): a first estimate from the first
#: number, refined as the rest arrive. Replicate 0 is the seed on screen, so its pair is reused.
PAIRED_STAGES = (4, 12)


@dataclass(frozen=True, eq=False)  # compared by identity: never cell by cell
class Outcome:
    """Results on screen: a baseline and a scenario run with the same seed."""

    baseline: RunOutput
    scenario: RunOutput
    baseline_scenario: Scenario
    scenario_scenario: Scenario
    generation: int
    requested_at: float
    number: int = 0
    shown_at: float = field(default_factory=time.perf_counter)
    #: The scenario run on screen before this one (same years), drawn faintly beside it.
    previous: RunOutput | None = None

    @functools.cached_property
    def finance(self) -> FinanceView:
        """The finance module's figures for this pair.

        Worked out once: the cards, the charts and the workbook all read them.
        """
        return finance_view(self.scenario_scenario, self.baseline, self.scenario, self.baseline_scenario)


@dataclass(frozen=True, eq=False)
class KeptRun:
    """A result the room kept by name (A, B, C...) to compare with another, and its settings."""

    name: str
    label: str
    outcome: Outcome
    settings: dict[str, Any]
    bands: Bands | None = None  # its paired runs, if they were in when it was kept


@dataclass(frozen=True, eq=False)
class Expected:
    """The expected values (aggregate view, no chance) of the baseline and scenario on request."""

    baseline: RunOutput
    scenario: RunOutput
    generation: int
    key: str = ""  # the scenario's, as the expected view sees it (:func:`expected_key`)

    @property
    def left_out(self) -> list[str]:
        """Levers of the scenario that the expected values leave out."""
        return list(self.scenario.meta.get("levers_not_modelled", []))


@dataclass(frozen=True, eq=False)
class Bands:
    """Paired runs of baseline and scenario over replicate seeds of the seed on screen.

    The headline money (payback, NPV: median and P10-P90) and the bands come from them, never
    from one run. ``target`` is the number of runs the set will have once every stage is in;
    ``key`` names the scenario and seed they belong to (:func:`outcome_key`).
    """

    seeds: tuple[int, ...]
    baseline: tuple[RunOutput, ...]
    scenario: tuple[RunOutput, ...]
    money: Any = None
    target: int = 0
    key: str = ""

    @property
    def complete(self) -> bool:
        """Whether every paired run asked for is in."""
        return len(self.seeds) >= self.target


def outcome_key(scenario: Scenario) -> str:
    """The key of a scenario and its seed, as the paired runs record it."""
    return scenario_key(scenario.model_dump(mode="json"), int(scenario.run.seed))


def paired_money_for(outcome: Outcome, paired: Bands | None) -> Any:
    """The paired runs' money (``PairedMoney``) if they are of the outcome on screen, else None."""
    if paired is None or paired.money is None or paired.key != outcome_key(outcome.scenario_scenario):
        return None
    return paired.money


# -- the session's reactive values ---------------------------------------------------------------

area_key = solara.reactive("baseline")
preset_key = solara.reactive("none")
#: Values refused so far: the pickers are drawn afresh after each, so a box shows the value in
#: force, not the one the user picked and the session refused.
refusals = solara.reactive(0)
overrides: solara.Reactive[dict[str, Any]] = solara.reactive(cast(dict[str, Any], {}))
seed = solara.reactive(DEFAULT_SEED)
england_fraction = solara.reactive(catalog.ENGLAND_SAMPLE_FRACTION)
uncertainty = solara.reactive(False)
overlay = solara.reactive(True)
projector = solara.reactive(False)
sankey_year: solara.Reactive[int | None] = solara.reactive(cast(int | None, None))
messages: solara.Reactive[list[str]] = solara.reactive(cast(list[str], []))
#: The field the messages are about (a lever's path, ``run.seed``, ``run.sample_fraction``,
#: ``area``, ``preset``), shown beside it; ``""`` for none in particular.
problem_field = solara.reactive("")
status = solara.reactive("starting")
outcome: solara.Reactive[Outcome | None] = solara.reactive(cast(Outcome | None, None))
bands: solara.Reactive[Bands | None] = solara.reactive(cast(Bands | None, None))
expected: solara.Reactive[Expected | None] = solara.reactive(cast(Expected | None, None))
#: The key of the expected values last asked for: the chart on screen is stale until they match.
expected_wanted = solara.reactive("")
bands_status = solara.reactive("")
_ticket: solara.Reactive[RunTicket | None] = solara.reactive(cast(RunTicket | None, None))
_band_ticket: solara.Reactive[RunTicket | None] = solara.reactive(cast(RunTicket | None, None))
_expected_ticket: solara.Reactive[RunTicket | None] = solara.reactive(cast(RunTicket | None, None))
#: The lever moved last (its neighbouring values are run ahead while the room talks).
last_lever: solara.Reactive[str | None] = solara.reactive(cast(str | None, None))
#: Whether the page's link has been read (until then the address bar is left as it came).
link_followed = solara.reactive(False)
#: Results kept by name (A, B, C...), oldest first, and the two compared side by side.
kept: solara.Reactive[list[KeptRun]] = solara.reactive(cast(list[KeptRun], []))
compared: solara.Reactive[tuple[str, str] | None] = solara.reactive(cast(tuple[str, str] | None, None))
#: At most this many kept runs (the oldest gives way).
MAX_KEPT = 6
#: What changed with the last change of area (levers kept per child), shown beside the area.
area_note = solara.reactive("")
#: The name of the scenario file loaded last ("" for none).
loaded_file = solara.reactive("")


# -- composing scenarios -----------------------------------------------------------------------------


def area(peek: bool = False) -> catalog.Area:
    """The chosen area (``peek``: read without subscribing the calling component)."""
    key = area_key.peek() if peek else area_key.value
    for a in catalog.list_areas():
        if a.key == key:
            return a
    return catalog.list_areas()[0]


def preset(peek: bool = False) -> catalog.Preset:
    """The chosen preset (``peek``: read without subscribing the calling component)."""
    key = preset_key.peek() if peek else preset_key.value
    for p in catalog.list_presets():
        if p.key == key:
            return p
    return catalog.list_presets()[0]


def compose(
    area_: catalog.Area | None = None,
    preset_: catalog.Preset | None = None,
    user: Mapping[str, Any] | None = None,
    seed_: int | None = None,
    fraction: float | None = None,
) -> tuple[Scenario, Scenario]:
    """The baseline and scenario for the given (or current) settings, validated.

    The baseline is the area as it is; the scenario adds the preset and the user's
    changes. Both share the run settings (years, seed, sample) so differences are the
    levers' alone (common random numbers).

    Raises:
        ScenarioError: a setting the schema does not allow (one line per problem).
    """
    # actions run from effects and callbacks too: peek, so no component subscribes here
    area_ = area_ or area(peek=True)
    preset_ = preset_ or preset(peek=True)
    user = overrides.peek() if user is None else user
    seed_ = seed.peek() if seed_ is None else seed_
    data = area_.data()
    for key in ("name", "description", "evidence", "base"):
        data.pop(key, None)
    scen = deep_merge(deep_merge(data, catalog.preset_for(preset_, area_)[0]), user)
    run: dict[str, Any] = dict(scen.get("run", {}))
    run.update({"seed": seed_, "record_episodes": False})
    if area_.sample_fraction is not None:
        run["sample_fraction"] = england_fraction.peek() if fraction is None else fraction
    scen["run"] = run
    scen["name"] = scenario_io.scenario_name(area_.key, preset_.key, bool(user))
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


#: Results are put on screen from these threads, not from the worker pool's own thread (which
#: must stay free to collect other sessions' results).
_APPLY = ThreadPoolExecutor(max_workers=2, thread_name_prefix="csc-app-apply")


def _apply_in(ctx: Any, fn: Any) -> None:
    closed = getattr(ctx, "closed_event", None)
    if closed is not None and closed.is_set():
        return  # the browser tab has gone
    with ctx:
        fn()


def _report(fut: Future) -> None:
    err = fut.exception()
    if err is not None:
        log.warning("putting results on screen failed: %s", describe(err))
        log.debug("putting results on screen failed", exc_info=err)


def _in_context(ctx: Any, fn: Any, origin: int | None = None) -> None:
    """Run ``fn`` in a session's context.

    Inline if there is no server context or if the results came back at once, in the
    thread that asked (cached results, the inline runner); otherwise on an apply thread.
    """
    if ctx is None or origin == threading.get_ident():
        fn()
    else:
        try:
            _APPLY.submit(_apply_in, ctx, fn).add_done_callback(_report)
        except RuntimeError as err:  # the server is shutting down
            log.warning("results not put on screen: %s", err)


#: Seconds between putting a result on screen and asking for its expected values, so their redraw
#: follows the result's instead of landing with it. Asked for inside the redraw, they took the median
#: from lever release to redrawn charts from 0.60 to 0.62 s; a delay of 0 or 0.15 s after it made no
#: difference (0.59-0.61 s, ``bench_app_latency.py``). The paired runs are asked for inside the
#: redraw, as before: their first stage's words belong with the result they refine.
FOLLOW_DELAY = 0.1


def _after_drawing(ctx: Any, fn: Any, inline: bool) -> None:
    """Run ``fn`` in the session's context :data:`FOLLOW_DELAY` seconds from now.

    At once if ``inline``: no server, or the inline runner of the tests.
    """
    if ctx is None or inline:
        fn()
        return
    timer = threading.Timer(FOLLOW_DELAY, lambda: _in_context(ctx, fn))
    timer.daemon = True
    timer.start()


def describe(error: BaseException | None) -> str:
    """One line for a failure: the schema's or model's own sentence, else the error's type and text."""
    if error is None:
        return "no results came back"
    if isinstance(error, ScenarioError):
        return "; ".join(error.problems) if getattr(error, "problems", None) else str(error)
    return f"{type(error).__name__}: {error}"


Snapshot = dict[str, Any]


def _snapshot() -> Snapshot:
    """Every setting of the session (to put back if a change fails)."""
    return {
        "area": area_key.peek(),
        "preset": preset_key.peek(),
        "overrides": overrides.peek(),
        "seed": seed.peek(),
        "fraction": england_fraction.peek(),
    }


def _restore(settings: Snapshot) -> None:
    area_key.set(settings["area"])
    preset_key.set(settings["preset"])
    overrides.set(settings["overrides"])
    seed.set(settings["seed"])
    england_fraction.set(settings["fraction"])


def _refuse(field: str, lines: list[str]) -> None:
    """Show why a value was refused (or a run failed), beside ``field``."""
    problem_field.set(field)
    messages.set(lines)
    refusals.set(refusals.peek() + 1)


def _accept() -> None:
    messages.set([])
    problem_field.set("")


def _accept_for(field: str) -> None:
    """The field was given its value in force: clear its message (another field's stays)."""
    if problem_field.peek() == field:
        _accept()


def _run_failed(field: str, error: BaseException | None, undo: Snapshot | None) -> None:
    """A run failed: settings back as they were before the change, results kept, the failure said."""
    what = describe(error)
    log.warning("run failed (%s): %s", field or "settings", what)
    shown = outcome.peek()
    if undo is not None:
        _restore(undo)
    # with results on screen they stay (the last good ones) and the message beside the field says it
    status.set(f"error: the run failed: {what}" if shown is None else "ready")
    _refuse(field, [f"The run failed, so the value was put back: {what}"])
    if undo is not None and shown is not None:
        # the settings put back may be newer than the results on screen (a change still running was
        # superseded by the failing one): run them, so what is on screen matches what is set
        try:
            _, now = compose()
        except ScenarioError:
            return
        if outcome_key(now) != outcome_key(shown.scenario_scenario):
            request_runs(field=field)


def _guarded(field: str | Callable[..., str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An action that never raises: on any error every setting is put back and the error shown.

    ``field`` names the field the action is about (or is called with the action's arguments
    to name it); the message is shown beside it and the error logged at WARNING.
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            before = _snapshot()
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - never a traceback on the page
                try:
                    name = field(*args, **kwargs) if callable(field) else field
                except Exception:  # noqa: BLE001
                    name = ""
                log.warning("%s(%s) failed: %s", fn.__name__, name, describe(err))
                log.debug("%s failed", fn.__name__, exc_info=err)
                _restore(before)
                _refuse(
                    str(name),
                    [f"{name or 'This change'}: not applied, something went wrong ({describe(err)})"],
                )
                return False

        return guarded

    return wrap


def _ticket_for(which: solara.Reactive[RunTicket | None]) -> RunTicket:
    ticket = which.peek()
    if ticket is None:
        ticket = RunTicket()
        which.set(ticket)
    return ticket


def _previous(before: Outcome | None, now: RunOutput, baseline: Scenario) -> RunOutput | None:
    """The scenario on screen until now, if it is of the same area and years as the new one.

    Another area (or England at another sample fraction) has another baseline: its run drawn
    beside this one would be another place's numbers on this place's axis.
    """
    if before is None:
        return None
    old = before.scenario
    if old is now or list(old.annual["year"]) != list(now.annual["year"]):
        return None
    same = {"name": True, "description": True, "evidence": True, "base": True, "run": {"seed"}}
    if before.baseline_scenario.model_dump(exclude=same) != baseline.model_dump(exclude=same):
        return None
    return old


def request_runs(
    user: Mapping[str, Any] | None = None,
    seed_: int | None = None,
    field: str = "",
    undo: Snapshot | None = None,
) -> bool:
    """Run the baseline (cached) and the scenario for the current settings, off the UI thread.

    If the runs fail, the settings go back to ``undo``, the results on screen stay, and the
    failure is shown beside ``field`` (:func:`_run_failed`).

    Args:
        user: the user's changes to run (default: those in force); passed by the actions
            so the runs start before the lever panel redraws.
        seed_: the seed to run (default: the one in force).
        field: the field whose change asked for the runs.
        undo: the settings before that change.

    Returns:
        False if the runs failed at once (then the caller must not store the change).
    """
    try:
        baseline, scenario = compose(user=user, seed_=seed_)
    except ScenarioError as err:  # settings were validated before they were stored
        if undo is not None:
            _restore(undo)
        _refuse(field, list(err.problems))
        return False
    failed = [False]
    ctx = _context()
    requested = time.perf_counter()
    s = int(seed.peek() if seed_ is None else seed_)
    jobs = {
        "baseline": (baseline.model_dump(mode="json"), s),
        "scenario": (scenario.model_dump(mode="json"), s),
    }
    status.set("running")

    def on_done(gen: int, outs: dict[str, RunOutput] | None, error: BaseException | None) -> None:
        def apply() -> None:
            if error is not None or outs is None:
                failed[0] = True
                _run_failed(field, error, undo)
                return
            t_arrived = time.perf_counter()
            before = outcome.peek()
            number = (before.number if before else 0) + 1
            outcome.set(
                Outcome(
                    outs["baseline"],
                    outs["scenario"],
                    baseline,
                    scenario,
                    gen,
                    requested,
                    number,
                    previous=_previous(before, outs["scenario"], baseline),
                )
            )
            t_drawn = time.perf_counter()
            status.set("ready")

            request_bands(baseline, scenario, s)  # the paired runs, once the pair on screen is in

            def follow() -> None:
                if _ticket_for(_ticket).is_current(gen):  # not if the lever has moved since
                    request_expected(baseline, scenario)

            # the expected values once the pair on screen has reached the browser: their redraw
            # (an "updating" mark) had landed beside it and delayed it
            _after_drawing(ctx, follow, inline=origin == threading.get_ident())
            if TIMING:
                print(
                    f"[app timing] run {gen}: engine {outs['scenario'].seconds:.3f} s, results after "
                    f"{t_arrived - requested:.3f} s, charts built in {t_drawn - t_arrived:.3f} s, "
                    f"stamp at {time.perf_counter() - requested:.3f} s",
                    flush=True,
                )
            try:
                prefetch_neighbours(user, seed_)
            except Exception as err:  # noqa: BLE001 - runs ahead of time are a nicety
                log.warning("running ahead failed: %s", describe(err))

        _in_context(ctx, apply, origin)

    origin = threading.get_ident()
    try:
        _ticket_for(_band_ticket).cancel()  # the last scenario's paired runs give way to this one
        bands_status.set("waiting for the run on screen")
        _ticket_for(_ticket).request(jobs, on_done)
    except Exception as err:  # noqa: BLE001 - the pool could not take the runs
        _run_failed(field, err, undo)
        return False
    return not failed[0]


def request_expected(baseline: Scenario, scenario: Scenario) -> None:
    """Work out the expected values of baseline and scenario (aggregate view), off the UI thread.

    They take about 0.3 s at any size (1.5 s with Troubled Families), have no
    seed, and are cached, so they stay put when only the seed changes. They are asked for once
    the run the user waits for is drawn, and run with the paired runs at low priority
    (:func:`simulator.app.runs._background_worker`); the expected line follows the run onto the
    charts.
    """
    ctx = _context()
    jobs = {
        "baseline": (expected_data(baseline.model_dump(mode="json")), None),
        "scenario": (expected_data(scenario.model_dump(mode="json")), None),
    }
    key = expected_key(scenario)
    expected_wanted.set(key)

    def on_done(gen: int, outs: dict[str, RunOutput] | None, error: BaseException | None) -> None:
        def apply() -> None:
            if error is not None or outs is None:
                expected.set(None)
                log.warning("expected values failed: %s", describe(error))
                return
            expected.set(Expected(outs["baseline"], outs["scenario"], gen, key))

        _in_context(ctx, apply, origin)

    origin = threading.get_ident()
    _ticket_for(_expected_ticket).request(jobs, on_done, background=True)


def expected_key(scenario: Scenario) -> str:
    """The key of a scenario's expected values (the same for any seed or sample)."""
    return scenario_key(expected_data(scenario.model_dump(mode="json")), None)


def prefetch_neighbours(user: Mapping[str, Any] | None = None, seed_: int | None = None) -> int:
    """Run the last-moved lever's next step up and down ahead of time, if workers are idle.

    A facilitator usually nudges the same lever again; when they do, the result is
    already in the cache and the charts redraw at once. Prefetches never delay a
    requested run (see :meth:`simulator.app.runs.Runner.prefetch`).

    Returns:
        The number of runs started.
    """
    path = last_lever.peek()
    if path is None:
        return 0
    user = overrides.peek() if user is None else user
    s = int(seed.peek() if seed_ is None else seed_)
    area_ = area(peek=True)
    children = float(catalog.get_path(area_.data(), "population.children", catalog.TYPICAL_LA_CHILDREN))
    spec = next((x for x in catalog.lever_panel(children) if x.path == path), None)
    if spec is None:
        return 0
    now = catalog.control_value(spec, shown_values_for(user, peek=True))
    started = 0
    runner = get_runner()
    for value in (now + spec.step, now - spec.step):
        if not spec.minimum - 1e-9 <= value <= spec.maximum + 1e-9:
            continue
        value = round(value, 10)
        candidate = catalog.set_path(user, path, catalog.override_for(spec, value, current_run_start()))
        try:
            _, scenario = compose(user=candidate, seed_=s)
        except ScenarioError:
            continue
        started += runner.prefetch(scenario.model_dump(mode="json"), s)
    return started


def request_bands(
    baseline: Scenario | None = None,
    scenario: Scenario | None = None,
    seed_: int | None = None,
    stage: int = 0,
) -> None:
    """Run the paired runs behind the headline figures, stage by stage (:data:`PAIRED_STAGES`).

    Each stage's results replace the last (a first estimate, then refined); the money of every
    pair is appraised by the finance module and summarised (median, P10-P90) on arrival.
    """
    if baseline is None or scenario is None:
        baseline, scenario = compose()
    ctx = _context()
    first = int(seed.peek() if seed_ is None else seed_)
    n = PAIRED_STAGES[stage]
    seeds = tuple(replicate_seeds(first, n))
    b, s = baseline.model_dump(mode="json"), scenario.model_dump(mode="json")
    jobs = {f"b{i}": (b, x) for i, x in enumerate(seeds)} | {f"s{i}": (s, x) for i, x in enumerate(seeds)}
    bands_status.set(f"working out {n} paired runs")
    key = outcome_key(scenario)

    def on_done(gen: int, outs: dict[str, RunOutput] | None, error: BaseException | None) -> None:
        def apply() -> None:
            if error is not None or outs is None:
                log.warning("paired runs failed: %s", describe(error))
                bands_status.set(f"error: {describe(error)}")
                return
            base_runs = tuple(outs[f"b{i}"] for i in range(len(seeds)))
            scen_runs = tuple(outs[f"s{i}"] for i in range(len(seeds)))
            try:
                money = paired_money(scenario, baseline, list(seeds), list(base_runs), list(scen_runs))
            except Exception as err:  # noqa: BLE001 - shown as a failure, never replaced by an estimate
                log.warning("the finance module failed on the paired runs: %s", describe(err))
                bands_status.set(f"error: the finance module failed: {describe(err)}")
                return
            new = Bands(seeds, base_runs, scen_runs, money, PAIRED_STAGES[-1], key)
            bands.set(new)
            _refresh_kept(new)
            if stage + 1 < len(PAIRED_STAGES):
                request_bands(baseline, scenario, first, stage + 1)
            else:
                bands_status.set("")

        _in_context(ctx, apply, origin)

    origin = threading.get_ident()
    _ticket_for(_band_ticket).request(jobs, on_done, background=True)


# -- actions (called from components' on_<event> callbacks) --------------------------------------------


def _try(
    area_: catalog.Area | None = None,
    preset_: catalog.Preset | None = None,
    user: Mapping[str, Any] | None = None,
    seed_: int | None = None,
    fraction: float | None = None,
    field: str = "",
) -> bool:
    """Validate candidate settings; on failure put the problems in :data:`messages`, beside ``field``."""
    try:
        compose(area_, preset_, user, seed_, fraction)
    except ScenarioError as err:
        _refuse(field, list(err.problems))
        return False
    _accept()
    return True


def lever_spec(path: str) -> catalog.LeverSpec | None:
    """The panel's control for a parameter, as drawn for the chosen area (None if not in the panel)."""
    children = float(
        catalog.get_path(area(peek=True).data(), "population.children", catalog.TYPICAL_LA_CHILDREN)
    )
    return next((s for s in catalog.lever_panel(children) if s.path == path), None)


def _same(now: Any, new: Any) -> bool:
    """Whether a control's new value is the one in force (a number, or the same list of dates)."""
    if isinstance(now, bool) or isinstance(new, bool):
        return False
    if isinstance(now, int | float) and isinstance(new, int | float):
        return float(now) == float(new)
    return isinstance(now, list) and now == new


def _path_of(path: str, *_: Any, **__: Any) -> str:
    return str(path)


@_guarded(_path_of)
def set_lever(path: str, value: Any) -> bool:
    """Set one parameter (dotted path) and re-run; a value the schema rejects changes nothing.

    A control's value (a slider's, or typed) is checked first (:func:`catalog.lever_number`):
    not a finite number, not whole where it must be, or beyond what the box takes is refused
    before anything is built.

    Returns:
        True if the value was accepted.
    """
    spec = lever_spec(path)
    if spec is not None and not isinstance(value, list | dict):
        try:
            number = catalog.lever_number(spec, value)
        except ValueError as err:
            _refuse(path, [str(err)])
            return False
        value = catalog.override_for(spec, number, int(current_run_start()))
        now = catalog.get_path(shown_values_for(overrides.peek(), peek=True), path)
        if now is None:  # not in the area's file: the schema's default is in force
            now = [] if spec.control == "hubs" else spec.default
        if _same(now, value):  # the value in force (a box left without a change): nothing to run
            _accept_for(path)
            return True
    before = _snapshot()
    user = catalog.set_path(overrides.peek(), path, value)
    if not _try(user=user, field=path):
        return False
    last_lever.set(path)
    # the runs start first; the panel redraws while they work
    if not request_runs(user=user, field=path, undo=before):
        return False
    overrides.set(user)
    return True


@_guarded(_path_of)
def set_lever_year(path: str, index: int, text: str) -> bool:
    """Set one year of a lever's path from typed text (the other years keep their values).

    The value is checked as the control's typed text is; the path is then checked by the schema
    as a whole. A path whose years are all equal is kept as one number.
    """
    spec = lever_spec(path)
    if spec is None or not catalog.yearly(spec):
        _refuse(path, [f"{path}: not a lever with a value for each year"])
        return False
    try:
        number = catalog.lever_number(spec, text)
    except ValueError as err:
        _refuse(path, [str(err)])
        return False
    years, values = catalog.year_values(spec, shown_values_for(overrides.peek(), peek=True))
    if not 0 <= index < len(values):
        _refuse(path, [f"{path}: year {index + 1} is not in the run (it has {len(values)} years)"])
        return False
    if values[index] == number:
        _accept_for(path)
        return True
    values[index] = float(number)
    path_value: Any = values[0] if len(set(values)) == 1 else values
    return bool(set_lever(path, path_value))


@_guarded(_path_of)
def focus_lever(path: str) -> None:
    """A lever got the focus: run its next step up and down ahead of time (if workers are idle)."""
    last_lever.set(path)
    prefetch_neighbours()


@_guarded(_path_of)
def set_lever_text(path: str, text: str) -> bool:
    """Set a parameter from typed text: not a number, or out of range, shows a message beside it."""
    spec = lever_spec(path)
    if spec is None:
        _refuse(path, [f"{path} = {catalog.shown_text(text)}: not a control of this panel"])
        return False
    try:
        value = catalog.lever_number(spec, text)
    except ValueError as err:
        _refuse(path, [str(err)])
        return False
    return bool(set_lever(path, value))


@_guarded("run.seed")
def set_seed_text(text: str) -> bool:
    """Set the seed from typed text (cast to int); bad input shows a message and changes nothing."""
    raw = str(text).strip()
    allowed = f"allowed: a whole number from 0 to {SEED_MAX}"
    try:
        value = int(raw)
    except ValueError:
        _refuse(
            "run.seed", [f"run.seed = {catalog.shown_text(raw)}: the seed must be a whole number ({allowed})"]
        )
        return False
    if not 0 <= value <= SEED_MAX:
        _refuse("run.seed", [f"run.seed = {catalog.shown_text(raw)}: out of range ({allowed})"])
        return False
    if value == seed.peek():  # the seed in force (a box left without a change): nothing to run
        _accept_for("run.seed")
        return True
    if not _try(seed_=value, field="run.seed"):
        return False
    if not request_runs(seed_=value, field="run.seed", undo=_snapshot()):
        return False
    seed.set(value)
    return True


@_guarded("run.sample_fraction")
def set_england_fraction_text(text: str) -> bool:
    """Set England's sample fraction from typed text."""
    raw = str(text).strip()
    allowed = "allowed: a share of families above 0 and at most 1"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        _refuse("run.sample_fraction", [f"run.sample_fraction = {catalog.shown_text(raw)}: {allowed}"])
        return False
    if value == england_fraction.peek():
        _accept_for("run.sample_fraction")
        return True
    here = area(peek=True)  # checked against a sampled area (England) even while another is chosen
    sampled = (
        here
        if here.sample_fraction is not None
        else next((a for a in catalog.list_areas() if a.sample_fraction is not None), here)
    )
    if not _try(area_=sampled, fraction=value, field="run.sample_fraction"):
        return False
    before = _snapshot()
    england_fraction.set(value)
    if area(peek=True).sample_fraction is not None:
        request_runs(field="run.sample_fraction", undo=before)
    return True


@_guarded("area")
def choose_area(key: str) -> None:
    """Simulate another area (user changes and preset are kept if still valid)."""
    new = next((a for a in catalog.list_areas() if a.key == key), None)
    if new is None:
        _refuse(
            "area",
            [
                f"area = {key!r}: unknown area "
                f"(allowed: {catalog.some([a.key for a in catalog.list_areas()])})"
            ],
        )
        return
    try:
        children = [
            float(catalog.get_path(a.data(), "population.children", catalog.TYPICAL_LA_CHILDREN))
            for a in (area(peek=True), new)
        ]
    except ScenarioError as err:  # an authority the calibration cannot fit
        _refuse("area", list(err.problems))
        return
    why = catalog.preset_misfit(_preset_of(preset_key.peek()), new)
    if why:  # the preset in force is written for another size of area: refused, settings kept
        _refuse(
            "area",
            [f"area = {key}: refused while preset {preset_key.peek()} is in force: {why.split(': ', 1)[1]}"],
        )
        return
    user, lines = catalog.per_child(overrides.peek(), *children)
    if not _try(area_=new, user=user, field="area"):
        return
    before = _snapshot()
    area_key.set(key)
    overrides.set(user)
    hubs = catalog.get_path(user, "levers.community_hubs.opening_dates") or []
    if hubs and children[0] != children[1]:  # a hub serves its own catchment: a count, not per child
        lines = [*lines, f"community hubs: {len(hubs)} kept as a count (each serves its own catchment)"]
    notes = [
        f"Kept per child for {new.label} ({children[1]:,.0f} children, was {children[0]:,.0f}): "
        + "; ".join(lines)
        if lines
        else "",
        catalog.preset_note(preset(peek=True), new),
    ]
    area_note.set(" ".join(n for n in notes if n))
    request_runs(field="area", undo=before)


@_guarded("preset")
def choose_preset(key: str) -> None:
    """Start from a preset scenario (clears the user's own changes)."""
    new = next((p for p in catalog.list_presets() if p.key == key), None)
    if new is None:
        _refuse(
            "preset",
            [
                f"preset = {key!r}: unknown preset (allowed: "
                f"{', '.join(p.key for p in catalog.list_presets())})"
            ],
        )
        return
    why = catalog.preset_misfit(new, area(peek=True))
    if why:
        _refuse("preset", [why])
        return
    if not _try(preset_=new, user={}, field="preset"):
        return
    before = _snapshot()
    preset_key.set(key)
    overrides.set({})
    area_note.set(catalog.preset_note(new, area(peek=True)))  # the user's changes are gone
    request_runs(field="preset", undo=before)


@_guarded("")
def reset() -> None:
    """Back to the area as it is: no preset, no changes, the default seed."""
    before = _snapshot()
    preset_key.set("none")
    overrides.set({})
    area_note.set("")
    seed.set(DEFAULT_SEED)
    _accept()
    request_runs(undo=before)


@_guarded("")
def set_uncertainty(on: bool) -> None:
    """Show or hide the band charts of the paired runs (they run whatever this says)."""
    uncertainty.set(bool(on))


@_guarded("")
def set_overlay(on: bool) -> None:
    """Overlay baseline and scenario in one chart, or draw them side by side."""
    overlay.set(bool(on))


@_guarded("")
def set_projector(on: bool) -> None:
    """Large type and high contrast for a projector."""
    projector.set(bool(on))


@_guarded("")
def set_sankey_year(year: int) -> None:
    """Year of the movement (Sankey) diagram."""
    sankey_year.set(int(year))


def dismiss_messages() -> None:
    """Clear the messages."""
    _accept()


@contextlib.contextmanager
def _unwatched() -> Iterator[None]:
    """Read and set values without subscribing the component whose effect is running.

    A first run whose results are already cached finishes inside the page's start-up
    effect; the charts it redraws would otherwise subscribe the whole page to them,
    and every later result would redraw the lever panel too.
    """
    from solara import toestand

    local = toestand.thread_local
    used, watch = getattr(local, "reactive_used", None), getattr(local, "reactive_watch", None)
    local.reactive_used, local.reactive_watch = None, None
    try:
        yield
    finally:
        local.reactive_used, local.reactive_watch = used, watch


def start() -> None:
    """First run of a new session (called from the page's start-up effect)."""
    with _unwatched():
        if outcome.peek() is None and status.peek() in ("starting", "ready"):
            request_runs()


def current_run_start() -> int:
    """The start year of the current scenario (for hubs' opening dates)."""
    data = deep_merge(catalog.with_preset(area(peek=True), preset(peek=True)), overrides.peek())
    default = catalog.field_info("run.start_year")[0].get_default()
    return int(catalog.get_path(data, "run.start_year", default))


def shown_values() -> dict[str, Any]:
    """The scenario dict the lever panel shows (area, preset, then the user's changes)."""
    return shown_values_for(overrides.value)


def shown_values_for(user: Mapping[str, Any], peek: bool = False) -> dict[str, Any]:
    """The scenario dict for the chosen area and preset with the given user changes."""
    return deep_merge(catalog.with_preset(area(peek), preset(peek)), user)


# -- scenarios in and out: a file to save and load, a link to share (:mod:`scenario_io`) -------------


def _area_of(key: str) -> catalog.Area:
    return next(a for a in catalog.list_areas() if a.key == key)


def _preset_of(key: str) -> catalog.Preset:
    return next(p for p in catalog.list_presets() if p.key == key)


def _problems_of(settings: Snapshot) -> list[str]:
    """Why the schema refuses a set of settings, or the preset does not fit the area (empty if fine)."""
    misfit = catalog.preset_misfit(_preset_of(settings["preset"]), _area_of(settings["area"]))
    if misfit:
        return [misfit]
    try:
        compose(
            _area_of(settings["area"]),
            _preset_of(settings["preset"]),
            settings["overrides"],
            settings["seed"],
            settings["fraction"],
        )
    except ScenarioError as err:
        return list(err.problems)
    return []


def default_settings() -> Snapshot:
    """The settings of a new session: the first area as it is, the default seed."""
    return {
        "area": catalog.list_areas()[0].key,
        "preset": catalog.list_presets()[0].key,
        "overrides": {},
        "seed": DEFAULT_SEED,
        "fraction": catalog.ENGLAND_SAMPLE_FRACTION,
    }


def scenario_file(outcome_: Outcome) -> str:
    """The scenario file (TOML) of the results on screen (:func:`scenario_io.file_text`)."""
    return scenario_io.file_text(outcome_.scenario_scenario)


@_guarded(scenario_io.FILE_FIELD)
def load_scenario_file(name: str, data: bytes | None, size: int | None = None) -> bool:
    """Load an uploaded scenario file: its area, preset, changes and seed are set and run.

    The file is checked by the command line's loader and the schema
    (:func:`scenario_io.read_upload`); a file they refuse shows one message beside the upload
    control, and every setting and the results on screen stay as they were.

    Returns:
        True if the file was taken.
    """
    shown = catalog.shown_text(str(name), 60)
    if data is None:
        _refuse(
            scenario_io.FILE_FIELD, [f"{shown} was not loaded: the browser did not send it; pick it again"]
        )
        return False
    try:
        scenario = scenario_io.read_upload(name, data, size)
        settings = scenario_io.settings_from(scenario, _snapshot(), compose)
    except ScenarioError as err:
        _refuse(scenario_io.FILE_FIELD, [f"{shown} was not loaded: {'; '.join(err.problems)}"])
        return False
    problems = _problems_of(settings)
    if problems:  # in the app's terms (a sample of England too small, say)
        _refuse(scenario_io.FILE_FIELD, [f"{shown} was not loaded: {'; '.join(problems)}"])
        return False
    before = _snapshot()
    _restore(settings)
    _accept()
    if not request_runs(field=scenario_io.FILE_FIELD, undo=before):
        return False
    loaded_file.set(str(name))
    return True


def link_query(peek: bool = False) -> str:
    """The query string of the settings in force (:mod:`scenario_io`); reads them unless ``peek``."""
    here = area(peek)
    preset_now = preset_key.peek() if peek else preset_key.value
    user = overrides.peek() if peek else overrides.value
    seed_now = seed.peek() if peek else seed.value
    fraction = england_fraction.peek() if peek else england_fraction.value
    default = default_settings()
    pairs: list[tuple[str, str]] = []
    if here.key != default["area"]:
        pairs.append((scenario_io.AREA, here.key))
    if preset_now != default["preset"]:
        pairs.append((scenario_io.PRESET, preset_now))
    if here.sample_fraction is not None and fraction != default["fraction"]:
        pairs.append((scenario_io.FRACTION, repr(float(fraction))))
    if seed_now != default["seed"]:
        pairs.append((scenario_io.SEED, str(int(seed_now))))
    if user:
        start = current_run_start()
        specs = {s.path: s for s in _panel_of(here)}
        pairs += [(p, scenario_io.encode(specs.get(p), v, start)) for p, v in scenario_io.leaves(user)]
    return scenario_io.query_string(pairs)


def _panel_of(area_: catalog.Area) -> tuple[catalog.LeverSpec, ...]:
    children = float(catalog.get_path(area_.data(), "population.children", catalog.TYPICAL_LA_CHILDREN))
    return catalog.lever_panel(children)


def settings_from_link(query: str) -> tuple[Snapshot, list[str]]:
    """The settings a link's query string stands for, and one line per key that was not taken.

    Keys are taken one at a time, in the order area, preset, sample fraction, seed, then the
    changed values as the link lists them; each is checked as its box checks typed text, then by
    the schema with the keys taken before it. A key that fails is left at its default (the
    others are kept), and its line says why.
    """
    values, problems = scenario_io.parse_query(query)
    settings = default_settings()

    def refuse(line: str) -> None:
        problems.append(f"{line} (not taken: its default is used)")

    def take(key: str, candidate: Snapshot) -> None:
        lines = _problems_of(candidate)
        if lines:
            refuse("; ".join(lines))
        else:
            settings.update(candidate)

    for name, setting, choices in (
        (scenario_io.AREA, "area", catalog.list_areas()),
        (scenario_io.PRESET, "preset", catalog.list_presets()),
    ):
        if name in values:
            raw = values.pop(name)
            keys = [c.key for c in choices]
            if raw in keys:
                take(name, {**settings, setting: raw})
            else:
                refuse(
                    f"{setting} = {catalog.shown_text(raw)}: unknown {setting} "
                    f"(allowed: {catalog.some(keys)})"
                )
    if scenario_io.FRACTION in values:
        raw = values.pop(scenario_io.FRACTION)
        try:
            fraction = float(raw)
        except ValueError:
            fraction = math.nan
        if math.isfinite(fraction) and 0.0 < fraction <= 1.0:
            take(scenario_io.FRACTION, {**settings, "fraction": fraction})
        else:
            refuse(
                f"run.sample_fraction = {catalog.shown_text(raw)}: allowed: a share of families above 0 "
                "and at most 1"
            )
    if scenario_io.SEED in values:
        raw = values.pop(scenario_io.SEED)
        try:
            number = int(raw.strip())
        except ValueError:
            number = -1
        if 0 <= number <= SEED_MAX:
            take(scenario_io.SEED, {**settings, "seed": number})
        else:
            refuse(f"run.seed = {catalog.shown_text(raw)}: allowed: a whole number from 0 to {SEED_MAX}")
    if values:
        here = _area_of(settings["area"])
        specs = {s.path: s for s in _panel_of(here)}
        start = int(
            catalog.get_path(
                shown_values_for_settings(settings),
                "run.start_year",
                catalog.field_info("run.start_year")[0].get_default(),
            )
        )
        for path, raw in values.items():
            try:
                value = scenario_io.decode(path, raw, specs.get(path), start)
            except ValueError as err:
                refuse(str(err))
                continue
            take(path, {**settings, "overrides": catalog.set_path(settings["overrides"], path, value)})
    return settings, problems


def shown_values_for_settings(settings: Snapshot) -> dict[str, Any]:
    """The scenario dict of a set of settings (area, preset, then the user's changes)."""
    return deep_merge(
        catalog.with_preset(_area_of(settings["area"]), _preset_of(settings["preset"])), settings["overrides"]
    )


@_guarded(scenario_io.LINK_FIELD)
def follow_link(query: str | None) -> bool:
    """Set what the page's link says (its query string) and run it; called when the page opens.

    An empty query, or the one of the settings in force, changes nothing (the page came back from
    another page of the app). A key the link gets wrong is left at its default, and a message
    says which and why (:func:`settings_from_link`); the other keys are taken.

    Returns:
        True if every key of the link was taken.
    """
    # called from the page's start-up effect: nothing read here subscribes the page (see start)
    with _unwatched():
        try:
            query = (query or "").lstrip("?")
            if not query or query == link_query(peek=True):
                return True
            settings, problems = settings_from_link(query)
            before = _snapshot()
            _restore(settings)
            if problems:
                _refuse(
                    scenario_io.LINK_FIELD,
                    [f"From the link: {p}" for p in problems],
                )
            else:
                _accept()
            request_runs(field=scenario_io.LINK_FIELD, undo=before)
            return not problems
        finally:
            link_followed.set(True)


# -- named runs: keep a result as A, B, C... and compare any two -------------------------------------


@_guarded("kept")
def keep_run() -> None:
    """Keep the result on screen under the next free letter (A, B, C...), with its settings."""
    now = outcome.peek()
    if now is None:
        _refuse("kept", ["There is no result on screen to keep yet."])
        return
    runs_ = [k for k in kept.peek() if k.outcome is not now]
    used = {k.name for k in runs_}
    name = next(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    sc = now.scenario_scenario
    used_settings = catalog.settings_in_use(sc, now.baseline_scenario)
    what = "; ".join(f"{label} {value}" for _, label, value in used_settings) or "the area as it is"
    label = f"{area(peek=True).label}, seed {now.scenario.meta.get('seed')}: {what}"
    paired = bands.peek()
    paired = paired if paired is not None and paired_money_for(now, paired) is not None else None
    runs_.append(KeptRun(name, label, now, dict(_snapshot()), paired))
    kept.set(runs_[-MAX_KEPT:])
    names = [k.name for k in kept.peek()]
    if len(names) >= 2:
        compared.set((names[-2], names[-1]))


def _refresh_kept(new: Bands) -> None:
    """A kept run of the result on screen takes its paired runs as they come in.

    A run kept before its paired runs were in would otherwise stay "1 run" for good, and a
    comparison of A and B set a median beside a single run.
    """
    now, runs_ = outcome.peek(), kept.peek()
    if now is None or not runs_ or paired_money_for(now, new) is None:
        return
    if any(k.outcome is now and k.bands is not new for k in runs_):
        kept.set([dataclasses.replace(k, bands=new) if k.outcome is now else k for k in runs_])


@_guarded("kept")
def compare_runs(first: str, second: str) -> None:
    """Show two kept runs side by side."""
    names = [k.name for k in kept.peek()]
    bad = [n for n in (first, second) if n not in names]
    if bad:
        _refuse("kept", [f"run {bad[0]!r}: not kept (kept: {', '.join(names) or 'none'})"])
        return
    compared.set((first, second))


@_guarded("kept")
def restore_run(name: str) -> None:
    """Put back the settings of a kept run (and run them again, from the cache if unchanged)."""
    run = next((k for k in kept.peek() if k.name == name), None)
    if run is None:
        _refuse("kept", [f"run {name!r}: not kept"])
        return
    before = _snapshot()
    _restore(run.settings)
    _accept()
    request_runs(field="kept", undo=before)


@_guarded("kept")
def forget_runs() -> None:
    """Clear the kept runs."""
    kept.set([])
    compared.set(None)
