"""Calibrate the model to a named local authority from its published figures.

Targets (``shared/data/la_cla_rates_2024.csv``, DfE [CLA] 2024): children looked after
at 31 March, children starting and ceasing to be looked after in the year, and the
child population; optionally the authority's own figures for children in need, on
protection plans, referrals and unit costs (a small TOML or CSV file, see
:func:`read_user_figures`).

What is fitted, and why these: the child population and the starting stocks are set
from the figures; two scale factors move the rates that decide the care figures
- ``entry_scale`` multiplies every route into care (from CIN plans, from protection
  plans, emergency removal after a section 47 enquiry, removal at birth, and arrivals of
  unaccompanied asylum-seeking children), so it sets starts;
- ``duration_scale`` multiplies the median times in care before each kind of exit,
  so, with the stock, it sets ceases.
The starting care stock is chosen so the stock at the end of the first simulated year
matches the published one. Referral rates are scaled to a user's referral figure if
given. Nothing else changes: every other rate is the England default.

Method: starts and ceases are linear in the entry scale and the starting stock for a
given duration scale (the care block of :mod:`simulator.aggregate`), so for each
duration scale on a grid the other two are solved exactly and the grid point whose
ceases fit best is kept. The fit is then checked with the full aggregate view (one
run; one correction step if needed) and, on request, with the agent-based model.

Example:
    >>> fit = calibrate_la("Kent")
    >>> fit.report()             # target, model, error per figure
    >>> fit.write("scenarios/la/kent.toml")
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator import aggregate as ag
from simulator.agents import kernel as kn
from simulator.agents.services import yearly_parameters
from simulator.aggregate.care import uasc_exits
from simulator.processes import map_in_processes
from simulator.safe_io import OutputError, check_output_file, write_text
from simulator.schema import (
    MAX_CHILDREN,
    MAX_COST_PER_YEAR,
    Scenario,
    ScenarioError,
    _base_roots,
    load_scenario,
    read_scenario_dict,
    read_text,
    read_toml,
    with_overrides,
)

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
MEASURES = {
    "Children looked after at 31 March each year": "lac_31_march",
    "Children starting to be looked after each year": "lac_starts",
    "Children ceasing to be looked after each year": "lac_ceases",
}
#: Acceptance (issue 7): each care figure within this share after fitting.
TOLERANCE = 0.10
#: Duration scales tried (log-spaced, 6% apart): durations from a tenth to eight times England's.
DURATION_GRID = np.exp(np.linspace(math.log(0.1), math.log(8.0), 76))
#: UASC share of the looked-after stock in England, 2024 ([CLA]: 7,380 of 83,630); used for every LA
#: (LA figures for UASC are not in shared/data).
UASC_SHARE_OF_STOCK = 7_380 / 83_630
USER_KEYS = {"cin_31_march", "cp_31_march", "referrals"}
_UASC_NOTE = {
    "share": "arrivals assumed at England's share of starts (22%), not published by LA (assumption).",
    "england": "arrivals assumed at England's rate per child (6.06 per 10k); at England's share of starts "
    "the figures could not be fitted (assumption).",
    "none": "no arrivals assumed: at England's share of starts or rate per child the figures could not "
    "be fitted, with none they could (assumption).",
}


# -- the published figures ----------------------------------------------------------------------


def la_table(path: str | Path | None = None) -> pd.DataFrame:
    """One row per local authority: name, code, region, child population and the three care figures.

    ``has_data`` is False where a figure is suppressed or the authority has no children
    looked after (nothing to fit).
    """
    raw = pd.read_csv(path or DATA / "la_cla_rates_2024.csv", dtype=str)
    raw = raw[raw["level"] == "Local authority"]
    raw = raw[raw["measure"].isin(MEASURES)]
    raw = raw.assign(
        number=pd.to_numeric(raw["number"], errors="coerce"),
        child_population=pd.to_numeric(raw["child_population"], errors="coerce"),
    )
    wide = raw.pivot(index="la_code", columns="measure", values="number").rename(columns=MEASURES)
    info = raw.groupby("la_code")[["la_name", "region", "child_population"]].first()
    out = info.join(wide).reset_index()
    out.columns.name = None
    out["has_data"] = (
        out[list(MEASURES.values())].notna().all(axis=1)
        & (out["lac_31_march"] > 0)
        & out["child_population"].notna()
    )
    return out[["la_name", "la_code", "region", "child_population", *MEASURES.values(), "has_data"]]


#: The style of an official name's suffix ("Bristol, City of") and of a prefix a user may write
#: instead ("City of Bristol"): ignored when matching a name.
_NAME_SUFFIX = re.compile(r",\s*(city|county) of$")
_NAME_PREFIX = re.compile(r"^(city|county) of ")
#: Most candidates named when a name matches several authorities.
MAX_CANDIDATES = 8


def _name_key(name: str) -> str:
    """A name as matched: lower case, "&" as "and", no punctuation, no ", City of" style suffix.

    "Bristol, City of" and "bristol" give "bristol"; "St. Helens" and "St Helens" give
    "st helens"; "Stockton-on-Tees" gives "stockton on tees".
    """
    key = _NAME_SUFFIX.sub("", " ".join(name.lower().replace("&", " and ").split()))
    return " ".join(re.sub(r"[^\w\s]", " ", key).split())


def _quoted(names: Sequence[str]) -> str:
    """Names for a message, each quoted and separated by semicolons (names contain commas)."""
    shown = "; ".join(repr(n) for n in names[:MAX_CANDIDATES]) or "none"
    return shown + (f" and {len(names) - MAX_CANDIDATES} more" if len(names) > MAX_CANDIDATES else "")


def find_la(name: str, table: pd.DataFrame | None = None) -> pd.Series:
    """The row of a named LA, or a one-line error naming the candidates or close matches.

    ``name`` is a published name or code (case and spacing ignored), or else a name that,
    ignoring also punctuation and a suffix such as ", City of" ("City of Bristol" as well),
    identifies exactly one authority, whole ("Bristol", "Herefordshire", "St Helens") or as its
    first words ("Brighton": "Brighton and Hove"). The caller says which authority was chosen
    when the row's ``la_name`` is not ``name``.

    Raises:
        ScenarioError: no authority of that name, or several (exit code 2 on the command
            line); the candidates or close matches are listed, each quoted.
    """
    table = la_table() if table is None else table
    exact = " ".join(name.lower().split())
    names = {" ".join(n.lower().split()): n for n in table["la_name"]}
    codes = {c.lower(): n for c, n in zip(table["la_code"], table["la_name"], strict=True)}
    hit = names.get(exact) or codes.get(exact)
    if hit is None:
        matches = _loose_matches(name, list(table["la_name"]))
        if len(matches) > 1:
            raise ScenarioError(
                [
                    f"local authority {name!r} matches {len(matches)} authorities: {_quoted(matches)}; "
                    "allowed: a name (or code) that matches one"
                ],
                source="--la",
            )
        hit = matches[0] if matches else None
    if hit is None:
        close = _quoted(_close_matches(name, names.values()))
        raise ScenarioError(
            [
                f"unknown local authority {name!r}; close matches: {close} "
                "(names as in la_cla_rates_2024.csv, or a code such as E10000016)"
            ],
            source="--la",
        )
    return table[table["la_name"] == hit].iloc[0]


def _loose_matches(name: str, names: Sequence[str]) -> list[str]:
    """The authorities ``name`` matches ignoring punctuation and suffixes: whole, else first words."""
    key = _name_key(name)
    keys = {key, _NAME_PREFIX.sub("", key)} - {""}
    by_key = {_name_key(n): n for n in names}
    whole = [n for k, n in by_key.items() if k in keys]
    return whole or [n for k, n in by_key.items() if any(k.startswith(q + " ") for q in keys)]


def _close_matches(name: str, names: Iterable[str]) -> list[str]:
    """Names like ``name`` (spelt alike, or containing it), for an error message."""
    key = _name_key(name)
    by_key = {_name_key(n): n for n in names}
    close = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=4, cutoff=0.5)]
    return close + [n for k, n in by_key.items() if key and key in k and n not in close][:4]


def read_user_figures(path: str | Path) -> dict[str, Any]:
    """An authority's own figures: ``cin_31_march``, ``cp_31_march``, ``referrals`` and unit costs.

    TOML: top-level numbers, and optionally ``[costs.<name>]`` tables with ``value`` (and
    ``price_year``). CSV: a header with columns ``measure,value`` (others are ignored), one row
    per figure (unit costs as ``costs.<name>``).

    Raises:
        ScenarioError: one line per problem naming the file, the line or figure, the value and
            what is allowed: a file that cannot be read (:func:`simulator.schema.read_text`), a
            malformed CSV or TOML, missing columns, a figure given twice, an unknown figure, a
            value that is not a finite number in range, more children on plans than in need.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        data = _read_figures_csv(path)
    else:
        data = read_toml(path, "figures file")
    problems = []
    for key, value in data.items():
        if key == "costs":
            continue
        if key not in USER_KEYS:
            problems.append(f"unknown figure '{key}'; allowed: {', '.join(sorted(USER_KEYS))}, [costs.NAME]")
        else:
            problems += _check_figure(key, value, MAX_USER_COUNT, "children or referrals in one authority")
    costs = data.get("costs", {})
    if not isinstance(costs, Mapping):
        problems.append("costs: give [costs.NAME] tables with value (and price_year)")
        costs = {}
    known = set(type(Scenario().costs).model_fields)
    for name, entry in costs.items():
        if name not in known:
            problems.append(f"unknown unit cost 'costs.{name}'; allowed: {', '.join(sorted(known))}")
        elif not isinstance(entry, Mapping) or "value" not in entry:
            problems.append(f"costs.{name}: give a table with value (and price_year)")
        else:
            extra = sorted(set(entry) - COST_KEYS)
            if extra:
                problems.append(
                    f"unknown key 'costs.{name}.{extra[0]}'; allowed: {', '.join(sorted(COST_KEYS))}"
                )
            problems += _check_figure(f"costs.{name}.value", entry["value"], MAX_COST_PER_YEAR, "GBP")
    if not problems and costs:
        try:  # price_year and the rest of a unit cost, as the schema checks them
            with_overrides(Scenario(), {"costs": {k: dict(v) for k, v in costs.items()}})
        except ScenarioError as err:
            problems += err.problems
    cin, cp = data.get("cin_31_march"), data.get("cp_31_march")
    if not problems and cin is not None and cp is not None and cp > cin:
        problems.append(
            f"cp_31_march = {cp:g} is above cin_31_march = {cin:g}, which counts children on "
            "protection plans; allowed: cp_31_march <= cin_31_march"
        )
    if problems:
        raise ScenarioError(problems, source=str(path))
    return data


#: Most children (or referrals) a figure of one authority may give: the schema's population bound.
MAX_USER_COUNT = MAX_CHILDREN
#: Keys of a ``[costs.NAME]`` table of user figures.
COST_KEYS = {"value", "price_year", "unit", "source"}


def _check_figure(name: str, value: Any, high: float, what: str) -> list[str]:
    """No problem, or one line: a figure must be a finite number from 0 to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [f"{name} = {value!r}: must be a number"]
    if not math.isfinite(value) or not 0 <= value <= high:
        return [f"{name} = {value!r}: allowed: a number from 0 to {high:,.0f} ({what})"]
    return []


def _read_figures_csv(path: Path) -> dict[str, Any]:
    """The figures of a ``measure,value`` CSV as the TOML form, or a :class:`ScenarioError`."""
    src = str(path)
    text = read_text(path, "figures file")
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioError([f"not a valid CSV: {exc} (line {reader.line_num})"], source=src) from None
    header = _figures_header(rows, src)
    data: dict[str, Any] = {}
    seen: dict[str, int] = {}
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        got = _figures_row(number, row, header, seen)
        if isinstance(got, str):
            problems.append(got)
            continue
        measure, value = got
        seen[measure] = number
        if measure.startswith("costs."):
            data.setdefault("costs", {})[measure[6:]] = {"value": value}
        else:
            data[measure] = value
    if problems:
        raise ScenarioError(problems, source=src)
    if not data:
        raise ScenarioError(
            ["has no figures: give one row per figure under the header measure,value"], source=src
        )
    return data


def _figures_header(rows: list[list[str]], src: str) -> list[str]:
    """The header of a figures CSV (lower case), naming measure and value each once."""
    header = [c.strip().lower() for c in rows[0]] if rows else []
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise ScenarioError(
            [f"line 1: the header names the column {twice[0]!r} twice; allowed: each column once"],
            source=src,
        )
    if not {"measure", "value"} <= set(header):
        raise ScenarioError(
            [
                f"the first line must name the columns measure,value (found: "
                f"{', '.join(repr(c) for c in rows[0][:5]) or 'nothing'})"
            ],
            source=src,
        )
    return header


def _figures_row(
    number: int, row: list[str], header: list[str], seen: dict[str, int]
) -> tuple[str, float] | str:
    """One line of a figures CSV: (measure, value), or the line's problem."""
    im, iv = header.index("measure"), header.index("value")
    if len(row) <= max(im, iv):
        return f"line {number}: {len(row)} column(s) where the header has {len(header)}; give measure,value"
    if len(row) > len(header):
        return (
            f"line {number}: {len(row)} fields where the header has {len(header)} "
            f"({','.join(header)}); allowed: one value per column: quote numbers with thousands "
            'separators ("12,345") or drop the commas'
        )
    measure, raw = row[im].strip(), row[iv].strip()
    if not measure:
        return f"line {number}: the measure is empty"
    if measure in seen:
        return f"line {number}: {measure} is given twice (first on line {seen[measure]})"
    try:
        return measure, float(raw)
    except ValueError:
        return f"line {number}: {measure} = {raw!r}: must be a number"


# -- the care block: starts, ceases and stock in the first reported year ----------------------------


def _kernels_for(PV: np.ndarray, duration_scale: float) -> tuple[np.ndarray, np.ndarray]:
    key = list(ag._care_key(PV))
    key[3:8] = [round(m * duration_scale, 4) for m in key[3:8]]  # as written to the scenario
    key[13] = round(key[13] * duration_scale, 4)  # the other exits' median, likewise
    return ag._kernels(tuple(key))


def _care_block(
    meta: dict[str, Any], PV: np.ndarray, duration_scale: float, burn: int
) -> dict[str, np.ndarray]:
    """First-year starts, ceases and end stock per unit of entries and of starting stock.

    Returns coefficients ``(per entry scale, per UASC scale, per starting-stock child)`` for
    starts, ceases and the end stock (each linear in all three).
    """
    Kb, Rb = _kernels_for(PV, duration_scale)
    ent = meta["care_entries"]  # (T, band, route)
    uasc = meta["uasc_entries"]
    T = ent.shape[0]
    year = slice(burn, burn + 12)
    # exits by month of entries (per entry scale)
    exits_e = np.zeros(T + ag.HORIZON)
    per_month = np.einsum("tbr,brxk->tx", ent, Kb)
    for t in range(T):
        exits_e[t : t + ag.HORIZON] += per_month[t]
    # UASC arrive aged 15-17 and leave at 18 or another way (their own scale)
    scaled = PV.copy()
    scaled[kn.P_UASC_MEDIAN] = round(PV[kn.P_UASC_MEDIAN] * duration_scale, 4)
    stay = uasc_exits(scaled, meta["uasc_age_shares"]).sum(axis=1)  # by months after arriving
    exits_u_new = np.zeros(T + ag.HORIZON)
    for t in range(T):
        exits_u_new[t : t + 37] += uasc[t] * stay
    # exits of the starting stock, per child (band mix and routes as the default start)
    band = meta["start_lac_by_band"] / meta["start_lac_by_band"].sum()
    route = meta["route_shares"]
    exits_0 = np.einsum("b,r,brxk->x", band, route, Rb)
    exits_u = np.zeros(ag.HORIZON)
    exits_u[:37] = uasc_exits(scaled).sum(axis=1)  # starting UASC: 15y0m-17y11m, as if just arrived
    starts_e = ent.sum(axis=(1, 2))
    flow_e = np.cumsum(starts_e - exits_e[:T])
    flow_u = np.cumsum(uasc - exits_u_new[:T])
    u_share = UASC_SHARE_OF_STOCK
    exits_s = (1 - u_share) * exits_0[:T] + u_share * exits_u[:T]
    stock_s = 1.0 - np.cumsum(exits_s)
    return {
        "starts": np.array([starts_e[year].sum(), uasc[year].sum(), 0.0]),
        "ceases": np.array([exits_e[:T][year].sum(), exits_u_new[:T][year].sum(), exits_s[year].sum()]),
        "stock": np.array([flow_e[burn + 11], flow_u[burn + 11], stock_s[burn + 11]]),
    }


# -- fitting --------------------------------------------------------------------------------------


@dataclass
class Fit:
    """The result of calibrating one authority."""

    la: str
    la_code: str
    region: str
    overrides: dict[str, Any]
    parameters: dict[str, float]
    targets: dict[str, float]
    aggregate: dict[str, float]
    agent: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    uasc_mode: str = "share"

    def errors(self, view: str = "aggregate") -> dict[str, float]:
        """Relative error (model / target - 1) per target, in the given view."""
        got = self.agent if view == "agent" else self.aggregate
        return {k: got[k] / v - 1.0 for k, v in self.targets.items() if k in got and v > 0}

    @property
    def ok(self) -> bool:
        """Looked-after stock, starts and ceases all within :data:`TOLERANCE` (aggregate view)."""
        e = self.errors()
        return all(abs(e.get(k, np.inf)) <= TOLERANCE for k in MEASURES.values())

    def user_misses(self) -> list[str]:
        """The authority's own figures (``--figures``) the first year misses beyond :data:`TOLERANCE`.

        One sentence each (none if all are met or none were given).

        Referrals are fitted (a scale on the front door's rates); CIN and CP at 31 March set the
        starting position only, and the rates of starting and ending plans stay England's, so
        the first year moves towards England's level and can miss them.
        """
        how = {
            "referrals": "fitted by scaling the referral rates, within what the schema allows",
            "cin_31_march": "it sets the starting position; plans then start and end at England's rates",
            "cp_31_march": "it sets the starting position; plans then start and end at England's rates",
        }
        out = []
        for k, err in self.errors().items():
            if k in USER_KEYS and abs(err) > TOLERANCE:
                out.append(
                    f"your {k} = {self.targets[k]:,.0f}: the model's first year is "
                    f"{self.aggregate[k]:,.0f} ({100 * err:+.0f}%, beyond ±{TOLERANCE:.0%}); {how[k]}"
                )
        return out

    def report(self) -> pd.DataFrame:
        """One row per target: published, aggregate view, agent-based (if run), errors in %."""
        rows = []
        for k, v in self.targets.items():
            row = {
                "figure": k,
                "target": v,
                "aggregate": self.aggregate.get(k, np.nan),
                "aggregate_error_pct": 100 * (self.aggregate.get(k, np.nan) / v - 1) if v else np.nan,
            }
            if self.agent:
                row["agent"] = self.agent.get(k, np.nan)
                row["agent_error_pct"] = 100 * (self.agent.get(k, np.nan) / v - 1) if v else np.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def scenario(self, base: str | Path = BASELINE) -> Scenario:
        """The calibrated scenario (the baseline with this fit's overrides)."""
        return load_scenario(base, self.overrides)

    def write(self, out: str | Path, base: str | Path = BASELINE, force: bool = False) -> Path:
        """Write the scenario file: ``base`` (relative) plus the fitted overrides, with sources.

        An existing file is never replaced unless ``force`` (and never when it is ``base``
        itself); the file is written beside ``out`` and renamed into place, so it is whole or
        absent (:mod:`simulator.safe_io`).
        """
        out = check_scenario_out(out, base, force)
        rel = os.path.relpath(Path(base).resolve(), out.parent.resolve())
        errs = self.errors()
        lines = [
            f"# {self.la} ({self.la_code}, {self.region}): calibrated by `python -m simulator calibrate`.",
            "# Overrides of the baseline only; every other rate is the England default",
            "# (simulator/schema.py).",
            f'name = "{_slug(self.la)}"',
            f'base = "{rel}"',
            f'description = """{self.la}: the typical-LA baseline fitted to the authority\'s published 2024',
            "figures (children looked after at 31 March, starts and ceases in the year, child",
            'population)."""',
            'evidence = """Targets: shared/data/la_cla_rates_2024.csv [CLA] 2024 for ' + self.la + ":",
            ", ".join(f"{k} {self.targets[k]:,.0f}" for k in self.targets) + ".",
            "Fit (aggregate view, first simulated year): "
            + ", ".join(f"{k} {100 * e:+.1f}%" for k, e in errs.items())
            + ".",
            "Fitted: entry_scale "
            f"{self.parameters['entry_scale']:.3f}, duration_scale "
            f"{self.parameters['duration_scale']:.3f}, UASC scale {self.parameters['uasc_scale']:.3f} "
            f"(simulator/calibrate.py). UASC: {_UASC_NOTE[self.uasc_mode]}",
            'Starting UASC stock assumed as England\'s share of the stock (8.8%)."""',
            "",
        ]
        lines += _toml_tables(self.overrides)
        return write_text(out, "\n".join(lines) + "\n")


def check_scenario_out(out: str | Path, base: str | Path = BASELINE, force: bool = False) -> Path:
    """Refuse (:class:`~simulator.safe_io.OutputError`) a scenario path that exists unless ``force``.

    The scenario the fit overrides is refused even with ``force``: the new file names it as
    its ``base`` and would then be based on itself.
    """
    path = check_output_file(out, force)
    if path.resolve() == Path(base).resolve():
        raise OutputError(
            f"--out {str(out)!r} is the scenario the fit overrides (--base); "
            "nothing was written (choose another path)"
        )
    check_base_reachable(path, base)
    return path


def check_base_reachable(out: str | Path, base: str | Path = BASELINE) -> None:
    """Refuse (:class:`~simulator.safe_io.OutputError`) a ``base`` the written scenario could not name.

    A scenario may only be based on a file in its own folder (or below), in the enclosing
    ``scenarios`` folder, or in the shipped scenarios (:func:`simulator.schema.read_scenario_dict`);
    a scenario at ``out`` naming ``base`` anywhere else would be refused by ``run``.
    """
    here = Path(out).resolve()
    target = Path(base).resolve()
    roots = _base_roots(here)
    if any(target.is_relative_to(r) for r in roots):
        if target.is_file():  # and the bases it names, as `run` would read them from --out
            read_scenario_dict(target, (here,), roots)
        return
    raise OutputError(
        f"--base {str(base)!r} is outside the folders a scenario at --out {str(out)!r} may be based on "
        f"({', '.join(str(r) for r in roots)}); allowed: --out in {target.parent} or a folder above it, "
        "or both inside one scenarios/ folder; nothing was written"
    )


def _slug(name: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return repr(round(float(v), 6))
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def _toml_tables(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    if prefix and scalars:
        lines.append(f"[{prefix}]")
    for k, v in scalars.items():
        lines.append(f"{k} = {_toml_value(v)}")
    if scalars:
        lines.append("")
    for k, v in tables.items():
        lines += _toml_tables(v, f"{prefix}.{k}" if prefix else k)
    return lines


def _scaled(values: Sequence[float], x: float, cap: float | None = None) -> list[float]:
    out = [float(v) * x for v in values]
    return [min(v, cap) for v in out] if cap is not None else out


def _overrides(
    base: Scenario,
    n: float,
    lac_stock_per_10k: float,
    entry: float,
    duration: float,
    user: Mapping[str, Any] | None,
    referral_scale: float = 1.0,
    uasc_scale: float | None = None,
) -> dict[str, Any]:
    """Scenario overrides for a fit (numbers rounded as written to the file)."""
    care, cin, cp, fd, pop, start = base.care, base.cin, base.cp, base.front_door, base.population, base.start
    lac = lac_stock_per_10k * (1 - UASC_SHARE_OF_STOCK)
    uasc = lac_stock_per_10k * UASC_SHARE_OF_STOCK
    st: dict[str, Any] = {"lac_per_10k": round(lac, 4), "uasc_per_10k": round(uasc, 4)}
    if user and "cp_31_march" in user:
        st["cp_per_10k"] = round(user["cp_31_march"] / n * 1e4, 4)
    cp_r = st.get("cp_per_10k", start.cp_per_10k)
    if user and "cin_31_march" in user:
        st["cin_per_10k"] = round(user["cin_31_march"] / n * 1e4, 4)
    # the DfE count of children in need includes protection plans and care: keep it consistent,
    # with the numbers as written (rounded), summed as the schema sums them
    least = cp_r + st["lac_per_10k"] + st["uasc_per_10k"]
    cin_r = round(max(st.get("cin_per_10k", start.cin_per_10k), least), 4)
    st["cin_per_10k"] = cin_r if cin_r >= least else round(cin_r + 1e-4, 4)
    over: dict[str, Any] = {
        "population": {
            "children": int(round(n)),
            "uasc_starts_per_10k": round(
                pop.uasc_starts_per_10k * (entry if uasc_scale is None else uasc_scale), 4
            ),
        },
        "start": st,
        "cin": {
            "care_entry_rates_per_year": [
                round(v, 6) for v in _scaled(cin.care_entry_rates_per_year, entry, 50)
            ]
        },
        "cp": {
            "care_entry_rates_per_year": [
                round(v, 6) for v in _scaled(cp.care_entry_rates_per_year, entry, 50)
            ]
        },
        "front_door": {
            "emergency_care_given_s47": [
                round(v, 6) for v in _scaled(fd.emergency_care_given_s47, entry, 1.0)
            ]
        },
        "care": {
            "median_months": [round(v, 4) for v in _scaled(care.median_months, duration)],
            "other_exit_median_months": round(care.other_exit_median_months * duration, 4),
            "uasc_other_exit_median_months": round(care.uasc_other_exit_median_months * duration, 4),
            "removal_at_birth_by_need": [
                round(v, 6) for v in _scaled(care.removal_at_birth_by_need, entry, 1.0)
            ],
        },
    }
    if referral_scale != 1.0:
        over["front_door"]["referral_rates_per_year"] = [
            round(v, 6) for v in _scaled(fd.referral_rates_per_year, referral_scale, 50)
        ]
    if user and user.get("costs"):
        over["costs"] = {k: dict(v) for k, v in user["costs"].items()}
    return over


def reference_entries(sc: Scenario) -> dict[str, Any]:
    """Care entries per 10,000 children by month, age band and route in a first-year run of ``sc``."""
    ref = with_overrides(sc, {"run": {"years": 1}})
    meta = dict(ag.run_aggregate(ref).meta)
    per = 1e4 / ref.population.children
    meta["care_entries"] = meta["care_entries"] * per
    meta["uasc_entries"] = meta["uasc_entries"] * per
    meta["uasc_age_shares"] = ref.population.uasc_age_shares
    PV = ag._packing(ref).PV.copy()
    yearly_parameters(ref).write(PV, 0)  # the first year's plans, as the engine and the view
    return {"meta": meta, "PV": PV, "burn": ref.run.burn_in_months}


def _first_year(sc: Scenario) -> dict[str, float]:
    """First simulated year of the aggregate view: the fitted figures and the user-figure ones."""
    m = ag.run_aggregate(with_overrides(sc, {"run": {"years": 1}}), annual=False).monthly
    last = m.iloc[-1]
    into = [f"flow_{s}_LAC" for s in ("UNIVERSAL", "EARLY_HELP", "CIN", "CP", "IN")]
    out = [f"flow_LAC_{s}" for s in ("UNIVERSAL", "EARLY_HELP", "CIN", "CP", "OUT")]
    return {
        "lac_31_march": float(last["children_LAC"]),
        "lac_starts": float(m[into].to_numpy().sum()),
        "lac_ceases": float(m[out].to_numpy().sum()),
        "cin_31_march": float(last["children_CIN"] + last["children_CP"] + last["children_LAC"]),
        "cp_31_march": float(last["children_CP"]),
        "referrals": float(m["referrals"].sum()),
    }


def calibrate_la(
    la: str | pd.Series,
    *,
    base: str | Path | Scenario = BASELINE,
    user: Mapping[str, Any] | None = None,
    agent_seeds: Sequence[int] = (),
    table: pd.DataFrame | None = None,
    reference: dict[str, Any] | None = None,
) -> Fit:
    """Fit the model to one authority (see the module docstring for what is fitted).

    Args:
        la: the authority's name (or code), or its row of :func:`la_table`.
        base: the scenario the fit overrides (default ``scenarios/baseline.toml``).
        user: the authority's own figures (:func:`read_user_figures`).
        agent_seeds: if given, also run the agent-based model with these seeds and record
            its first-year figures (the check the aggregate fit is judged by).
        table: a preloaded :func:`la_table` (for batches).
        reference: a preloaded :func:`reference_entries` of ``base`` (for batches; only
            used without user figures, which change the family side).

    Returns:
        The :class:`Fit`, with ``reason`` set when the figures cannot be fitted.
    """
    row = la if isinstance(la, pd.Series) else find_la(la, table)
    base_sc = base if isinstance(base, Scenario) else load_scenario(base)
    base_sc = with_overrides(base_sc, {"run": {"record_episodes": False}})
    n = float(row["child_population"])
    targets = {k: float(row[k]) for k in MEASURES.values()}
    if user:
        targets.update({k: float(user[k]) for k in USER_KEYS if k in user})
    fit = Fit(str(row["la_name"]), str(row["la_code"]), str(row["region"]), {}, {}, targets, {})
    if not bool(row["has_data"]):
        fit.reason = "figures suppressed or no children looked after: nothing to fit"
        return fit
    per = 1e4 / n
    S, A, C = (targets[k] * per for k in ("lac_31_march", "lac_starts", "lac_ceases"))
    # reference: care entries per 10k children at England's rates (the same for every size)
    if reference is None or user:
        ref = with_overrides(base_sc, _overrides(base_sc, n, S, 1.0, 1.0, user))
        reference = reference_entries(ref)
    meta, PV, burn = reference["meta"], reference["PV"], reference["burn"]
    best = _linear_fit(meta, PV, burn, S, A, C)
    if best is None:
        fit.reason = "no duration scale gives a positive starting stock (starts far above the stock)"
        return fit
    _, d, x_e, x_u, s0, mode = best
    got = _first_year(with_overrides(base_sc, _overrides(base_sc, n, s0, x_e, d, user, uasc_scale=x_u)))
    s0, x_e, x_u, referral_scale, corrected = _correction(got, targets, user, s0, x_e, x_u, mode)
    overrides = _overrides(base_sc, n, s0, x_e, d, user, referral_scale, uasc_scale=x_u)
    try:
        sc = with_overrides(base_sc, overrides)
    except ScenarioError as err:
        fit.reason = "fitted values out of the schema's ranges: " + "; ".join(err.problems)
        return fit
    fit.overrides = overrides
    fit.parameters = {
        "entry_scale": x_e,
        "uasc_scale": x_u,
        "duration_scale": d,
        "start_lac_per_10k": s0,
        "referral_scale": referral_scale,
    }
    fit.uasc_mode = mode
    fit.aggregate = _first_year(sc) if corrected else got
    if agent_seeds:
        fit.agent = _agent_first_year(sc, agent_seeds, list(fit.aggregate))
    if not fit.ok:
        fit.reason = _why(fit, d)
    return fit


#: A fit in the linear care block "fits" when its ceases are within this log error (about 5%): an
#: assumption of the method (half the ±10% acceptance, so the correction that follows has room), not evidence.
FITS = 0.05


def _linear_fit(meta: Any, PV: np.ndarray, burn: int, S: float, A: float, C: float) -> tuple | None:
    """The scales that best give stock ``S``, starts ``A`` and ceases ``C`` per 10k children.

    Searched in the reference's linear care block: duration scale, entry scale, UASC scale and
    starting stock per 10k.

    Returns (log error of ceases, duration scale, entry scale, UASC scale, stock, UASC mode), or
    None when no duration scale gives a positive starting stock.
    """
    best: tuple | None = None

    # UASC arrivals are not published by LA: England's share of starts first (UASC scale =
    # entry scale), then England's rate per child, then none; the first that fits is kept. When
    # none fits, the first assumption that gives a fit at all is kept: the others are only
    # justified by fitting (keeping the least bad of three misses fitted Kent, the authority with
    # the most arrivals in England, with none, for a point of ceases).
    def solve(mode: str, d: float) -> tuple[float, float, float, float, float] | None:
        b = _care_block(meta, PV, d, burn)
        if mode == "share":
            x_e = A / (b["starts"][0] + b["starts"][1])
            x_u = x_e
        else:
            x_u = 1.0 if mode == "england" else 0.0
            x_e = (A - x_u * b["starts"][1]) / b["starts"][0]
        if x_e <= 0:
            return None
        s0 = (S - x_e * b["stock"][0] - x_u * b["stock"][1]) / b["stock"][2]
        if s0 <= 0:
            return None
        c = x_e * b["ceases"][0] + x_u * b["ceases"][1] + s0 * b["ceases"][2]
        return abs(math.log(c / C)), d, x_e, x_u, s0

    for mode in ("share", "england", "none"):
        # coarse to fine: every fourth duration scale, then the neighbours of the best
        coarse = list(range(0, len(DURATION_GRID), 4))
        tried: dict[int, Any] = {i: solve(mode, float(DURATION_GRID[i])) for i in coarse}
        ok = [i for i, v in tried.items() if v is not None]
        if ok:
            i0 = min(ok, key=lambda i: tried[i][0])
            for i in range(max(i0 - 3, 0), min(i0 + 4, len(DURATION_GRID))):
                if i not in tried:
                    tried[i] = solve(mode, float(DURATION_GRID[i]))
        found = min((v for v in tried.values() if v is not None), key=lambda v: v[0], default=None)
        if found is not None and (best is None or found[0] < FITS):
            best = (*found, mode)
        if best is not None and best[0] < FITS:
            break
    return best


def _correction(
    got: dict[str, float],
    targets: dict[str, float],
    user: Mapping[str, Any] | None,
    s0: float,
    x_e: float,
    x_u: float,
    mode: str,
) -> tuple[float, float, float, float, bool]:
    """One correction step on the linear fit, from the first year the full view gives.

    Returns the starting stock, entry and UASC scales, the referral scale (the user's referrals
    over the model's) and whether anything was corrected.
    """
    referral_scale = 1.0
    # one correction step for the feedbacks the linear block leaves out (returns home, caseloads)
    gaps = [abs(got[k] / targets[k] - 1) for k in MEASURES.values()]
    if max(gaps) > 0.03:
        ratio = targets["lac_starts"] / max(got["lac_starts"], 1e-9)
        x_e *= ratio
        x_u = x_u * ratio if mode == "share" else x_u
        s0 *= targets["lac_31_march"] / max(got["lac_31_march"], 1e-9)
    if user and "referrals" in user:
        referral_scale = user["referrals"] / max(got["referrals"], 1e-9)
    corrected = max(gaps) > 0.03 or referral_scale != 1.0
    return s0, x_e, x_u, referral_scale, corrected


def _agent_first_year(sc: Scenario, seeds: Sequence[int], keys: list[str]) -> dict[str, float]:
    """The agent-based model's first-year figures, the mean over ``seeds``."""
    from simulator.model import CSCModel

    rows = []
    for seed in seeds:
        m = CSCModel(with_overrides(sc, {"run": {"years": 1}}), seed=seed)
        m.run()
        rows.append(m.results().annual.iloc[0])
        m.release()  # the next seed's run reuses this one's memory
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def _why(fit: Fit, d: float) -> str:
    e = fit.errors()
    t = fit.targets
    bits = [f"{k} {100 * v:+.0f}%" for k, v in e.items() if k in MEASURES.values() and abs(v) > TOLERANCE]
    turnover = t["lac_ceases"] / t["lac_31_march"]
    if turnover > 0.9:
        cause = (
            f"ceases are {turnover:.1f}x the stock in a year (short stays, e.g. unaccompanied children "
            "moving on): the model's unaccompanied children leave early only at England's average "
            "(care.uasc_other_exit_share) and durations cannot be that short"
        )
    elif d in (DURATION_GRID[0], DURATION_GRID[-1]):
        cause = "duration scale at the edge of its range"
    elif abs(t["lac_starts"] - t["lac_ceases"]) / t["lac_31_march"] > 0.25:
        cause = "starts and ceases differ by more than a quarter of the stock: far from a steady state"
    else:
        cause = "small numbers: the first-year figures move with the start"
    return f"{', '.join(bits)}: {cause}"


def _fit_row(row: pd.Series, base_sc: Scenario, table: pd.DataFrame, reference: Any) -> dict[str, Any]:
    """One authority's fit as a row of ``calibrate_all``'s table (a worker's task)."""
    fit = calibrate_la(row, base=base_sc, table=table, reference=reference)
    r: dict[str, Any] = {
        "la_name": fit.la,
        "la_code": fit.la_code,
        "region": fit.region,
        "has_data": bool(row["has_data"]),
        "child_population": row["child_population"],
    }
    for k in MEASURES.values():
        r[f"{k}_target"] = fit.targets[k]
        r[f"{k}_model"] = fit.aggregate.get(k, np.nan)
        r[f"{k}_error_pct"] = 100 * fit.errors().get(k, np.nan)
    r.update({k: fit.parameters.get(k, np.nan) for k in ("entry_scale", "uasc_scale", "duration_scale")})
    r["uasc_assumption"] = fit.uasc_mode if fit.parameters else ""
    r["ok"] = fit.ok
    r["reason"] = fit.reason
    return r


def calibrate_all(
    *,
    base: str | Path = BASELINE,
    names: Sequence[str] | None = None,
    progress: Any = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Calibrate every authority with data (aggregate view) and tabulate the fit errors.

    The authorities are fitted over ``workers`` processes (default: one per core); each fit is
    deterministic, so the table does not depend on how many.

    Returns:
        One row per authority: targets, fitted figures, errors (%), the fitted scales,
        ``ok`` (all three care figures within 10%) and ``reason`` when not.
    """
    table = la_table()
    base_sc = load_scenario(base)
    reference = reference_entries(base_sc)
    subset = table if names is None else table[table["la_name"].isin(names)]
    las = [row for _, row in subset.iterrows()]
    n = len(las)
    rows = map_in_processes(
        _fit_row, las, [base_sc] * n, [table] * n, [reference] * n, workers=workers, progress=progress
    )
    return pd.DataFrame(rows)
