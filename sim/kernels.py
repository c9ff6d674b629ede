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


@_one_at_a_time
@njit(cache=True, parallel=True)
def drop_from_rows(eids, u, v, adj, nbr, deg, kind, seen):  # pragma: no cover - compiled
    """Take dropped edge ids out of both ends' adjacency rows, in place.

    Each touched row is compacted once: slots whose edge id is no longer alive are
    dropped, the kept slots move left in their order (a stable compaction), the tail
    becomes -1 and ``deg`` is updated. Rows are independent, so they are done in
    parallel; the result does not depend on the number of threads.

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
    touched = np.empty(2 * len(eids), np.int64)
    n_touched = 0
    for i in range(len(eids)):
        for p in (u[eids[i]], v[eids[i]]):
            if not seen[p]:
                seen[p] = True
                touched[n_touched] = p
                n_touched += 1
    for t in prange(n_touched):
        p = touched[t]
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
    for t in range(n_touched):
        seen[touched[t]] = False


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
def strength_of(eids, day, w, last, kind, half_life, table_s, out):  # pragma: no cover - compiled
    """Strength on ``day`` of the given ties into ``out``: ``w * table_s[kind, age]``.

    ``table_s`` holds the decay factors of :func:`sim.rules.decay` per kind code and age
    in days; an age past its end (a store used out of day order) is computed directly.
    """
    width = table_s.shape[1]
    for i in range(len(eids)):
        e = eids[i]
        age = max(day - last[e], 0)
        k = kind[e]
        if age < width:
            out[i] = w[e] * table_s[k, age]
        else:
            out[i] = w[e] * np.exp2(-np.float32(age) / half_life[k])


@njit(cache=True)
def find_pairs(a, b, adj, nbr, deg, out):  # pragma: no cover - compiled
    """Edge id of the tie between ``a[i]`` and ``b[i]`` into ``out[i]``, or -1.

    The row of whichever end has fewer ties is scanned (``a``'s on a draw).
    """
    for i in range(len(a)):
        owner, target = a[i], b[i]
        if deg[owner] > deg[target]:
            owner, target = target, owner
        found = -1
        for s in range(deg[owner]):
            if nbr[owner, s] == target:
                found = adj[owner, s]
                break
        out[i] = found


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
    width = table_s.shape[1]
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
            j = i
            while j < k and groups[order[j]] == g:
                j += 1
            for r in range(set_start[g], set_start[g + 1]):
                mark[set_persons[r]] = set_rows[r]
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
                            age = max(day - last[e], 0)
                            if age < width:
                                x = w[e] * table_s[kind[e], age]
                            else:  # past the table (a store used out of day order)
                                x = w[e] * np.exp2(-np.float32(age) / half_life[kind[e]])
                            row[at + c] = q
                            member[at + c] = hit
                            eid[at + c] = e
                            strength[at + c] = x
                            total[q] += x
                        c += 1
                count[q] = c
            for r in range(set_start[g], set_start[g + 1]):
                mark[set_persons[r]] = -1
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
    k = len(persons)
    i = 0
    while i < k:
        g = groups[order[i]]
        j = i
        while j < k and groups[order[j]] == g:
            j += 1
        for r in range(set_start[g], set_start[g + 1]):
            mark[set_persons[r]] = set_rows[r]
        for t in range(i, j):
            out[order[t]] = mark[persons[order[t]]]
        for r in range(set_start[g], set_start[g + 1]):
            mark[set_persons[r]] = -1
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
    width = table_s.shape[1]
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
                    e = adj[p, s]
                    age = max(day - last[e], 0)
                    if age < width:
                        s_sum += w[e] * table_s[kind[e], age]
                    else:  # past the table (a store used out of day order)
                        s_sum += w[e] * np.exp2(-np.float32(age) / half_life[kind[e]])
                    c += 1
            total[set_rows[r]] = s_sum
            count[set_rows[r]] = c
        for r in range(a, b):
            mark[set_persons[r]] = False
