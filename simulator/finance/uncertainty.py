"""Uncertainty: Monte Carlo over seeds and inputs, tornado, switching values.

Every comparison runs the baseline and the scenario with the same seed (common
random numbers), so the difference is the scheme's effect and not noise between
runs. Model runs are cached by (scenario, seed): the baseline of a seed is run
once however many variants of the scenario are compared with it.

Uncertain inputs (HM Treasury Green Book: sensitivity analysis and switching values):

- lever effect sizes: one multiplier per lever the scenario changes, triangular on
  ``[1 - s, 1 + s]`` with ``s = finance.effect_uncertainty[grade]`` (clipped to the
  schema's allowed range);
- unit costs: one multiplier per unit cost, ``s = finance.unit_cost_uncertainty[grade]``;
- the levers' own costs (programmes, hubs): ``s`` for grade L (they are assumptions);
- seeds: one model seed per Monte Carlo run.

All randomness comes from the ``seed`` passed in (``numpy.random.default_rng``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulator.finance.appraisal import BASES, Appraisal, appraise
from simulator.finance.costs import activities, costs_by_line, mean_activities, unit_cost_table
from simulator.schema import Levers, Scenario, with_overrides
from simulator.seeding import design_generator, replicate_seeds

#: Effect-size parameters of each lever (scaled together in Monte Carlo, tornado, switching values).
EFFECT_PARAMETERS: dict[str, tuple[str, ...]] = {
    "prevention": ("adverse_reduction", "identification_boost"),
    "community_hubs": ("identification_boost", "adverse_reduction", "rereferral_reduction"),
    "troubled_families": ("care_entry_reduction", "recovery_boost"),
}
_GRADE_ORDER = {"H": 0, "M": 1, "L": 2, "assumption": 3}
#: Grade used for the spread of the levers' own costs (hub and programme costs are assumptions, L).
POLICY_COST_GRADE = "L"

Runner = Callable[[Scenario, int], pd.DataFrame]


def run_activities(scenario: Scenario, seed: int) -> pd.DataFrame:
    """Run the model once (no episode logs) and return its activity table."""
    from simulator import run_scenario

    if scenario.run.record_episodes:
        scenario = with_overrides(scenario, {"run": {"record_episodes": False}})
    res = run_scenario(scenario, seed=int(seed))
    table = activities(res)
    res.release()  # the next run reuses this one's memory (CSCModel.release)
    return table


class ModelRunner:
    """Runs (scenario, seed) pairs once each and caches their activity tables.

    Args:
        runner: function ``(scenario, seed) -> activities``; default :func:`run_activities`
            (tests pass a cheap stand-in; a Dask runner can be passed the same way).
        progress: called with 1 after each model run (e.g. ``tqdm.update``).
    """

    def __init__(self, runner: Runner | None = None, progress: Callable[[int], Any] | None = None):
        self.runner = runner or run_activities
        self.progress = progress
        self.runs = 0
        self._cache: dict[tuple[str, int], pd.DataFrame] = {}

    def __call__(self, scenario: Scenario, seed: int) -> pd.DataFrame:
        """Activity table of ``scenario`` at ``seed`` (run on first use)."""
        key = (scenario.model_dump_json(exclude={"name", "description", "evidence", "base"}), int(seed))
        if key not in self._cache:
            self._cache[key] = self.runner(scenario, int(seed))
            self.runs += 1
            if self.progress is not None:
                self.progress(1)
        return self._cache[key]

    def mean(self, scenario: Scenario, seeds: Sequence[int]) -> pd.DataFrame:
        """Activities averaged over seeds."""
        return mean_activities([self(scenario, s) for s in seeds])


# -- levers and their effects -----------------------------------------------------------------


def active_levers(scenario: Scenario, baseline: Scenario) -> list[str]:
    """Levers whose settings differ between the scenario and the baseline."""
    return [
        name
        for name in Levers.model_fields
        if getattr(scenario.levers, name).model_dump() != getattr(baseline.levers, name).model_dump()
    ]


def _field_meta(model: type[BaseModel], name: str) -> tuple[float | None, float | None, str]:
    info = model.model_fields[name]
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return lo, hi, str(extra.get("grade", "assumption"))


def lever_grade(lever: str) -> str:
    """Weakest evidence grade among a lever's effect parameters (``assumption`` if it has none)."""
    if lever not in EFFECT_PARAMETERS:
        return "assumption"
    cls = type(getattr(Levers(), lever))
    grades = [_field_meta(cls, p)[2] for p in EFFECT_PARAMETERS[lever]]
    return max(grades, key=lambda g: _GRADE_ORDER.get(g, 3))


def scheme_grade(scenario: Scenario, baseline: Scenario) -> str:
    """Evidence grade for optimism bias.

    ``finance.evidence_grade`` if set, else the weakest grade of the effect sizes of the
    levers the scenario changes (``assumption`` if none).
    """
    if scenario.finance.evidence_grade:
        return scenario.finance.evidence_grade
    # levers without effect sizes (risk aversion: the lever is the index itself) do not set the grade
    levers = [lv for lv in active_levers(scenario, baseline) if lv in EFFECT_PARAMETERS]
    if not levers:
        return "assumption"
    return max((lever_grade(lv) for lv in levers), key=lambda g: _GRADE_ORDER.get(g, 3))


def max_effect_multiplier(scenario: Scenario, levers: Sequence[str], cap: float = 3.0) -> float:
    """Largest common multiplier of the levers' effect sizes the schema allows (at most ``cap``)."""
    best = cap
    for lever in levers:
        section = getattr(scenario.levers, lever)
        for p in EFFECT_PARAMETERS.get(lever, ()):
            _, hi, _ = _field_meta(type(section), p)
            value = float(getattr(section, p))
            if hi is not None and value > 0:
                best = min(best, hi / value)
    return best


def scale_effects(scenario: Scenario, multipliers: Mapping[str, float]) -> Scenario:
    """The scenario with each lever's effect sizes multiplied (clipped to the allowed range).

    Args:
        scenario: the scenario.
        multipliers: lever name -> multiplier on all its :data:`EFFECT_PARAMETERS`.
    """
    over: dict[str, dict[str, float]] = {}
    for lever, m in multipliers.items():
        if m == 1.0 or lever not in EFFECT_PARAMETERS:
            continue
        section = getattr(scenario.levers, lever)
        for p in EFFECT_PARAMETERS[lever]:
            lo, hi, _ = _field_meta(type(section), p)
            v = float(getattr(section, p)) * m
            v = max(v, lo if lo is not None else v)
            v = min(v, hi if hi is not None else v)
            over.setdefault(lever, {})[p] = v
    return with_overrides(scenario, {"levers": over}) if over else scenario


# -- one appraisal ------------------------------------------------------------------------------


def appraise_runs(
    scenario: Scenario,
    baseline: Scenario,
    seeds: Sequence[int],
    runner: ModelRunner,
    *,
    effect_multipliers: Mapping[str, float] | None = None,
    cost_multipliers: Mapping[str, float] | None = None,
    policy_cost_multiplier: float = 1.0,
    finance_overrides: Mapping[str, Any] | None = None,
    unit_costs: pd.DataFrame | None = None,
    saves: Mapping[str, bool] | None = None,
) -> Appraisal:
    """Appraise the scenario against the baseline over paired seeds (activities averaged).

    Args:
        scenario: the scheme (its ``costs`` and ``finance`` sections are used).
        baseline: the counterfactual.
        seeds: model seeds, each run for both.
        runner: the caching :class:`ModelRunner`.
        effect_multipliers: lever -> multiplier on its effect sizes.
        cost_multipliers: unit-cost item -> multiplier.
        policy_cost_multiplier: multiplier on the levers' own costs.
        finance_overrides: overrides of the ``finance`` section (validated).
        unit_costs: a precomputed :func:`unit_cost_table` of ``scenario`` (saves time).
        saves: each demand line's treatment (saving or extra demand), as in
            :func:`~simulator.finance.appraisal.appraise`; by default from these runs.
    """
    sc = scale_effects(scenario, effect_multipliers or {})
    fin = scenario.finance
    if finance_overrides:
        fin = with_overrides(scenario, {"finance": dict(finance_overrides)}).finance
    table = unit_costs if unit_costs is not None else unit_cost_table(scenario)
    base_lines = costs_by_line(
        runner.mean(baseline, seeds),
        table,
        fin,
        cost_multipliers=cost_multipliers,
        policy_cost_multiplier=policy_cost_multiplier,
    )
    scen_lines = costs_by_line(
        runner.mean(sc, seeds),
        table,
        fin,
        cost_multipliers=cost_multipliers,
        policy_cost_multiplier=policy_cost_multiplier,
    )
    return appraise(
        base_lines,
        scen_lines,
        fin,
        grade=scheme_grade(scenario, baseline),
        start_year=scenario.run.start_year,
        saves=saves,
    )


def appraise_results(
    scenario: Scenario, baseline: Scenario, scenario_results: Any, baseline_results: Any
) -> Appraisal:
    """Appraise two finished runs (same seed, same years), e.g. the app's last pair of runs.

    Args:
        scenario: the scheme (its ``costs`` and ``finance`` sections are used).
        baseline: the counterfactual (used to find the levers and evidence grade).
        scenario_results: :class:`simulator.results.Results` of the scheme.
        baseline_results: :class:`simulator.results.Results` of the baseline.
    """
    table = unit_cost_table(scenario)
    fin = scenario.finance
    return appraise(
        costs_by_line(activities(baseline_results), table, fin),
        costs_by_line(activities(scenario_results), table, fin),
        fin,
        grade=scheme_grade(scenario, baseline),
        start_year=scenario.run.start_year,
    )


# -- Monte Carlo --------------------------------------------------------------------------------


def percentiles(values: Any, q: Any, axis: int | None = None) -> Any:
    """Percentiles over runs, as every table, chart and card of the model gives them.

    Each is an observed value (the inverted empirical distribution: one of the runs, never a
    value between two), so a P10 of ten runs is the lowest and 'does not pay back' (``inf``)
    can be a percentile. ``q`` in percent, one or several; along ``axis`` as numpy's.
    """
    return np.percentile(np.asarray(values, dtype=float), q, axis=axis, method="inverted_cdf")


def _percentile(values: np.ndarray, q: float) -> float:
    """An observed value at quantile q (``inf`` allowed: 'does not pay back' sorts last)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan
    return float(percentiles(v, q))


def median_interval(values: np.ndarray, confidence: float = 0.9) -> tuple[float, float]:
    """Distribution-free confidence interval for the median (order statistics, binomial).

    It narrows as runs are added (about as 1 / sqrt(runs)); ``inf`` values (no payback)
    are allowed and sort last.
    """
    v = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    n = v.size
    if n == 0:
        return math.nan, math.nan
    alpha = 1.0 - confidence
    cdf = np.cumsum([math.comb(n, k) for k in range(n + 1)]) / 2.0**n  # Binomial(n, 1/2)
    lo = int(np.searchsorted(cdf, alpha / 2 - 1e-12))  # smallest k with P(X <= k) >= alpha/2
    hi = int(np.searchsorted(cdf, 1 - alpha / 2 - 1e-12))  # smallest k with P(X > k) <= alpha/2
    lo = min(max(lo - 1, 0), n - 1)
    hi = min(max(hi, 0), n - 1)
    return float(v[lo]), float(v[hi])


@dataclass
class MonteCarlo:
    """Monte Carlo results.

    Attributes:
        runs: one row per run: its seed, the input multipliers and the measures by basis.
        curves: cumulative net cost by year (rows) and run (columns), for ``basis``.
        summary: P10, P50, P90 (and the mean) of each measure; payback ``inf`` = does not pay back.
        within_years: N of "probability of paying back within N years".
        basis: the view the curves are drawn for.
        varied: what varies between runs ("seeds", or "seeds, effect sizes and unit costs").
    """

    runs: pd.DataFrame
    curves: pd.DataFrame
    summary: pd.DataFrame
    within_years: int
    basis: str
    varied: str = "seeds, effect sizes and unit costs"

    def measure(self, measure: str, basis: str = "net") -> dict[str, float]:
        """P10, P50 and P90 of one measure (``npv``, ``payback_years``...) in one view."""
        row = self.summary[(self.summary.measure == measure) & (self.summary.basis == basis)].iloc[0]
        return {"p10": float(row.p10), "p50": float(row.p50), "p90": float(row.p90)}

    def p_payback_within(self, basis: str = "net", discounted: bool = False) -> float:
        """Share of runs paying back within ``within_years``.

        NaN when no run has a payback year (no costs or savings: the scheme against itself).
        """
        col = f"{'discounted_' if discounted else ''}payback_years_{basis}"
        v = self.runs[col].to_numpy(dtype=float)
        if np.isnan(v).all():
            return float("nan")
        return float(np.mean(v <= self.within_years))

    def payback_interval(self, basis: str = "net", confidence: float = 0.9) -> tuple[float, float]:
        """Confidence interval for the median payback (narrows with more runs)."""
        return median_interval(self.runs[f"payback_years_{basis}"].to_numpy(), confidence)


def draw_seeds(seed: int, n: int) -> list[int]:
    """``n`` model seeds from the master ``seed``.

    They are the replicate seeds every entry point uses (:func:`simulator.seeding.replicate_seeds`),
    so each is paired with the baseline's run.
    """
    return replicate_seeds(seed, n)


def monte_carlo(
    scenario: Scenario,
    baseline: Scenario,
    *,
    runs: int,
    seed: int,
    runner: ModelRunner | None = None,
    within_years: int | None = None,
    basis: str = "net",
    vary_inputs: bool = True,
) -> MonteCarlo:
    """Monte Carlo over seeds, effect sizes and unit costs.

    Args:
        scenario: the scheme.
        baseline: the counterfactual.
        runs: number of paired runs (each runs the model twice).
        seed: seed of everything random here (model seeds and input draws).
        runner: the caching :class:`ModelRunner` (a new one by default).
        within_years: N in "probability of paying back within N years"
            (default ``finance.payback_horizon_years``).
        basis: view for the cumulative curves (``gross``, ``net`` or ``cashable``).
        vary_inputs: False varies only the seed.

    Returns:
        The :class:`MonteCarlo` results.
    """
    if runs < 1:
        raise ValueError(f"runs = {runs}: at least one Monte Carlo run is needed")
    runner = runner or ModelRunner()
    fin = scenario.finance
    within = int(within_years if within_years is not None else fin.payback_horizon_years)
    rng = design_generator(seed, 2)  # the input draws, keyed apart from the model seeds
    table = unit_cost_table(scenario)
    levers = [lv for lv in active_levers(scenario, baseline) if lv in EFFECT_PARAMETERS]
    used = table[table["used"]]
    seeds = draw_seeds(seed, runs)
    rows, curves = [], {}
    for i, s in enumerate(seeds):
        eff = {}
        costs = {}
        pol = 1.0
        if vary_inputs:
            for lv in levers:
                w = fin.effect_uncertainty[lever_grade(lv)]
                eff[lv] = float(rng.triangular(1 - w, 1, 1 + w)) if w > 0 else 1.0
            for item, row in used.iterrows():
                w = fin.unit_cost_uncertainty[row["grade"]]
                costs[str(item)] = float(rng.triangular(1 - w, 1, 1 + w)) if w > 0 else 1.0
            w = fin.unit_cost_uncertainty[POLICY_COST_GRADE]
            pol = float(rng.triangular(1 - w, 1, 1 + w)) if w > 0 else 1.0
        a = appraise_runs(
            scenario,
            baseline,
            [s],
            runner,
            effect_multipliers=eff,
            cost_multipliers=costs,
            policy_cost_multiplier=pol,
            unit_costs=table,
        )
        rows.append(
            run_row(
                i, s, a, policy_cost_multiplier=pol, **{f"effect_multiplier_{k}": v for k, v in eff.items()}
            )
        )
        curves[i] = a.cashflow.set_index("year")[f"cumulative_net_cost_{basis}"]
    return summarise_runs(
        rows, curves, within, basis, "seeds, effect sizes and unit costs" if vary_inputs else "seeds"
    )


def run_row(run: int, seed: int, appraisal: Appraisal, **extra: float) -> dict[str, Any]:
    """One Monte Carlo row: the run, its seed, ``extra`` inputs and every measure by basis."""
    row: dict[str, Any] = {"run": run, "seed": seed, **extra}
    for b in BASES:
        for m in ("npv", "pv_costs", "pv_benefits", "bcr", "payback_years", "discounted_payback_years"):
            row[f"{m}_{b}"] = float(appraisal.measures.loc[m, b])
    return row


def summarise_runs(
    rows: Sequence[Mapping[str, Any]],
    curves: Mapping[int, pd.Series],
    within: int,
    basis: str = "net",
    varied: str = "seeds",
) -> MonteCarlo:
    """P10, P50 and P90 of each measure over runs (rows of :func:`run_row`) and their curves.

    Used by :func:`monte_carlo` and by the app, whose paired runs over seeds are summarised the
    same way, so the app's headline and its workbook give the same figures.
    """
    df = pd.DataFrame(list(rows))
    summary_rows = []
    for b in BASES:
        for m in ("npv", "bcr", "payback_years", "discounted_payback_years"):
            v = df[f"{m}_{b}"].to_numpy(dtype=float)
            rec = {
                "measure": m,
                "basis": b,
                "p10": _percentile(v, 10),
                "p50": _percentile(v, 50),
                "p90": _percentile(v, 90),
            }
            if m.endswith("payback_years"):
                rec["p_within_n_years"] = float(np.mean(v <= within))
                rec["median_ci90_low"], rec["median_ci90_high"] = median_interval(v)
            else:
                rec["mean"] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
            summary_rows.append(rec)
    summary = pd.DataFrame(summary_rows)
    return MonteCarlo(df, pd.DataFrame(dict(curves)), summary, within, basis, varied)


# -- tornado and switching values ----------------------------------------------------------


def tornado(
    scenario: Scenario,
    baseline: Scenario,
    *,
    seeds: Sequence[int],
    runner: ModelRunner | None = None,
    basis: str = "net",
) -> pd.DataFrame:
    """One-at-a-time sensitivity of NPV and payback to each uncertain input.

    Each input is set to its low and high value (effect sizes and unit costs by their
    grade's spread; discount rate +-1.5 points; deadweight +0.2; optimism bias +-0.1;
    the levers' own costs by grade L) with every other input at its central value.

    Args:
        scenario: the scheme.
        baseline: the counterfactual.
        seeds: model seeds (averaged) for each variant.
        runner: the caching :class:`ModelRunner`.
        basis: the view whose NPV and payback are reported.

    Returns:
        One row per input, sorted by NPV swing: ``input``, ``low``, ``high`` (the input's
        values), ``npv_low``, ``npv_high``, ``payback_low``, ``payback_high``, ``swing``;
        ``attrs["npv_central"]`` and ``attrs["payback_central"]``.
    """
    runner = runner or ModelRunner()
    fin = scenario.finance
    table = unit_cost_table(scenario)
    central = appraise_runs(scenario, baseline, seeds, runner, unit_costs=table)
    variants: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = []
    for lv in active_levers(scenario, baseline):
        if lv in EFFECT_PARAMETERS:
            w = fin.effect_uncertainty[lever_grade(lv)]
            variants.append(
                (
                    f"effect size: {lv}",
                    f"x{1 - w:.2f}",
                    f"x{1 + w:.2f}",
                    {"effect_multipliers": {lv: 1 - w}},
                    {"effect_multipliers": {lv: 1 + w}},
                )
            )
    w = fin.unit_cost_uncertainty[POLICY_COST_GRADE]
    variants.append(
        (
            "programme and hub costs",
            f"x{1 - w:.2f}",
            f"x{1 + w:.2f}",
            {"policy_cost_multiplier": 1 - w},
            {"policy_cost_multiplier": 1 + w},
        )
    )
    for item, row in table[table["used"]].iterrows():
        w = fin.unit_cost_uncertainty[row["grade"]]
        variants.append(
            (
                f"unit cost: {item}",
                f"x{1 - w:.2f}",
                f"x{1 + w:.2f}",
                {"cost_multipliers": {item: 1 - w}},
                {"cost_multipliers": {item: 1 + w}},
            )
        )
    r = fin.discount_rate
    lo_r, hi_r = max(0.0, r - 0.015), min(0.2, r + 0.015)
    variants.append(
        (
            "discount rate (years 0-30)",
            f"{lo_r:.1%}",
            f"{hi_r:.1%}",
            {"finance_overrides": {"discount_rate": lo_r}},
            {"finance_overrides": {"discount_rate": hi_r}},
        )
    )
    dw = fin.deadweight
    variants.append(
        (
            "deadweight",
            f"{dw:.0%}",
            f"{min(1.0, dw + 0.2):.0%}",
            {"finance_overrides": {"deadweight": dw}},
            {"finance_overrides": {"deadweight": min(1.0, dw + 0.2)}},
        )
    )
    grade = scheme_grade(scenario, baseline)
    ob = fin.optimism_bias[grade]
    variants.append(
        (
            f"optimism bias (grade {grade})",
            f"{max(0.0, ob - 0.1):.0%}",
            f"{min(1.0, ob + 0.1):.0%}",
            {"finance_overrides": {"optimism_bias": {grade: max(0.0, ob - 0.1)}}},
            {"finance_overrides": {"optimism_bias": {grade: min(1.0, ob + 0.1)}}},
        )
    )
    if basis == "cashable":
        for line, share in fin.cashable_share.items():
            if line in ("social_work", "placements"):
                lo, hi = max(0.0, share - 0.2), min(1.0, share + 0.2)
                variants.append(
                    (
                        f"cashable share: {line}",
                        f"{lo:.0%}",
                        f"{hi:.0%}",
                        {"finance_overrides": {"cashable_share": {line: lo}}},
                        {"finance_overrides": {"cashable_share": {line: hi}}},
                    )
                )
    rows = []
    for name, lo_label, hi_label, lo_kw, hi_kw in variants:
        a_lo = appraise_runs(scenario, baseline, seeds, runner, unit_costs=table, **lo_kw)
        a_hi = appraise_runs(scenario, baseline, seeds, runner, unit_costs=table, **hi_kw)
        rows.append(
            {
                "input": name,
                "low": lo_label,
                "high": hi_label,
                "npv_low": a_lo.npv(basis),
                "npv_high": a_hi.npv(basis),
                "payback_low": a_lo.payback(basis),
                "payback_high": a_hi.payback(basis),
            }
        )
    out = pd.DataFrame(rows)
    out["swing"] = (out["npv_high"] - out["npv_low"]).abs()
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["npv_central"] = central.npv(basis)
    out.attrs["payback_central"] = central.payback(basis)
    out.attrs["basis"] = basis
    return out


def _linear_root(f0: float, f1: float) -> float:
    """X where a line through (0, f0) and (1, f1) crosses zero (nan if flat or negative)."""
    if math.isclose(f1, f0, rel_tol=1e-9, abs_tol=1e-6):
        return math.nan
    x = f0 / (f0 - f1)
    return x if x >= 0 else math.nan


def _linear_meaning(label: str, f0: float, f1: float, x: float) -> str:
    if math.isclose(f1, f0, rel_tol=1e-9, abs_tol=1e-6):
        return f"n/a (NPV does not depend on {label})"
    if math.isnan(x):
        return f"no multiplier of 0 or more on {label} makes NPV zero"
    return f"NPV crosses zero when {label} are x{x:.2f}"


def _effect_switch(
    pays: Any, top: float, levers: list[str], within: int, iterations: int
) -> tuple[float, str]:
    """The smallest effect-size multiplier (up to ``top``) at which ``pays``, by bisection."""
    if not pays(top):
        return (
            math.nan,
            f"no effect size up to x{top:.2f} (the allowed range) pays back within {within} years",
        )
    lo, hi = (0.0, 1.0) if pays(1.0) else (1.0, top)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if pays(mid) else (mid, hi)
    meaning = (
        f"effect sizes of {', '.join(levers)} x{hi:.2f} (within {hi - lo:.2f}) pay back within {within} years"
    )
    return hi, meaning


def switching_values(
    scenario: Scenario,
    baseline: Scenario,
    *,
    seeds: Sequence[int],
    runner: ModelRunner | None = None,
    within_years: int | None = None,
    basis: str = "net",
    iterations: int = 5,
) -> pd.DataFrame:
    """Values of single inputs at which the decision switches (Green Book switching values).

    - the smallest common multiplier of the levers' effect sizes at which the scheme
      pays back within N years (bisection on model runs, paired seeds);
    - multipliers on placement unit costs, on all social work unit costs and on the
      levers' own costs at which NPV = 0 (NPV is linear in them);
    - the deadweight and the discount rate at which NPV = 0.

    Args:
        scenario: the scheme.
        baseline: the counterfactual.
        seeds: model seeds (averaged).
        runner: the caching :class:`ModelRunner`.
        within_years: N (default ``finance.payback_horizon_years``).
        basis: the view used.
        iterations: bisection steps for the effect-size switching value.

    Returns:
        Rows ``quantity``, ``central``, ``switching_value``, ``meaning``.
    """
    runner = runner or ModelRunner()
    fin = scenario.finance
    within = int(within_years if within_years is not None else fin.payback_horizon_years)
    table = unit_cost_table(scenario)

    def run(**kw: Any) -> Appraisal:
        return appraise_runs(scenario, baseline, seeds, runner, unit_costs=table, **kw)

    central = run()
    rows = []
    levers = [lv for lv in active_levers(scenario, baseline) if lv in EFFECT_PARAMETERS]
    if levers:

        def pays(m: float) -> bool:
            return run(effect_multipliers=dict.fromkeys(levers, m)).payback(basis) <= within

        value, meaning = _effect_switch(
            pays, max_effect_multiplier(scenario, levers), levers, within, iterations
        )
        rows.append(
            {
                "quantity": "effect-size multiplier for payback within N years",
                "central": 1.0,
                "switching_value": value,
                "meaning": meaning,
            }
        )
    placements = [i for i in table.index[table["used"]] if table.loc[i, "budget_line"] == "placements"]
    social = [i for i in table.index[table["used"]] if table.loc[i, "budget_line"] == "social_work"]
    npv1 = central.npv(basis)
    for label, items in (("placement unit costs", placements), ("social work unit costs", social)):
        npv0 = run(cost_multipliers=dict.fromkeys(items, 0.0)).npv(basis)
        x = _linear_root(npv0, npv1)
        rows.append(
            {
                "quantity": f"multiplier on {label} for NPV = 0",
                "central": 1.0,
                "switching_value": x,
                "meaning": _linear_meaning(label, npv0, npv1, x),
            }
        )
    npv0 = run(policy_cost_multiplier=0.0).npv(basis)
    x = _linear_root(npv0, npv1)
    rows.append(
        {
            "quantity": "multiplier on programme and hub costs for NPV = 0",
            "central": 1.0,
            "switching_value": x,
            "meaning": _linear_meaning("programme and hub costs", npv0, npv1, x),
        }
    )
    if basis != "gross":
        d0 = run(finance_overrides={"deadweight": 0.0}).npv(basis)
        d1 = run(finance_overrides={"deadweight": 1.0}).npv(basis)
        dw = _linear_root(d0, d1)
        ok = not math.isnan(dw) and dw <= 1.0
        rows.append(
            {
                "quantity": "deadweight for NPV = 0",
                "central": fin.deadweight,
                "switching_value": dw if ok else math.nan,
                "meaning": f"NPV is zero when {dw:.0%} of the effect would have happened anyway"
                if ok
                else "no deadweight in 0-100% makes NPV zero",
            }
        )
    cf = central.cashflow
    benefit = cf[f"benefit_{basis}"].to_numpy()
    cost = cf["investment"].to_numpy()
    from simulator.finance.appraisal import discount_factors

    def npv_at(r: float) -> float:
        f = discount_factors(len(cf), r, min(r, fin.discount_rate_long))
        return float(np.dot(f, benefit - cost))

    lo, hi = 0.0, 0.2
    if npv_at(lo) * npv_at(hi) < 0:
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if npv_at(lo) * npv_at(mid) > 0 else (lo, mid)
        r_star, meaning = 0.5 * (lo + hi), f"NPV is zero at a discount rate of {0.5 * (lo + hi):.2%}"
    else:
        r_star, meaning = math.nan, "NPV keeps its sign for every discount rate from 0% to 20%"
    rows.append(
        {
            "quantity": "discount rate for NPV = 0",
            "central": fin.discount_rate,
            "switching_value": r_star,
            "meaning": meaning,
        }
    )
    return pd.DataFrame(rows)
