"""The result views: baseline and scenario, overlaid or side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from simulator.app import catalog, charts, headlines, runs
from simulator.app.components.echarts import FigureEchartsJson, option_json
from simulator.app.components.explainer import Text
from simulator.app.finance_view import (
    NPV_WORDS,
    FinanceView,
    format_years,
    headline,
    money_text,
)
from simulator.app.state import Bands, Expected, KeptRun, Outcome, expected_key, paired_money_for
from simulator.finance.report import title_names


def _height(projector: bool, tall: bool = False) -> str:
    return f"{(520 if tall else 440) if projector else (400 if tall else 330)}px"


@solara.component
def Chart(
    option: dict[str, Any] | str, projector: bool, name: str, tall: bool = False, half: bool = False
) -> solara.Element:
    """One ECharts figure (drawn in the browser; its JavaScript is served locally).

    An option given as a dict is laid out here for its width (``half``: one of a pair side by
    side); one given as JSON text was laid out when it was built (:func:`laid_out`).
    """
    if isinstance(option, str):
        text = option
    else:
        text = laid_out(option, projector, half, tall)
    with solara.Div(classes=["chart", f"chart-{name}"]):
        FigureEchartsJson(text, _height(projector, tall))


def laid_out(option: dict[str, Any], projector: bool, half: bool = False, tall: bool = False) -> str:
    """A chart's option as JSON, its title and legend laid out for its size on the page."""
    width = charts.HALF_WIDTH if half else charts.FULL_WIDTH
    height = float(_height(projector, tall).removesuffix("px"))
    return option_json(charts.fit_layout(option, projector, width, height))


@solara.component
def RunStamp(outcome: Outcome | None, status: str) -> solara.Element:
    """What is on screen: run number, seed, engine time; and whether a newer run is on its way."""
    if outcome is None:
        text = "Running the first simulation..." if not status.startswith("error") else status
        solara.Text(text, classes=["run-stamp", "run-stamp-empty"])
        return
    s = outcome.scenario
    text = (
        f"Result {outcome.number} · {outcome.scenario_scenario.name} · seed {s.meta.get('seed')} · "
        f"{len(s.annual)} year{'s' if len(s.annual) != 1 else ''} · engine {s.seconds:.2f} s"
    )
    with solara.Row(gap="12px", style={"align-items": "center"}):
        solara.Text(text, classes=["run-stamp"])
        if status == "running":
            solara.Text(
                "updating...", classes=["run-busy"], style={"color": "#D55E00", "font-weight": "bold"}
            )
        elif status.startswith("error"):
            solara.Error(status, dense=True)


#: The charts of the paired runs' bands: title, annual column, chart name.
BAND_CHARTS = (
    ("Children looked after", "lac_31_march", "bands-lac"),
    ("Entries to care", "lac_starts", "bands-starts"),
)


@solara.component
def ExpectedChange(
    expected: Expected | None, outcome: Outcome | None, projector: bool, wanted: str = ""
) -> solara.Element:
    """The scenario's expected change from the baseline (aggregate view), with the run's own.

    The expected values come back in about 0.3 s at any size, so they show
    before the runs; the run's differences are drawn with them only when the run is of the
    same scenario (a newer lever position shows its expected change at once). When the run of
    the settings last asked for (``wanted``) is on screen before their expected values, the
    chart is another setting's: it is faded and marked as updating.
    """
    if expected is not None:
        # stale only once the run of the newer settings is on screen before their expected values
        # (a change of area, say): while both are on their way the chart stays as it is
        on_screen = None if outcome is None else expected_key(outcome.scenario_scenario)  # once a redraw
        stale = bool(wanted) and expected.key != wanted and on_screen == wanted
        if stale:
            solara.Text(
                "updating: this chart is of the previous settings",
                classes=["expected-stale"],
                style={"color": "#D55E00", "font-weight": "bold"},
            )
        with solara.Div(style={"opacity": "0.35"} if stale else {}):
            ExpectedChangeBody(expected, outcome, projector, on_screen == expected.key)


@solara.component
def ExpectedChangeBody(
    expected: Expected, outcome: Outcome | None, projector: bool, same: bool
) -> solara.Element:
    """The chart and note of :func:`ExpectedChange`; ``same``: the run on screen is of its scenario."""
    key = (
        expected.generation,
        id(expected),
        (outcome.generation, id(outcome)) if same and outcome else None,
        projector,
    )

    def build() -> str:
        runs = (outcome.baseline.annual, outcome.scenario.annual) if same and outcome else (None, None)
        return laid_out(
            charts.expected_chart(expected.baseline.annual, expected.scenario.annual, *runs, projector),
            projector,
        )

    opt = solara.use_memo(build, dependencies=list(key))
    Chart(opt, projector, "expected")
    note = (
        "Expected: worked out directly from the same rules (the aggregate view), close to the "
        "average of many runs (see the model card). Dotted: the run on screen, whose difference "
        "also holds chance."
    )
    if expected.left_out:
        names = ", ".join(expected.left_out)  # scenario fields (none now: every lever is in the view)
        note += f" The expected change leaves out {names}."
    solara.Text(note, classes=["expected-note"], style={"font-size": "0.9em"})


@solara.component
def Results(
    outcome: Outcome | None,
    bands: Bands | None,
    bands_status: str,
    overlay: bool,
    projector: bool,
    sankey_year: int | None,
    on_sankey_year: Callable[[int], Any],
    show_bands: bool = False,
) -> solara.Element:
    """Every chart for the outcome on screen (a progress bar until the first result)."""
    if outcome is None:
        solara.ProgressLinear(True)
        Preparing(runs.get_runner().ready())
        return
    ResultsBody(outcome, bands, bands_status, overlay, projector, sankey_year, on_sankey_year, show_bands)


@solara.component
def HeadlineCards(outcome: Outcome | None, bands: Bands | None, projector: bool) -> solara.Element:
    """The room's headline figures in cards across the top (paired runs' medians once in)."""
    if outcome is None:
        return
    fin = outcome.finance  # worked out once per result (Outcome.finance)
    money = paired_money_for(outcome, bands)
    big = "1.6em" if projector else "1.25em"
    with solara.Row(gap="8px", classes=["headline-cards"], style={"flex-wrap": "wrap"}):
        for card in headlines.cards(outcome, bands, fin, money):
            with solara.Div(
                classes=["headline-card"],
                style={
                    "border": "1px solid #ccc",
                    "border-radius": "6px",
                    "padding": "4px 10px",
                    "min-width": "150px",
                    "flex": "1 1 150px",
                },
            ):
                solara.Text(card.title, style={"font-size": "0.85em", "display": "block"})
                solara.Text(
                    card.value,
                    classes=["headline-value"],
                    style={"font-size": big, "font-weight": "bold", "display": "block"},
                )
                solara.Text(card.detail, style={"font-size": "0.75em", "display": "block", "color": "#555"})


@solara.component
def KeepButton(kept: list[KeptRun], on_keep: Callable[[], Any]) -> solara.Element:
    """Keep the result on screen under the next letter (to compare it with another later)."""
    names = {k.name for k in kept}
    nxt = next(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in names)
    solara.Button(f"Keep as run {nxt}", on_click=on_keep, outlined=True, classes=["keep-run"])


@solara.component
def KeptRuns(
    kept: list[KeptRun],
    compared: tuple[str, str] | None,
    on_compare: Callable[[str, str], Any],
    on_restore: Callable[[str], Any],
    on_forget: Callable[[], Any],
    projector: bool,
) -> solara.Element:
    """The runs kept as A, B, C...: any two compared side by side; back to one's settings."""
    names = [k.name for k in kept]
    if not kept:
        return
    with solara.Row(gap="8px", classes=["kept-runs"], style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(f"Kept runs: {', '.join(names)}", style={"font-weight": "bold"})
        for k in kept:
            solara.Button(
                f"Back to {k.name}",
                on_click=lambda name=k.name: on_restore(name),
                text=True,
                classes=[f"restore-run-{k.name}"],
            )
        if kept:
            solara.Button("Forget kept runs", on_click=on_forget, text=True, classes=["forget-runs"])
    if len(names) >= 2:
        first, second = compared or (names[-2], names[-1])
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Select("Compare", value=first, values=names, on_value=lambda v: on_compare(v, second))
            solara.Select("with", value=second, values=names, on_value=lambda v: on_compare(first, v))
        CompareRuns(
            [k for k in kept if k.name == first][0], [k for k in kept if k.name == second][0], projector
        )


@solara.component
def CompareRuns(a: KeptRun, b: KeptRun, projector: bool) -> solara.Element:
    """Two kept runs side by side.

    What each changes, its headline cards, and their care and unmet need on one chart.
    """

    def figures() -> list[list[headlines.Card]]:
        out = []
        for run in (a, b):
            o = run.outcome
            fin = o.finance
            money = paired_money_for(o, run.bands)
            out.append(headlines.cards(o, run.bands if money else None, fin, money))
        return out

    cards = solara.use_memo(figures, dependencies=[id(a), id(b)])
    with solara.Columns([1, 1], classes=["compare-runs"]):
        for run, run_cards in zip((a, b), cards, strict=True):
            with solara.Column(gap="4px", classes=[f"compare-{run.name}"]):
                solara.Text(f"Run {run.name}: {run.label}", style={"font-weight": "bold"})
                for card in run_cards:
                    solara.Text(
                        f"{card.title}: {card.value} ({card.detail})",
                        classes=["compare-card"],
                        style={"display": "block", "font-size": "0.9em"},
                    )
    frames = {
        f"Run {a.name}": a.outcome.scenario.annual,
        f"Run {b.name}": b.outcome.scenario.annual,
        f"Run {a.name}'s baseline": a.outcome.baseline.annual,
    }
    if b.outcome.baseline_scenario != a.outcome.baseline_scenario:
        frames[f"Run {b.name}'s baseline"] = b.outcome.baseline.annual
    if len({len(f) for f in frames.values()}) == 1:
        with solara.Columns([1, 1]):
            Chart(
                charts.runs_chart("Children in care at 31 March", "lac_31_march", frames, projector),
                projector,
                "compare-lac",
                half=True,
            )
            Chart(
                charts.runs_chart(
                    "Unmet high need at 31 March (children)", "unmet_high_need_31_march", frames, projector
                ),
                projector,
                "compare-unmet",
                half=True,
            )
    else:
        solara.Text("The two runs cover different years: their figures are above, not on one chart.")


@solara.component
def PrintSummary(outcome: Outcome | None, area_label: str) -> solara.Element:
    """The heading of the printed one-page summary (on paper only; the screen has the panel).

    The scenario, its area and seed, and every setting it changes from the area as it is.
    """
    if outcome is None:
        return
    sc = outcome.scenario_scenario
    used = catalog.settings_in_use(sc, outcome.baseline_scenario)
    with solara.Div(classes=["print-only", "print-summary"]):
        Text(
            f"### What if: {area_label}, {sc.run.start_year}-{sc.run.start_year + sc.run.years}\n"
            f"**{title_names(sc.name, outcome.baseline_scenario.name)[0]}** against the area as it "
            f"is; seed {outcome.scenario.meta.get('seed')}, model version "
            f"{outcome.scenario.meta.get('version', '')} (scenario file name {sc.name})"
        )
        if used:
            rows = "\n".join(f"| {label} | {value} |" for _, label, value in used)
            Text(f"| Setting changed | Value |\n|---|---|\n{rows}")
        else:
            Text("No setting changed: the area as it is.")


@solara.component
def StartHint() -> solara.Element:
    """What a room sees before any change: where to start."""
    solara.Info(
        "Move a lever on the left (or choose a preset): the charts then compare your scenario with "
        "the area as it is, and the cards above give its effect on care, cost and unmet need.",
        classes=["start-hint"],
    )


@solara.component
def Preparing(ready: bool) -> solara.Element:
    """What the page is doing before its first result (on a first start: compiling the engine)."""
    if ready:
        text = "Running the area as it is and the scenario: the charts appear here in a moment."
    else:
        text = (
            "Preparing the model: the first start after installing compiles the engine (about a "
            "minute on a 2-core machine; later starts take seconds). The results appear here by "
            "themselves; nothing needs pressing."
        )
    solara.Info(text, classes=["preparing"])


@solara.component
def MoneyHeadline(
    outcome: Outcome, bands: Bands | None, bands_status: str, fin: FinanceView
) -> solara.Element:
    """Payback and NPV as the median and P10-P90 of the paired runs, with their number.

    Until the paired runs are in, the single run's figures are shown as one run, with the work
    under way named.
    """
    money = paired_money_for(outcome, bands)
    if money is not None and bands is not None and not any(money.npv().values()):
        text = f"No change in cost from the baseline ({money.runs} paired runs): nothing to pay back"
    elif money is not None and bands is not None:
        text = headline(money, outcome.scenario_scenario.run.start_year)
        if not bands.complete:
            text += f" (refining: {bands.target} runs on the way)"
    else:
        pay = f"Payback (cash): {format_years(fin.payback_years, outcome.scenario_scenario.run.start_year)}"
        text = (
            f"{pay} · {NPV_WORDS} {money_text(fin.npv)} · from 1 run only"
            f"{' (' + bands_status + ')' if bands_status else ''}"
        )
    solara.Text(text, classes=["money-headline"], style={"font-size": "1.05em", "font-weight": "bold"})


@solara.component
def ResultsBody(
    outcome: Outcome,
    bands: Bands | None,
    bands_status: str,
    overlay: bool,
    projector: bool,
    sankey_year: int | None,
    on_sankey_year: Callable[[int], Any],
    show_bands: bool = False,
) -> solara.Element:
    """The charts of one outcome."""
    base, scen = outcome.baseline, outcome.scenario
    key = (outcome.generation, id(outcome), projector, overlay)

    fin = outcome.finance  # worked out once per result (Outcome.finance)

    def build() -> dict[str, dict[str, Any]]:
        ba, sa = base.annual, scen.annual
        opts = {
            "entries": charts.pair_chart(
                "Entries to care (children starting care a year)", "lac_starts", ba, sa, projector
            ),
            "unmet": charts.pair_chart(
                "Unmet high need at 31 March (families not served)",
                "unmet_high_need_31_march",
                ba,
                sa,
                projector,
            ),
            "costs": charts.costs_chart(fin, projector),
            "cumulative": charts.cumulative_chart(fin, projector),
            "equity": charts.equity_chart(base.equity, scen.equity, None, "lac", projector),
            "equity_unmet": charts.equity_chart(base.equity, scen.equity, None, "unmet_high_need", projector),
        }
        prev = outcome.previous.annual if outcome.previous is not None else None
        if overlay:
            opts["states"] = charts.state_chart(ba, sa, projector, previous=prev)
        else:
            opts["states_base"] = charts.state_chart(ba, sa, projector, only="baseline")
            opts["states_scen"] = charts.state_chart(ba, sa, projector, only="scenario", previous=prev)
            top = max(max(ba[c].max(), sa[c].max()) for c in charts.STATE_SERIES)
            for k in ("states_base", "states_scen"):
                opts[k]["yAxis"]["max"] = float(round(top * 1.05))
        tall = ("states", "states_base", "states_scen")
        laid = {k: laid_out(o, projector, half=k != "states", tall=k in tall) for k, o in opts.items()}
        return laid

    opts = solara.use_memo(build, dependencies=list(key))
    money = paired_money_for(outcome, bands)
    cumulative = solara.use_memo(
        lambda: laid_out(
            charts.cumulative_chart(fin, projector, money.monte_carlo.curves if money else None),
            projector,
            half=True,
        ),
        dependencies=[*key, id(money)],
    )
    years = base.annual["year"].tolist()
    year = sankey_year if sankey_year in years else years[min(4, len(years) - 1)]
    sankeys = solara.use_memo(
        lambda: tuple(
            charts.sankey_chart(run.monthly, year, f"{name}: movements in {year}", projector)
            for name, run in (("Baseline", base), ("Scenario", scen))
        ),
        dependencies=[*key, year],
    )
    with solara.Column(gap="12px", classes=["results"]):
        if overlay:
            Chart(opts["states"], projector, "states", tall=True)
        else:
            with solara.Columns([1, 1]):
                Chart(opts["states_base"], projector, "states-baseline", tall=True)
                Chart(opts["states_scen"], projector, "states-scenario", tall=True)
        with solara.Columns([1, 1]):
            Chart(opts["entries"], projector, "entries")
            Chart(opts["unmet"], projector, "unmet")
        MoneyHeadline(outcome, bands, bands_status, fin)
        with solara.Columns([1, 1]):
            Chart(opts["costs"], projector, "costs")
            Chart(cumulative, projector, "cumulative")
        solara.Text(
            f"Charts of costs: the run on screen (seed {outcome.scenario.meta.get('seed')}); "
            f"figures: {fin.source}. {fin.note} The cards above give the paired runs' median; the "
            "finance workbook's central estimate is their mean, with the percentiles beside it.",
            classes=["finance-note"],
            style={"font-size": "0.9em"},
        )
        with solara.Columns([1, 1]):
            Chart(opts["equity"], projector, "equity")
            Chart(opts["equity_unmet"], projector, "equity-unmet")
        if bands is not None and show_bands:
            with solara.Columns([1, 1]):
                for title, column, key in BAND_CHARTS:
                    annual = [b.annual for b in bands.baseline], [s.annual for s in bands.scenario]
                    Chart(charts.band_chart(title, column, *annual, projector), projector, key, half=True)
        elif bands_status and show_bands:
            solara.Text(f"Bands: {bands_status}...", classes=["bands-status"])
        solara.SliderInt(
            "Year of the movement diagram",
            value=year,
            min=years[0],
            max=years[-1],
            on_value=on_sankey_year,
            tick_labels=False,
            thumb_label="always",
        )
        with solara.Columns([1, 1]):
            Chart(
                sankeys[0],
                projector,
                "sankey-baseline",
                tall=True,
                half=True,
            )
            Chart(
                sankeys[1],
                projector,
                "sankey-scenario",
                tall=True,
                half=True,
            )
