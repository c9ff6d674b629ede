"""Adjacency rows of the tie store: find, append, drop and flatten ties person by person."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.parallel import one_at_a_time

FREE = -1
"""Kind code of an unused edge id."""


@njit(cache=True)
def squeeze_row(p, adj, nbr, deg, kind, row_now):  # pragma: no cover - compiled
    """Close up person ``p``'s adjacency row: drop its holes and its freed ties.

    A hole is a slot whose edge id is -1; a freed tie, unless ``kind`` is empty, a slot
    whose edge id is ``FREE`` in ``kind``. The kept slots move left in their order (a
    stable compaction), and with them ``row_now`` (strength per slot) unless it is
    empty; the tail becomes -1 (strength 0) and ``deg[p]`` is updated.
    """
    by_kind = kind.shape[0] > 0
    by_slot = row_now.shape[0] > 0
    d = deg[p]
    k = 0
    for s in range(d):
        e = adj[p, s]
        if e < 0 or (by_kind and kind[e] == FREE):
            continue
        if k != s:
            adj[p, k] = e
            nbr[p, k] = nbr[p, s]
            if by_slot:
                row_now[p, k] = row_now[p, s]
        k += 1
    for s in range(k, d):
        adj[p, s] = -1
        nbr[p, s] = -1
        if by_slot:
            row_now[p, s] = 0.0
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

    Each touched row is compacted once (:func:`squeeze_row`). This is the serial twin of
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
    no_strengths = np.zeros((0, 0), np.float32)
    for p in rows_of(eids, u, v, seen):
        squeeze_row(p, adj, nbr, deg, kind, no_strengths)


@one_at_a_time
@njit(cache=True, parallel=True)
def drop_from_rows_parallel(eids, u, v, adj, nbr, deg, kind, seen):  # pragma: no cover - compiled
    """:func:`drop_from_rows` with the rows compacted in parallel (for a sweep's drops).

    Rows are independent, so the result does not depend on the number of threads. When
    the ids are many, every row is closed up (a row without a freed tie is left as it
    is) rather than listing the touched ones one id at a time.
    """
    no_strengths = np.zeros((0, 0), np.float32)
    n = deg.shape[0]
    if 2 * len(eids) >= n:
        for p in prange(n):
            squeeze_row(p, adj, nbr, deg, kind, no_strengths)
        return
    touched = rows_of(eids, u, v, seen)
    for t in prange(len(touched)):
        squeeze_row(touched[t], adj, nbr, deg, kind, no_strengths)


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


@one_at_a_time
@njit(cache=True, parallel=True)
def write_new_ties(
    eids, lo, hi, strength, kind, day, u, v, w, peak, kinds, last, created
):  # pragma: no cover - compiled
    """Write the fields of new ties at their edge ids (distinct), in parallel.

    ``strength`` and ``kind`` hold one value per tie, or one for all.
    """
    one_strength, one_kind = strength.shape[0] == 1, kind.shape[0] == 1
    for i in prange(len(eids)):
        e = eids[i]
        u[e] = lo[i]
        v[e] = hi[i]
        x = strength[0] if one_strength else strength[i]
        w[e] = x
        peak[e] = x
        kinds[e] = kind[0] if one_kind else kind[i]
        last[e] = day
        created[e] = day


@one_at_a_time
@njit(cache=True, parallel=True)
def widen_rows(old, new):  # pragma: no cover - compiled
    """Copy a table of rows into a wider one, the new columns -1, rows in parallel.

    The pages of a large new table are first touched by both threads.
    """
    width = old.shape[1]
    for p in prange(new.shape[0]):
        for s in range(width):
            new[p, s] = old[p, s]
        for s in range(width, new.shape[1]):
            new[p, s] = -1


APPEND_PARTS = 4  # fixed split of the people for append_to_rows_parallel


@one_at_a_time
@njit(cache=True, parallel=True)
def append_to_rows_parallel(eids, lo, hi, adj, nbr, deg):  # pragma: no cover - compiled
    """:func:`append_to_rows` in parallel, for a batch whose ends are given (the same rows).

    ``lo`` and ``hi`` are each edge's ``u`` and ``v``. Each part of the people, a fixed
    split, reads the whole batch and appends to its own rows only, first the ``u`` ends
    in batch order, then the ``v`` ends, as the serial kernel does.
    """
    n = deg.shape[0]
    size = (n + APPEND_PARTS - 1) // APPEND_PARTS
    for part in prange(APPEND_PARTS):
        first, stop = part * size, min((part + 1) * size, n)
        for side in range(2):
            for i in range(len(eids)):
                p, q = (lo[i], hi[i]) if side == 0 else (hi[i], lo[i])
                if p < first or p >= stop:
                    continue
                adj[p, deg[p]] = eids[i]
                nbr[p, deg[p]] = q
                deg[p] += 1


@njit(cache=True)
def find_pairs(a, b, adj, nbr, deg, out):  # pragma: no cover - compiled
    """Edge id of the tie between ``a[i]`` and ``b[i]`` into ``out[i]``, or -1.

    The row of whichever end has fewer ties is scanned (``a``'s on a draw).
    """
    for i in range(len(a)):
        out[i] = tie_between(a[i], b[i], adj, nbr, deg)


NEIGHBOUR_BITS = 9  # a 512-bit filter of each person's neighbours (one 64-byte line)


@njit(cache=True)
def _neighbour_bit(q):  # pragma: no cover - compiled
    """The filter bit of person ``q``: the top bits of a multiplicative hash of its id."""
    hashed = (np.uint64(q) * np.uint64(2654435769)) & np.uint64(0xFFFFFFFF)
    return np.int64(hashed >> np.uint64(32 - NEIGHBOUR_BITS))


@one_at_a_time
@njit(cache=True, parallel=True)
def find_pairs_parallel(a, b, adj, nbr, deg, out):  # pragma: no cover - compiled
    """:func:`find_pairs` in parallel (for a sweep's many candidates): the same result.

    Each person's neighbours are first set as bits of a small filter; a pair whose bit is
    not set in ``a``'s filter is not tied, and only the others are scanned.
    """
    n = deg.shape[0]
    words = (1 << NEIGHBOUR_BITS) // 64
    bits = np.zeros((n, words), np.uint64)
    for p in prange(n):
        for s in range(deg[p]):
            h = _neighbour_bit(nbr[p, s])
            bits[p, h >> 6] |= np.uint64(1) << np.uint64(h & 63)
    for i in prange(len(a)):
        h = _neighbour_bit(b[i])
        if bits[a[i], h >> 6] & (np.uint64(1) << np.uint64(h & 63)):
            out[i] = tie_between(a[i], b[i], adj, nbr, deg)
        else:
            out[i] = -1


# The rule itself, compiled for scalars: kernels apply it without restating it.
