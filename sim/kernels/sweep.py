"""The periodic sweep of background social life: time weights, contacts, decay, drops."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim import rules
from sim.kernels.parallel import one_at_a_time
from sim.kernels.rows import FREE
from sim.kernels.strength import decay_factor, strengthen

tie_contact_rate = njit(cache=True)(rules.tie_contact_rate)


@one_at_a_time
@njit(cache=True, parallel=True)
def sweep_weights(
    day,
    w,
    last,
    kind,
    half_life,
    table_s,
    table_w,
    w_seen,
    w_pow,
    exponent,
    u,
    v,
    partial,
    strength,
    weight,
    inverse,
):  # pragma: no cover - compiled
    """First pass of a sweep: strengths, time weights and each person's total weight.

    Per edge id in use, ``strength = w * 2 ** (-age / half_life)`` (:func:`sim.rules.decay`)
    and the time weight ``strength ** exponent`` (:func:`sim.rules.contact_rate`), computed
    as ``w ** exponent * 2 ** (-exponent * age / half_life)``. The decay factors depend only
    on (kind, age), so they come from the tables ``table_s`` and ``table_w``; ``w **
    exponent`` is cached per edge id in ``w_pow`` and recomputed only where ``w`` differs
    from the value ``w_seen`` it was computed for (most ties are not contacted between
    sweeps). Per person, the inverse of the summed weights of its ties (0 if none), added
    in float64 as the edge ids are visited: the ids are cut into ``len(partial)`` equal
    parts, done in parallel, each adding its ties to both ends in its own row of
    ``partial`` in edge-id order; a person's sum is then its parts' added in part order.
    So it does not depend on the number of threads, and the edge arrays are read in
    order instead of once per tie end through the adjacency rows.

    Args:
        day: Today.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id (``FREE`` for unused ids).
        half_life: Half-life per kind code (for ages past the tables).
        table_s: ``2 ** (-age / half_life)`` per kind code and age in days (float32).
        table_w: ``2 ** (-exponent * age / half_life)`` likewise.
        w_seen: Cache, per edge id, the ``w`` that ``w_pow`` was computed for.
        w_pow: Cache, per edge id, ``w_seen ** exponent``.
        exponent: ``allocation_exponent``.
        u: First endpoint per edge id.
        v: Second endpoint per edge id.
        partial: Scratch, float64, one row per part and a column per person.
        strength: Output, strength per edge id (0 for freed ids).
        weight: Output, time weight per edge id (0 for freed ids).
        inverse: Output, per person ``1 / sum(weight)`` in float32.
    """
    n_edges, n_people = len(strength), len(inverse)
    exp32 = np.float32(exponent)
    width = table_s.shape[1]
    parts = partial.shape[0]
    size = (n_edges + parts - 1) // parts
    for part in prange(parts):
        total = partial[part]
        total[:] = 0.0
        for e in range(part * size, min((part + 1) * size, n_edges)):
            k = kind[e]
            if k == FREE:
                strength[e] = 0.0
                weight[e] = 0.0
                continue
            x = w[e]
            if x != w_seen[e]:
                w_pow[e] = np.exp(exp32 * np.log(x)) if x > 0 else np.float32(0.0)
                w_seen[e] = x
            age = max(day - last[e], 0)
            if age < width:
                strength[e] = x * table_s[k, age]
                weight[e] = w_pow[e] * table_w[k, age]
            else:  # past the tables (a store used out of day order): compute directly
                strength[e] = x * decay_factor(np.float32(age), half_life[k])
                weight[e] = w_pow[e] * decay_factor(exp32 * np.float32(age), half_life[k])
            total[u[e]] += weight[e]
            total[v[e]] += weight[e]
    for p in prange(n_people):
        t = 0.0
        for part in range(parts):
            t += partial[part, p]
        inverse[p] = np.float32(1.0 / t) if t > 0 else np.float32(0.0)


@njit(cache=True)
def poisson_by_inversion(uniform, lam):  # pragma: no cover - compiled
    """The Poisson(``lam``) count whose CDF first reaches ``uniform`` (inversion).

    Exact up to float64 rounding for moderate ``lam`` (the callers use it below 30, where
    ``exp(-lam)`` is far from underflow); the expected number of steps is ``lam + 1``.
    """
    p = np.exp(-lam)
    return _invert_from(uniform, lam, 0, p, p)


@njit(cache=True)
def _invert_from(uniform, lam, k, p, cdf):  # pragma: no cover - compiled
    """The inversion's loop from count ``k``, with ``p = P(k)`` and ``cdf = P(<= k)``."""
    while uniform > cdf and k < 1000:  # the bound only guards against rounding at cdf ~ 1
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True)
def poisson_count(uniform, lam):  # pragma: no cover - compiled
    """:func:`poisson_by_inversion`, with its first steps taken without a branch.

    The CDF up to 3 is computed as the inversion computes it, and the count is the
    number of those values below ``uniform``; only a uniform beyond them goes on to the
    loop. The result is the same, bit for bit; what is saved is the mispredicted
    branches of a short loop of random length (most means are about 1).
    """
    p = np.exp(-lam)
    c0 = p
    p *= lam / 1
    c1 = c0 + p
    p *= lam / 2
    c2 = c1 + p
    p *= lam / 3
    c3 = c2 + p
    if uniform <= c3:
        return np.int64(uniform > c0) + np.int64(uniform > c1) + np.int64(uniform > c2)
    return _invert_from(uniform, lam, 3, p, c3)


@one_at_a_time
@njit(cache=True, parallel=True)
def sweep_contacts(
    lo,
    uniforms,
    day,
    kind,
    u,
    v,
    strength,
    weight,
    inverse,
    per_day,
    days,
    lam_max,
    gain,
    floor,
    w,
    last,
    peak,
    doomed,
    big,
    counts,
):  # pragma: no cover - compiled
    """Second pass of a sweep over edge ids ``lo .. lo + len(uniforms)``: contacts.

    A tie's expected contacts over the period are ``per_day * weight * (inverse[u] +
    inverse[v]) * days``, in float32 (``per_day`` is ``contacts_per_day``; the rate is that
    of :func:`sim.rules.contact_rate`). Where that is at most ``lam_max`` the count is drawn
    by inversion of the given uniform; a contacted tie is restored once per contact
    towards its peak (:func:`sim.rules.strengthen` with ``ceiling=peak``), its last
    contact set to today and its ``strength``
    updated to today's after the contacts; a tie with no contact below ``floor`` is
    listed in ``doomed``. Ties above ``lam_max`` are listed in
    ``big`` for the caller to draw, and left as they are.

    The range is cut into ``len(counts)`` equal parts, done in parallel: each edge id's
    outcome depends only on its own uniform, and part ``p`` lists its ids in order from
    ``doomed[start_p]`` and ``big[start_p]`` (``start_p = p * ceil(n / parts)``), so the
    result does not depend on the number of threads.

    Args:
        lo: First edge id of the range.
        uniforms: One uniform draw per edge id of the range.
        day: Today.
        kind: Kind code per edge id (``FREE`` for unused ids).
        u: First endpoint per edge id.
        v: Second endpoint per edge id.
        strength: Strength today per edge id (from :func:`sweep_weights`; updated for
            the ties contacted).
        weight: Time weight per edge id (from :func:`sweep_weights`).
        inverse: Per person, 1 / summed time weight (from :func:`sweep_weights`).
        per_day: ``contacts_per_day`` (float32).
        days: Length of the period (float32).
        lam_max: Largest mean drawn here by inversion (float32).
        gain: ``contact_gain``.
        floor: Strength below which an uncontacted tie is dropped (float32).
        w: Strength per edge id at its last contact (updated).
        last: Day of last contact per edge id (updated).
        peak: Highest strength per edge id so far: the ceiling of background contact.
        doomed: Output, edge ids to drop, per part from its start (see above).
        big: Output, edge ids left to the caller, likewise.
        counts: Output, per part, how many entries of ``doomed`` and ``big`` it wrote.
    """
    n = len(uniforms)
    parts = counts.shape[0]
    size = (n + parts - 1) // parts
    for part in prange(parts):
        start = part * size
        n_doomed = 0
        n_big = 0
        for i in range(start, min(start + size, n)):
            e = lo + i
            if kind[e] == FREE:
                continue
            lam = tie_contact_rate(weight[e], inverse[u[e]], inverse[v[e]], per_day) * days
            if lam > lam_max:
                big[start + n_big] = e
                n_big += 1
                continue
            k = poisson_count(uniforms[i], np.float64(lam))
            s = strength[e]
            if k > 0:
                w[e] = strengthen(s, gain, k, peak[e])
                last[e] = day
                strength[e] = w[e]  # today's strength after the contacts
            elif s > 0 and s < floor:
                doomed[start + n_doomed] = e
                n_doomed += 1
        counts[part, 0] = n_doomed
        counts[part, 1] = n_big
