"""The vocabulary of the model: service states, end reasons, placements, events.

States are an ``Enum`` and every reporter, column and log entry is named from
it (``State.LAC.name``), never from loose strings (Mesa's bundled examples).
"""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    """Where a child is in children's services.

    ``CIN`` here is a child-in-need plan or support that is *not* a protection
    plan and not care. The DfE's "children in need at 31 March" is wider: it
    counts CIN + CP + LAC (see ``docs/COUNTING.md``).
    """

    UNIVERSAL = 0
    EARLY_HELP = 1
    CIN = 2
    CP = 3
    LAC = 4


class Hazard(IntEnum):
    """A family's monthly hazards, raced for the month's event.

    Their yearly rates by state and need: :data:`simulator.rules.HAZARD_RATES`; levers multiply
    them (``simulator.policies.base``).
    """

    ADVERSE = 0  # an adverse event: need rises one or two levels
    RECOVER = 1  # need falls one level
    REFER = 2  # a referral to children's social care (from early help: escalation)
    IDENTIFY = 3  # found for early help without a referral
    CLOSE = 4  # the case closes (early help, CIN plan)
    S47 = 5  # a section 47 enquiry from a CIN plan
    CARE = 6  # a child enters care


class EndReason(IntEnum):
    """Why an episode of CIN, CP or care ended (``episodes.csv: end_reason``)."""

    OPEN = 0
    STEPPED_DOWN = 1  # to a lower service: CP -> CIN, CIN -> early help
    ESCALATED = 2  # to a higher service: CIN -> CP, CIN/CP -> care
    CLOSED = 3  # case closed, no further service
    RETURNED_HOME = 4  # left care to live with parents
    ADOPTED = 5
    SPECIAL_GUARDIANSHIP = 6  # special guardianship or child arrangements order
    TURNED_18 = 7  # aged out; a care leaver if the episode was LAC
    MOVED_AWAY = 8  # family left the area
    OTHER_EXIT = 9  # left care another way: another authority, relatives without an order, custody, any other


class Placement(IntEnum):
    """Placement type at the start of a care episode (DfE CLA categories, grouped)."""

    NONE = -1
    FRIENDS_FAMILY_FOSTER = 0
    IN_HOUSE_FOSTER = 1
    INDEPENDENT_FOSTERING_AGENCY = 2
    CHILDRENS_HOME = 3
    SUPPORTED_ACCOMMODATION = 4
    PLACED_WITH_PARENTS = 5


class Route(IntEnum):
    """Legal route into care (DfE CLA legal status at start, grouped)."""

    VOLUNTARY_S20 = 0
    CARE_ORDER = 1
    EMERGENCY = 2
    UASC = 3


class LegalStatus(IntEnum):
    """Legal status of a child looked after (DfE CLA legal status at 31 March, grouped).

    Set at entry by the route and the exit plan (``kernel.legal_status_at_entry``); a child whose
    adoption is due within ``care.placement_order_months`` is under a placement order.
    """

    CARE_ORDER = 0  # interim or full care order (emergency orders, which last days, included)
    PLACEMENT_ORDER = 1  # authority to place for adoption
    VOLUNTARY_S20 = 2  # accommodated under section 20 (unaccompanied children included)


class Adverse(IntEnum):
    """Adverse events that raise a family's latent need (the seed report's drivers)."""

    FAMILY_BREAKDOWN = 0
    DOMESTIC_ABUSE = 1
    PARENTAL_MENTAL_HEALTH = 2
    SUBSTANCE_MISUSE = 3
    CONTEXTUAL_HARM = 4  # exploitation, county lines: adolescents


class Event(IntEnum):
    """Entries in a family's journey log."""

    ADVERSE = 0  # detail: Adverse
    RECOVERY = 1  # need fell one level
    REFERRAL = 2  # detail: 1 if a re-referral within 12 months
    ASSESSMENT = 3
    NO_FURTHER_ACTION = 4
    SECTION47 = 5
    STATE_CHANGE = 6  # detail: new State
    ENTERED_CARE = 7  # detail: child slot
    LEFT_CARE = 8  # detail: EndReason
    MOVED_IN = 9
    MOVED_AWAY = 10
    BIRTH = 11
    CHILD_TURNED_18 = 12
    PROGRAMME = 13  # detail: policy-specific code (Troubled Families, hub)
    PLACEMENT_MOVED = 14  # detail: the child's id


#: Need levels of a family's latent need.
NEED_LEVELS = ("none", "emerging", "high", "acute")
HIGH_NEED = 2


# -- time windows and ages (months) -----------------------------------------------------------
#: DfE's re-referral measure: a referral within this many months of the child's previous one
#: (Characteristics of children in need, [CIN]: re-referrals within 12 months).
REREFERRAL_WINDOW = 12
#: A case closed this recently is likelier to be referred again (``front_door.rereferral_multiplier``
#: applies); the same twelve months as the DfE measure (assumption).
RECENT_CLOSURE = 12
#: Weeks in a month (365.25 / 7 / 12): court timetables are published in weeks (MoJ Family Court
#: Statistics), the model's clock is months.
WEEKS_PER_MONTH = 365.25 / 7 / 12
#: Ages at which a child's band changes: the DfE's looked-after age groups (CLA SSDA903 tables:
#: under 1, 1-4, 5-9, 10-15, 16-17), in months, with the 18th birthday last.
AGE_BAND_EDGES = (0, 12, 60, 120, 192, 216)
AGE_BANDS = ("under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17")
#: A child at home counts towards contextual harm (exploitation, county lines) from this age
#: (assumption: adolescence as the seed report describes it; its rate is
#: ``need.contextual_harm_per_teen_per_year``).
TEEN_AGE = 144
#: A child's 18th birthday: leaves care (or the family's children) then.
ADULT_AGE = 216
#: A baby removed after birth, not at it (``care.removal_after_birth_ratio``), is removed in one of
#: the months 1 to this after its birth, evenly (assumption: so it still enters care under one).
AFTER_BIRTH_MONTHS = 11
