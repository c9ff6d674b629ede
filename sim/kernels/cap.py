"""Dunbar's cap: which ties of a batch fit under the cap of both their ends."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.parallel import one_at_a_time
from sim.kernels.rows import FREE, tie_between
from sim.kernels.strength import strength_today


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


@one_at_a_time
@njit(cache=True, parallel=True)
def row_strengths(adj, deg, now):  # pragma: no cover - compiled
    """Today's strength of every used slot of every adjacency row, from ``now`` by edge id.

    The rows of a full person are then scanned in memory order instead of by edge id.
    """
    n, width = adj.shape
    out = np.zeros((n, width), np.float32)
    for p in prange(n):
        for s in range(deg[p]):
            out[p, s] = now[adj[p, s]]
    return out


@njit(cache=True)
def drop_slot(p, e, adj, nbr, deg, row_now):  # pragma: no cover - compiled
    """Take edge id ``e`` out of person ``p``'s row, keeping the order of the others.

    The same result as marking ``e`` free and compacting the row, without reading the
    kind of every tie of the row; ``row_now`` (the slots' strengths), unless empty,
    moves along.
    """
    by_slot = row_now.shape[0] > 0
    d = deg[p]
    s = 0
    while adj[p, s] != e:
        s += 1
    for t in range(s, d - 1):
        adj[p, t] = adj[p, t + 1]
        nbr[p, t] = nbr[p, t + 1]
        if by_slot:
            row_now[p, t] = row_now[p, t + 1]
    adj[p, d - 1] = -1
    nbr[p, d - 1] = -1
    if by_slot:
        row_now[p, d - 1] = 0.0
    deg[p] = d - 1


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
    now,
    row_now,
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
        now: Strength today of the edge ids below its length, exactly as
            :func:`strength_today` gives it (updated for the ties made); may be empty.
        row_now: The same strengths by person and slot (:func:`row_strengths`, kept up
            to date here as rows change), so that a full row is read in memory order
            with one read per slot; an empty array (shape ``(0, 0)``) if ``now`` is
            empty, and then full rows are decayed slot by slot.

    Returns:
        ``(made, dropped)``: ``ids[:made]`` are the ties made, in candidate order, and
        ``victims[:dropped]`` the ties they replaced.
    """
    by_slot = row_now.shape[0] > 0
    made = 0
    dropped = 0
    for i in range(len(a)):
        if tie_between(a[i], b[i], adj, nbr, deg) >= 0:  # tied, or made earlier in the batch
            continue
        x = new_w[i]
        admitted = True
        weakest_a = -1
        weakest_b = -1
        for j in range(2):
            p = a[i] if j == 0 else b[i]
            if deg[p] < cap:
                continue
            lowest = np.float32(np.inf)
            weakest = -1
            for s in range(deg[p]):
                if by_slot:
                    y = row_now[p, s]
                else:
                    y = strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
                if y < lowest:
                    lowest = y
                    weakest = adj[p, s]
            if j == 0:
                weakest_a = weakest
            else:
                weakest_b = weakest
            if not x > lowest:
                admitted = False
        if not admitted:
            continue
        for e in (weakest_a, weakest_b):
            if e >= 0:
                kind[e] = FREE
                w[e] = 0.0
                drop_slot(u[e], e, adj, nbr, deg, row_now)
                drop_slot(v[e], e, adj, nbr, deg, row_now)
                victims[dropped] = e
                dropped += 1
        e = ids[made]
        made += 1
        u[e], v[e], w[e], kind[e], last[e], created[e] = a[i], b[i], x, new_kind, day, day
        if e < len(now):
            now[e] = x  # w * 2 ** 0
        for p, q in ((a[i], b[i]), (b[i], a[i])):
            adj[p, deg[p]], nbr[p, deg[p]] = e, q
            if by_slot:
                row_now[p, deg[p]] = x
            deg[p] += 1
    return made, dropped
