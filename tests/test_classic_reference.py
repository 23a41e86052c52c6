"""The engine and the classic Mesa reference agree in distribution on the shared core rules.

``benchmarks/classic_mesa.py`` ports the engine's family rules to one ``mesa.Agent`` per
family. Both run the baseline reduced to the shared core (no migration, no new UASC, no
growth, no levers; :data:`CORE_OVERRIDES`) from the same starting families for 50 seeds
each; the mean of every stock and of the main flows must agree within 3 standard errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from classic_mesa import STATE_NAMES, ClassicModel, core_scenario  # noqa: E402

from simulator.model import CSCModel  # noqa: E402
from simulator.schema import load_scenario, with_overrides  # noqa: E402

SEEDS = range(50)
CHILDREN = 2500
MONTHS = 24
CHECK_MONTHS = (5, 11, 23)
STOCKS = [f"children_{n}" for n in STATE_NAMES]


@pytest.fixture(scope="module")
def scenario():
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    return with_overrides(core_scenario(base, years=MONTHS // 12), {"population": {"children": CHILDREN}})


def engine_run(scenario, seed):
    m = CSCModel(scenario, seed=seed)
    m.run()
    tab = pd.DataFrame(m.monthly_table(), columns=m.monthly_columns())
    flows = {
        "referrals": tab["referrals"].sum(),
        "section47_enquiries": tab["section47_enquiries"].sum(),
        "lac_starts": sum(tab[f"flow_{a}_LAC"].sum() for a in [*STATE_NAMES[:4], "IN"]),
        "placement_moves": tab["placement_moves"].sum(),
    }
    return tab[STOCKS].to_numpy(dtype=float), flows


def classic_run(scenario, seed):
    m = ClassicModel(scenario, seed=seed)
    m.run()
    tab = pd.DataFrame(m.rows)
    flows = {
        "referrals": tab["referrals"].sum(),
        "section47_enquiries": tab["s47"].sum(),
        "lac_starts": tab["lac_starts"].sum(),
        "placement_moves": tab["placement_moves"].sum(),
    }
    return tab[STOCKS].to_numpy(dtype=float), flows


@pytest.fixture(scope="module")
def runs(scenario):
    eng = [engine_run(scenario, s) for s in SEEDS]
    cla = [classic_run(scenario, s) for s in SEEDS]
    return eng, cla


def within_3se(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    z = abs(a.mean() - b.mean()) / se if se > 0 else 0.0
    return z, a.mean(), b.mean()


def test_both_run_the_same_core_months(runs):
    eng, cla = runs
    assert all(e[0].shape == (MONTHS, 5) for e in eng)
    assert all(c[0].shape == (MONTHS, 5) for c in cla)


@pytest.mark.parametrize("month", CHECK_MONTHS)
@pytest.mark.parametrize("state", range(5), ids=STATE_NAMES)
def test_stock_trajectories_agree_in_distribution(runs, month, state):
    eng, cla = runs
    z, me, mc = within_3se([e[0][month, state] for e in eng], [c[0][month, state] for c in cla])
    assert z < 3, f"{STATE_NAMES[state]} at month {month}: engine {me:.1f} vs classic {mc:.1f} ({z:.2f} SE)"


@pytest.mark.parametrize("flow", ["referrals", "section47_enquiries", "lac_starts", "placement_moves"])
def test_flows_agree_in_distribution(runs, flow):
    eng, cla = runs
    z, me, mc = within_3se([e[1][flow] for e in eng], [c[1][flow] for c in cla])
    assert z < 3, f"{flow} over {MONTHS} months: engine {me:.1f} vs classic {mc:.1f} ({z:.2f} SE)"


def test_the_classic_reference_is_one_mesa_agent_per_family(scenario):
    import mesa

    m = ClassicModel(scenario, seed=0)
    assert isinstance(m, mesa.Model)
    assert all(isinstance(a, mesa.Agent) for a in m.agents)
    assert sum(len(a.children) for a in m.agents) == pytest.approx(CHILDREN, rel=0.02)
