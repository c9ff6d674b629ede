"""Ties inside groups: each member's ties to its co-members, summed group by group.

Called by the tie store on behalf of the roster, which passes its index of current
memberships (``sim/roster.py``).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from sim.kernels.membership import group_run_end, mark_members
from sim.kernels.parallel import one_at_a_time
from sim.kernels.strength import strength_today


@njit(cache=True)
def ties_to_comembers(
    persons,
    groups,
    order,
    adj,
    nbr,
    deg,
    set_persons,
    set_rows,
    set_start,
    mark,
    day,
    w,
    last,
    kind,
    half_life,
    table_s,
):  # pragma: no cover - compiled
    """Ties of each (person, group) pair to the current members of that group.

    Pairs are visited group by group (``order`` sorts them by group); the members of a
    group are marked in ``mark`` (their membership row), then each pair's adjacency row
    is scanned for marked people. This is linear in the members of the groups queried
    plus the degrees of the people queried: no per-tie search. A tie's strength today is
    ``w * table_s[kind, age]`` (the decay factor of :func:`sim.rules.decay`), summed per
    pair in float64 in slot order.

    Args:
        persons: Person of each pair.
        groups: Group of each pair.
        order: Pair indices sorted by group.
        adj: Edge id per person and slot.
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        set_persons: Person of each current membership, memberships sorted by group.
        set_rows: Membership row of each entry of ``set_persons``.
        set_start: Where each group's run starts in ``set_persons`` (length groups + 1).
        mark: Scratch, one per person, all -1 on entry and on return.
        day: Today.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.

    Returns:
        ``(count, total, row, member, eid, strength)``: ties found and their summed
        strength per pair and, per tie found, in the order of the pairs and then of the
        person's adjacency slots, the pair, the co-member's membership row, the edge id
        and the strength.
    """
    k = len(persons)
    count = np.zeros(k, np.int64)
    total = np.zeros(k, np.float64)
    offset = np.zeros(k + 1, np.int64)
    row = np.empty(0, np.int64)
    member = np.empty(0, np.int64)
    eid = np.empty(0, np.int64)
    strength = np.empty(0, np.float32)
    for fill in range(2):  # first count, then write each pair's ties at its offset
        if fill:
            for q in range(k):
                offset[q + 1] = offset[q] + count[q]
            row = np.empty(offset[k], np.int64)
            member = np.empty(offset[k], np.int64)
            eid = np.empty(offset[k], np.int64)
            strength = np.empty(offset[k], np.float32)
        i = 0
        while i < k:
            g = groups[order[i]]
            j = group_run_end(groups, order, i)
            mark_members(g, set_persons, set_rows, set_start, mark, False)
            for t in range(i, j):
                q = order[t]
                p = persons[q]
                c = 0
                at = offset[q]
                for s in range(deg[p]):
                    hit = mark[nbr[p, s]]
                    if hit >= 0:
                        if fill:
                            e = adj[p, s]
                            x = strength_today(e, day, w, last, kind, half_life, table_s)
                            row[at + c] = q
                            member[at + c] = hit
                            eid[at + c] = e
                            strength[at + c] = x
                            total[q] += x
                        c += 1
                count[q] = c
            mark_members(g, set_persons, set_rows, set_start, mark, True)
            i = j
    return count, total, row, member, eid, strength


@one_at_a_time
@njit(cache=True, parallel=True)
def ties_inside_all(
    day,
    set_persons,
    set_rows,
    set_start,
    adj,
    nbr,
    deg,
    w,
    last,
    kind,
    half_life,
    table_s,
    slots,
    total,
    count,
):  # pragma: no cover - compiled
    """Summed strength and number of ties of every current membership inside its group.

    Group by group, the members are marked, then each member's adjacency row is scanned
    for marked people. Groups are done in parallel, each thread with its own marks; a
    membership's sums are made by one thread in slot order, so they do not depend on the
    number of threads. A tie's strength is ``w * table_s[kind, age]`` (the decay factor
    of :func:`sim.rules.decay` per kind and age in days); sums are accumulated in float64
    in slot order.

    Args:
        day: Today.
        set_persons: Person of each current membership, memberships sorted by group.
        set_rows: Membership row of each entry of ``set_persons``.
        set_start: Where each group's run starts in ``set_persons`` (length groups + 1).
        adj: Edge id per person and slot.
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.
        slots: Number of thread ids (``numba.config.NUMBA_NUM_THREADS``).
        total: Output, summed strength per membership row (rows not current untouched).
        count: Output, number of ties per membership row.
    """
    marks = np.zeros((slots, len(deg)), np.bool_)
    for g in prange(len(set_start) - 1):
        mark = marks[numba.get_thread_id()]
        a, b = set_start[g], set_start[g + 1]
        for r in range(a, b):
            mark[set_persons[r]] = True
        for r in range(a, b):
            p = set_persons[r]
            s_sum = 0.0
            c = 0
            for s in range(deg[p]):
                if mark[nbr[p, s]]:
                    s_sum += strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
                    c += 1
            total[set_rows[r]] = s_sum
            count[set_rows[r]] = c
        for r in range(a, b):
            mark[set_persons[r]] = False
