"""A tie's strength today, contacts that strengthen it, and picks in proportion to it."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim import rules
from sim.kernels.buckets import positions_by_key
from sim.kernels.parallel import one_at_a_time

PICK_BLOCK = 8  # slots a pick by today's strengths adds up at once (see pick_by_slot_strength)
GROUP_PICKS = 1.0  # from this many picks per person, picks are grouped by person first

decay_factor = njit(cache=True)(rules.decay_factor)


@njit(cache=True)
def strength_today(e, day, w, last, kind, half_life, table_s):  # pragma: no cover - compiled
    """Strength of edge ``e`` on ``day``: ``w * table_s[kind, age]`` in float32.

    ``table_s`` holds the decay factors of :func:`sim.rules.decay` per kind code and age
    in days; an age past its end (a store used out of day order) is computed directly.
    """
    age = max(day - last[e], 0)
    if age < table_s.shape[1]:
        return w[e] * table_s[kind[e], age]
    return w[e] * decay_factor(np.float32(age), half_life[kind[e]])


@njit(cache=True)
def strength_of(eids, day, w, last, kind, half_life, table_s, out):  # pragma: no cover - compiled
    """Strength on ``day`` of the given ties into ``out``: ``w * table_s[kind, age]``.

    ``table_s`` holds the decay factors of :func:`sim.rules.decay` per kind code and age
    in days; an age past its end (a store used out of day order) is computed directly.
    """
    for i in range(len(eids)):
        out[i] = strength_today(eids[i], day, w, last, kind, half_life, table_s)


@one_at_a_time
@njit(cache=True, parallel=True)
def pick_by_strength(
    persons, uniforms, day, adj, nbr, deg, w, last, kind, half_life, table_s
):  # pragma: no cover - compiled
    """One tie of each person, chosen with probability proportional to its strength today.

    The strengths of the person's row are summed in float64 in slot order; the chosen
    slot is the first whose running sum exceeds ``uniform * total``. People are done in
    parallel; each pick depends only on its own row and uniform.

    Args:
        persons: People who choose (each must hold a tie).
        uniforms: One uniform draw in ``[0, 1)`` per person.
        day: Today.
        adj: Edge id per person and slot.
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.

    Returns:
        ``(other, eid, strength)`` of the chosen tie of each person.
    """
    n = len(persons)
    other = np.empty(n, np.int64)
    eid = np.empty(n, np.int64)
    strength = np.empty(n, np.float32)
    for i in prange(n):
        p = persons[i]
        total = 0.0
        for s in range(deg[p]):
            total += strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
        target = uniforms[i] * total
        chosen = deg[p] - 1  # if rounding leaves the target at the very end
        running = 0.0
        for s in range(deg[p]):
            running += strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
            if running > target:
                chosen = s
                break
        other[i] = nbr[p, chosen]
        eid[i] = adj[p, chosen]
        strength[i] = strength_today(adj[p, chosen], day, w, last, kind, half_life, table_s)
    return other, eid, strength


strengthen = njit(cache=True)(rules.strengthen)


@njit(cache=True)
def contact_edges(
    eids, day, gain, w, last, kind, half_life, table_s, peak, times
):  # pragma: no cover - compiled
    """Record contacts on ties, each tie updated once for all its contacts.

    ``k`` contacts on a tie apply :func:`sim.rules.strengthen` with ``contacts=k`` to its
    strength today, clipped to ``[1e-6, 1]``; its last contact becomes ``day`` and its
    peak the larger of its peak and its new strength.

    Args:
        eids: Edge id of each contact (ids may repeat).
        day: Today.
        gain: Share of the gap to 1 that one contact closes.
        w: Strength per edge id at its last contact (updated in place).
        last: Day of last contact per edge id (updated in place).
        kind: Kind code per edge id.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.
        peak: Highest strength per edge id so far (updated in place).
        times: Scratch, one count per edge id, all 0 on entry and on return.
    """
    for i in range(len(eids)):
        times[eids[i]] += 1
    for i in range(len(eids)):
        e = eids[i]
        k = times[e]
        if k:
            now = strengthen(strength_today(e, day, w, last, kind, half_life, table_s), gain, k)
            w[e] = min(max(now, 1e-6), 1.0)
            last[e] = day
            peak[e] = max(peak[e], w[e])
            times[e] = 0


@njit(cache=True)
def _pick_in_row(p, uniform, nbr, deg, strength, total):  # pragma: no cover - compiled
    """The other end of person ``p``'s tie chosen by ``uniform`` (see the caller)."""
    d = deg[p]
    target = uniform * total[p]
    chosen = d - 1  # if rounding leaves the target at the very end
    running = 0.0
    s = 0
    # Whole blocks of PICK_BLOCK slots first, each summed as a tree (independent adds,
    # not one long chain), then the block that reaches the target slot by slot.
    while s + PICK_BLOCK <= d:
        x = strength[p, s : s + PICK_BLOCK]
        block = np.float64((x[0] + x[1]) + (x[2] + x[3])) + np.float64(
            (x[4] + x[5]) + (x[6] + x[7])
        )
        if running + block > target:
            break
        running += block
        s += PICK_BLOCK
    while s < d:
        running += strength[p, s]
        if running > target:
            chosen = s
            break
        s += 1
    return nbr[p, chosen]


def pick_by_slot_strength(persons, uniforms, nbr, deg, strength, total):
    """:func:`pick_by_strength` for many people at once, from each tie's strength today.

    ``strength`` holds the strength today of every slot of every row (as
    :func:`strength_of` gives it, laid out like ``adj``: ``sim.kernels.cap.row_strengths``)
    and ``total`` each person's summed strength, so a pick reads its row in memory order
    only up to the chosen slot, instead of a decay per slot and pass. The chosen slot
    is the first whose running sum exceeds ``uniform * total`` (the last one if rounding
    leaves the target at the end), as in :func:`pick_by_strength`, whose sums differ
    from ``total`` only in rounding; the running sum skips ahead by blocks of eight
    slots, added in float32 within a block. Each pick depends only on its person and
    uniform, so the result does not depend on the number of threads or on the order in
    which the picks are made: many picks are grouped by person first, so that each row
    is read from memory once for all its picks.

    Args:
        persons: People who choose (each must hold a tie).
        uniforms: One uniform draw in ``[0, 1)`` per person.
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        strength: Strength today per person and slot (float32).
        total: Summed strength today of each person's ties (float64).

    Returns:
        The person at the other end of the chosen tie of each person.
    """
    if len(persons) < GROUP_PICKS * len(deg):
        return _pick_each(persons, uniforms, nbr, deg, strength, total)
    order = np.empty(len(persons), np.int32 if len(persons) < 2**31 else np.int64)
    return _pick_by_person(persons, uniforms, nbr, deg, strength, total, order)


@one_at_a_time
@njit(cache=True, parallel=True)
def _pick_each(persons, uniforms, nbr, deg, strength, total):  # pragma: no cover - compiled
    """:func:`pick_by_slot_strength`, the picks in parallel in their order."""
    n = len(persons)
    other = np.empty(n, np.int64)
    for i in prange(n):
        other[i] = _pick_in_row(persons[i], uniforms[i], nbr, deg, strength, total)
    return other


@one_at_a_time
@njit(cache=True, parallel=True)
def _pick_by_person(persons, uniforms, nbr, deg, strength, total, order):  # pragma: no cover
    """:func:`pick_by_slot_strength`, the picks grouped by person (``order`` is scratch)."""
    start = positions_by_key(persons, deg.shape[0], order)
    other = np.empty(len(persons), np.int64)
    for p in prange(deg.shape[0]):
        for j in range(start[p], start[p + 1]):
            i = order[j]
            other[i] = _pick_in_row(p, uniforms[i], nbr, deg, strength, total)
    return other
