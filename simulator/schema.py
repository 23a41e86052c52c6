"""The scenario schema: the single source of defaults, units, ranges and evidence.

Every parameter of the model is declared once here, with its unit, allowed
range, description and source (``shared/calibration`` keys: [CLA], [CIN],
[GMCA], seeds...). The command line, the app and the docs read them from here;
nothing else retypes a default (the wolf_sheep weak spot in STYLE.md).

A scenario file (TOML) is a set of overrides of these defaults, optionally on
top of another scenario named by ``base`` (within the scenario's folder tree).
Validation is pydantic's; errors are turned into one line per problem naming the
field, the value and what is allowed (:class:`ScenarioError`). Every number has
a finite range (the bounds below say why), and values that cannot be true
together are refused: shares of one whole above 1, children on plans above
children in need, hub catchments larger than their deciles, a sample of fewer
than :data:`MIN_SIMULATED_FAMILIES` families. Input files are read by
:func:`read_toml` and :func:`read_text`, which refuse what cannot be read (a
folder, a binary or non-UTF-8 file, an empty one, a key given twice) in one line.

Rates given "per year" are converted to monthly probabilities by the engine
as ``1 - exp(-rate / 12)``. Vectors "by need" are indexed by the family's
latent need level: 0 none, 1 emerging, 2 high, 3 acute.
"""

from __future__ import annotations

import math
import re
import stat
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# -- bounds ----------------------------------------------------------------------------------
# Every number has a finite range. Upper bounds are generous (above any English authority, most
# above England itself) but finite, so a slip of the keyboard (1e300, six zeros too many) is
# refused with a message naming the field instead of running for hours or overflowing.

#: Most children an area may have: about 1.7 times England's 12.0m (2024, [CLA]), so a whole-England
#: run at 1:1 fits.
MAX_CHILDREN = 20_000_000
#: Most families a year a programme may take on: more than England's ~8m families with dependent
#: children (ONS Families and households 2023; assumption, not in shared/calibration).
MAX_FAMILIES_PER_YEAR = 10_000_000
#: Most spend a year on one lever (GBP): £10bn, of the order of English councils' whole
#: children's social care spend (DfE section 251 outturn, 2020s), so no lever of one area needs more.
MAX_SPEND_PER_YEAR = 10e9
#: Dearest unit cost per child (or family) per year, and per event (GBP): £10m, thirty times a
#: children's home place (£318,400 a year, NAO 2025), above any bespoke placement (assumption).
MAX_COST_PER_YEAR = 10e6
#: Dearest one-off cost of a hub (GBP): £100m, far above any community building.
MAX_CAPITAL_PER_HUB = 100e6
#: Longest median time in care (months): 100 years; a child leaves care at 18, so any median
#: longer than 216 months already means "until 18" (calibration scales medians up to 8x).
MAX_MEDIAN_MONTHS = 1_200
#: Dates (hub openings, shocks, dated steps) lie within this many years of the start.
MAX_YEARS_AHEAD = 100
#: Fewest families a sampled run may simulate: fewer make every count a handful of families
#: scaled up (a 1e-9 sample simulated one child and reported a billion).
MIN_SIMULATED_FAMILIES = 1_000
#: Most shocks to risk aversion in one scenario: one a year over the longest run (run.years <= 50).
MAX_SHOCKS = 50

# -- helpers ---------------------------------------------------------------------------------

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=50.0)]
Months = Annotated[float, Field(gt=0.0, le=MAX_MEDIAN_MONTHS)]
ByNeed = tuple[Rate, Rate, Rate, Rate]
ProbByNeed = tuple[Prob, Prob, Prob, Prob]
#: A lever value over time: one number for every year, a list with one value per reported
#: year, or a table of dated steps ``{"2027" = 2e6}`` (the value from that reporting year on).
#: An empty list or table is refused (it would otherwise mean zero, not "no change").
TimeSeries = (
    float | Annotated[list[float], Field(min_length=1)] | Annotated[dict[str, float], Field(min_length=1)]
)


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    grade: Literal["H", "M", "L", "assumption"] = "assumption",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """Declare a parameter with its unit, evidence and range.

    Args:
        default: the default value (the typical-LA 2024 position).
        unit: the unit a user reads in the app and docs.
        source: where the number comes from (calibration key and year), or
            ``"assumption: ..."`` with the reasoning.
        description: one sentence a practitioner understands.
        grade: evidence grade as in shared/calibration (H, M, L) or assumption.
        ge: inclusive lower bound.
        le: inclusive upper bound.
        gt: exclusive lower bound.

    Returns:
        A pydantic ``Field`` carrying the metadata in ``json_schema_extra``.
    """
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        description=description,
        json_schema_extra={"unit": unit, "source": source, "grade": grade},
    )


class Section(BaseModel):
    """Base of every schema section: unknown keys are errors, values are checked on assignment.

    No number may be NaN or infinite (it would pass every range check and fail at run time).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_or_false_for_numbers(cls, v: Any, info: Any) -> Any:
        """``years = true`` is a slip, not the number 1 (pydantic would take it as 1)."""
        ann = cls.model_fields[info.field_name].annotation
        if ann is bool or (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return v  # a section checks its own fields
        if _holds_bool(v) or (isinstance(v, Mapping) and any(_holds_bool(x) for x in v.values())):
            raise ValueError("true or false where a number (or text) is needed")
        return v


def _holds_bool(v: Any) -> bool:
    """Whether ``v`` is a bool, or a list (of lists) holding one; tables in lists check themselves."""
    if isinstance(v, bool):
        return True
    if isinstance(v, list | tuple):
        return any(_holds_bool(x) for x in v)
    return False


# -- run -------------------------------------------------------------------------------------


class Run(Section):
    """How long, from when, and how the run is sampled."""

    start_year: int = param(
        2024,
        ge=2000,
        le=2100,
        unit="year ending 31 March",
        source="[CLA]/[CIN] 2024 releases: the published position the run starts from",
        grade="H",
        description="Reporting year whose 31 March position the run starts from; "
        "the first simulated year is the year after.",
    )
    years: int = param(
        20,
        ge=1,
        le=50,
        unit="years",
        source="DESIGN.md: 10-25 year horizons",
        grade="H",
        description="Reporting years to simulate.",
    )
    seed: int = param(
        42,
        ge=0,
        le=2**63 - 1,
        unit="integer",
        source="convention",
        grade="H",
        description="Seed of the model's random generator.",
    )
    burn_in_months: int = param(
        12,
        ge=0,
        le=240,
        unit="months",
        source="assumption: long enough for flows to settle from the initial stocks",
        description="Months simulated before the first reported year and discarded.",
    )
    sample_fraction: float = param(
        1.0,
        gt=0.0,
        le=1.0,
        unit="share",
        source="modelling choice: results are scaled back up by 1/fraction",
        grade="H",
        description="Simulate this share of families and scale counts up (England at 1:1 is 1.0).",
    )
    record_episodes: bool = param(
        True,
        unit="flag",
        source="modelling choice",
        grade="H",
        description="Keep the child-level episode and family journey logs.",
    )


# -- population --------------------------------------------------------------------------------


class Population(Section):
    """Children, families, deprivation and arrivals."""

    children: int = param(
        61_300,
        ge=100,
        le=MAX_CHILDREN,
        unit="children aged 0-17",
        source="la_cla_rates_2024: median LA child population 61,300 (England 11,998,646) [CLA] 2024",
        grade="H",
        description="Children aged 0-17 living in the area at the start.",
    )
    growth_per_year: float = param(
        0.0,
        ge=-0.05,
        le=0.05,
        unit="share per year",
        source="assumption: ONS projections show the 0-17 population about flat after 2024; "
        "2010-11 to 2017-18 it grew +5.2% (0.73%/yr, seeds/NAO 2019)",
        description="Annual growth of the child population through births and net migration.",
    )
    children_per_family_shares: tuple[Prob, Prob, Prob, Prob] = param(
        (0.44, 0.40, 0.12, 0.04),
        unit="share of families with 1, 2, 3, 4 children",
        source="assumption informed by ONS Families and households (about 44% one child, "
        "40% two, 16% three or more); not in shared/calibration",
        description="How many children families have at the start.",
    )
    decile_shares: tuple[Prob, Prob, Prob, Prob, Prob, Prob, Prob, Prob, Prob, Prob] = param(
        (0.13, 0.12, 0.11, 0.105, 0.10, 0.095, 0.09, 0.09, 0.085, 0.075),
        unit="share of families by IMD decile (1 = most deprived)",
        source="assumption: children are over-represented in deprived neighbourhoods (IMD 2019)",
        description="Distribution of families over national deprivation deciles.",
    )
    births_to_existing_families: float = param(
        0.65,
        ge=0.0,
        le=1.0,
        unit="share of births",
        source="assumption: second and later births; set so the number of children per family stays "
        "about steady (~1.75) over 20 years",
        description="Births to families that already have children (the rest start a family).",
    )
    care_leaver_parent_share: float = param(
        0.01,
        ge=0.0,
        le=0.2,
        unit="share of families",
        source="assumption: about 1% of parents are care leavers",
        description="Families whose parent was in care as a child (raises adverse events).",
    )
    move_rate_per_year: float = param(
        0.03,
        ge=0.0,
        le=0.3,
        unit="share of families per year",
        source="assumption: families moving between LAs; moves in balance moves out",
        description="Families moving away each year (the same number move in).",
    )
    uasc_starts_per_10k: float = param(
        6.06,
        ge=0.0,
        le=100.0,
        unit="UASC starting care per 10,000 children per year",
        source="[CLA] 2024: UASC 22% of 33,050 starts = 7,271 / 11,998,646 children",
        grade="H",
        description="Unaccompanied asylum-seeking children entering care directly, aged 15-17.",
    )
    uasc_path: TimeSeries = param(
        1.0,
        unit="multiplier on uasc_starts_per_10k by year; a number, one per year, or dated steps",
        source="the driver itself (e.g. the rise in UASC from 2015, [CLA] time series)",
        grade="H",
        description="Change in arrivals of unaccompanied asylum-seeking children over time.",
    )
    uasc_age_shares: tuple[Prob, Prob, Prob] = param(
        (0.15, 0.40, 0.45),
        unit="share arriving aged 15, 16, 17",
        source="assumption: fitted so UASC stock (7,380 in 2024 [CLA]) is about one year of starts; "
        "checked with care.uasc_other_exit_share on: England at 5%, 2 seeds, UASC looked after at "
        "31 March 7,190-7,770 in years 2-5 (8,820-9,410 with every UASC staying to 18)",
        description="Ages of unaccompanied asylum-seeking children on arrival.",
    )

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Population:
        for name in ("children_per_family_shares", "decile_shares", "uasc_age_shares"):
            total = sum(getattr(self, name))
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"population.{name} must sum to 1 (got {total:.4f})")
        return self


# -- starting position ------------------------------------------------------------------------


class StartStocks(Section):
    """Children in each service at the start, per 10,000 children (the published position)."""

    cin_per_10k: float = param(
        332.9,
        ge=0.0,
        le=2_000.0,
        unit="children in need per 10,000 (incl. CP and care)",
        source="[CIN] 2024: 399,460 children in need at 31 March (332.9 per 10k)",
        grade="H",
        description="Children in need at the start (DfE definition).",
    )
    cp_per_10k: float = param(
        41.19,
        ge=0.0,
        le=500.0,
        unit="children on protection plans per 10,000",
        source="[CIN] 2025: 49,420 on plans / 11,998,646 children (nearest to 31 March 2024)",
        grade="H",
        description="Children on protection plans at the start.",
    )
    lac_per_10k: float = param(
        63.55,
        ge=0.0,
        le=500.0,
        unit="looked-after children (not UASC) per 10,000",
        source="[CLA] 2024: 83,630 looked after less 7,380 UASC / 11,998,646",
        grade="H",
        description="Children in care at the start, other than unaccompanied asylum seekers.",
    )
    uasc_per_10k: float = param(
        6.15,
        ge=0.0,
        le=200.0,
        unit="UASC looked after per 10,000",
        source="[CLA] 2024: 7,380 UASC looked after / 11,998,646",
        grade="H",
        description="Unaccompanied asylum-seeking children in care at the start.",
    )

    @model_validator(mode="after")
    def _plans_within_need(self) -> StartStocks:
        """Children on plans and in care are children in need (the DfE count includes them)."""
        inside = self.cp_per_10k + self.lac_per_10k + self.uasc_per_10k
        if inside > self.cin_per_10k + 1e-9:
            raise ValueError(
                f"start.cp_per_10k + start.lac_per_10k + start.uasc_per_10k = {self.cp_per_10k:g} + "
                f"{self.lac_per_10k:g} + {self.uasc_per_10k:g} = {inside:g} is above start.cin_per_10k = "
                f"{self.cin_per_10k:g}, which counts them; allowed: cin_per_10k >= {inside:g} (or fewer "
                "on plans or in care)"
            )
        return self


# -- need --------------------------------------------------------------------------------------


class Need(Section):
    """Latent family need: adverse events raise it, recovery lowers it."""

    adverse_rates_per_year: tuple[Rate, Rate, Rate, Rate] = param(
        (0.045, 0.035, 0.045, 0.02),
        unit="events per family per year: family breakdown, domestic abuse, "
        "parental mental ill-health, substance misuse",
        source="assumption (calibrated to [CIN] 2024 stocks); domestic abuse is a factor in "
        "51.1% of CIN assessments (seeds, DfE 2018)",
        description="Rates of adverse events for a family of average deprivation.",
    )
    two_level_jump_share: float = param(
        0.2,
        ge=0.0,
        le=1.0,
        unit="share of adverse events",
        source="assumption",
        description="Adverse events severe enough to raise need two levels.",
    )
    deprivation_ratio_per_decile: float = param(
        1.13,
        ge=1.0,
        le=2.0,
        unit="ratio per decile step",
        source="calibrated to the Child Welfare Inequalities Project gradient: care ~1 in 60 "
        "children in the most deprived vs 1 in 660 in the least (calibration sheet)",
        grade="M",
        description="How much likelier adverse events are one decile more deprived.",
    )
    recovery_rates_per_year: tuple[Rate, Rate, Rate] = param(
        (0.9, 0.45, 0.35),
        unit="per year, from need 1, 2, 3 without a service",
        source="assumption (calibrated): need that is not met recedes slowly",
        description="Rate at which need falls one level without any service.",
    )
    contextual_harm_per_teen_per_year: float = param(
        0.01,
        ge=0.0,
        le=1.0,
        unit="events per child aged 12-17 per year",
        source="assumption: extra-familial harm (exploitation, county lines), seeds p.361",
        description="Contextual harm to adolescents raising family need.",
    )
    care_leaver_parent_multiplier: float = param(
        2.0,
        ge=1.0,
        le=10.0,
        unit="multiplier on adverse events",
        source="assumption: intergenerational care experience (seeds: circular demand)",
        description="Adverse events are this much likelier where a parent was in care.",
    )
    prior_involvement_multiplier: float = param(
        1.3,
        ge=1.0,
        le=10.0,
        unit="multiplier on adverse events",
        source="assumption: families known before are likelier to return (seeds: circular demand)",
        description="Adverse events are this much likelier after earlier CIN, CP or care.",
    )
    initial_prior_share_by_need: ProbByNeed = param(
        (0.10, 0.19, 0.33, 0.53),
        unit="share of families at need 0, 1, 2, 3",
        source="the model's own long-run prevalence of earlier CIN/CP/care (measured after 20 years "
        "of a baseline run); starting lower made demand drift up as history accumulated",
        description="Families with earlier statutory involvement at the start, by need.",
    )
    initial_need_shares: tuple[Prob, Prob, Prob, Prob] = param(
        (0.77, 0.125, 0.074, 0.031),
        unit="share of families at need 0, 1, 2, 3",
        source="the model's own long-run distribution (measured over a 15-year baseline run)",
        description="Latent need of families at the start.",
    )

    @model_validator(mode="after")
    def _need_shares_sum_to_one(self) -> Need:
        total = sum(self.initial_need_shares)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"need.initial_need_shares = {list(self.initial_need_shares)} sum to "
                f"{total:.4f}; allowed: shares of families that sum to 1"
            )
        return self


# -- services ----------------------------------------------------------------------------------


class FrontDoor(Section):
    """Referral, assessment, section 47 and their outcomes."""

    referral_rates_per_year: ByNeed = param(
        (0.0079, 0.0455, 0.214, 0.60),
        unit="referrals per family per year, by need",
        source="calibrated to [CIN] 2024: 621,880 referrals (5.2 per 100 children)",
        grade="M",
        description="How often a family in universal services is referred to children's social care.",
    )
    rereferral_multiplier: float = param(
        3.0,
        ge=1.0,
        le=20.0,
        unit="multiplier for 12 months after a case closes",
        source="calibrated: re-referral within 12 months is about a fifth of referrals "
        "(seeds: circular demand)",
        grade="M",
        description="Closed cases are referred again more often in the following year.",
    )
    prior_involvement_multiplier: float = param(
        1.5,
        ge=1.0,
        le=10.0,
        unit="multiplier on referral",
        source="assumption",
        description="Families known before are referred more readily.",
    )
    assessed_share: float = param(
        0.95,
        ge=0.0,
        le=1.0,
        unit="share of referrals",
        source="[CIN]: about 600k-645k assessments for 620k-655k referrals (2017-2019)",
        grade="M",
        description="Referrals that go on to a social work assessment.",
    )
    early_help_outcome: ProbByNeed = param(
        (0.12, 0.35, 0.18, 0.05),
        unit="share of assessments, by need",
        source="assumption (calibrated to early help ~2 for every 3 in social care, "
        "Action for Children 2022)",
        description="Assessments that end with a step down to early help.",
    )
    cin_outcome: ProbByNeed = param(
        (0.03, 0.18, 0.40, 0.30),
        unit="share of assessments, by need",
        source="assumption (calibrated to [CIN] 2024: 399,460 children in need at 31 March)",
        description="Assessments that open a child-in-need plan.",
    )
    section47_outcome: ProbByNeed = param(
        (0.0125, 0.039, 0.163, 0.41),
        unit="share of assessments, by need",
        source="calibrated to [CIN] 2023: 225,400 section 47 enquiries (191.6 per 10k)",
        grade="M",
        description="Assessments that lead to a section 47 child protection enquiry.",
    )
    section47_path: TimeSeries = param(
        1.0,
        unit="multiplier on section 47 enquiries (front_door.section47_outcome and the enquiries of "
        "families already known), by year; a number, one per year, or dated steps",
        source="the driver itself: practice, how readily a concern leads to an enquiry (England's "
        "enquiries per referral rose from about 0.19 in 2010-11 to 0.30 in 2017-18 and 0.37 in "
        "2023-24, [CIN]; scenarios/history_2006_2018.toml)",
        grade="H",
        description="Change over time in how readily a concern leads to a section 47 enquiry "
        "(1 = today's practice).",
    )
    conference_given_s47: ProbByNeed = param(
        (0.013, 0.066, 0.19, 0.35),
        unit="share of s47 enquiries, by need",
        source="calibrated to [CIN] 2023: 74,380 initial conferences from 225,400 enquiries (33%)",
        grade="M",
        description="Section 47 enquiries that go to an initial child protection conference.",
    )
    conference_practice_elasticity: float = param(
        0.35,
        ge=0.0,
        le=1.0,
        unit="elasticity of the conference share of enquiries on section 47 practice",
        source="fitted (6 Dec 2026) to England's initial conferences of 2009-10 to 2014-15 (43,000, "
        "53,000, 56,200, 60,100 and 71,140 [CIN] via published summaries: "
        "simulator/data/england_cin_time_series_2007_2018.csv) in the expected-value view of the "
        "2006-2018 replay: 0.3, 0.35 and 0.4 gave mean absolute errors of 5.2%, 4.3% and 5.3%. When "
        "England made fewer enquiries per referral more of them went to conference (0.48 of them in "
        "2009-10, 0.33 in 2022-23). 0 keeps the share as practice changes, 1 the number of conferences",
        grade="M",
        description="How much the share of enquiries going to conference rises when practice makes "
        "fewer enquiries (front_door.section47_path below 1); no effect at today's practice.",
    )
    plan_given_conference: float = param(
        0.83,
        ge=0.0,
        le=1.0,
        unit="share of conferences",
        source="[CIN]: 61,840 plans starting (2025) / 74,380 initial conferences (2023)",
        grade="M",
        description="Initial conferences that start a child protection plan.",
    )
    emergency_care_given_s47: ProbByNeed = param(
        (0.0, 0.00189, 0.00756, 0.02268),
        unit="share of s47 enquiries, by need",
        source="calibrated to [CLA] 2024: emergency or police protection 10% of care starts (the "
        "model gives 10.2%, England, 2 seeds, 3 years, 5 Dec 2026; the earlier values, 0.0045, "
        "0.018 and 0.054, had drifted to 23.8% as other rules changed; the split by need is an "
        "assumption)",
        grade="M",
        description="Section 47 enquiries where a child is removed in an emergency.",
    )
    cin_after_s47_share: float = param(
        0.6,
        ge=0.0,
        le=1.0,
        unit="share of s47 without a conference",
        source="assumption",
        description="Enquiries without a conference that continue as CIN.",
    )

    @model_validator(mode="after")
    def _outcomes_are_shares_of_one_whole(self) -> FrontDoor:
        """Outcomes of the same assessment (or enquiry) are exclusive: their shares add to at most 1."""
        groups = {
            "assessments": ("early_help_outcome", "cin_outcome", "section47_outcome"),
            "section 47 enquiries": ("emergency_care_given_s47", "conference_given_s47"),
        }
        for whole, names in groups.items():
            for need in range(4):
                values = [getattr(self, n)[need] for n in names]
                if sum(values) > 1.0 + 1e-9:
                    fields = " + ".join(f"front_door.{n}[{need}]" for n in names)
                    shown = " + ".join(f"{v:g}" for v in values)
                    raise ValueError(
                        f"{fields} = {shown} = {sum(values):.4g} at need {need}: these are "
                        f"shares of the same {whole}; allowed: a total of at most 1"
                    )
        return self


class EarlyHelp(Section):
    """Non-statutory family support."""

    identification_rates_per_year: ByNeed = param(
        (0.0, 0.11, 0.15, 0.05),
        unit="per family per year, by need",
        source="assumption: schools and health visitors offer early help without a referral",
        description="Families in universal services found and offered early help directly.",
    )
    closure_rates_per_year: ByNeed = param(
        (3.0, 1.3, 0.7, 0.4),
        unit="per year, by need",
        source="assumption: early help episodes typically 3-9 months",
        description="Rate at which early help cases close.",
    )
    escalation_rates_per_year: ByNeed = param(
        (0.0, 0.04, 0.35, 1.5),
        unit="referrals to social care per year, by need",
        source="assumption",
        description="Early help cases referred on to children's social care.",
    )
    recovery_multiplier: float = param(
        2.2,
        ge=1.0,
        le=10.0,
        unit="multiplier on recovery",
        source="assumption: early help reduces need (EIF evidence reviews)",
        description="How much faster need falls while a family has early help.",
    )
    places_headroom: float = param(
        1.15,
        ge=0.5,
        le=5.0,
        unit="places / starting caseload",
        source="assumption: early help capacity 15% above the starting caseload",
        description="Early help places (families) relative to the starting caseload.",
    )
    initial_share_of_social_care: float = param(
        0.667,
        ge=0.0,
        le=3.0,
        unit="early help children per child in need",
        source="Action for Children 2022 FOI survey: ~2 in early help for every 3 in social care",
        grade="M",
        description="Children in early help at the start, relative to children in need.",
    )


class ChildInNeed(Section):
    """Child-in-need plans (section 17), not protection plans or care."""

    closure_rates_per_year: ByNeed = param(
        (4.0, 1.9, 0.77, 0.35),
        unit="per year, by need",
        source="assumption (calibrated to [CIN] 2024 stock and 2017-18 starts/ends)",
        description="Rate at which CIN cases close or step down.",
    )
    stepdown_to_early_help_share: float = param(
        0.3,
        ge=0.0,
        le=1.0,
        unit="share of closures",
        source="assumption",
        description="CIN closures that step down to early help.",
    )
    section47_rates_per_year: ByNeed = param(
        (0.0, 0.0093, 0.0682, 0.465),
        unit="per family per year, by need",
        source="assumption (calibrated to [CIN] 2023 s47 enquiries); times 0.62 on 6 Dec 2026 when "
        "cin.stepdown_section47_multiplier was fitted, holding enquiries and plans (typical LA, 8 "
        "seeds, years 6-15: plans starting 317 a year before and after, enquiries 1,197-1,206 and "
        "1,202)",
        description="Open CIN cases escalated to a section 47 enquiry.",
    )
    stepdown_section47_multiplier: float = param(
        21.0,
        ge=1.0,
        le=50.0,
        unit="multiplier on cin.section47_rates_per_year for 12 months after a step-down",
        source="calibrated (6 Dec 2026) to [CIN] 2024 table D3: 24.7% of the plans starting were a child's "
        "second or later (the model gave 14.8% with none; 24.6% at 21, with the CIN rates times 0.62; "
        "`python -m simulator.validation --journeys`; 24.4%, standard error 0.4, when landed the same "
        "afternoon, with only a review's step-down counted). A family whose plan ends with the risk still"
        " high is soon back at an enquiry: the step-down that fails. England's share was 13% in 2009-10 "
        "and 16.6% in 2014-15, so part of today's may be the larger register of 2015-2018 leaving more "
        "children with a past plan, which a run from 2024 does not have (assumption: all of it is put on "
        "the step-down)",
        grade="M",
        description="A family stepped down from a protection plan to a CIN plan is this much likelier "
        "to be escalated to a section 47 enquiry in the next 12 months.",
    )
    care_entry_rates_per_year: ByNeed = param(
        (0.0, 0.003159, 0.025272, 0.109512),
        unit="per family per year, by need",
        source="assumption (calibrated to [CLA] 2024: 33,050 starts; raised by 1.3 on 5 Dec 2026 "
        "with cp.care_entry_rates_per_year, holding the starts, when emergency entries were brought "
        "down to their published share of starts: front_door.emergency_care_given_s47; times 0.9 "
        "on 6 Dec 2026, holding the starts, when babies removed after birth were turned on: "
        "care.removal_after_birth_ratio)",
        description="Open CIN cases where a child enters care.",
    )
    recovery_multiplier: float = param(
        1.8,
        ge=1.0,
        le=10.0,
        unit="multiplier on recovery",
        source="assumption",
        description="How much faster need falls under a child-in-need plan.",
    )


class ChildProtection(Section):
    """Child protection plans, ending at review conferences."""

    first_review_months: int = param(
        3,
        ge=1,
        le=12,
        unit="months",
        source="Working Together 2023: first review conference within 3 months",
        grade="H",
        description="Months from the initial conference to the first review.",
    )
    review_interval_months: int = param(
        6,
        ge=1,
        le=12,
        unit="months",
        source="Working Together 2023: later reviews at most 6 months apart",
        grade="H",
        description="Months between later review conferences.",
    )
    first_review_late_share: float = param(
        0.45,
        ge=0.0,
        le=1.0,
        unit="share of new plans",
        source="calibrated to [CIN] 2025 table D7: of the plans that ended, 15.9% had lasted 3 months "
        "or less and 11.0% over 3 to 6 months; with every first review at 3 months the model put "
        "22.4% and 5.3% there (a plan ending at its first review lands in the first band); 0.45 "
        "gives 16.2% and 12.4% (0.3: 18.1% and 9.9%; 0.4: 16.9% and 11.7%; the journeys report, "
        "6 Dec 2026). "
        "Working Together sets the first review within 3 months of the initial conference; DfE "
        "counts lengths in days, so a review held in the days after the third month ends a plan "
        "'over 3 months'",
        grade="M",
        description="New protection plans whose first review conference comes a month after "
        "cp.first_review_months (reviews held in the days after the limit; a month is the "
        "model's step).",
    )
    end_probability_at_review: ProbByNeed = param(
        (0.95, 0.9, 0.72, 0.38),
        unit="chance the plan ends at a review after the first, by need",
        source="assumption (calibrated to [CIN] 2025: 49,420 on plans, 62,300 ending)",
        description="Plans end at review conferences when need has fallen.",
    )
    first_review_end_factor: float = param(
        0.35,
        ge=0.0,
        le=1.0,
        unit="multiplier on end_probability_at_review at the first review",
        source="calibrated to [CIN] 2025 table D7: 26.9% of the plans that ended had lasted 6 "
        "months or less, at or soon after the first review (D7's longer bands are kept out of "
        "fitting as a check)",
        grade="M",
        description="How much less often the first review conference ends a plan than later ones: "
        "progress has had three months to show.",
    )
    stepdown_to_cin_share: float = param(
        0.7,
        ge=0.0,
        le=1.0,
        unit="share of plans ending",
        source="assumption: most plans end with continued CIN support",
        description="Plans that end with a step down to a child-in-need plan.",
    )
    care_entry_rates_per_year: ByNeed = param(
        (0.0, 0.0192699, 0.069498, 0.29484),
        unit="per family per year, by need",
        source="assumption (calibrated to [CLA] 2024 starts; raised by 1.3 on 5 Dec 2026 with "
        "cin.care_entry_rates_per_year, holding the starts, when emergency entries were brought "
        "down to their published share: front_door.emergency_care_given_s47; times 0.9 on 6 Dec "
        "2026, holding the starts, when babies removed after birth were turned on: "
        "care.removal_after_birth_ratio)",
        description="Families on a plan where a child enters care.",
    )
    recovery_multiplier: float = param(
        2.5,
        ge=1.0,
        le=10.0,
        unit="multiplier on recovery",
        source="assumption",
        description="How much faster need falls under a protection plan.",
    )

    @model_validator(mode="after")
    def _reviews_fit_the_clock(self) -> ChildProtection:
        """The expected-value view keeps a plan's months to its next review on a 12-month clock."""
        total = self.first_review_months + self.review_interval_months
        most = 10 if self.first_review_late_share > 0 else 11  # a late first review takes a month more
        if total > most:
            late = " with cp.first_review_late_share above 0" if most == 10 else ""
            raise ValueError(
                f"cp.first_review_months + cp.review_interval_months = {self.first_review_months} + "
                f"{self.review_interval_months} = {total}; allowed: at most {most}{late} (Working "
                "Together 2023 sets 3 and 6 months at most)"
            )
        return self


#: How the ways out of care were fitted (read by the parameters fitted together).
_ADOPTION_FIT = (
    "fitted 6 Dec 2026 with adoption on the court's timeline (care.adoption_duration_spread 0.6): "
    "Nelder-Mead in the engine (the baseline, 8 seeds, years 6-15, about 350 runs) over "
    "care.adoption_infant_factor, care.adoption_share_under5, the medians of the order route's returns "
    "home, special guardianship and the long-run route (care.median_months), "
    "care.other_exit_median_months and care.duration_spread, to the journeys report's calibration rows "
    "([CLA] 2024 ages and reasons on leaving, [CLA] 2022 ages at 31 March, [CLA] 2013 lengths of stay "
    "of leavers, placement stability), holding the looked-after stock within 1% and adoptions within 3% "
    "of the defaults before (docs/MODEL.md, Adoption's timeline); the journeys report's checks were "
    "left out of the fit"
)
_WAYS_OUT_FIT = (
    "fitted 5 Dec 2026 (Nelder-Mead in the engine: the baseline, 4 seeds, years 6-15), all "
    "together: care.other_exit_share, care.other_exit_median_months, care.other_exit_min_age_years, "
    "care.return_home_share (one factor on its three), the medians of the returns home and of the "
    "long-run route (care.median_months) and care.duration_spread, to [CLA] 2024 reasons for "
    "leaving care and ages on leaving, [CLA] 2022 ages at 31 March and [CLA] 2013 lengths of stay "
    "of leavers, holding the looked-after stock (docs/MODEL.md, Journeys)"
)


class Care(Section):
    """Entry to care, placements and the ways care ends."""

    selection_weights_by_age: tuple[Rate, Rate, Rate, Rate, Rate] = param(
        (4.0, 1.1, 0.9, 1.5, 1.1),
        unit="relative weight for ages <1, 1-4, 5-9, 10-15, 16-17",
        source="assumption (calibrated to [CLA] age at entry: infants and adolescents most likely)",
        description="Which child in a family enters care.",
    )
    sibling_join_probability: float = param(
        0.35,
        ge=0.0,
        le=1.0,
        unit="chance per sibling",
        source="assumption: sibling groups often enter care together",
        description="Chance that each sibling enters care with the index child.",
    )
    removal_at_birth_by_need: ProbByNeed = param(
        (0.0, 0.0, 0.006, 0.045),
        unit="chance per birth, by the family's need (none, emerging, high, acute)",
        source="calibrated to Broadhurst et al. (2018), Born into care, Nuffield Family Justice "
        "Observatory: 2,447 newborns (under a week old) in care proceedings in England in 2016/17",
        grade="M",
        description="Babies removed at birth after a pre-birth assessment, in a family in universal "
        "services or early help (the age of children entering care is kept out of fitting as a "
        "check).",
    )
    removal_at_birth_path: TimeSeries = param(
        1.0,
        unit="multiplier on removal_at_birth_by_need by year; a number, one per year, or dated steps",
        source="the driver itself (e.g. newborns in care proceedings, England: 1,039 in 2007/08, "
        "2,447 in 2016/17, Broadhurst et al. 2018)",
        grade="H",
        description="Change in pre-birth practice over time (how often a pre-birth assessment ends "
        "in removal at birth).",
    )
    removal_at_birth_plan_multiplier: tuple[Rate, Rate] = param(
        (3.0, 8.0),
        unit="multiplier on removal_at_birth_by_need for a family on a CIN plan, on a protection plan",
        source="assumption: an unborn baby of a family already on a plan is assessed before birth, "
        "and a pre-birth protection plan often ends in proceedings at birth",
        description="How much likelier removal at birth is for a family already on a plan.",
    )
    removal_at_birth_repeat_multiplier: float = param(
        2.0,
        ge=1.0,
        le=20.0,
        unit="multiplier when a brother or sister is in care now",
        source="assumption: mothers who have lost a child to care are often subject to proceedings "
        "again (Broadhurst et al. 2017, recurrent care: about 1 in 4 birth mothers in care "
        "proceedings)",
        description="Repeat removals: how much likelier removal at birth is when a sibling is in care.",
    )
    removal_after_birth_ratio: float = param(
        0.97,
        ge=0.0,
        le=10.0,
        unit="removals in the first year after birth per removal at birth",
        source="Broadhurst et al. 2018, Born into care, Nuffield Family Justice Observatory: "
        "newborns, under a week old, were 42% of the infants in care proceedings in England in "
        "2016/17, so 58 / 42 = 1.38 later in the year for each newborn; less the infants the "
        "month's hazards already take into care (0.40 per removal at birth in the baseline without "
        "this rule: 46 against 114 over years 6-15, 4 seeds, 6 Dec 2026), 0.97. The families at "
        "risk are assumed those at risk at birth, the removals spread evenly over months 1-11. "
        "At 1.38 the 2006-2018 replay's stock passed its bound (docs/experiments/removal_after_birth.toml)",
        grade="M",
        description="Babies who go home after a pre-birth assessment and are removed later in their "
        "first year, for each baby removed at birth.",
    )
    removal_after_birth_path: TimeSeries = param(
        1.0,
        unit="multiplier on removal_after_birth_ratio by year; a number, one per year, or dated steps",
        source="the driver itself (e.g. infants in care proceedings after their first week, England: "
        "about 2,210 in 2007/08 and 3,380 in 2016/17, Broadhurst et al. 2018: newborns 1,039 and "
        "2,447 were 32% and 42% of all infant cases)",
        grade="H",
        description="Change over time in how often a baby who goes home after a pre-birth assessment "
        "is removed later in its first year.",
    )
    route_shares: tuple[Prob, Prob, Prob] = param(
        (0.57, 0.33, 0.10),
        unit="share of non-UASC starts: s20, care order, emergency",
        source="[CLA] 2024: voluntary 57%, care order 31%, emergency/police 10% (2% other added to "
        "care orders)",
        grade="H",
        description="Legal route into care.",
    )
    infant_care_order_share: float = param(
        0.7,
        ge=0.0,
        le=1.0,
        unit="share of non-emergency entries under age 1",
        source="assumption: newborns are mostly removed through care proceedings (placement with "
        "consent under s20 is discouraged for infants since Re N 2015)",
        description="Infants entering care other than in an emergency who do so under a care order.",
    )
    return_home_share: tuple[Prob, Prob, Prob] = param(
        (0.327, 0.114, 0.403),
        unit="share of episodes by route: s20, care order, emergency",
        source=_WAYS_OUT_FIT + " (returned home 20.4% of leavers); the split by route is an assumption "
        "(was 0.26, 0.09, 0.32 before the ages were fitted; 0.42, 0.14, 0.52 before the reasons); "
        "times 1.105 on 5 Dec 2026 so that returns home stay where they were when the routes into "
        "care were brought to their published shares (fewer emergencies, more section 20 and orders)",
        grade="M",
        description="Care episodes that end with a return home.",
    )
    return_home_path: TimeSeries = param(
        1.0,
        unit="multiplier on care.return_home_share by year care starts; a number, one per year, or "
        "dated steps",
        source="the driver itself (e.g. returns home were 41% of the children leaving care in England "
        "in 2006-07 (10,270 of 24,980), 35% in 2012-13 and 34% in 2014-15, against 26% in 2023-24 "
        "counting relatives as those years did: scenarios/history_2006_2018.toml)",
        grade="H",
        description="Change in reunification practice over time (plans to return home made when care "
        "starts).",
    )
    adoption_share_under5: float = param(
        0.241,
        ge=0.0,
        le=1.0,
        unit="share of non-UASC episodes starting under 5",
        source="calibrated to [CLA] 2024: 2,980 adoptions (the share of children starting care at 1-4; "
        "babies: care.adoption_infant_factor times it); " + _ADOPTION_FIT + ". Was 0.38 with one share for "
        "every child under 5",
        grade="M",
        description="Care episodes of children under 5 that end in adoption (via a placement order).",
    )
    adoption_infant_factor: float = param(
        1.94,
        ge=1.0,
        le=10.0,
        unit="multiplier on adoption_share_under5 for a child starting care under 1 (at most what "
        "special guardianship and the other exits leave)",
        source="Adoption is mostly of babies: adopted children were 3 years 5 months old on average at "
        "adoption after 2 years 3 months in care ([CLA] 2016, as reported by CVAA), so most entered care "
        "in their first year; with one share for every child under 5 (1, the default until 6 Dec 2026) "
        "the model's were 4.7 years old. " + _ADOPTION_FIT + ": babies' adoption share 0.47 against the "
        "1-4s' 0.24; the mean age at adoption (3.7 years) and months to adoption (28.7) are the journeys "
        "report's checks, not fitted",
        grade="M",
        description="How much likelier a baby entering care is to be adopted than a child of 1-4.",
    )
    adoption_path: TimeSeries = param(
        1.0,
        unit="multiplier on adoption_share_under5 by year care starts; a number, one per year, or "
        "dated steps",
        source="the driver itself (e.g. the adoption drive of 2012-15, [CLA] adoptions by year)",
        grade="H",
        description="Change in adoption practice over time (plans made when care starts).",
    )
    special_guardianship_share: float = param(
        0.14,
        ge=0.0,
        le=1.0,
        unit="share of episodes",
        source="assumption: SGO/CAO about an eighth of ceases ([CLA] not in sheet)",
        description="Care episodes that end with special guardianship or a child arrangements order.",
    )
    special_guardianship_path: TimeSeries = param(
        1.0,
        unit="multiplier on care.special_guardianship_share by year care starts; a number, one per "
        "year, or dated steps",
        source="the driver itself (e.g. special guardianship orders, in force from December 2005: 750 "
        "children left care under one in 2006-07, 1,780 in 2010-11, 3,520 in 2014-15 [CLA]: "
        "scenarios/history_2006_2018.toml)",
        grade="H",
        description="Change in the use of special guardianship over time (plans made when care starts).",
    )
    court_weeks_path: TimeSeries = param(
        0.0,
        unit="weeks care proceedings take on average beyond 2024's (negative: fewer), by year care "
        "starts; a number, one per year, or dated steps",
        source="the driver itself: the time care and supervision cases took to a first disposal in "
        "England and Wales, 41 weeks in April-June 2024 (MoJ Family Court Statistics Quarterly), 49 "
        "in 2011, 30 in 2014 and 26.9 in 2016 after the 26-week limit of the Children and Families "
        "Act 2014 (MoJ via published reports: scenarios/history_2006_2018.toml). Adoption and special "
        "guardianship plans wait on the court, so each such plan is that many weeks longer or "
        "shorter (in months); the time outside court is unchanged (assumption)",
        grade="H",
        description="Change over time in how long the family court takes to make the orders that "
        "adoption and special guardianship wait on (0 = 2024's timetable).",
    )
    other_exit_share: float = param(
        0.27,
        ge=0.0,
        le=1.0,
        unit="share of non-UASC episodes starting at care.other_exit_min_age_years or over",
        source=_WAYS_OUT_FIT + ": [CLA] 2024 (2025 release), reason episode ceased: 22.9% of "
        "children leaving care left another way (another authority 6.3%, relatives without an "
        "order 5.9%, custody or remand 1.1%, adult care 1.4%, any other reason 7.9%) and 32.8% at "
        "18 or to independent living; 39% left on their 18th birthday, whatever the reason (DfE's "
        "data guidance: 58-65% of those recorded as leaving for other reasons in 2021-2023 left "
        "then). Was 0.52 of children starting at 10 or over (docs/MODEL.md, Ways out of care)",
        grade="M",
        description="Care episodes that end another way: transfer to another authority, to "
        "relatives without an order, custody, adult care, any other reason.",
    )
    other_exit_median_months: Months = param(
        112.9,
        unit="median months",
        source=_ADOPTION_FIT + ". A plan to leave another way that outlasts childhood "
        "ends on the 18th birthday under that reason, as DfE records most of them ([CLA] does not publish "
        "durations by reason; was 74 from the fit of 5 Dec 2026, 8.5 when these exits were read as early "
        "exits of teenagers)",
        grade="M",
        description="Median time in care before an exit another way (unaccompanied children: "
        "care.uasc_other_exit_median_months).",
    )
    other_exit_min_age_years: float = param(
        5.0,
        ge=0.0,
        le=17.0,
        unit="years of age at the start of care",
        source="fitted with care.other_exit_share (above: 3.8, raised to 5 so that the plans of "
        "children under 5, adoption among them, do not compete with it; was 10, an assumption): "
        "custody and remand, independent living before 18 and transfers are mostly of older "
        "children, but [CLA] does not publish reasons by age at entry",
        description="Youngest age at the start of care of an episode that may end another way "
        "(care.other_exit_share).",
    )
    uasc_other_exit_share: float = param(
        0.45,
        ge=0.0,
        le=1.0,
        unit="share of UASC episodes",
        source="held at 0.45 in the 5 Dec 2026 fit of care.other_exit_share (above), between the 4 Dec "
        "fit (0.39) and a free fit (0.72, which made unaccompanied children the dial of the stock). "
        "[CLA] 2024 (2025 release), reason "
        "episode ceased: care taken over by another authority 2,140 (6.3% of ceases; the National "
        "Transfer Scheme moves unaccompanied children between authorities), age assessed as 18 or "
        "over 370; unaccompanied children were 21% of starts in 2022-23 (7,090 of 33,000, DfE via "
        "Community Care, 20 Nov 2023), so if all stayed to 18 they alone would be most of the "
        "32.8% leaving at 18",
        grade="M",
        description="Unaccompanied children's episodes that end before 18 another way (a transfer "
        "to another authority, assessed as an adult, missing), after care.uasc_other_exit_median_months.",
    )
    uasc_other_exit_median_months: Months = param(
        8.5,
        unit="median months after arriving",
        source="assumption: a transfer under the National Transfer Scheme or an age assessment comes "
        "soon after arrival ([CLA] does not publish durations by reason); the value the other exits "
        "of all children had until 5 Dec 2026",
        description="Median time in care before an unaccompanied child leaves another way.",
    )
    median_months: tuple[Months, Months, Months, Months, Months] = param(
        (1.6, 15.4, 24.0, 11.1, 35.5),
        unit="median months: return home (s20/emergency), return home (order), adoption, SGO, the "
        "long-run route (children under 10 with no other plan: half return home, half SGO)",
        source="assumption for adoption (24 months: the court timeline, care.adoption_duration_spread); "
        "the order route's return home, special guardianship and the long-run route " + _ADOPTION_FIT + " "
        "(were 11.9, 24 and 39; the short return home, 1.6, from the fit of 5 Dec 2026)",
        grade="M",
        description="Median time in care before each kind of exit.",
    )
    duration_spread: float = param(
        1.98,
        ge=0.1,
        le=3.0,
        unit="log-normal sigma",
        source=_ADOPTION_FIT + ". The lengths of stay of children leaving care are wide ([CLA] 2013: "
        "46% under a year, 11% under two weeks, 14% 5-10 years), and one log-normal per kind of exit "
        "stands for children whose stays differ by more than the plan; one spread for every exit but "
        "adoption is an assumption. Was 1.34 (fitted 5 Dec 2026 with care.other_exit_share, when "
        "adoption shared it), 0.9 before, an assumption",
        grade="M",
        description="Spread of times in care around the medians (adoption: care.adoption_duration_spread).",
    )
    adoption_duration_spread: float = param(
        0.6,
        ge=0.1,
        le=3.0,
        unit="log-normal sigma",
        source="adoption follows a court timeline (a placement order, matching, at least 10 weeks' "
        "placement, the order): at 0.6, 90% of adoptions come 9-64 months after entry around the "
        "24-month median (mean 28.7 months; [CLA] 2022: 2 years 3 months; DfE adoption scorecards, "
        "measure A10: entering care to moving in with the adoptive family about 500-560 days in the "
        "three-year averages of 2013-17, as recalled, not re-read here). Set 6 Dec 2026 with the fit "
        "of the other exits (care.adoption_infant_factor); was 1.34, as every other exit, when 5% of "
        "adoptions came within 3 months of entry",
        grade="M",
        description="Spread of the times from entering care to adoption (other exits: care.duration_spread).",
    )
    placement_shares_by_age: tuple[
        tuple[Prob, Prob, Prob, Prob, Prob, Prob],
        tuple[Prob, Prob, Prob, Prob, Prob, Prob],
        tuple[Prob, Prob, Prob, Prob, Prob, Prob],
        tuple[Prob, Prob, Prob, Prob, Prob, Prob],
    ] = param(
        (
            (0.22, 0.43, 0.22, 0.01, 0.00, 0.12),
            (0.20, 0.35, 0.32, 0.06, 0.00, 0.07),
            (0.13, 0.22, 0.36, 0.22, 0.00, 0.07),
            (0.08, 0.12, 0.28, 0.17, 0.32, 0.03),
        ),
        unit="shares for ages 0-4, 5-9, 10-15, 16-17 of: friends/family foster, in-house foster, "
        "IFA, children's home, supported accommodation, placed with parents",
        source="calibrated so the stock matches [CLA] 2024: foster 67% (kin 16%, IFA 40% of foster), "
        "homes 10% (+8% other residential), with parents 6%, supported accommodation 7%",
        grade="M",
        description="Placement type at the start of care, by age.",
    )
    placement_moves_per_year: tuple[Rate, Rate, Rate, Rate, Rate, Rate] = param(
        (0.18, 0.18, 0.18, 0.18, 0.18, 0.18),
        unit="moves a year out of a settled placement: friends/family foster, in-house foster, IFA, "
        "children's home, supported accommodation, placed with parents",
        source="calibrated with new_placement_move_factor (the settling time assumed) to [CLA] 2024 "
        "placement stability: 11% of children looked after at 31 March had three or more placements "
        "in the year (8,860 of 83,530) and 68% of under-16s looked after 2.5 years or more had been in "
        "the same placement for 2 years (19,620 of 28,970). The same for every type: no published "
        "breakdown rates by type were found (assumption); a higher rate for one type lowers its "
        "share of the stock, since moves go where children of the age are placed",
        grade="M",
        description="How often a child leaves a settled placement of each type for another while in "
        "care. Where it goes (perhaps another placement of the same type) is drawn from "
        "placement_shares_by_age for the child's age at the move.",
    )
    new_placement_move_factor: float = param(
        14.0,
        ge=1.0,
        le=50.0,
        unit="multiplier on the move rate of a placement not yet settled",
        source="calibrated with placement_moves_per_year to [CLA] 2024 placement stability (three or "
        "more placements in the year); that instability gathers in new placements is an assumption "
        "(Children's Commissioner, Stability Index 2019: moves cluster among children who have moved)",
        grade="M",
        description="How much likelier a new placement (the first of an episode, or after a move) is "
        "to break down than a settled one.",
    )
    placement_settling_months: float = param(
        4.0,
        ge=1.0,
        le=120.0,
        unit="mean months",
        source="assumption [L]",
        description="Mean months a new placement takes to settle (after which it breaks down at the "
        "settled rate).",
    )
    placement_order_months: int = param(
        14,
        ge=1,
        le=120,
        unit="months",
        source="assumption [M] informed by DfE adoption scorecards: placement order to a match "
        "about 7 months (measure A2: 195 days in 2009-11; 216 days in 2013-14, Adoption Leadership "
        "Board), then about 7 months to the adoption order (placement, at least 10 weeks before an "
        "application, and the court: assumption)",
        grade="M",
        description="Months a child whose plan is adoption spends under a placement order before "
        "the adoption order (the legal status 'placement order' at 31 March).",
    )
    uasc_placement_shares: tuple[Prob, Prob, Prob, Prob, Prob, Prob] = param(
        (0.0, 0.15, 0.35, 0.05, 0.45, 0.0),
        unit="shares of UASC starts by placement type",
        source="assumption: most UASC are 16-17 and placed in supported accommodation or IFA",
        description="Placement type for unaccompanied asylum-seeking children.",
    )
    after_return_home_need: int = param(
        2,
        ge=0,
        le=3,
        unit="need level",
        source="assumption: returns home are supported as CIN",
        description="Family need level after a child returns home (drives re-entry).",
    )

    @model_validator(mode="after")
    def _rows_sum_to_one(self) -> Care:
        rows: dict[str, list[tuple[float, ...]]] = {
            "route_shares": [self.route_shares],
            "uasc_placement_shares": [self.uasc_placement_shares],
            "placement_shares_by_age": list(self.placement_shares_by_age),
        }
        for name, vectors in rows.items():
            for i, row in enumerate(vectors):
                if abs(sum(row) - 1.0) > 1e-6:
                    raise ValueError(f"care.{name} row {i} must sum to 1 (got {sum(row):.4f})")
        if not any(self.selection_weights_by_age):
            raise ValueError(
                "care.selection_weights_by_age = [0, 0, 0, 0, 0]: no child could be chosen to "
                "enter care; allowed: weights >= 0 with at least one above 0"
            )
        return self

    @model_validator(mode="after")
    def _exits_are_shares_of_one_whole(self) -> Care:
        """Return home and special guardianship end the same episodes: together at most 1.

        (Adoption, for children under 5, is checked with ``care.adoption_path`` by the scenario:
        adoption plans replace plans to return home, never special guardianship.)
        """
        sgo = self.special_guardianship_share
        oth = self.other_exit_share
        for i, route in enumerate(("s20", "care order", "emergency")):
            rh = self.return_home_share[i]
            if rh + sgo > 1.0 + 1e-9:
                raise ValueError(
                    f"care.return_home_share[{i}] + care.special_guardianship_share = {rh:g} + {sgo:g} = "
                    f"{rh + sgo:.4g} ({route} route): these are shares of the same care episodes, and "
                    f"a return home would never be planned; allowed: a total of at most 1 "
                    f"(special_guardianship_share <= {1.0 - rh:.4g} here)"
                )
            if rh + sgo + oth > 1.0 + 1e-9:
                raise ValueError(
                    f"care.return_home_share[{i}] + care.special_guardianship_share + "
                    f"care.other_exit_share = {rh:g} + {sgo:g} + {oth:g} = {rh + sgo + oth:.4g} "
                    f"({route} route): these are shares of the same care episodes; allowed: a total "
                    f"of at most 1 (with the others as they are, special_guardianship_share <= "
                    f"{max(0.0, 1.0 - rh - oth):.4g} or other_exit_share <= "
                    f"{max(0.0, 1.0 - rh - sgo):.4g} here)"
                )
        return self


class Workforce(Section):
    """Capacity that moves thresholds when caseloads rise."""

    caseload_headroom: float = param(
        1.10,
        ge=0.5,
        le=5.0,
        unit="capacity / starting statutory caseload",
        source="assumption: teams run close to capacity (NAO 2019: 9 in 10 councils overspent)",
        description="Social work capacity relative to the starting CIN+CP+care caseload.",
    )
    threshold_elasticity: float = param(
        1.5,
        ge=0.0,
        le=10.0,
        unit="elasticity",
        source="assumption: over capacity, fewer assessments open plans (seeds: thresholds)",
        description="How strongly caseload pressure raises the threshold for CIN and CP.",
    )


class RiskAversion(Section):
    """Practice culture: how readily concerns are escalated."""

    index: float = param(
        1.0,
        ge=0.3,
        le=3.0,
        unit="index (1 = 2024 practice)",
        source="normalised to 2024 practice",
        grade="H",
        description="Risk aversion of referrers and social workers.",
    )
    referral_elasticity: float = param(
        0.4,
        ge=0.0,
        le=5.0,
        unit="elasticity",
        source="assumption: after Baby P referrals rose less than care applications",
        description="Referrals scale as index ** elasticity.",
    )
    section47_elasticity: float = param(
        1.0,
        ge=0.0,
        le=5.0,
        unit="elasticity",
        source="calibrated to the Baby P response (care applications +36% in 2009/10, Cafcass)",
        grade="M",
        description="Section 47 enquiries scale as index ** elasticity.",
    )
    care_elasticity: float = param(
        1.0,
        ge=0.0,
        le=5.0,
        unit="elasticity",
        source="calibrated to the Baby P response (care applications +36% in 2009/10, Cafcass)",
        grade="M",
        description="Entries to care scale as index ** elasticity.",
    )


# -- levers ------------------------------------------------------------------------------------


def series_values(value: TimeSeries, start_year: int, years: int) -> list[float]:
    """Expand a :data:`TimeSeries` into one value per reported year (first = start_year + 1)."""
    if isinstance(value, int | float):
        return [float(value)] * years
    if isinstance(value, list):
        return [float(v) for v in value]
    out, current = [], 0.0
    steps = {int(k): float(v) for k, v in value.items()}
    for i in range(years):
        year = start_year + 1 + i
        if year in steps:
            current = steps[year]
        out.append(current)
    return out


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to one readable length (a value typed by mistake can be enormous)."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 10] + f"... ({len(shown):,} characters)"


def parse_month(value: str | int, field: str) -> tuple[int, int]:
    """A date as ``"YYYY-MM"`` or a year (April, the start of its reporting year) -> (year, month)."""
    if isinstance(value, int):
        return value - 1, 4
    try:
        y, m = str(value).split("-")
        year, month = int(y), int(m)
        if not 1 <= month <= 12:
            raise ValueError
        return year, month
    except ValueError:
        raise ValueError(f"{field} = {_short(value)}: a date must be 'YYYY-MM' or a reporting year") from None


def month_index(value: str | int, start_year: int, field: str) -> int:
    """Months from the start of the first reported year (April after ``start_year``) to a date."""
    year, month = parse_month(value, field)
    return (year - start_year) * 12 + (month - 4)


class Prevention(Section):
    """Extra prevention spend: early help places and universal prevention (seeds: -44%/-55% cuts)."""

    spend_per_year: TimeSeries = param(
        0.0,
        unit="GBP per year (real, 2024-25 prices); a number, one per year, or dated steps",
        source="the lever itself; negative values are not allowed (model cuts with baseline_capacity_change)",
        grade="H",
        description="Additional prevention spend each year.",
    )
    baseline_capacity_change: TimeSeries = param(
        0.0,
        unit="share of starting early help places (-0.44 = a 44% cut)",
        source="seeds: Sure Start/early years -44% 2010-11 to 2015-16; early intervention grant -55%",
        grade="H",
        description="Change in the existing early help budget (and so its places).",
    )
    early_help_share: float = param(
        0.6,
        ge=0.0,
        le=1.0,
        unit="share of the extra spend",
        source="assumption",
        description="Share of extra spend buying early help places; the rest funds universal prevention.",
    )
    cost_per_early_help_place: float = param(
        2_700.0,
        gt=0.0,
        le=MAX_COST_PER_YEAR,
        unit="GBP per family-year (2024-25)",
        source="[GMCA] SS6.0 early help proxy £165/month (2010-11) x12, x1.35 to 2024-25",
        grade="M",
        description="Cost of one early help place for a year.",
    )
    cost_per_family_reached: float = param(
        1_300.0,
        gt=0.0,
        le=MAX_COST_PER_YEAR,
        unit="GBP per family-year (2024-25)",
        source="[GMCA] SS15 group parenting programme £952 per participant (2008-09) x1.35",
        grade="M",
        description="Cost of reaching one family with universal prevention for a year.",
    )
    adverse_reduction: float = param(
        0.3,
        ge=0.0,
        le=0.9,
        unit="share fewer adverse events when fully effective",
        source="assumption informed by Sure Start evaluations (IFS 2025: benefits concentrated "
        "in poorer areas; few impacts on social care contacts)",
        grade="L",
        description="How much universal prevention lowers adverse events among families reached.",
    )
    identification_boost: float = param(
        1.5,
        ge=0.0,
        le=5.0,
        unit="extra share of early help offers",
        source="assumption: families reached are offered early help proactively (outreach)",
        grade="L",
        description="How much likelier reached families with need are offered early help.",
    )
    months_to_effect: int = param(
        12,
        ge=0,
        le=60,
        unit="months",
        source="assumption: services take about a year to recruit and embed",
        grade="L",
        description="Months for spend to take effect: each month the spend in effect closes "
        "1/months_to_effect of its gap to the year's budget (about 63% after this many months; costs "
        "are what is in effect, so the budget is underspent while services build up); a lower budget "
        "takes effect at once.",
    )


class Shock(Section):
    """A high-profile case that raises risk aversion, then decays."""

    date: str | int = Field(..., description="When the case becomes public ('YYYY-MM' or a year).")
    size: float = param(
        0.4,
        ge=0.0,
        le=3.0,
        unit="proportional rise in the risk-aversion index at its peak",
        source="Baby P (Nov 2008): care applications +36% in 2009/10 (Cafcass)",
        grade="M",
        description="How far the shock raises risk aversion.",
    )
    half_life_years: float = param(
        1.0,
        gt=0.0,
        le=20.0,
        unit="years",
        source="calibrated: Cafcass care applications stayed high for several years (2009-2011) "
        "while s47 and care entries returned towards trend",
        grade="L",
        description="Time for half of the shock's effect to fade.",
    )


class RiskAversionLever(Section):
    """Risk aversion over time and shocks (the index itself is ``risk_aversion.index``)."""

    index_path: TimeSeries = param(
        1.0,
        unit="times the starting risk aversion, by year",
        source="the lever itself",
        grade="H",
        description="Planned change in practice culture (e.g. 0.9 = 10% less risk-averse).",
    )
    shocks: list[Shock] = Field(
        default_factory=list,
        description="High-profile cases, each {date, size, half_life_years} (the rows "
        "levers.risk_aversion.shocks[].*); none by default.",
        json_schema_extra={
            "unit": "a list of shocks",
            "source": "the lever itself (e.g. Baby P, November 2008: scenarios/history_2006_2018.toml)",
            "grade": "H",
        },
    )

    @model_validator(mode="before")
    @classmethod
    def _few_shocks(cls, data: Any) -> Any:
        shocks = data.get("shocks") if isinstance(data, Mapping) else None
        if isinstance(shocks, list | tuple) and len(shocks) > MAX_SHOCKS:
            raise ValueError(
                f"levers.risk_aversion.shocks has {len(shocks)} shocks; allowed: at most "
                f"{MAX_SHOCKS} (one a year over the longest run)"
            )
        return data


#: Hubs a scenario can open: the engine keeps 64 lever groups a lever (``kernel.MAX_GROUPS``),
#: group 0 meaning none.
MAX_HUBS = 63


class CommunityHubs(Section):
    """Community (family) hubs: navigators find need early; peer support; trust builds."""

    opening_dates: list[str | int] = Field(
        default_factory=list,
        description="One entry per hub: 'YYYY-MM' or a reporting year; none by default (no hubs).",
        json_schema_extra={
            "unit": "a list of dates, one per hub",
            "source": "the lever itself",
            "grade": "H",
        },
    )

    @field_validator("opening_dates", mode="before")
    @classmethod
    def _dates_are_dates(cls, value: Any) -> Any:
        """A date is 'YYYY-MM' or a whole reporting year; a fraction of a year is neither."""
        if isinstance(value, list | tuple):
            for i, v in enumerate(value):
                if isinstance(v, bool) or not isinstance(v, str | int):
                    raise ValueError(
                        f"levers.community_hubs.opening_dates[{i}] = {_short(v)}: a date must be "
                        "'YYYY-MM' or a reporting year (e.g. \"2026-04\" or 2027)"
                    )
        return value

    deciles: list[int] = Field(
        default_factory=list,
        description="Deprivation decile (1 = most deprived) each hub serves; empty = most deprived first.",
        json_schema_extra={
            "unit": "a list of deciles 1-10, one per hub",
            "source": "the lever itself",
            "grade": "H",
        },
    )
    catchment_families: int = param(
        2_500,
        ge=100,
        le=100_000,
        unit="families with children per hub",
        source="assumption: a hub serves a neighbourhood of ~2,500 families (Westminster, Wigan)",
        description="Families in each hub's catchment.",
    )
    identification_boost: float = param(
        1.0,
        ge=0.0,
        le=10.0,
        unit="extra share of early help offers at full trust",
        source="assumption from family hubs (Westminster) and Leeds community teams (seeds)",
        grade="L",
        description="How much likelier families with need are found and offered early help.",
    )
    adverse_reduction: float = param(
        0.12,
        ge=0.0,
        le=0.9,
        unit="share fewer adverse events at full trust",
        source="assumption: peer support and community networks (seeds, Wigan Deal)",
        grade="L",
        description="Peer support slowing the growth of need.",
    )
    rereferral_reduction: float = param(
        0.3,
        ge=0.0,
        le=0.9,
        unit="share fewer re-referrals of closed cases at full trust",
        source="assumption: step-down support in the community (seeds)",
        grade="L",
        description="Fewer closed cases coming back.",
    )
    months_to_half_trust: float = param(
        15.0,
        gt=0.0,
        le=60.0,
        unit="months",
        source="seeds: trust builds over 2-3 years",
        grade="M",
        description="Months after opening at which a hub reaches half its effect (logistic ramp).",
    )
    capital_cost_per_hub: float = param(
        500_000.0,
        ge=0.0,
        le=MAX_CAPITAL_PER_HUB,
        unit="GBP one-off (2024-25)",
        source="assumption: refurbishing a children's centre as a hub; change in the app",
        grade="L",
        description="One-off cost of opening a hub.",
    )
    running_cost_per_hub: float = param(
        350_000.0,
        ge=0.0,
        le=MAX_COST_PER_YEAR,
        unit="GBP per hub per year (2024-25)",
        source="assumption: DfE Family Hubs programme ~£1.3m per LA a year over ~4 hubs",
        grade="L",
        description="Yearly running cost of a hub (navigators, peer support, building).",
    )


class TroubledFamilies(Section):
    """Intensive whole-family work for families with multiple needs."""

    places_per_year: TimeSeries = param(
        0.0,
        unit="families starting per year; a number, one per year, or dated steps",
        source="the lever itself",
        grade="H",
        description="Families starting the programme each year.",
    )
    eligibility_min_need: int = param(
        2,
        ge=1,
        le=3,
        unit="need level",
        source="MHCLG criteria: families with multiple problems",
        grade="M",
        description="Lowest need level of an eligible family (with earlier involvement or "
        "three or more children).",
    )
    intervention_months: int = param(
        12,
        ge=1,
        le=36,
        unit="months",
        source="MHCLG national evaluation: keyworker support ~12 months",
        grade="M",
        description="Length of the intervention.",
    )
    effect_months_after: int = param(
        24,
        ge=0,
        le=120,
        unit="months",
        source="MHCLG 2019: effects measured to 19-24 months",
        grade="M",
        description="How long the effect lasts after the intervention ends.",
    )
    care_entry_reduction: float = param(
        0.32,
        ge=0.0,
        le=0.9,
        unit="share fewer entries to care",
        source="MHCLG national evaluation 2019: children in care 32% lower than matched "
        "comparison at 19-24 months",
        grade="H",
        description="Effect on the chance of a child entering care.",
    )
    recovery_boost: float = param(
        0.5,
        ge=0.0,
        le=5.0,
        unit="extra share of recovery",
        source="assumption: whole-family working addresses several needs at once",
        grade="L",
        description="How much faster need falls while in the programme.",
    )
    cost_per_family: float = param(
        13_200.0,
        ge=0.0,
        le=MAX_COST_PER_YEAR,
        unit="GBP per family (2024-25)",
        source="DCLG: ~£10,000 per family (2012-13 prices, grade L) x1.32 (finance.uprating 2012-13) "
        "to 2024-25; change it here",
        grade="L",
        description="Cost of one family's intervention.",
    )


class Levers(Section):
    """The policy levers (each off by default)."""

    prevention: Prevention = Field(default_factory=Prevention)
    risk_aversion: RiskAversionLever = Field(default_factory=RiskAversionLever)
    community_hubs: CommunityHubs = Field(default_factory=CommunityHubs)
    troubled_families: TroubledFamilies = Field(default_factory=TroubledFamilies)


# -- costs and finance ---------------------------------------------------------------------------


def financial_year(price_year: str) -> str:
    """Normalise a price year: ``"2012"`` -> ``"2012-13"``; ``"2013-14"`` unchanged."""
    if re.fullmatch(r"\d{4}", price_year):
        y = int(price_year)
        return f"{y}-{(y + 1) % 100:02d}"
    return price_year


class UnitCost(Section):
    """One unit cost at its own price year (uprated to the base year by the finance module)."""

    value: float = Field(..., ge=0.0, le=MAX_COST_PER_YEAR, description="Cost in the stated price year.")
    unit: str = Field(..., description="What it is a cost of.")
    price_year: str = Field(..., pattern=r"^\d{4}(-\d{2})?$", description="Price year, e.g. 2013-14.")
    source: str = Field(..., description="Where the figure comes from (shared/calibration).")


#: Periods of the unit costs named ``*_week`` and ``*_month`` in a year.
_PERIODS_A_YEAR = {"week": 52.14, "month": 12.0}


def _cost(value: float, unit: str, price_year: str, source: str) -> Any:
    return Field(
        default_factory=lambda: UnitCost(value=value, unit=unit, price_year=price_year, source=source)
    )


class Costs(Section):
    """Unit costs by budget line, each with its source and price year (shared/calibration)."""

    early_help_family_month: UnitCost = _cost(
        165.0,
        "GBP per family per month of early help",
        "2010-11",
        "GMCA Unit Cost Database SS6.0 (CAF case, ongoing) [M]",
    )
    referral: UnitCost = _cost(117.0, "GBP per referral", "2009-10", "GMCA Unit Cost Database SS6.2 [M]")
    assessment: UnitCost = _cost(
        660.0, "GBP per assessment", "2009-10", "GMCA Unit Cost Database SS6.4 core assessment [M]"
    )
    section47_enquiry: UnitCost = _cost(
        511.0, "GBP per enquiry", "2008-09", "GMCA Unit Cost Database SS5.0.7 [M]"
    )
    cin_child_month: UnitCost = _cost(
        107.0,
        "GBP per child per month on a CIN plan",
        "2008-09",
        "GMCA Unit Cost Database SS5.0 ongoing support [M]",
    )
    cp_child_month: UnitCost = _cost(
        456.0,
        "GBP per child per month on a protection plan",
        "2013-14",
        "assumption: 8 social worker hours a month at £57/hour (GMCA SS18); not in the sheet [L]",
    )
    friends_family_foster_week: UnitCost = _cost(
        468.0,
        "GBP per child per week",
        "2013-14",
        "assumption: the placement element of in-house foster care (GMCA SS2.0) [L]",
    )
    in_house_foster_week: UnitCost = _cost(
        700.0, "GBP per child per week (incl. social work)", "2013-14", "GMCA Unit Cost Database SS2.0 [M]"
    )
    independent_fostering_agency_week: UnitCost = _cost(
        820.0, "GBP per child per week", "2020-21", "CMA children's social care market study 2021 [M]"
    )
    childrens_home_week: UnitCost = _cost(
        6_106.0,
        "GBP per child per week",
        "2023-24",
        "NAO Managing children's residential care 2025: £318,400 per place per year / 52.14 [H]",
    )
    supported_accommodation_week: UnitCost = _cost(
        1_500.0,
        "GBP per child per week",
        "2024-25",
        "assumption: between foster care and children's homes; not in the sheet [L]",
    )
    placed_with_parents_week: UnitCost = _cost(
        233.0,
        "GBP per child per week (social work only)",
        "2013-14",
        "GMCA Unit Cost Database SS2.0 social work element [M]",
    )
    care_proceedings: UnitCost = _cost(
        6_250.0,
        "GBP per care order application (LA share)",
        "2005-06",
        "GMCA Unit Cost Database SS4.1 (£25,000, LA share £6,250) [L]",
    )

    @model_validator(mode="before")
    @classmethod
    def _partial_overrides(cls, data: Any) -> Any:
        """A scenario file may change only part of a unit cost (e.g. its value); the rest is kept.

        A changed value without a new ``source`` is marked as the user's, so the workbook
        never shows a user's number under the original citation.
        """
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        for name, value in data.items():
            info = cls.model_fields.get(name)
            if info is None or not isinstance(value, Mapping):
                continue
            default = info.get_default(call_default_factory=True).model_dump()
            merged = {**default, **value}
            if "value" in value and "source" not in value and value["value"] != default["value"]:
                merged["source"] = f"user-set (default {default['value']:g} from {default['source']})"
            out[name] = merged
        return out

    @model_validator(mode="after")
    def _per_year_bound(self) -> Costs:
        """A cost per week or per month is at most :data:`MAX_COST_PER_YEAR` once made a year's cost."""
        for name in type(self).model_fields:
            period = name.rsplit("_", 1)[-1]
            per_year = _PERIODS_A_YEAR.get(period)
            value = getattr(self, name).value
            if per_year and value * per_year > MAX_COST_PER_YEAR:
                raise ValueError(
                    f"costs.{name}.value = {value:g} is £{value * per_year:,.0f} a year; allowed: up to "
                    f"{MAX_COST_PER_YEAR / per_year:,.0f} per {period} (£{MAX_COST_PER_YEAR / 1e6:g}m a "
                    "year, thirty times a children's home place)"
                )
        return self


class Finance(Section):
    """How costs are discounted, adjusted and judged (HM Treasury Green Book; GMCA CBA method)."""

    base_price_year: str = Field(
        "2024-25",
        pattern=r"^\d{4}-\d{2}$",
        description="All costs are shown in real prices of this year.",
        json_schema_extra={
            "unit": "financial year",
            "source": "HM Treasury Green Book: an appraisal in real prices of one base year",
            "grade": "H",
        },
    )
    discount_rate: float = param(
        0.035,
        ge=0.0,
        le=0.2,
        unit="per year, years 0-30",
        source="HM Treasury Green Book",
        grade="H",
        description="Real discount rate for years 0-30.",
    )
    discount_rate_long: float = param(
        0.03,
        ge=0.0,
        le=0.2,
        unit="per year, years 31-75",
        source="HM Treasury Green Book",
        grade="H",
        description="Real discount rate from year 31.",
    )
    payback_horizon_years: int = param(
        5,
        ge=1,
        le=50,
        unit="years",
        source="seeds: the Treasury looks at about five years",
        grade="M",
        description="N in 'probability of paying back within N years'.",
    )
    cashable_share: dict[str, float] = Field(
        default_factory=lambda: {
            "early_help": 0.5,
            "social_work": 0.3,
            "placements": 0.9,
            "programmes": 1.0,
            "hubs": 1.0,
        },
        description="Share of each budget line's avoided cost that is cashable (assumption; GMCA "
        "method separates cashable and non-cashable savings).",
        json_schema_extra={
            "unit": "share of each budget line's avoided cost",
            "source": "assumption: the GMCA CBA method separates cashable from non-cashable savings",
            "grade": "assumption",
        },
    )
    deadweight: float = param(
        0.0,
        ge=0.0,
        le=1.0,
        unit="share of the gross effect that would have happened anyway",
        source="GMCA CBA method; 0 because the model's baseline is the counterfactual",
        grade="M",
        description="Deadweight taken off avoided costs in the net view.",
    )
    optimism_bias: dict[str, float] = Field(
        default_factory=lambda: {"H": 0.1, "M": 0.25, "L": 0.4, "assumption": 0.4},
        description="Share taken off benefits by evidence grade of the lever behind them (GMCA-style "
        "confidence grading; assumption).",
        json_schema_extra={
            "unit": "share taken off benefits in the net view, by evidence grade",
            "source": "assumption: GMCA-style confidence grading of benefits (HM Treasury Green Book "
            "optimism bias)",
            "grade": "assumption",
        },
    )
    evidence_grade: Literal["H", "M", "L", "assumption"] | None = Field(
        None,
        description="Evidence grade used for optimism bias; empty = the weakest grade of the "
        "effect parameters of the levers the scenario changes (simulator.finance.scheme_grade).",
        json_schema_extra={
            "unit": "H, M, L or assumption; empty: the levers' weakest grade",
            "source": "modelling choice",
            "grade": "H",
        },
    )
    uprating: dict[str, float] = Field(
        default_factory=lambda: {
            # GMCA Unit Cost Database v1.4 values: x1.30-1.35 to reach 2024-25 prices
            # (shared/calibration README, [GMCA]); older years take the top of the range
            "2005-06": 1.35,
            "2008-09": 1.35,
            "2009-10": 1.35,
            "2010-11": 1.35,
            # assumption: interpolated within the sheet's GMCA range
            "2011-12": 1.34,
            "2012-13": 1.32,
            "2013-14": 1.30,  # [GMCA] lower end of the sheet's range
            # assumption: approximate GDP-deflator growth to 2024-25 (replace with HM Treasury
            # "GDP deflators at market prices", ONS series L8GG, when updating)
            "2014-15": 1.29,
            "2016-17": 1.28,
            "2020-21": 1.17,
            "2023-24": 1.04,
            "2024-25": 1.0,
        },
        description="Factor converting prices of each price year to 2024-25 prices (GMCA years from "
        "the calibration sheet's x1.30-1.35; others assumption). Costs are shown in base_price_year "
        "prices as factor[price_year] / factor[base_price_year].",
        json_schema_extra={
            "unit": "factor to 2024-25 prices, by price year",
            "source": "GMCA Unit Cost Database v1.4 (x1.30-1.35, shared/calibration) for 2005-06 to "
            "2013-14; later years assumption (GDP deflator)",
            "grade": "M",
        },
    )
    effect_uncertainty: dict[str, float] = Field(
        default_factory=lambda: {"H": 0.2, "M": 0.35, "L": 0.5, "assumption": 0.5},
        description="Half-width of the triangular spread of lever effect sizes in Monte Carlo "
        "and the tornado, as a share of the value, by evidence grade (assumption).",
        json_schema_extra={
            "unit": "share of the value, by evidence grade",
            "source": "assumption: weaker evidence, wider spread",
            "grade": "assumption",
        },
    )
    unit_cost_uncertainty: dict[str, float] = Field(
        default_factory=lambda: {"H": 0.1, "M": 0.2, "L": 0.35, "assumption": 0.35},
        description="Half-width of the triangular spread of unit costs in Monte Carlo and the "
        "tornado, as a share of the value, by the cost's confidence grade (assumption).",
        json_schema_extra={
            "unit": "share of the value, by confidence grade",
            "source": "assumption: weaker evidence, wider spread",
            "grade": "assumption",
        },
    )

    @field_validator("cashable_share")
    @classmethod
    def _shares_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        lines = {"early_help", "social_work", "placements", "programmes", "hubs"}
        for k, x in v.items():
            if k not in lines:
                raise ValueError(
                    f"finance.cashable_share has an unknown budget line {k!r}; allowed: "
                    f"{', '.join(sorted(lines))}"
                )
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"finance.cashable_share.{k} = {x!r}: must be between 0 and 1")
        return v

    @field_validator("uprating")
    @classmethod
    def _factors_positive(cls, v: dict[str, float]) -> dict[str, float]:
        import re

        for k, x in v.items():
            if not re.fullmatch(r"\d{4}-\d{2}", k):
                raise ValueError(
                    f"finance.uprating key {k!r}: price years are written 'YYYY-YY' (e.g. 2013-14)"
                )
            if not 0.0 < x <= 10.0:
                raise ValueError(f"finance.uprating.{k} = {x!r}: must be above 0 and at most 10")
        return v

    @field_validator("optimism_bias", "effect_uncertainty", "unit_cost_uncertainty")
    @classmethod
    def _by_grade(cls, v: dict[str, float], info: Any) -> dict[str, float]:
        name = f"finance.{info.field_name}"
        grades = {"H", "M", "L", "assumption"}
        for k, x in v.items():
            if k not in grades:
                raise ValueError(f"{name} has an unknown evidence grade {k!r}; allowed: H, M, L, assumption")
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"{name}.{k} = {x!r}: must be between 0 and 1")
        missing = grades - set(v)
        if missing:
            raise ValueError(f"{name} is missing evidence grade(s) {', '.join(sorted(missing))}")
        return v


# -- the scenario ------------------------------------------------------------------------------


class Scenario(Section):
    """A complete, validated scenario: metadata plus every parameter section."""

    name: str = Field("baseline", description="Short name used to stamp outputs.")

    @field_validator("name")
    @classmethod
    def _name_is_one_line(cls, value: str) -> str:
        """A name stamps every output row and file: one line of 1 to 80 characters, not blank."""
        if not value.strip() or len(value) > 80 or any(c in value for c in "\n\r\t\x00"):
            raise ValueError("name must be 1-80 characters on one line, not blank (no newline, tab or NUL)")
        return value

    description: str = Field("", description="What this scenario represents.")
    evidence: str = Field("", description="The evidence behind its numbers.")
    base: str | None = Field(None, description="Scenario file this one overrides (relative path).")
    run: Run = Field(default_factory=Run)
    population: Population = Field(default_factory=Population)
    need: Need = Field(default_factory=Need)
    front_door: FrontDoor = Field(default_factory=FrontDoor)
    early_help: EarlyHelp = Field(default_factory=EarlyHelp)
    cin: ChildInNeed = Field(default_factory=ChildInNeed)
    cp: ChildProtection = Field(default_factory=ChildProtection)
    care: Care = Field(default_factory=Care)
    workforce: Workforce = Field(default_factory=Workforce)
    risk_aversion: RiskAversion = Field(default_factory=RiskAversion)
    levers: Levers = Field(default_factory=Levers)
    start: StartStocks = Field(default_factory=StartStocks)
    costs: Costs = Field(default_factory=Costs)
    finance: Finance = Field(default_factory=Finance)

    @model_validator(mode="after")
    def _levers_fit_the_run(self) -> Scenario:
        """Time series have one value per year, within their range; dates fall inside the run."""
        self._series_fit_the_run()
        self._care_shares_add_up()
        self._hubs_fit_the_run()
        self._shocks_fit_the_run()
        self._costs_can_be_uprated()
        return self

    def _costs_can_be_uprated(self) -> None:
        """Every unit cost's price year, and the base year, has a factor in ``finance.uprating``."""
        table = self.finance.uprating
        known = f"known years: {', '.join(sorted(table))}"
        if financial_year(self.finance.base_price_year) not in table:
            raise ValueError(
                f"finance.base_price_year = {self.finance.base_price_year!r}: finance.uprating has no "
                f"factor for it; add one ({known})"
            )
        for name in type(self.costs).model_fields:
            cost = getattr(self.costs, name)
            if isinstance(cost, UnitCost) and financial_year(cost.price_year) not in table:
                raise ValueError(
                    f"costs.{name}.price_year = {cost.price_year!r}: finance.uprating has no factor "
                    f"for it; add one under [finance.uprating] ({known})"
                )

    def _series_fit_the_run(self) -> None:
        """Each yearly series: dated steps inside the run, values in range, one per year."""
        run, lv = self.run, self.levers
        # (owner, field, neutral value): before a series' first dated step the lever is neutral
        fields = {
            "population.uasc_path": (self.population, "uasc_path", 1.0),
            "care.adoption_path": (self.care, "adoption_path", 1.0),
            "care.return_home_path": (self.care, "return_home_path", 1.0),
            "care.special_guardianship_path": (self.care, "special_guardianship_path", 1.0),
            "care.court_weeks_path": (self.care, "court_weeks_path", 0.0),
            "care.removal_at_birth_path": (self.care, "removal_at_birth_path", 1.0),
            "care.removal_after_birth_path": (self.care, "removal_after_birth_path", 1.0),
            "front_door.section47_path": (self.front_door, "section47_path", 1.0),
            "levers.prevention.spend_per_year": (lv.prevention, "spend_per_year", 0.0),
            "levers.prevention.baseline_capacity_change": (lv.prevention, "baseline_capacity_change", 0.0),
            "levers.risk_aversion.index_path": (lv.risk_aversion, "index_path", 1.0),
            "levers.troubled_families.places_per_year": (lv.troubled_families, "places_per_year", 0.0),
        }
        for name, (owner, attr, _) in fields.items():
            _check_series(name, getattr(owner, attr), run.start_year)
        first = str(run.start_year + 1)
        for owner, attr, neutral in fields.values():
            value = getattr(owner, attr)
            if isinstance(value, dict) and value and first not in {str(k) for k in value}:
                setattr(owner, attr, {first: neutral, **{str(k): v for k, v in value.items()}})
        series = {name: getattr(owner, attr) for name, (owner, attr, _) in fields.items()}
        for name, value in series.items():
            if isinstance(value, list) and len(value) != run.years:
                raise ValueError(
                    f"{name} has {len(value)} values but run.years = {run.years}: give one "
                    "value per year, a single number, or dated steps"
                )

    def _care_shares_add_up(self) -> None:
        """Adoption (with its path) and special guardianship are shares of the same episodes."""
        run = self.run
        share = self.care.adoption_share_under5
        top = max(series_values(self.care.adoption_path, run.start_year, run.years))
        if share * top > 1.0:
            raise ValueError(
                f"care.adoption_path = {top:g} with care.adoption_share_under5 = {share:g} "
                f"gives an adoption share above 1; allowed: path values up to {1.0 / share:.3g}"
            )
        sgo = self.care.special_guardianship_share
        if self._paths_leave_room(share, sgo):
            return
        # children under 5 may also leave another way where care.other_exit_min_age_years is under 5
        oth = self.care.other_exit_share if self.care.other_exit_min_age_years < 5.0 else 0.0
        if share * top + sgo + oth > 1.0 + 1e-9:
            plus, plus_v = (" + care.other_exit_share", f" + {oth:g}") if oth else ("", "")
            raise ValueError(
                f"care.adoption_share_under5 x care.adoption_path + care.special_guardianship_share{plus} = "
                f"{share:g} x {top:g} + {sgo:g}{plus_v} = {share * top + sgo + oth:.4g}: these are shares "
                "of the same care episodes (children under 5); allowed: a total of at most 1 "
                f"(adoption_share_under5 x adoption_path <= {1.0 - sgo - oth:.4g} here)"
            )

    def _paths_leave_room(self, adopt: float, sgo: float) -> bool:
        """With a special guardianship path, the plans that do not give way stay at most 1 a year.

        Adoption and special guardianship (children under 5), and special guardianship and the
        other exits (children of ``care.other_exit_min_age_years`` or over; all three where that
        age is under 5), year by year. Returns False when there is no such path (the scenario's
        check above and ``Care``'s apply). Return home needs no check: it gives way to the others
        (``kernel.exit_plan_shares``).
        """
        care, run = self.care, self.run
        q = series_values(care.special_guardianship_path, run.start_year, run.years)
        if all(v == 1.0 for v in q):
            return False
        a = series_values(care.adoption_path, run.start_year, run.years)
        oth = care.other_exit_share
        young_other = care.other_exit_min_age_years < 5.0  # children under 5 may leave another way
        for i, (a_y, q_y) in enumerate(zip(a, q, strict=True)):
            share, g = adopt * a_y, sgo * q_y
            year = run.start_year + 1 + i
            together = [
                ("care.adoption_share_under5 x care.adoption_path", share, "children under 5"),
                ("care.other_exit_share", oth, f"children of {care.other_exit_min_age_years:g} or over"),
            ]
            if young_other:
                together.append(
                    (
                        "care.adoption_share_under5 x care.adoption_path + care.other_exit_share",
                        share + oth,
                        "children under 5",
                    )
                )
            for name, other, who in sorted(together, key=lambda t: -t[1]):  # the tightest first
                if other + g > 1.0 + 1e-9:
                    raise ValueError(
                        f"{name} + care.special_guardianship_share x care.special_guardianship_path = "
                        f"{other:.4g} + {g:.4g} = {other + g:.4g} in {year}: these are shares of the same "
                        f"care episodes ({who}); allowed: a total of at most 1 "
                        f"(special_guardianship_path <= {max(0.0, 1.0 - other) / sgo:.4g} that year)"
                    )
        return True

    def _hubs_fit_the_run(self) -> None:
        """Hubs open inside the run, at most ``MAX_HUBS``, each in a decile 1-10 when given."""
        run, lv = self.run, self.levers
        last_year = run.start_year + MAX_YEARS_AHEAD
        hubs = lv.community_hubs
        horizon = f"'YYYY-MM' from {run.start_year}-04 to {last_year}-03"
        for i, date in enumerate(hubs.opening_dates):
            field = f"levers.community_hubs.opening_dates[{i}]"
            m = month_index(date, run.start_year, field)
            if m < 0:
                raise ValueError(
                    f"{field} = {_short(date)}: a hub cannot open before the run starts "
                    f"(April {run.start_year}); allowed: {horizon}"
                )
            if m >= 12 * MAX_YEARS_AHEAD:
                raise ValueError(
                    f"{field} = {_short(date)}: more than {MAX_YEARS_AHEAD} years after the run "
                    f"starts; allowed: {horizon}"
                )
        if len(hubs.opening_dates) > MAX_HUBS:
            raise ValueError(
                f"levers.community_hubs.opening_dates has {len(hubs.opening_dates)} hubs; "
                f"allowed: at most {MAX_HUBS}"
            )
        if hubs.deciles and len(hubs.deciles) != len(hubs.opening_dates):
            raise ValueError(
                f"levers.community_hubs.deciles has {len(hubs.deciles)} entries for "
                f"{len(hubs.opening_dates)} hubs: give one decile per hub or none"
            )
        for d in hubs.deciles:
            if not 1 <= d <= 10:
                raise ValueError(f"levers.community_hubs.deciles = {d!r}: deciles run 1-10")

    def _shocks_fit_the_run(self) -> None:
        """Risk-aversion shocks fall within ``MAX_YEARS_AHEAD`` years of the run's start."""
        run, lv = self.run, self.levers
        last_year = run.start_year + MAX_YEARS_AHEAD
        for i, shock in enumerate(lv.risk_aversion.shocks):
            field = f"levers.risk_aversion.shocks[{i}].date"
            m = month_index(shock.date, run.start_year, field)
            if abs(m) >= 12 * MAX_YEARS_AHEAD:
                first_allowed = run.start_year - MAX_YEARS_AHEAD + 1
                raise ValueError(
                    f"{field} = {_short(shock.date)}: more than {MAX_YEARS_AHEAD} years from "
                    f"the run's start; allowed: 'YYYY-MM' from {first_allowed}-04 to "
                    f"{last_year}-03"
                )

    @model_validator(mode="after")
    def _sizes_fit_the_area(self) -> Scenario:
        """The sample simulates enough families; hub catchments fit the families of their deciles."""
        families = families_at_start(self.population)
        where = f"about {families:,.0f} families (population.children = {self.population.children})"
        fraction = self.run.sample_fraction
        if fraction < 1.0 and families * fraction < MIN_SIMULATED_FAMILIES:
            need = MIN_SIMULATED_FAMILIES / families
            allowed = (
                f"a fraction that simulates at least {MIN_SIMULATED_FAMILIES:,} families: "
                f"run.sample_fraction >= {_round_up(need):g} here, or 1"
                if need < 1.0
                else f"1 (the area has fewer than {MIN_SIMULATED_FAMILIES:,} families to sample from)"
            )
            raise ValueError(
                f"run.sample_fraction = {fraction:g} would simulate {families * fraction:,.0f} "
                f"families, each standing for {1.0 / fraction:,.0f}, where the area has "
                f"{where}; allowed: {allowed}"
            )
        hubs = self.levers.community_hubs
        if hubs.opening_dates:
            problem = _hubs_do_not_fit(hubs, self.population, families, where)
            if problem:
                raise ValueError(problem)
        return self


#: Range of each lever or driver given over time, and why (checked for every value given).
SERIES_BOUNDS: dict[str, tuple[float, float, str]] = {
    "population.uasc_path": (
        0.0,
        20.0,
        "a multiplier on arrivals; England's varied about threefold 2006-2024 [CLA]",
    ),
    "care.adoption_path": (0.0, 20.0, "a multiplier on care.adoption_share_under5"),
    "care.return_home_path": (
        0.0,
        5.0,
        "a multiplier on care.return_home_share; England's share of leavers returning home fell "
        "from 41% (2006-07) to about 26% (2023-24) [CLA]",
    ),
    "care.special_guardianship_path": (
        0.0,
        5.0,
        "a multiplier on care.special_guardianship_share; the orders began in December 2005 "
        "and children leaving care under one rose about fivefold by 2015 [CLA]",
    ),
    "care.court_weeks_path": (
        -41.0,
        104.0,
        "weeks beyond 2024's 41 (MoJ): proceedings cannot take less than no time, and England's "
        "longest average was about 55 weeks (2011)",
    ),
    "care.removal_at_birth_path": (
        0.0,
        20.0,
        "a multiplier on care.removal_at_birth_by_need; newborns in care proceedings in England "
        "rose about 2.4 times from 2007/08 to 2016/17 (Broadhurst et al. 2018)",
    ),
    "care.removal_after_birth_path": (
        0.0,
        20.0,
        "a multiplier on care.removal_after_birth_ratio; infants in care proceedings after their "
        "first week in England rose about 1.5 times from 2007/08 to 2016/17 (Broadhurst et al. 2018)",
    ),
    "front_door.section47_path": (
        0.0,
        10.0,
        "a multiplier on section 47 enquiries; England's enquiries per referral about doubled "
        "from 2010-11 to 2023-24 [CIN]",
    ),
    "levers.prevention.spend_per_year": (
        0.0,
        MAX_SPEND_PER_YEAR,
        "GBP a year; £10bn is of the order of English councils' whole children's social care spend",
    ),
    "levers.prevention.baseline_capacity_change": (
        -1.0,
        10.0,
        "a share of today's early help places: -1 closes them all, 10 is eleven times as many",
    ),
    "levers.risk_aversion.index_path": (0.0, 10.0, "a multiplier on risk_aversion.index"),
    "levers.troubled_families.places_per_year": (
        0.0,
        MAX_FAMILIES_PER_YEAR,
        "families a year; more than England's ~8m families with children",
    ),
}


def families_at_start(population: Population) -> float:
    """About how many families the area has at the start: children / mean children per family."""
    mean = sum((i + 1) * s for i, s in enumerate(population.children_per_family_shares))
    return population.children / mean


def _round_up(x: float) -> float:
    """``x`` rounded up to three significant figures (a bound a user can type and that holds)."""
    if x <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(x)) - 2)
    return math.ceil(x / scale) * scale


def _hubs_fit(catchment: float, n_hubs: int, per_decile: list[float]) -> bool:
    """Whether ``n_hubs`` hubs placed most deprived first each find a whole catchment in one decile.

    Mirrors :func:`simulator.policies.community_hubs.hub_deciles` (which gives any overflow to
    the last decile).
    """
    d, room = 0, per_decile[0]
    for _ in range(n_hubs):
        while room < catchment and d < 9:
            d += 1
            room = per_decile[d]
        if room < catchment:
            return False
        room -= catchment
    return True


def _hubs_do_not_fit(hubs: CommunityHubs, population: Population, families: float, where: str) -> str:
    """One line if the hubs' catchments need more families than their deciles hold, else ''."""
    c = hubs.catchment_families
    per_decile = [families * s for s in population.decile_shares]
    if hubs.deciles:
        for d, k in sorted(Counter(hubs.deciles).items()):
            room = per_decile[d - 1]
            if k * c > room:
                share = population.decile_shares[d - 1]
                return (
                    f"levers.community_hubs.catchment_families = {c} for {k} hub(s) in decile {d} "
                    f"(levers.community_hubs.deciles) needs {k * c:,} families, but decile {d} has "
                    f"about {room:,.0f} (population.decile_shares[{d - 1}] = {share:g} of {where}); "
                    f"allowed: catchment_families up to {int(room // k):,} there, or at most "
                    f"{int(room // c)} hub(s) of {c} in that decile"
                )
        return ""
    n = len(hubs.opening_dates)
    if _hubs_fit(c, n, per_decile):
        return ""
    lo, hi = 0, c  # largest catchment that fits n hubs, by bisection (fits at 0, not at c)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _hubs_fit(mid, n, per_decile) else (lo, mid)
    most = next(k for k in range(n - 1, -1, -1) if _hubs_fit(c, k, per_decile))
    return (
        f"levers.community_hubs.catchment_families = {c} for {n} hub(s) needs {n * c:,} families, each "
        f"hub's within one deprivation decile, but the area has {where}, about "
        f"{min(per_decile):,.0f}-{max(per_decile):,.0f} a decile; allowed: catchment_families up to "
        f"{lo:,} for {n} hub(s), or at most {most} hub(s) of {c}"
    )


# -- loading and errors ------------------------------------------------------------------------


class ScenarioError(ValueError):
    """A scenario that cannot be used, with one line per problem for the user."""

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(problems))


def _element_metadata(ann: Any, index: int) -> tuple[Any, list[Any]] | None:
    """The type and range metadata of element ``index`` of a tuple or list type, if it has them."""
    args = get_args(ann)
    if get_origin(ann) is tuple and index < len(args):
        element = args[index]
    elif get_origin(ann) is list and args:
        element = args[0]
    else:
        return None
    if get_origin(element) is Annotated:
        base, *extra = get_args(element)
        return base, [m for e in extra for m in (getattr(e, "metadata", None) or [e])]
    return element, []


def _check_series(name: str, value: Any, start_year: int) -> None:
    """A yearly series' steps fall in the run's reporting years; its values in ``SERIES_BOUNDS``."""
    last_year = start_year + MAX_YEARS_AHEAD
    if isinstance(value, dict):
        for key in value:
            k = str(key)
            if not (k.isascii() and k.isdigit() and len(k) <= 4) or not (
                start_year + 1 <= int(k) <= last_year
            ):
                raise ValueError(
                    f"{name} has a step at {key!r}: steps are reporting years from "
                    f"{start_year + 1} to {last_year} (steps after the run are ignored)"
                )
    raw = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    low, high, why = SERIES_BOUNDS[name]
    for v in raw:
        if float(v) < low:
            raise ValueError(f"{name} = {float(v)!r}: must be >= {low:g}")
        if float(v) > high:
            raise ValueError(f"{name} = {float(v)!r}: must be <= {high:g} ({why})")


def _list_item_model(ann: Any) -> type[BaseModel] | None:
    """The section each element of a ``list[Section]`` field is (a shock), else None."""
    if get_origin(ann) is list:
        (item,) = get_args(ann)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _field_at(field_path: tuple[str | int, ...]) -> tuple[Any, Any, list[Any]] | None:
    """The schema field at a path (its info, annotation and constraints), or None.

    A list of sections is entered by an element's index (``shocks.0.size``, as in pydantic's
    errors) or by ``[]`` (``shocks[].size``, as in the parameter table).
    """
    model: type[BaseModel] | None = Scenario
    info = None
    metadata: list[Any] = []
    ann: Any = None
    for part in field_path:
        item = _list_item_model(ann)
        if isinstance(part, int) and item is not None:
            model = item
            continue
        if isinstance(part, int) and info is not None and ann is not None:
            element = _element_metadata(ann, part)
            if element is None:
                break
            ann, metadata = element
            continue
        name = part.removesuffix("[]") if isinstance(part, str) else part
        if model is None or not isinstance(name, str) or name not in model.model_fields:
            break
        info = model.model_fields[name]
        ann = info.annotation
        metadata = list(info.metadata)
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if isinstance(part, str) and part.endswith("[]"):
            model = _list_item_model(ann)
    return None if info is None else (info, ann, metadata)


def loc_path(loc: Sequence[str | int]) -> str:
    """A field's path as a scenario file writes it: sections dotted, list items indexed.

    ``("levers", "risk_aversion", "shocks", 0, "size")`` -> ``levers.risk_aversion.shocks[0].size``.
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe_allowed(field_path: tuple[str | int, ...]) -> str:
    """Say what a field (or an element of a tuple field) allows, from the schema's own metadata."""
    found = _field_at(field_path)
    if found is None:
        return ""
    info, ann, metadata = found
    each = ""
    while not metadata and get_origin(ann) is tuple:  # a vector: its elements share one range
        element = _element_metadata(ann, 0)
        if element is None:
            break
        (ann, metadata), each = element, "each "
    bounds = []
    for meta in metadata:
        for key, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, key, None) is not None:
                bounds.append(f"{sym} {getattr(meta, key)}")
    series = SERIES_BOUNDS.get(".".join(str(p) for p in field_path))
    if series:
        bounds = [f">= {series[0]:g}", f"<= {series[1]:g}"]
    extra = info.json_schema_extra or {}
    unit = extra.get("unit") if isinstance(extra, dict) else None
    parts = []
    if bounds:
        parts.append(each + " and ".join(bounds))
    if unit:
        parts.append(f"unit: {unit}")
    return "; ".join(parts)


#: pydantic's names of a union's members in an error's location (``float``, ``list[float]``...).
_SCALAR_TAGS = ("float", "int", "str", "bool")


def _one_per_union(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One error per field whose type is a union (a number, a list a year, dated steps).

    pydantic reports each member's failure (``spend_per_year.float``, ``.list[float]``,
    ``.dict[str,float]``); the user gave one value, so one line is kept: the member whose shape
    the value has (its error lies inside the member), else the first. The member tag is dropped
    from the path.
    """
    chosen: dict[tuple, tuple[float, Mapping[str, Any]]] = {}
    order: list[tuple] = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        cut = next(
            (i for i, p in enumerate(loc) if isinstance(p, str) and (p in _SCALAR_TAGS or "[" in p)), None
        )
        if cut is None:
            key = loc + (id(e),)
            chosen[key] = (0, e)
            order.append(key)
            continue
        key = loc[:cut]
        depth: float = len(loc) - cut  # > 1: the value had this member's shape and failed inside it
        tag, given = str(loc[cut]), e.get("input")
        if (isinstance(given, list) and tag.startswith("list[")) or (
            isinstance(given, dict) and tag.startswith("dict[")
        ):
            depth += 0.5  # the member of the value's own shape (an empty list says "too short")
        stripped = {**e, "loc": loc[:cut] + loc[cut + 1 :]}
        if key not in chosen:
            chosen[key] = (depth, stripped)
            order.append(key)
        elif depth > chosen[key][0]:
            chosen[key] = (depth, stripped)
    return [chosen[k][1] for k in order]


def _short_tuples(errors: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A list too short for its fixed-length field: one error, not one per missing place.

    pydantic says "Field required" for each missing item; the user gave one list, so one line
    says how many values the field needs and how many were given.
    """
    out: list[Mapping[str, Any]] = []
    merged: dict[tuple, int] = {}
    for e in errors:
        loc = tuple(e.get("loc", ()))
        given = e.get("input")
        if e.get("type") == "missing" and loc and isinstance(loc[-1], int) and isinstance(given, list):
            parent = loc[:-1]
            if parent in merged:
                i = merged[parent]
                needed = max(out[i]["needed"], loc[-1] + 1)
            else:
                merged[parent] = i = len(out)
                out.append({})
                needed = loc[-1] + 1
            out[i] = {
                "type": "too_short",
                "loc": parent,
                "input": given,
                "needed": needed,
                "msg": f"{needed} values needed, {len(given)} given",
            }
            continue
        out.append(e)
    return out


def format_validation_error(err: ValidationError, data: Mapping[str, Any] | None = None) -> list[str]:
    """Turn a pydantic error into lines naming the field, the value and what is allowed."""
    lines = []
    for e in _short_tuples(_one_per_union(err.errors())):
        loc = tuple(e.get("loc", ()))
        path = loc_path(loc) or "(top level)"
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            parent = loc[:-1]
            keys = _known_keys(parent)
            lines.append(f"unknown key '{path}'; allowed here: {', '.join(keys)}")
            continue
        allowed = _describe_allowed(loc)
        msg = e.get("msg", "invalid")
        if (
            isinstance(value, dict)
            and msg.startswith("Value error, ")
            and (not loc or msg.removeprefix("Value error, ").startswith(path.split(".")[0]))
        ):
            # a check across several fields: its message names the fields and values itself
            lines.append(msg.removeprefix("Value error, "))
            continue
        msg = msg.removeprefix("Value error, ")
        if loc and msg.startswith(path):  # the check's own sentence names the field and value
            lines.append(msg)
            continue
        shown = _short(value) if not isinstance(value, dict) else "{...}"
        line = f"{path} = {shown}: {msg}"
        if allowed:  # a range (and its unit), or only the unit where the range is a rule elsewhere
            line += f" ({allowed})" if allowed.startswith("unit:") else f" (allowed: {allowed})"
        lines.append(line)
    return lines


def _known_keys(path: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the table at ``path`` (an element of a list of sections: its own)."""
    model: type[BaseModel] = Scenario
    item: type[BaseModel] | None = None
    for part in path:
        if isinstance(part, int) and item is not None:
            model, item = item, None
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return sorted(model.model_fields)
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif (item := _list_item_model(ann)) is None:
            return sorted(model.model_fields)
    return sorted(model.model_fields)


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``: tables merge, values replace."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# -- reading files -----------------------------------------------------------------------------

#: Largest input file read (bytes): scenario, sweep and figures files are a few kilobytes of text;
#: a bigger file is a mistake (a data set, an image) and is refused before it is parsed.
MAX_FILE_BYTES = 1_000_000
#: The scenarios shipped with the simulator (every ``base`` may name one of these).
SHIPPED_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
#: Longest chain of ``base`` files (a real chain is one or two long).
MAX_BASE_DEPTH = 20


def _did_you_mean(path: Path) -> str:
    """For a scenario typed by name (``baseline``), the file in ``scenarios/`` it may mean."""
    shipped = Path(__file__).resolve().parents[1] / "scenarios"
    name = path.name if path.suffix == ".toml" else f"{path.name}.toml"
    for candidate in (shipped / name, shipped / "la" / name):
        if len(path.parts) == 1 and candidate.is_file():
            try:
                shown = candidate.relative_to(Path.cwd())
            except ValueError:
                shown = candidate
            return f" (did you mean {shown}?)"
    return ""


def read_text(path: str | Path, kind: str = "scenario file") -> str:
    """The text of a small UTF-8 input file, or a one-line :class:`ScenarioError` saying why not.

    Refused: a missing file, a folder, a device or pipe, a file larger than
    :data:`MAX_FILE_BYTES`, a binary file, text that is not UTF-8 (a byte-order mark is
    allowed), and an empty file.

    Args:
        path: the file.
        kind: what the file is, for the message ("scenario file", "sweep file", "figures file").
    """
    path = Path(path)
    src = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError([f"file not found: {path}{_did_you_mean(path)}"], source=src) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the name
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError([f"cannot read the {kind}: {reason}"], source=src) from None
    if stat.S_ISDIR(st.st_mode):
        examples = sorted(p.name for p in path.glob("*.toml"))[:3]
        hint = f" (e.g. {', '.join(examples)})" if examples else ""
        raise ScenarioError([f"is a folder, not a {kind}; name a file inside it{hint}"], source=src)
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError([f"is not a regular file (a device, pipe or socket); give a {kind}"], source=src)
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            [
                f"is {st.st_size:,} bytes; a {kind} is a few kilobytes of text (allowed: up to "
                f"{MAX_FILE_BYTES:,} bytes)"
            ],
            source=src,
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([f"cannot read the {kind}: {exc.strerror or exc}"], source=src) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([f"is UTF-16 text; save the {kind} as UTF-8"], source=src)
    if b"\x00" in raw:
        raise ScenarioError([f"is a binary file, not text; a {kind} is UTF-8 text"], source=src)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} cannot be read; "
                f"save the {kind} as UTF-8"
            ],
            source=src,
        ) from None
    if not text.strip():
        raise ScenarioError([f"is empty; a {kind} needs at least one setting"], source=src)
    return text


def _toml_key(key: str) -> str:
    """A TOML key as a dotted path: quotes and spaces around dots dropped (enough for a message)."""
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
#: A ``key = value`` line of TOML: the (dotted, perhaps quoted) key, then the rest after ``=``.
_KEY_LINE = re.compile(rf"({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=(.*)")


def _duplicate_key(text: str) -> tuple[str, int, int, bool] | None:
    """The first key (or table) given twice: ``(dotted key, line, first line, is a table)``, or None.

    A light scan of ``key =`` lines and ``[table]`` headers, skipping multi-line strings and
    arrays of tables; used only to name the key after tomllib has refused the file.
    """
    seen: dict[str, int] = {}
    table = ""
    in_string = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_string:
            if stripped.count(in_string) % 2 == 1:
                in_string = None
            continue
        if stripped.startswith("[[") or not stripped or stripped.startswith("#"):
            if stripped.startswith("[["):
                table = "\0"  # keys of arrays of tables repeat by design: not tracked
            continue
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\](\s*#.*)?", stripped)
        if header:
            table = _toml_key(header.group(1))
            if table in seen:
                return table, number, seen[table], True
            seen[table] = number
            continue
        pair = _KEY_LINE.match(stripped)
        if pair and table != "\0":
            key = (f"{table}." if table else "") + _toml_key(pair.group(1))
            if key in seen:
                return key, number, seen[key], False
            seen[key] = number
            rest = pair.group(2)
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2 == 1:
                    in_string = quotes
    return None


def read_toml(path: str | Path, kind: str = "scenario file") -> dict[str, Any]:
    """Parse a TOML input file, or raise a one-line :class:`ScenarioError` naming the problem.

    Besides :func:`read_text`'s checks: invalid TOML (with tomllib's line and column) and a key
    or table given twice (naming the key and both lines).
    """
    text = read_text(path, kind)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if msg.startswith(("Cannot overwrite", "Cannot declare", "Cannot mutate")):
            dup = _duplicate_key(text)
            if dup:
                key, line, first, table = dup
                what = f"table [{key}] declared twice" if table else f"duplicate key '{key}'"
                raise ScenarioError(
                    [f"{what}, on lines {first} and {line}; give each {'table' if table else 'key'} once"],
                    source=str(path),
                ) from None
            msg = f"a key or table is given twice: {msg}"
        raise ScenarioError([f"not valid TOML: {msg}"], source=str(path)) from None


def _base_roots(top: Path) -> tuple[Path, ...]:
    """Folders a ``base`` chain may read from.

    The top file's folder, the enclosing ``scenarios`` folder (``scenarios/la/kent.toml`` names
    ``../baseline.toml``), and the shipped scenarios.
    """
    roots = [top.parent]
    roots += [p for p in top.parents if p.name == "scenarios"][:1]
    roots.append(SHIPPED_SCENARIOS)
    return tuple(dict.fromkeys(roots))


def read_scenario_dict(
    path: str | Path, _seen: tuple[Path, ...] = (), _roots: tuple[Path, ...] | None = None
) -> dict[str, Any]:
    """Read a scenario file and the chain of files it is based on, merged, unvalidated.

    A ``base`` is a ``.toml`` file relative to the file naming it, inside the folder tree of
    the scenario read (its folder, the enclosing ``scenarios`` folder, or the shipped
    scenarios): a scenario cannot make the simulator read files elsewhere on the machine.

    Raises:
        ScenarioError: the file or a base cannot be read (:func:`read_toml`), a base leaves the
            folder tree, is not a file name, or the chain loops.
    """
    path = Path(path)
    data = read_toml(path, "scenario file")
    if not _seen and "grid" in data and "base" not in data:  # one line, not an error per sweep key
        raise ScenarioError(
            [
                "this is a sweep file (it has a grid, not scenario settings): run it with "
                f"'python -m simulator sweep {path} --out results.parquet'"
            ],
            source=str(path),
        )
    here = path.resolve()
    roots = _roots if _roots is not None else _base_roots(here)
    chain = (*_seen, here)
    base = data.get("base")
    if base is not None and base != "":
        if not isinstance(base, str):
            raise ScenarioError(
                [f'base = {base!r}: must be a file name, e.g. base = "baseline.toml"'], source=str(path)
            )
        target = path.parent / base
        try:
            resolved = target.resolve()
        except (OSError, ValueError, RuntimeError) as exc:
            raise ScenarioError(
                [f"base = {base!r}: not a usable file name ({exc})"], source=str(path)
            ) from None
        if resolved in chain:
            names = " -> ".join(p.name for p in (*chain, resolved))
            raise ScenarioError(
                [f"base = {base!r}: the base chain loops ({names}); a scenario cannot be based on itself"],
                source=str(path),
            )
        if not any(resolved.is_relative_to(r) for r in roots):
            tree = ", ".join(str(r) for r in roots[:-1] or roots)
            raise ScenarioError(
                [
                    f"base = {base!r} is {resolved}, outside this scenario's folder tree "
                    f"({tree}); allowed: a scenario file in that tree or in the shipped "
                    "scenarios, so a scenario reads no other files"
                ],
                source=str(path),
            )
        if resolved.suffix.lower() != ".toml":
            raise ScenarioError([f"base = {base!r}: must name a .toml scenario file"], source=str(path))
        if len(chain) >= MAX_BASE_DEPTH:
            raise ScenarioError(
                [f"base = {base!r}: the base chain is more than {MAX_BASE_DEPTH} files long"],
                source=str(path),
            )
        if not target.exists():
            raise ScenarioError([f"base = {base!r}: file not found ({target})"], source=str(path))
        parent = read_scenario_dict(target, chain, roots)
        parent.pop("name", None)
        parent.pop("description", None)
        parent.pop("evidence", None)
        data = deep_merge(parent, data)
    data.setdefault("name", path.stem)
    return data


def build_scenario(data: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """Validate a dict of overrides into a :class:`Scenario`, or raise :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, data), source=source) from None


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a TOML scenario (following ``base``), apply overrides and validate it.

    Args:
        path: the scenario file.
        overrides: nested dict applied last (e.g. ``{"run": {"years": 5}}``).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: the file is missing or invalid; the message names each field.
    """
    data = read_scenario_dict(path)
    if overrides:
        clash = _section_clash(data, overrides)
        if clash:  # merging would silently replace the file's bad value by the override's table
            raise ScenarioError([clash], source=str(path))
        data = deep_merge(data, overrides)
    return build_scenario(data, source=str(path))


def _section_clash(
    data: Mapping[str, Any], over: Mapping[str, Any], model: type[BaseModel] = Scenario, prefix: str = ""
) -> str:
    """One line if ``data`` has a value where the schema has a section that ``over`` changes."""
    for key, value in over.items():
        info = model.model_fields.get(key)
        ann = info.annotation if info else None
        if not (isinstance(value, Mapping) and isinstance(ann, type) and issubclass(ann, BaseModel)):
            continue
        mine = data.get(key)
        if mine is not None and not isinstance(mine, Mapping):
            return f"{prefix}{key} = {_short(mine)}: must be a table ([{prefix}{key}] with its settings)"
        clash = _section_clash(mine or {}, value, ann, f"{prefix}{key}.")
        if clash:
            return clash
    return ""


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """Return a new validated scenario with nested overrides applied."""
    data = deep_merge(scenario.model_dump(), overrides)
    return build_scenario(data, source=scenario.name)


def differences(
    model: type[BaseModel], data: Mapping[str, Any], default: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields of ``data`` (a ``model_dump``) whose values differ from ``default``, by section.

    Sections are compared field by field; any other value (a list, a table of dated steps, a
    table by evidence grade) is kept whole, as a partial one would replace the whole default.
    """
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            sub = differences(ann, data[name], default[name])
            if sub:
                out[name] = sub
        elif data[name] != default[name]:
            out[name] = data[name]
    return out


def scenario_toml(scenario: Scenario, comment: str = "") -> str:
    """A scenario as the text of a self-contained scenario file (TOML).

    The file holds the scenario's name and every value that differs from the schema's default,
    and no ``base``: loaded again (:func:`load_scenario`, from any folder) it gives an equal
    scenario.

    Args:
        scenario: the scenario to write.
        comment: lines put at the top as TOML comments (``# ``), e.g. where the scenario came from.
    """
    import tomli_w  # only writing needs it

    data = differences(Scenario, scenario.model_dump(mode="json"), Scenario().model_dump(mode="json"))
    data.pop("base", None)
    data = {"name": scenario.name, **{k: v for k, v in data.items() if k != "name"}}
    head = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    try:
        return head + tomli_w.dumps(data, multiline_strings=True)
    except TypeError as err:  # an empty value (None) where the default is not: TOML has no null
        raise ValueError(f"scenario {scenario.name!r} cannot be written as TOML: {err}") from None


def parameter_table() -> list[dict[str, Any]]:
    """Every parameter with its default, unit, range, source and grade (for docs and the app)."""
    rows = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann = info.annotation
            if ann is UnitCost:  # a unit cost: its value, with its own unit, price year and source
                cost = info.get_default(call_default_factory=True)
                grade = re.search(r"\[(H|M|L)\]", cost.source)
                rows.append(
                    {
                        "parameter": f"{prefix}{name}",
                        "default": cost.value,
                        "unit": f"{cost.unit}, {cost.price_year} prices",
                        "allowed": _describe_allowed((*prefix.rstrip(".").split("."), name, "value")),
                        "source": cost.source,
                        "grade": grade.group(1) if grade else "assumption",
                        "description": f"Unit cost: {cost.unit} (uprated to finance.base_price_year).",
                    }
                )
                continue
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
                continue
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if not extra:
                continue
            rows.append(
                {
                    "parameter": f"{prefix}{name}",
                    "default": info.get_default(call_default_factory=True),
                    "unit": extra.get("unit", ""),
                    "allowed": _describe_allowed(tuple(f"{prefix}{name}".split("."))),
                    "source": extra.get("source", ""),
                    "grade": extra.get("grade", ""),
                    "description": info.description or "",
                }
            )
            (item,) = get_args(ann) if get_origin(ann) is list else (None,)
            if isinstance(item, type) and issubclass(item, BaseModel):  # e.g. each shock's fields
                walk(item, f"{prefix}{name}[].")

    walk(Scenario, "")
    return rows
