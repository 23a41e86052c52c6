"""``compare``'s summary of paired runs: the interval of the mean difference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import t as student_t

from simulator.compare import compare
from tests.conftest import scenario

RUNS = 4


@pytest.fixture(scope="module")
def differences():
    over = {"run": {"record_episodes": False}}
    base = scenario(20_000, years=2, **over)
    riskier = scenario(20_000, years=2, risk_aversion={"index": 1.3}, **over)
    return compare(base, riskier, runs=RUNS, seed=3)


def test_the_interval_is_students_t_over_the_runs(differences):
    """With 4 runs the 95% interval is 3.18 standard errors each side, not 1.96 (a new user's
    review found 1.96: an effect on children in care that looked real with 4 runs was not)."""
    d = differences.differences
    runs = differences.runs
    assert (d["runs"] == RUNS).all()
    row = d[(d.measure == "section47_enquiries") & (d.year == d.year.max())].iloc[0]
    # the standard error and interval recomputed from the runs themselves
    wide = runs[runs.year == row.year].pivot(index="run", columns="which", values="section47_enquiries")
    diff = (wide["scenario"] - wide["baseline"]).to_numpy()
    se = diff.std(ddof=1) / np.sqrt(RUNS)
    assert row.difference_se == pytest.approx(se)
    half = student_t.ppf(0.975, RUNS - 1) * se
    assert row.ci95_low == pytest.approx(diff.mean() - half)
    assert row.ci95_high == pytest.approx(diff.mean() + half)
    assert half > 3.1 * se  # 3.18, where 1.96 would be far too narrow with so few runs
    both = d.dropna(subset=["difference_se"])
    ratio = (both.ci95_high - both.difference_mean) / both.difference_se.where(both.difference_se > 0)
    assert np.allclose(ratio.dropna(), student_t.ppf(0.975, RUNS - 1))
