"""Random numbers addressed by who they are for and what they decide (common random numbers).

Every draw in the model is a pure function of the run's key and an address::

    (seed) x (who: family or child id, or an area-level index) x (month) x (purpose) x (n)

so two runs with the same seed give a family the same draws wherever they treat it alike, and a
family whose path changes (because a lever touched it) shifts nobody else's draws. This is what
makes a scenario's difference from its baseline the lever's effect rather than the dice.

Generator: **Philox4x32-10** (Salmon, Moraes, Dror and Shaw 2011, "Parallel random numbers: as
easy as 1, 2, 3", SC'11), a counter-based generator: a 128-bit counter and a 64-bit key go
through ten rounds of multiply-and-xor and come out as four 32-bit words. It passes the whole
of TestU01's BigCrush for every key (the paper's "Crush-resistant" family, with a safety margin
of three rounds over the seven that already pass), it is the generator of Random123, cuRAND,
TensorFlow and JAX's threefry/philox options, and numpy ships its 4x64 sibling. It was chosen
over a keyed hash because its statistical quality is published and its counter is wide enough
to hold the whole address without hashing. The implementation here reproduces the Random123
known-answer vectors (``tests/test_keyed.py``).

Layout of the counter: ``(who, month, purpose, n)``: ``n`` counts blocks of four words within
one address, so one address gives as many draws as a decision needs. The key is two 32-bit words
derived from the run's seed by :func:`key_words` (numpy's ``SeedSequence``, so any integer seed,
however large, gives a well-mixed key): the one seeding recipe of every entry point.

Uniforms have 32-bit resolution, ``(w + 0.5) / 2**32`` (never 0 or 1): the smallest monthly
probability the model compares against is about 1e-6, far above 2**-32.

In the compiled engine a random state ``RS`` (uint64 array) holds the key and three streams
(family, child, area), each an address and a buffer of unused words; :func:`stream` points a
stream at an address, :func:`uniform` and friends draw from it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# -- addresses ---------------------------------------------------------------------------------
#: Streams of the engine's random state: a family's decisions, a child's, the area's.
FAM, CHILD, AREA = 0, 1, 2
#: Purposes (the third counter word). Family streams:
P_SCREEN = 1  # the monthly uniform that screens and picks the hazard (four months a block)
P_EVENT = 2  # which hazard, and its second uniform
P_ADVERSE = 3  # kind of adverse event and its size
P_FRONT_DOOR = 4  # assessed or not, the assessment's outcome
P_S47 = 5  # emergency removal, conference, plan
P_CARE = 6  # which child enters care, siblings joining
P_REVIEW = 7  # a protection plan's review conference
P_RATION = 8  # priority for an early help place when places are short
P_POPULATE = 9  # a starting family's deprivation, need, size and children's ages
P_START = 10  # a starting family's history and starting service (set-up)
P_PREVENTION = 11  # tie-break among families prevention spend could reach
P_HUBS = 12  # order in which a hub's catchment is filled
P_TF_TREAT = 13  # Troubled Families: order of enrolment
P_TF_COMPARE = 14  # Troubled Families: order of the matched comparison group
P_FIRST_REVIEW = 15  # a protection plan's first review: held on time or a month late
#: Child streams:
P_ADMIT = 20  # route, placement and exit plan at entry to care
P_START_CARE = 21  # already in care at the start (set-up)
P_PLACE_MOVE = 22  # a placement move (month): where the child goes, and when the next move comes
#: Area streams (``who`` is an index within the month):
P_BIRTH = 30  # the j-th birth of the month: to which family, or a new family's attributes
P_ARRIVAL = 31  # the j-th family moving in: whom it resembles
P_UASC = 32  # the j-th unaccompanied child: age
P_COUNTS = 33  # the month's numbers of births (who 0), arrivals (1), unaccompanied children (2)
P_BIRTH_REMOVAL = 34  # the j-th birth of the month: removed at birth or not
#: Month word for draws made at set-up (before month 0).
SETUP_MONTH = 0xFFFFFFFF

# -- the generator ---------------------------------------------------------------------------
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TO_UNIT = 2.0**-32


@njit(cache=True, inline="always", _nrt=False)
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)`` (uint64s < 2**32)."""
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        n0 = (p1 >> _S32) ^ c1 ^ k0
        n2 = (p0 >> _S32) ^ c3 ^ k1
        c1 = p1 & _MASK
        c3 = p0 & _MASK
        c0 = n0
        c2 = n2
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@njit(cache=True)
def philox_block(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 from Python (for the known-answer test): four ints."""
    a, b, c, d = philox(
        np.uint64(c0), np.uint64(c1), np.uint64(c2), np.uint64(c3), np.uint64(k0), np.uint64(k1)
    )
    return int(a), int(b), int(c), int(d)


def key_words(seed: int) -> tuple[int, int]:
    """The run's 64-bit key, as two 32-bit words, from any integer seed (the one seeding recipe)."""
    words = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint32)
    return int(words[0]), int(words[1])


# -- the engine's random state ------------------------------------------------------------------
#: RS layout: the key, then per stream: counter (4 words), words left in the buffer, buffer (4).
RS_KEY = 0
_STRIDE = 9
N_RS = 2 + 3 * _STRIDE


def new_state(key: tuple[int, int]) -> np.ndarray:
    """A random state for the engine under ``key`` (:func:`key_words` of the run's seed)."""
    rs = np.zeros(N_RS, dtype=np.uint64)
    rs[0], rs[1] = key
    return rs


@njit(cache=True, inline="always", _nrt=False)
def stream(RS, s, who, month, purpose):
    """Point stream ``s`` at the address ``(who, month, purpose)``; its next draw is the first."""
    b = 2 + s * _STRIDE
    RS[b] = np.uint64(who) & _MASK
    RS[b + 1] = np.uint64(month) & _MASK
    RS[b + 2] = np.uint64(purpose) & _MASK
    RS[b + 3] = np.uint64(0)
    RS[b + 4] = np.uint64(0)


@njit(cache=True, inline="always", _nrt=False)
def uniform_at(RS, who, month, purpose):
    """A uniform in (0, 1) at the address ``(who, month, purpose)``, moving no stream.

    For a one-off decision taken inside a rule that other draws are in the middle of.
    """
    c0, c1, c2 = np.uint64(who) & _MASK, np.uint64(month) & _MASK, np.uint64(purpose) & _MASK
    w0, _w1, _w2, _w3 = philox(c0, c1, c2, np.uint64(0), RS[0], RS[1])
    return to_unit(w0)


@njit(cache=True, inline="always", _nrt=False)
def word(RS, s):
    """The stream's next 32-bit word (a new Philox block every four)."""
    b = 2 + s * _STRIDE
    left = np.int64(RS[b + 4])
    if left == 0:
        w0, w1, w2, w3 = philox(RS[b], RS[b + 1], RS[b + 2], RS[b + 3], RS[0], RS[1])
        RS[b + 3] = RS[b + 3] + np.uint64(1)
        RS[b + 5] = w0
        RS[b + 6] = w1
        RS[b + 7] = w2
        RS[b + 8] = w3
        left = 4
    RS[b + 4] = np.uint64(left - 1)
    return RS[b + 9 - left]


@njit(cache=True, inline="always", _nrt=False)
def to_unit(w):
    """A 32-bit word as a uniform in (0, 1)."""
    return (np.float64(w) + 0.5) * _TO_UNIT


@njit(cache=True, inline="always", _nrt=False)
def uniform(RS, s):
    """A uniform in (0, 1) from stream ``s``."""
    return to_unit(word(RS, s))


@njit(cache=True, inline="always", _nrt=False)
def randint(RS, s, low, high):
    """A whole number in ``[low, high)`` from stream ``s``."""
    n = np.int64(high) - np.int64(low)
    k = np.int64(uniform(RS, s) * n)
    return np.int64(low) + (k if k < n else n - 1)


@njit(cache=True, inline="always", _nrt=False)
def normal(RS, s):
    """A standard normal from stream ``s`` (Box-Muller, two uniforms)."""
    u = uniform(RS, s)
    v = uniform(RS, s)
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)


@njit(cache=True, inline="always", _nrt=False)
def normal_quantile(p):
    """Inverse of the standard normal distribution (Acklam's rational approximation, 1.2e-9)."""
    a0, a1, a2, a3, a4, a5 = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b0, b1, b2, b3, b4 = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c0, c1, c2, c3, c4, c5 = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d0, d1, d2, d3 = (
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e00,
        3.754408661907416e00,
    )
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / (
            (((d0 * q + d1) * q + d2) * q + d3) * q + 1.0
        )
    if p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / (
            (((d0 * q + d1) * q + d2) * q + d3) * q + 1.0
        )
    q = p - 0.5
    r = q * q
    return (
        (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5)
        * q
        / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1.0)
    )


@njit(cache=True, _nrt=False)
def poisson_quantile(lam, u):
    """The Poisson(``lam``) count at probability ``u``.

    The same ``u`` gives counts that move smoothly with ``lam``, so two runs whose means differ a
    little mostly draw the same count.

    Exact inversion below a mean of 40; above it the Cornish-Fisher expansion of the quantile
    (skewness and kurtosis terms), whose error is far below one count there.
    """
    if lam <= 0.0:
        return 0
    if lam < 40.0:
        p = math.exp(-lam)
        cdf = p
        k = 0
        while u > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        return k
    z = normal_quantile(u)
    g1 = 1.0 / math.sqrt(lam)
    w = (
        z
        + (z * z - 1.0) * g1 / 6.0
        + (z * z * z - 3.0 * z) * g1 * g1 / 24.0
        - (2.0 * z * z * z - 5.0 * z) * g1 * g1 / 36.0
    )
    x = math.floor(lam + math.sqrt(lam) * w + 0.5)
    return int(x) if x > 0.0 else 0


# -- from Python: many addresses at once -------------------------------------------------------


@njit(cache=True)
def _uniforms(k0, k1, who, month, purpose, out):
    kk0 = np.uint64(k0)
    kk1 = np.uint64(k1)
    m = np.uint64(month) & _MASK
    p = np.uint64(purpose)
    for i in range(who.shape[0]):
        w0, _, _, _ = philox(np.uint64(who[i]) & _MASK, m, p, np.uint64(0), kk0, kk1)
        out[i] = to_unit(w0)


def uniforms(key: tuple[int, int], who: np.ndarray, month: int, purpose: int) -> np.ndarray:
    """The first uniform at each address ``(who[i], month, purpose)`` (policies and set-up)."""
    who = np.ascontiguousarray(who, dtype=np.int64)
    out = np.empty(who.shape[0])
    _uniforms(key[0], key[1], who, int(month) & 0xFFFFFFFF, int(purpose), out)
    return out


def lowest(
    key: tuple[int, int], rows: np.ndarray, ids: np.ndarray, n: int, month: int, purpose: int
) -> np.ndarray:
    """The ``n`` of ``rows`` whose ids draw the lowest uniforms.

    A random choice that does not depend on the rows' order or on any other draw, so the same
    families are chosen in two runs wherever the candidates are the same.
    """
    if n >= rows.size:
        return rows
    if n <= 0:
        return rows[:0]
    u = uniforms(key, ids, month, purpose)
    return rows[np.argpartition(u, n - 1)[:n]]
