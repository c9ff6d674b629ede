"""Compiled loops (numba) for the tie store, the sweep and the ties-inside-groups sums.

These are the loops that NumPy cannot express without materialising large temporaries:
walking fixed-width adjacency rows person by person, and single passes over every edge
id. No kernel draws random numbers: the callers pass in the draws, taken from the model's
generator.

The kernels marked ``parallel=True`` give the same result whatever the number of threads
(``NUMBA_NUM_THREADS``, ``numba.set_num_threads``): each output element or sum is made by
one thread in a fixed order, and per-part outputs are combined in part order over a fixed
partition. ``cache=True`` keeps the compiled code in ``__pycache__``, so that only the
first run after a change of this file pays for compilation (about 10 s).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numba
import numpy as np
from numba import njit, prange

from sim import rules

# The GNU OpenMP layer that numba would pick here aborts any child forked after a parallel
# kernel ran (multiprocessing's "fork", e.g. Mesa's batch_run): use a fork-safe layer
# (numba's own work queue, unless TBB is installed). Set only if nothing chose one.
if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "forksafe"
# The work queue aborts the process if two threads run parallel kernels at once (models
# run in threads): the parallel kernels are called under one lock.
_PARALLEL_LOCK = threading.Lock()


def _one_at_a_time(kernel: Callable) -> Callable:
    """Wrap a ``parallel=True`` kernel so that one thread at a time runs it."""

    @functools.wraps(kernel)
    def call(*args):
        with _PARALLEL_LOCK:
            return kernel(*args)

    return call


FREE = -1  # kind code of an unused edge id (as in sim.world.ties)
PARTS = 4  # fixed split of the edge ids for per-person sums in a sweep (see sweep_weights)


@njit(cache=True)
def compact_row(p, adj, nbr, deg, kind):  # pragma: no cover - compiled
    """Drop from person ``p``'s adjacency row the slots whose edge id is ``FREE``.

    The kept slots move left in their order (a stable compaction), the tail becomes -1
    and ``deg[p]`` is updated.
    """
    d = deg[p]
    k = 0
    for s in range(d):
        e = adj[p, s]
        if kind[e] != FREE:
            if k != s:
                adj[p, k] = e
                nbr[p, k] = nbr[p, s]
            k += 1
    for s in range(k, d):
        adj[p, s] = -1
        nbr[p, s] = -1
    deg[p] = k


@njit(cache=True)
def rows_of(eids, u, v, seen):  # pragma: no cover - compiled
    """The distinct endpoints of the given edge ids, in order of first appearance.

    ``seen`` is scratch, one flag per person, all False on entry and on return.
    """
    touched = np.empty(2 * len(eids), np.int64)
    n_touched = 0
    for i in range(len(eids)):
        for p in (u[eids[i]], v[eids[i]]):
            if not seen[p]:
                seen[p] = True
                touched[n_touched] = p
                n_touched += 1
    for t in range(n_touched):
        seen[touched[t]] = False
    return touched[:n_touched]


@njit(cache=True)
def drop_from_rows(eids, u, v, adj, nbr, deg, kind, seen):  # pragma: no cover - compiled
    """Take dropped edge ids out of both ends' adjacency rows, in place.

    Each touched row is compacted once (:func:`compact_row`). This is the serial twin of
    :func:`drop_from_rows_parallel`, for the few ids a day's changes drop, where starting
    threads would cost more than the work; both give the same rows.

    Args:
        eids: Edge ids to drop, already marked ``FREE`` in ``kind``.
        u: First endpoint per edge id.
        v: Second endpoint per edge id.
        adj: Edge id per person and slot.
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        kind: Kind code per edge id.
        seen: Scratch flags, one per person, all False on entry and on return.
    """
    for p in rows_of(eids, u, v, seen):
        compact_row(p, adj, nbr, deg, kind)


@_one_at_a_time
@njit(cache=True, parallel=True)
def drop_from_rows_parallel(eids, u, v, adj, nbr, deg, kind, seen):  # pragma: no cover - compiled
    """:func:`drop_from_rows` with the rows compacted in parallel (for a sweep's drops).

    Rows are independent, so the result does not depend on the number of threads.
    """
    touched = rows_of(eids, u, v, seen)
    for t in prange(len(touched)):
        compact_row(touched[t], adj, nbr, deg, kind)


@njit(cache=True)
def strongest_of_each_pair(a, b, weakness, n):  # pragma: no cover - compiled
    """Of candidate ties, one per pair: the least ``weakness``, the earliest among equals.

    Candidates are bucketed by ``a`` (a counting sort, no comparison sort over them all);
    each bucket keeps, per ``b``, its best candidate in a per-person scratch array.

    Args:
        a: First end of each candidate (``a < b``).
        b: Second end of each candidate.
        weakness: Sort key, lower is stronger.
        n: Number of people.

    Returns:
        Indices of the kept candidates, in ascending order of ``(a, b)``.
    """
    m = len(a)
    start = np.zeros(n + 1, np.int64)
    for i in range(m):
        start[a[i] + 1] += 1
    for p in range(n):
        start[p + 1] += start[p]
    fill = start[:-1].copy()
    order = np.empty(m, np.int64)
    for i in range(m):
        order[fill[a[i]]] = i
        fill[a[i]] += 1
    best = np.full(n, -1, np.int64)
    kept = np.empty(m, np.int64)
    n_kept = 0
    for p in range(n):
        lo, hi = start[p], start[p + 1]
        for t in range(lo, hi):  # candidates in index order: the earliest wins a draw
            i = order[t]
            j = best[b[i]]
            if j < 0 or weakness[i] < weakness[j]:
                best[b[i]] = i
        first = n_kept
        for t in range(lo, hi):
            i = order[t]
            if best[b[i]] == i:
                kept[n_kept] = i
                n_kept += 1
        for t in range(lo, hi):
            best[b[order[t]]] = -1
        bucket = kept[first:n_kept]
        kept[first:n_kept] = bucket[np.argsort(b[bucket])]  # distinct b: any sort will do
    return kept[:n_kept]


@njit(cache=True)
def within_cap_of_both_ends(a, b, weakness, n, cap):  # pragma: no cover - compiled
    """Whether each tie is among the ``cap`` strongest ties of both its ends.

    Each person's ties are ranked by ``weakness``, and among equals by position in the
    list of every tie's ``a`` end followed by every tie's ``b`` end; only people with
    more than ``cap`` ties need ranking (a stable sort of their own ties).

    Args:
        a: First end of each tie.
        b: Second end of each tie.
        weakness: Sort key, lower is stronger.
        n: Number of people.
        cap: Most ties a person may keep.

    Returns:
        Boolean mask over the ties: kept.
    """
    m = len(a)
    start = np.zeros(n + 1, np.int64)
    for i in range(m):
        start[a[i] + 1] += 1
        start[b[i] + 1] += 1
    for p in range(n):
        start[p + 1] += start[p]
    fill = start[:-1].copy()
    slot = np.empty(2 * m, np.int64)  # position in the a-ends-then-b-ends list
    for i in range(m):
        slot[fill[a[i]]] = i
        fill[a[i]] += 1
    for i in range(m):
        slot[fill[b[i]]] = m + i
        fill[b[i]] += 1
    kept = np.ones(m, np.bool_)
    for p in range(n):
        lo, hi = start[p], start[p + 1]
        if hi - lo <= cap:
            continue
        mine = slot[lo:hi]
        keys = np.empty(hi - lo, np.int64)
        for t in range(hi - lo):
            keys[t] = weakness[mine[t] % m]
        ranked = np.argsort(keys, kind="mergesort")  # stable: position breaks draws
        for r in range(cap, hi - lo):
            kept[mine[ranked[r]] % m] = False
    return kept


@njit(cache=True)
def flatten_rows(persons, adj, nbr, deg):  # pragma: no cover - compiled
    """All ties of the given people, flattened: ``(row, other, eid)`` as int64.

    ``row`` is the position in ``persons`` of each tie's owner; ties come in the order of
    ``persons`` and then of the adjacency slots.
    """
    total = 0
    for i in range(len(persons)):
        total += deg[persons[i]]
    row = np.empty(total, np.int64)
    other = np.empty(total, np.int64)
    eid = np.empty(total, np.int64)
    at = 0
    for i in range(len(persons)):
        p = persons[i]
        for s in range(deg[p]):
            row[at] = i
            other[at] = nbr[p, s]
            eid[at] = adj[p, s]
            at += 1
    return row, other, eid


@njit(cache=True)
def strength_today(e, day, w, last, kind, half_life, table_s):  # pragma: no cover - compiled
    """Strength of edge ``e`` on ``day``: ``w * table_s[kind, age]`` in float32.

    ``table_s`` holds the decay factors of :func:`sim.rules.decay` per kind code and age
    in days; an age past its end (a store used out of day order) is computed directly.
    """
    age = max(day - last[e], 0)
    if age < table_s.shape[1]:
        return w[e] * table_s[kind[e], age]
    return w[e] * np.exp2(-np.float32(age) / half_life[kind[e]])


@njit(cache=True)
def strength_of(eids, day, w, last, kind, half_life, table_s, out):  # pragma: no cover - compiled
    """Strength on ``day`` of the given ties into ``out``: ``w * table_s[kind, age]``.

    ``table_s`` holds the decay factors of :func:`sim.rules.decay` per kind code and age
    in days; an age past its end (a store used out of day order) is computed directly.
    """
    for i in range(len(eids)):
        out[i] = strength_today(eids[i], day, w, last, kind, half_life, table_s)


@njit(cache=True)
def tie_between(p, q, adj, nbr, deg):  # pragma: no cover - compiled
    """Edge id of the tie between ``p`` and ``q``, or -1: the shorter row is scanned."""
    if deg[p] > deg[q]:
        p, q = q, p
    for s in range(deg[p]):
        if nbr[p, s] == q:
            return adj[p, s]
    return -1


@njit(cache=True)
def widest_row_after(a, b, deg, count):  # pragma: no cover - compiled
    """The longest adjacency row if every pair ``(a[i], b[i])`` were appended.

    ``count`` is scratch, one per person, all -1 on entry and on return.
    """
    widest = 0
    for ends in (a, b):
        for i in range(len(ends)):
            p = ends[i]
            if count[p] < 0:
                count[p] = deg[p]
            count[p] += 1
            widest = max(widest, count[p])
    for ends in (a, b):
        for i in range(len(ends)):
            count[ends[i]] = -1
    return widest


@njit(cache=True)
def append_to_rows(eids, u, v, adj, nbr, deg):  # pragma: no cover - compiled
    """Append each edge id to the adjacency rows of both its ends, in place.

    First every edge's ``u`` end, in the order of ``eids``, then every edge's ``v`` end,
    so a row lists its new ties in that order. Rows must have room for the appends
    (see :func:`widest_row_after`).
    """
    for side in range(2):
        for i in range(len(eids)):
            e = eids[i]
            p, q = (u[e], v[e]) if side == 0 else (v[e], u[e])
            adj[p, deg[p]] = e
            nbr[p, deg[p]] = q
            deg[p] += 1


@njit(cache=True)
def pick_by_strength(
    persons, uniforms, day, adj, nbr, deg, w, last, kind, half_life, table_s
):  # pragma: no cover - compiled
    """One tie of each person, chosen with probability proportional to its strength today.

    The strengths of the person's row are summed in float64 in slot order; the chosen
    slot is the first whose running sum exceeds ``uniform * total``.

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
    for i in range(n):
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


@njit(cache=True)
def find_pairs(a, b, adj, nbr, deg, out):  # pragma: no cover - compiled
    """Edge id of the tie between ``a[i]`` and ``b[i]`` into ``out[i]``, or -1.

    The row of whichever end has fewer ties is scanned (``a``'s on a draw).
    """
    for i in range(len(a)):
        out[i] = tie_between(a[i], b[i], adj, nbr, deg)


# The rule itself, compiled for scalars: kernels apply it without restating it.
strengthen = njit(cache=True)(rules.strengthen)


@njit(cache=True)
def contact_edges(
    eids, day, gain, w, last, kind, half_life, table_s, times
):  # pragma: no cover - compiled
    """Record contacts on ties, each tie updated once for all its contacts.

    ``k`` contacts on a tie apply :func:`sim.rules.strengthen` with ``contacts=k`` to its
    strength today, clipped to ``[1e-6, 1]``; its last contact becomes ``day``.

    Args:
        eids: Edge id of each contact (ids may repeat).
        day: Today.
        gain: Share of the gap to 1 that one contact closes.
        w: Strength per edge id at its last contact (updated in place).
        last: Day of last contact per edge id (updated in place).
        kind: Kind code per edge id.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.
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
            times[e] = 0


@njit(cache=True)
def mute_overloaded(person, value, cost, budget, head):  # pragma: no cover - compiled
    """:func:`sim.rules.mute_overloaded` without sorting: the rule's compiled twin.

    Each person's candidate memberships are linked through ``head`` (a counting pass, no
    sort over everyone), then ordered by value per unit of cost, best first and earlier
    candidates first among equals, by insertion (a person has few), and kept while the
    running cost, summed in float64 in that order, is within the budget.

    Args:
        person: Person of each candidate membership.
        value: Belonging of each membership.
        cost: Reading cost of each membership.
        budget: Attention budget of each membership's person.
        head: Scratch, one per person, all -1 on entry and on return.

    Returns:
        Boolean mask: muted.
    """
    n = len(person)
    muted = np.zeros(n, np.bool_)
    ratio = np.empty(n, np.float64)
    nxt = np.empty(n, np.int64)
    for i in range(n - 1, -1, -1):  # backwards, so that each list runs in index order
        ratio[i] = value[i] / max(cost[i], 1e-12)
        nxt[i] = head[person[i]]
        head[person[i]] = i
    items = np.empty(n, np.int64)
    for i in range(n):
        p = person[i]
        if head[p] != i:  # not the person's first candidate, or done already
            continue
        k = 0
        j = i
        while j >= 0:
            at = k  # insertion: after every item with a ratio at least as good
            while at > 0 and ratio[items[at - 1]] < ratio[j]:
                items[at] = items[at - 1]
                at -= 1
            items[at] = j
            k += 1
            j = nxt[j]
        head[p] = -1
        spent = 0.0
        for t in range(k):
            j = items[t]
            spent += cost[j]
            muted[j] = spent > budget[j] or value[j] < cost[j]
    return muted


@njit(cache=True)
def admit_in_order(
    a,
    b,
    new_w,
    new_kind,
    day,
    ids,
    cap,
    u,
    v,
    w,
    last,
    kind,
    created,
    adj,
    nbr,
    deg,
    half_life,
    table_s,
    victims,
):  # pragma: no cover - compiled
    """Admit candidate ties one at a time, in the given order, holding the cap (F1, F2).

    The rule is :func:`sim.rules.admit_under_cap`: an end below the cap takes any tie;
    an end at the cap offers its weakest tie today (the first in slot order among equal
    strengths), and the candidate is made only if it is stronger than the weakest tie of
    every full end, which is then dropped. Each candidate sees the ties made and dropped
    before it. Made ties are appended to both ends' adjacency rows.

    Args:
        a: First end of each candidate (``a != b``). A pair already tied, or made
            earlier in the batch, is skipped.
        b: Second end of each candidate.
        new_w: Strength of each candidate (float32).
        new_kind: Kind code of the new ties.
        day: Today (the new ties' last contact and creation day).
        ids: Free edge ids, one per candidate, used in order.
        cap: Most ties a person may hold.
        u: First endpoint per edge id (updated in place, like the next five).
        v: Second endpoint per edge id.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id.
        created: Day each edge id's tie was made.
        adj: Edge id per person and slot (wide enough for every append).
        nbr: Person at the other end per slot.
        deg: Used slots per person.
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.
        victims: Output, the edge ids dropped (room for two per candidate).

    Returns:
        ``(made, dropped)``: ``ids[:made]`` are the ties made, in candidate order, and
        ``victims[:dropped]`` the ties they replaced.
    """
    made = 0
    dropped = 0
    for i in range(len(a)):
        if tie_between(a[i], b[i], adj, nbr, deg) >= 0:  # tied, or made earlier in the batch
            continue
        x = new_w[i]
        admitted = True
        weakest = np.full(2, -1, np.int64)
        for j in range(2):
            p = a[i] if j == 0 else b[i]
            if deg[p] < cap:
                continue
            lowest = np.float32(np.inf)
            for s in range(deg[p]):
                y = strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
                if y < lowest:
                    lowest = y
                    weakest[j] = adj[p, s]
            if not x > lowest:
                admitted = False
        if not admitted:
            continue
        for j in range(2):
            e = weakest[j]
            if e >= 0:
                kind[e] = FREE
                w[e] = 0.0
                compact_row(u[e], adj, nbr, deg, kind)
                compact_row(v[e], adj, nbr, deg, kind)
                victims[dropped] = e
                dropped += 1
        e = ids[made]
        made += 1
        u[e], v[e], w[e], kind[e], last[e], created[e] = a[i], b[i], x, new_kind, day, day
        adj[a[i], deg[a[i]]], nbr[a[i], deg[a[i]]] = e, b[i]
        deg[a[i]] += 1
        adj[b[i], deg[b[i]]], nbr[b[i], deg[b[i]]] = e, a[i]
        deg[b[i]] += 1
    return made, dropped


@njit(cache=True)
def group_run_end(groups, order, i):  # pragma: no cover - compiled
    """End of the run of pairs that starts at ``order[i]`` and share its group."""
    g = groups[order[i]]
    j = i + 1
    while j < len(order) and groups[order[j]] == g:
        j += 1
    return j


@njit(cache=True)
def mark_members(g, set_persons, set_rows, set_start, mark, clear):  # pragma: no cover
    """Mark group ``g``'s current members with their membership row (or -1 with ``clear``)."""
    for r in range(set_start[g], set_start[g + 1]):
        mark[set_persons[r]] = -1 if clear else set_rows[r]


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


# --------------------------------------------------------------------------- sweep


@_one_at_a_time
@njit(cache=True, parallel=True)
def sweep_weights(
    day,
    w,
    last,
    kind,
    u,
    v,
    half_life,
    table_s,
    table_w,
    w_seen,
    w_pow,
    exponent,
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
    sweeps). Per person, the inverse of the summed weights of its ties (0 if none).

    Args:
        day: Today.
        w: Strength per edge id at its last contact.
        last: Day of last contact per edge id.
        kind: Kind code per edge id (``FREE`` for unused ids).
        u: First endpoint per edge id.
        v: Second endpoint per edge id.
        half_life: Half-life per kind code (for ages past the tables).
        table_s: ``2 ** (-age / half_life)`` per kind code and age in days (float32).
        table_w: ``2 ** (-exponent * age / half_life)`` likewise.
        w_seen: Cache, per edge id, the ``w`` that ``w_pow`` was computed for.
        w_pow: Cache, per edge id, ``w_seen ** exponent``.
        exponent: ``allocation_exponent``.
        strength: Output, strength per edge id (0 for freed ids).
        weight: Output, time weight per edge id (0 for freed ids).
        inverse: Output, per person ``1 / sum(weight)`` in float32.
    """
    n_edges, n_people = len(strength), len(inverse)
    exp32 = np.float32(exponent)
    width = table_s.shape[1]
    # Each part sums its own range of edge ids in order; the parts are then added in
    # order. The parts are fixed, so the sums do not depend on the number of threads.
    partial = np.zeros((PARTS, n_people), np.float64)
    size = (n_edges + PARTS - 1) // PARTS
    for part in prange(PARTS):
        total = partial[part]
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
                y = w_pow[e] * table_w[k, age]
            else:  # past the tables (a store used out of day order): compute directly
                strength[e] = x * np.exp2(-np.float32(age) / half_life[k])
                y = w_pow[e] * np.exp2(-(exp32 * np.float32(age)) / half_life[k])
            weight[e] = y
            total[u[e]] += y
            total[v[e]] += y
    for p in prange(n_people):
        t = 0.0
        for part in range(PARTS):
            t += partial[part, p]
        inverse[p] = np.float32(1.0 / t) if t > 0 else np.float32(0.0)


@njit(cache=True)
def poisson_by_inversion(uniform, lam):  # pragma: no cover - compiled
    """The Poisson(``lam``) count whose CDF first reaches ``uniform`` (inversion).

    Exact up to float64 rounding for moderate ``lam`` (the callers use it below 30, where
    ``exp(-lam)`` is far from underflow); the expected number of steps is ``lam + 1``.
    """
    p = np.exp(-lam)
    cdf = p
    k = 0
    while uniform > cdf and k < 1000:  # the bound only guards against rounding at cdf ~ 1
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True)
def poisson_count(uniform, lam):  # pragma: no cover - compiled
    """:func:`poisson_by_inversion`, settling most draws of small means without exp().

    For ``lam >= 0``: ``1 - lam + lam^2/2 - lam^3/6 <= P(0) = exp(-lam) <= 1 - lam +
    lam^2/2`` and ``P(0) + P(1) = exp(-lam) (1 + lam) >= 1 - lam^2/2``, so a uniform below
    the first bound gives 0 and one between the second and the third gives 1, as
    inversion would (up to float64 rounding at the bounds).
    """
    if uniform <= 1.0 - lam * (1.0 - lam * (0.5 - lam / 6.0)):
        return 0
    if uniform > 1.0 - lam * (1.0 - 0.5 * lam) and uniform <= 1.0 - 0.5 * lam * lam:
        return 1
    return poisson_by_inversion(uniform, lam)


@_one_at_a_time
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
    doomed,
    big,
    counts,
):  # pragma: no cover - compiled
    """Second pass of a sweep over edge ids ``lo .. lo + len(uniforms)``: contacts.

    A tie's expected contacts over the period are ``per_day * weight * (inverse[u] +
    inverse[v]) * days``, in float32 (``per_day`` is ``contacts_per_day``; the rate is that
    of :func:`sim.rules.contact_rate`). Where that is at most ``lam_max`` the count is drawn
    by inversion of the given uniform; a contacted tie is strengthened once per contact
    (:func:`sim.rules.strengthen`) and its last contact set to today; a tie with no
    contact below ``floor`` is listed in ``doomed``. Ties above ``lam_max`` are listed in
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
        strength: Strength today per edge id (from :func:`sweep_weights`).
        weight: Time weight per edge id (from :func:`sweep_weights`).
        inverse: Per person, 1 / summed time weight (from :func:`sweep_weights`).
        per_day: ``contacts_per_day`` (float32).
        days: Length of the period (float32).
        lam_max: Largest mean drawn here by inversion (float32).
        gain: ``contact_gain``.
        floor: Strength below which an uncontacted tie is dropped (float32).
        w: Strength per edge id at its last contact (updated).
        last: Day of last contact per edge id (updated).
        doomed: Output, edge ids to drop, per part from its start (see above).
        big: Output, edge ids left to the caller, likewise.
        counts: Output, per part, how many entries of ``doomed`` and ``big`` it wrote.
    """
    n = len(uniforms)
    parts = counts.shape[0]
    size = (n + parts - 1) // parts
    one = np.float32(1.0)
    keep = 1.0 - gain
    for part in prange(parts):
        start = part * size
        n_doomed = 0
        n_big = 0
        for i in range(start, min(start + size, n)):
            e = lo + i
            if kind[e] == FREE:
                continue
            lam = per_day * weight[e] * (inverse[u[e]] + inverse[v[e]]) * days
            if lam > lam_max:
                big[start + n_big] = e
                n_big += 1
                continue
            k = poisson_count(uniforms[i], np.float64(lam))
            s = strength[e]
            if k > 0:
                w[e] = 1.0 - np.float64(one - s) * keep**k
                last[e] = day
            elif s > 0 and s < floor:
                doomed[start + n_doomed] = e
                n_doomed += 1
        counts[part, 0] = n_doomed
        counts[part, 1] = n_big


# --------------------------------------------------------------------------- memberships


@njit(cache=True)
def current_memberships(
    left, group, person, alive, no_one, n_groups
):  # pragma: no cover - compiled
    """The current memberships, in row order and grouped by group (a counting sort).

    Args:
        left: Day each membership ended, ``no_one`` if it has not.
        group: Group of each membership.
        person: Person of each membership.
        alive: Whether each group is alive.
        no_one: The ``left`` value of a membership that has not ended.
        n_groups: Number of groups.

    Returns:
        ``(active, rows, persons, start)``: the current rows ascending; the same rows
        sorted by group (ascending rows within a group) and their persons; and where
        each group's run starts in ``rows`` (length ``n_groups + 1``).
    """
    start = np.zeros(n_groups + 1, np.int64)
    n = 0
    for r in range(len(left)):
        if left[r] == no_one and alive[group[r]]:
            start[group[r] + 1] += 1
            n += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    active = np.empty(n, np.int64)
    rows = np.empty(n, np.int64)
    persons = np.empty(n, np.int64)
    j = 0
    for r in range(len(left)):
        if left[r] == no_one and alive[group[r]]:
            active[j] = r
            j += 1
            g = group[r]
            rows[fill[g]] = r
            persons[fill[g]] = person[r]
            fill[g] += 1
    return active, rows, persons, start


@njit(cache=True)
def membership_rows(
    persons, groups, order, set_persons, set_rows, set_start, mark, out
):  # pragma: no cover - compiled
    """Row of each person's current membership in each group into ``out``, or -1.

    Pairs are visited group by group (``order`` sorts them by group), marking each
    group's members; arguments as in :func:`ties_to_comembers`.
    """
    i = 0
    while i < len(persons):
        g = groups[order[i]]
        j = group_run_end(groups, order, i)
        mark_members(g, set_persons, set_rows, set_start, mark, False)
        for t in range(i, j):
            out[order[t]] = mark[persons[order[t]]]
        mark_members(g, set_persons, set_rows, set_start, mark, True)
        i = j


@_one_at_a_time
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
