"""Write the worked-example notebooks 01 and 02 (run: python notebooks/make_notebooks.py).

Kept as code so the notebooks stay reviewable; the tests execute the .ipynb files.
"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent


def notebook(cells):
    """A notebook from cell sources; markdown cells start with 'md:'."""
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c) for c in cells
    ]
    return nb


baseline = notebook(
    [
        """md:# 01 The baseline, for policy teams

A typical English local authority (about 61,300 children, the median LA in 2024) simulated for
20 years from the published 2024 position, with today's practice and no new policies. Counts follow
the DfE: children in need at 31 March include children on protection plans and in care; referrals
count referrals, not children (see `docs/COUNTING.md`).""",
        """import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from simulator import CSCModel, load_scenario

scenario = load_scenario("../scenarios/baseline.toml")
model = CSCModel(scenario, seed=42)
model.run()
results = model.results()
annual = results.annual.set_index("year")
annual[["child_population", "referrals", "section47_enquiries", "cin_31_march", "cp_31_march",
        "lac_31_march", "lac_starts", "lac_ceases", "unmet_high_need_31_march"]].head()""",
        """md:## Rates per 10,000 children, against the published spread across LAs
In 2024 the 10th-90th percentile of LAs was 41-121 children looked after per 10,000, and 17-44
starts per 10,000 (shared/data/la_cla_rates_2024.csv).""",
        """rates = annual[["referrals_per_10k", "section47_per_10k", "cin_per_10k", "cp_per_10k",
                "lac_per_10k", "lac_starts_per_10k"]].round(1)
assert rates["lac_per_10k"].between(41, 121).all()
rates.iloc[[0, 4, 9, 14, 19]]""",
        """md:## Children by state over time
Early help, children in need (CIN plans), protection plans (CP) and care (LAC), at the end of each
month; and the unmet need the model counts as harm: children in families with high need and no
service.""",
        """monthly = results.monthly
fig, ax = plt.subplots(figsize=(9, 4.5))
for col, label in [("children_EARLY_HELP", "early help"), ("children_CIN", "CIN plan"),
                   ("children_CP", "protection plan"), ("children_LAC", "looked after"),
                   ("unmet_high_need", "high need, no service")]:
    ax.plot(monthly["month"] / 12 + scenario.run.start_year, monthly[col], label=label)
ax.set_ylabel("children"); ax.set_xlabel("year"); ax.legend(ncol=3, fontsize=8)
ax.set_title("Typical LA baseline: children by state")
fig.tight_layout()""",
        """md:## One family's journey
Any family can be looked at as an agent: its attributes now and its journey so far.""",
        """from simulator import State
fid = int(model.family_ids(State.LAC)[0])
family = model.family(fid)
print(family.summary())
family.journey().tail(12)""",
    ]
)

comparing = notebook(
    [
        """md:# 02 Comparing scenarios, for policy teams

Three scenarios against the baseline over 15 years with paired seeds (common random numbers): each
run of a scenario shares its seed with a run of the baseline, so their difference is mostly the
policy, not noise. The intervals are across runs: a policy team should read the central estimate
*and* whether the interval excludes zero.""",
        """import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from simulator import load_scenario
from simulator.compare import compare

RUNS, YEARS = 6, 15
baseline = load_scenario("../scenarios/baseline.toml", {"run": {"years": YEARS, "record_episodes": False}})
names = ["prevention_investment", "troubled_families_continued", "austerity_2010s"]
comparisons = {n: compare(baseline, load_scenario(f"../scenarios/{n}.toml",
                                                  {"run": {"years": YEARS, "record_episodes": False}}),
                          runs=RUNS, seed=2024) for n in names}""",
        """md:## Care entries and unmet need: difference from baseline by year""",
        """fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, measure, title in [(axes[0], "lac_starts", "children starting care"),
                           (axes[1], "unmet_high_need_31_march", "high need, no service (31 March)")]:
    for name, c in comparisons.items():
        d = c.differences[c.differences.measure == measure]
        ax.plot(d.year, d.difference_mean, label=name)
        ax.fill_between(d.year, d.ci95_low, d.ci95_high, alpha=0.2)
    ax.axhline(0, color="black", lw=0.8); ax.set_title(title); ax.set_xlabel("year ending March")
axes[0].set_ylabel("scenario minus baseline"); axes[1].legend(fontsize=8)
fig.tight_layout()""",
        """md:## Totals over the 15 years""",
        """rows = []
for name, c in comparisons.items():
    d = c.differences
    for measure in ["referrals", "cp_starts", "lac_starts", "lac_31_march", "unmet_high_need_31_march"]:
        sel = d[d.measure == measure]
        rows.append({"scenario": name, "measure": measure,
                     "total_difference": sel.difference_mean.sum() if not measure.endswith("31_march")
                     else sel.difference_mean.iloc[-1],
                     "baseline": sel.baseline_mean.sum() if not measure.endswith("31_march")
                     else sel.baseline_mean.iloc[-1]})
summary = pd.DataFrame(rows)
summary["percent"] = (100 * summary.total_difference / summary.baseline).round(1)
summary.pivot(index="measure", columns="scenario", values="percent")""",
        """md:Reading it: the Troubled Families programme lowers care entries within two years and keeps
doing so while it runs; prevention spend works with a lag and also lowers unmet need; the austerity
cut raises unmet need first and care entries later. Effect sizes for prevention and hubs are
assumptions (grade L): see `python -m simulator params --section levers`.""",
        """tf = comparisons["troubled_families_continued"].differences
lac = tf[tf.measure == "lac_starts"]
assert lac.difference_mean.iloc[3:].mean() < 0  # the programme lowers care entries
aus = comparisons["austerity_2010s"].differences
assert aus[aus.measure == "unmet_high_need_31_march"].difference_mean.iloc[-1] > 0""",
    ]
)

nbf.write(baseline, HERE / "01_baseline_for_policy_teams.ipynb")
nbf.write(comparing, HERE / "02_comparing_scenarios.ipynb")
