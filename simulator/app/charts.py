"""ECharts options built from the results: plain dicts, no UI, so they are easy to test.

ECharts' JavaScript ships with ``solara-assets`` (``share/solara/cdn/echarts@5.4.0``) and
draws in the browser, so a redraw costs the server only the building of these dicts and
the page needs no internet. Baseline is drawn dashed and scenario solid, in the same
colour per state, so the two read as a pair when overlaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.app.finance_view import LINE_LABELS, LINES, FinanceView
from simulator.finance.uncertainty import percentiles
from simulator.recording import FLOW_NAMES

#: Children in each state at 31 March (annual table columns) and their labels.
STATE_SERIES = {
    "early_help_31_march": "Early help",
    "cin_plans_31_march": "Child in need",
    "cp_31_march": "Protection plan",
    "lac_31_march": "Looked after",
}
STATE_LABELS = {
    "UNIVERSAL": "Universal",
    "EARLY_HELP": "Early help",
    "CIN": "Child in need",
    "CP": "Protection plan",
    "LAC": "Looked after",
    "IN": "Arrived",
    "OUT": "Left",
}
# Okabe-Ito colours: distinguishable with colour-blindness and on a projector
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
LINE_COLOURS = dict(zip(LINES, ["#56B4E9", "#0072B2", "#D55E00", "#009E73", "#CC79A7"], strict=True))


def _style(projector: bool) -> dict[str, Any]:
    size = 20 if projector else 13
    return {"textStyle": {"fontSize": size, "color": "#000" if projector else "#222"}, "animation": False}


def _axis_font(projector: bool) -> dict[str, Any]:
    return {"fontSize": 18 if projector else 12, "color": "#000" if projector else "#333"}


def _base(title: str, projector: bool, years: Sequence[int], y_name: str = "") -> dict[str, Any]:
    size = 24 if projector else 15
    return {
        **_style(projector),
        "title": {"text": title, "left": 8, "top": 4, "textStyle": {"fontSize": size, "fontWeight": "bold"}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 34 if not projector else 44, "textStyle": _axis_font(projector), "type": "plain"},
        "grid": {
            "left": 70 if not projector else 100,
            "right": 24,
            "top": 80 if not projector else 110,
            "bottom": 36 if not projector else 60,
        },
        "xAxis": {
            "type": "category",
            "data": [str(y) for y in years],
            # clear of the y axis' lowest label, which sits on the x axis
            "axisLabel": {**_axis_font(projector), "margin": 14 if projector else 10},
        },
        "yAxis": {
            "type": "value",
            "name": y_name,
            "nameTextStyle": _axis_font(projector),
            "axisLabel": _axis_font(projector),
            "scale": False,
        },
    }


#: The width of the results column at 1280 px (the projector's), in px: a chart across it, and one
#: of a pair side by side. Titles and legends are laid out to fit these (below).
FULL_WIDTH, HALF_WIDTH = 880, 430
#: Average width of a character of the charts' type, as a share of the font size (Roboto).
CHAR_WIDTH = 0.56


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Words of ``text`` in lines no wider than ``width`` px (a word longer than that alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _legend_rows(names: Sequence[str], size: float, width: float) -> int:
    """Rows an ECharts plain legend takes for ``names`` in ``width`` px (it wraps, never pages)."""
    rows, used = 1, 0.0
    for name in names:
        item = 25 + 5 + _text_width(name, size) + 10  # icon, gap, text, item gap
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def fit_layout(
    opt: dict[str, Any], projector: bool, width: float = FULL_WIDTH, height: float = 330
) -> dict[str, Any]:
    """Lay out a chart's title and legend for a chart ``width`` x ``height`` px: nothing clipped.

    The title wraps onto as many lines as it needs; the legend is a plain one (every series
    shown, on as many rows as they need, never paged) below the title; the plot starts below
    the legend, with as many value labels as its height holds apart.
    """
    title = opt.get("title", {})
    size = float(title.get("textStyle", {}).get("fontSize", 15))
    lines = _wrap(str(title.get("text", "")), size, width - 16)
    title["text"] = "\n".join(lines)
    title.setdefault("textStyle", {})["lineHeight"] = size + 6
    top = 4 + len(lines) * (size + 6)
    if title.get("subtext"):  # a line under the title, in smaller type, wrapped the same way
        sub = max(12.0, round(size * 0.75))
        sub_lines = _wrap(str(title["subtext"]), sub, width - 16)
        title["subtext"] = "\n".join(sub_lines)
        title["subtextStyle"] = {"fontSize": sub, "lineHeight": sub + 4, "color": "#333"}
        title["itemGap"] = 4
        top += 4 + len(sub_lines) * (sub + 4)
    legend = opt.get("legend")
    if legend is None or not opt.get("series") or opt["series"][0].get("type") == "sankey":
        return opt
    names = list(dict.fromkeys(legend.get("data") or [s.get("name", "") for s in opt["series"]]))
    font = float(legend.get("textStyle", {}).get("fontSize", 12))
    legend.update({"type": "plain", "top": top, "left": 8, "right": 8})
    row = font + 10
    grid = opt.setdefault("grid", {})
    grid["top"] = top + _legend_rows(names, font, width - 16) * row + (font + 12)  # and the axis name
    plot = height - grid["top"] - float(grid.get("bottom", 36))
    y = opt.get("yAxis")
    if isinstance(y, dict) and y.get("type") == "value":
        y["splitNumber"] = int(max(2, min(5, plot // (2.4 * font))))
    return opt


def _round(values: Any, digits: int = 1) -> list[float]:
    return [round(float(v), digits) for v in values]


def _line(name: str, values: Any, colour: str, dashed: bool, width: float = 2.5) -> dict[str, Any]:
    return {
        "name": name,
        "type": "line",
        "data": _round(values),
        "showSymbol": False,
        "lineStyle": {"width": width, "type": "dashed" if dashed else "solid", "color": colour},
        "itemStyle": {"color": colour},
    }


def state_chart(
    base: pd.DataFrame,
    scen: pd.DataFrame | None,
    projector: bool = False,
    only: str | None = None,
    previous: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Children by state at 31 March each year; baseline dashed, scenario solid.

    Args:
        base: the baseline's annual table.
        scen: the scenario's annual table (None: baseline only).
        projector: large type.
        only: ``"baseline"`` or ``"scenario"`` to draw one of them (side-by-side mode).
        previous: the scenario on screen before this one, drawn faint (one key entry).
    """
    years = base["year"].tolist()
    title = {"baseline": "Baseline: children by service", "scenario": "Scenario: children by service"}.get(
        only or "", "Children by service at 31 March"
    )
    opt = _base(title, projector, years, "children")
    series = []
    for i, (col, label) in enumerate(STATE_SERIES.items()):
        if only in (None, "baseline"):
            series.append(
                _line(
                    f"{label} (baseline)" if only is None else label,
                    base[col],
                    PALETTE[i],
                    dashed=only is None,
                )
            )
        if scen is not None and only in (None, "scenario"):
            series.append(_line(label if only else f"{label} (scenario)", scen[col], PALETTE[i], False))
        if previous is not None and only in (None, "scenario"):
            faint = _line("Previous run", previous[col], PALETTE[i], False, 2.0)
            faint["lineStyle"]["opacity"] = 0.3
            faint["itemStyle"]["opacity"] = 0.3
            series.append(faint)
    opt["series"] = series
    return opt


def runs_chart(
    title: str, column: str, runs: dict[str, pd.DataFrame], projector: bool = False
) -> dict[str, Any]:
    """One measure for named runs over the years (kept runs compared; baselines dashed)."""
    first = next(iter(runs.values()))
    opt = _base(title, projector, first["year"].tolist(), "children")
    opt["series"] = [
        _line(name, frame[column], PALETTE[i % len(PALETTE)], "baseline" in name, 3)
        for i, (name, frame) in enumerate(runs.items())
    ]
    return opt


def expected_chart(
    exp_base: pd.DataFrame,
    exp_scen: pd.DataFrame,
    run_base: pd.DataFrame | None = None,
    run_scen: pd.DataFrame | None = None,
    projector: bool = False,
) -> dict[str, Any]:
    """The scenario's expected change from the baseline by state at 31 March (aggregate view).

    Solid: expected values (no chance variation). Dotted, if given: the runs on screen, whose
    difference also holds chance; the gap between the two is that chance.
    """
    years = exp_base["year"].tolist()
    opt = _base("Expected change from the baseline at 31 March (no chance)", projector, years, "children")
    series = []
    for i, (col, label) in enumerate(STATE_SERIES.items()):
        series.append(
            _line(
                f"{label} (expected)",
                exp_scen[col].to_numpy() - exp_base[col].to_numpy(),
                PALETTE[i],
                False,
                3,
            )
        )
        if run_base is not None and run_scen is not None:
            line = _line(
                f"{label} (this run)",
                run_scen[col].to_numpy() - run_base[col].to_numpy(),
                PALETTE[i],
                False,
                1.5,
            )
            line["lineStyle"]["type"] = "dotted"
            series.append(line)
    opt["series"] = series
    return opt


def pair_chart(
    title: str,
    column: str,
    base: pd.DataFrame,
    scen: pd.DataFrame | None,
    projector: bool = False,
    y_name: str = "children",
    bars: bool = False,
) -> dict[str, Any]:
    """One measure for baseline and scenario over the years (lines or bars)."""
    years = base["year"].tolist()
    opt = _base(title, projector, years, y_name)
    if bars:
        series = [
            {
                "name": "Baseline",
                "type": "bar",
                "data": _round(base[column]),
                "itemStyle": {"color": "#9E9E9E"},
            }
        ]
        if scen is not None:
            series.append(
                {
                    "name": "Scenario",
                    "type": "bar",
                    "data": _round(scen[column]),
                    "itemStyle": {"color": PALETTE[0]},
                }
            )
    else:
        series = [_line("Baseline", base[column], "#555555", True)]
        if scen is not None:
            series.append(_line("Scenario", scen[column], PALETTE[3], False, 3))
    opt["series"] = series
    return opt


def band_chart(
    title: str,
    column: str,
    base_runs: Sequence[pd.DataFrame],
    scen_runs: Sequence[pd.DataFrame],
    projector: bool = False,
    low: float = 10,
    high: float = 90,
) -> dict[str, Any]:
    """Median and a percentile band over seeds for baseline and scenario."""
    years = base_runs[0]["year"].tolist()
    opt = _base(f"{title} ({len(base_runs)} seeds, {low:g}-{high:g}% band)", projector, years, "children")
    series: list[dict[str, Any]] = []
    for name, runs, colour in (("Baseline", base_runs, "#555555"), ("Scenario", scen_runs, PALETTE[3])):
        if not runs:
            continue
        m = np.vstack([r[column].to_numpy(float) for r in runs])
        lo, med, hi = percentiles(m, [low, 50, high], axis=0)
        stack = f"band-{name}"
        series.append(
            {
                "name": f"{name} {low:g}%",
                "type": "line",
                "data": _round(lo),
                "stack": stack,
                "lineStyle": {"opacity": 0},
                "showSymbol": False,
                "silent": True,
                "areaStyle": {"opacity": 0},
                "itemStyle": {"color": colour},
            }
        )
        series.append(
            {
                "name": f"{name} range",
                "type": "line",
                "data": _round(hi - lo),
                "stack": stack,
                "lineStyle": {"opacity": 0},
                "showSymbol": False,
                "silent": True,
                "areaStyle": {"color": colour, "opacity": 0.25},
                "itemStyle": {"color": colour},
            }
        )
        series.append(_line(f"{name} median", med, colour, name == "Baseline"))
    opt["series"] = series
    opt["legend"]["data"] = [s["name"] for s in series if not s["name"].endswith(f"{low:g}%")]
    return opt


def costs_chart(view: FinanceView, projector: bool = False) -> dict[str, Any]:
    """Cost by budget line each year: baseline and scenario stacks side by side (GBP m)."""
    opt = _base("Costs by budget line (£m a year)", projector, view.years, "£m")
    opt["title"]["subtext"] = "Each year: left bar the baseline (faded), right bar the scenario"
    series = []
    for which, frame in (("Baseline", view.baseline), ("Scenario", view.scenario)):
        for line in LINES:
            series.append(
                {
                    "name": LINE_LABELS[line],
                    "type": "bar",
                    "stack": which,
                    "data": _round(frame[line] / 1e6, 2),
                    "itemStyle": {
                        "color": LINE_COLOURS[line],
                        "opacity": 0.55 if which == "Baseline" else 1.0,
                        "borderColor": "#333" if which == "Baseline" else None,
                    },
                }
            )
    opt["series"] = series
    opt["legend"]["data"] = [LINE_LABELS[x] for x in LINES]
    opt["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    return opt


def cumulative_chart(
    view: FinanceView, projector: bool = False, curves: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Cumulative net cost of the scenario against the baseline, break-even and payback marked.

    ``curves`` (years x paired runs, GBP): the paired runs' cumulative net costs, drawn as their
    median and P10-P90 band around the run on screen.
    """
    opt = _base("Cumulative net cost (£m)", projector, view.years, "£m")
    opt["title"]["subtext"] = "The scenario less the baseline, added up year by year"
    data = _round(view.cumulative_net / 1e6, 3)
    marks: list[dict[str, Any]] = [
        {
            "yAxis": 0,
            "name": "break-even line",
            "lineStyle": {"color": "#000", "type": "solid", "width": 1.5},
            "label": {
                "formatter": "break-even",
                "position": "insideStartTop",
                "fontSize": 16 if projector else 11,
            },
        }
    ]
    points = []
    if view.payback_year is not None:
        marks.append(
            {
                "xAxis": str(view.payback_year),
                "name": "payback",
                "lineStyle": {"color": PALETTE[2], "type": "dashed", "width": 2},
                "label": {
                    "formatter": f"payback {view.payback_year}",
                    "position": "insideEndTop",
                    "fontSize": 16 if projector else 11,
                },
            }
        )
        i = view.years.index(view.payback_year)
        points.append(
            {
                "coord": [str(view.payback_year), data[i]],
                "value": "breaks even",
                "itemStyle": {"color": PALETTE[2]},
            }
        )
    series = {
        "name": "Cumulative net cost",
        "type": "line",
        "data": data,
        "showSymbol": True,
        "symbolSize": 6,
        "lineStyle": {"width": 3, "color": PALETTE[3]},
        "itemStyle": {"color": PALETTE[3]},
        "areaStyle": {"color": PALETTE[3], "opacity": 0.08},
        "markLine": {"symbol": "none", "data": marks, "silent": True},
    }
    if points:
        series["markPoint"] = {
            "data": points,
            "symbolSize": 60 if projector else 45,
            "label": {"fontSize": 12 if projector else 9},
        }
    opt["series"] = [
        series,
        {
            "name": "Net cost in the year",
            "type": "bar",
            "data": _round(view.net / 1e6, 3),
            "itemStyle": {"color": "#9E9E9E"},
        },
    ]
    if curves is not None and curves.shape[1] > 1:
        c = curves.reindex(view.years).to_numpy(float) / 1e6
        lo, med, hi = percentiles(c, [10, 50, 90], axis=1)
        series["name"] = "This run"
        opt["series"] += [
            {
                "name": "P10",
                "type": "line",
                "data": _round(lo, 3),
                "stack": "money-band",
                "silent": True,
                "lineStyle": {"opacity": 0},
                "showSymbol": False,
                "areaStyle": {"opacity": 0},
                "itemStyle": {"color": PALETTE[3]},
            },
            {
                "name": f"P10-P90 of {c.shape[1]} paired runs",
                "type": "line",
                "data": _round(hi - lo, 3),
                "stack": "money-band",
                "silent": True,
                "lineStyle": {"opacity": 0},
                "showSymbol": False,
                "areaStyle": {"color": PALETTE[3], "opacity": 0.2},
                "itemStyle": {"color": PALETTE[3]},
            },
            {**_line(f"Median of {c.shape[1]} paired runs", med, PALETTE[3], True), "data": _round(med, 3)},
        ]
        opt["title"]["subtext"] = (
            "The scenario less the baseline, added up: this run, and the median and P10-P90 of the "
            "paired runs"
        )
        opt.setdefault("legend", {})["data"] = [s["name"] for s in opt["series"] if s["name"] != "P10"]
    return opt


def equity_chart(
    base_eq: pd.DataFrame,
    scen_eq: pd.DataFrame | None,
    year: int | None = None,
    measure: str = "lac",
    projector: bool = False,
) -> dict[str, Any]:
    """A measure per 10,000 children by deprivation quintile in one year (1 = most deprived)."""
    year = int(year if year is not None else base_eq["year"].max())
    labels = {
        "lac": "in care",
        "cp": "on protection plans",
        "cin": "on CIN plans",
        "early_help": "in early help",
        "unmet_high_need": "with unmet high need",
    }
    opt = _base(
        f"Children {labels.get(measure, measure)} per 10,000 by deprivation quintile "
        f"(Q1 most deprived), {year}",
        projector,
        [f"Q{q}" for q in range(1, 6)],
        "per 10,000",
    )
    opt["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    # every quintile labelled (ECharts drops labels it thinks crowded); which end is which: the title
    opt["xAxis"]["axisLabel"] = {**opt["xAxis"].get("axisLabel", {}), "interval": 0}
    series = []
    for name, eq, colour in (("Baseline", base_eq, "#9E9E9E"), ("Scenario", scen_eq, PALETTE[0])):
        if eq is None or eq.empty:
            continue
        row = eq[eq["year"] == year].sort_values("deprivation_quintile")
        rate = row[measure] / row["children"].where(row["children"] > 0) * 10_000
        series.append(
            {"name": name, "type": "bar", "data": _round(rate.fillna(0)), "itemStyle": {"color": colour}}
        )
    opt["series"] = series
    return opt


def sankey_chart(
    monthly: pd.DataFrame,
    year: int,
    title: str,
    projector: bool = False,
    include_universal_stays: bool = False,
) -> dict[str, Any]:
    """Movements between states over one reporting year (children), as a Sankey diagram.

    Nodes on the left are where children were, on the right where they went; staying
    put is left out (it would dwarf every movement), as are arrivals into and
    departures from universal services unless asked for.
    """
    pairs = [
        (a, b)
        for a in FLOW_NAMES
        for b in FLOW_NAMES
        if a != b
        and (include_universal_stays or not {a, b} <= {"UNIVERSAL", "IN", "OUT"})
        and f"flow_{a}_{b}" in monthly
    ]
    cols = [f"flow_{a}_{b}" for a, b in pairs]
    # the year's totals of every flow at once (a column at a time took most of the chart's time)
    sums = monthly.loc[(monthly["reporting_year"] == year).to_numpy(), cols].to_numpy(dtype=float).sum(axis=0)
    links = []
    for (a, b), value in zip(pairs, sums.tolist(), strict=True):
        if value >= 0.5:
            links.append(
                {"source": f"{STATE_LABELS[a]} ·", "target": f"· {STATE_LABELS[b]}", "value": round(value)}
            )
    used = {x["source"] for x in links} | {x["target"] for x in links}
    nodes = []
    for i, s in enumerate(FLOW_NAMES):
        for name in (f"{STATE_LABELS[s]} ·", f"· {STATE_LABELS[s]}"):
            if name in used:
                nodes.append({"name": name, "itemStyle": {"color": (["#BDBDBD"] + PALETTE)[i % 8]}})
    return {
        **_style(projector),
        "title": {
            "text": title,
            "left": 8,
            "top": 4,
            "textStyle": {"fontSize": 22 if projector else 15, "fontWeight": "bold"},
        },
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "sankey",
                "top": 50 if not projector else 70,
                "bottom": 20,
                "left": 20,
                "right": 140,
                "nodeAlign": "justify",
                "emphasis": {"focus": "adjacency"},
                "label": {"fontSize": 16 if projector else 12, "color": "#000"},
                "lineStyle": {"color": "gradient", "opacity": 0.45},
                "data": nodes,
                "links": links,
            }
        ],
    }
