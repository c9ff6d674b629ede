"""Dunbar's cap: which ties of a batch fit under the cap of both their ends."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim import rules
from sim.kernels.buckets import positions_by_end, positions_by_key, sort_by_key
from sim.kernels.parallel import one_at_a_time
from sim.kernels.rows import FREE, squeeze_row
from sim.kernels.strength import strength_today

MERGE_PARTS = 8  # fixed split of the people for the parallel passes of the merge


def strongest_of_each_pair(a, b, weakness, n):
    """Of candidate ties, one per pair: the least ``weakness``, the earliest among equals.

    The candidates are sorted by ``(a, b)`` with two stable counting sorts (by ``b``, then
    by ``a``), so each pair's candidates lie together in index order, and the first of
    the least weak is kept. The sorts and the choice are parallel over fixed splits, so
    the result does not depend on the number of threads.

    Args:
        a: First end of each candidate (``a < b``).
        b: Second end of each candidate.
        weakness: Sort key, lower is stronger.
        n: Number of people.

    Returns:
        Indices of the kept candidates, in ascending order of ``(a, b)``.
    """
    # 32-bit indices halve the sorts' memory (a large world has ~10^8 candidates).
    by_b = np.empty(len(a), np.int32 if len(a) < 2**31 else np.int64)
    return _strongest_of_each_pair(by_b, a, b, weakness, n)


@one_at_a_time
@njit(cache=True, parallel=True)
def _strongest_of_each_pair(by_b, a, b, weakness, n):  # pragma: no cover - compiled
    """The compiled body of :func:`strongest_of_each_pair`; ``by_b`` is scratch."""
    positions_by_key(b, n, by_b)
    start, order = sort_by_key(by_b, a, n)
    count = np.zeros(n, np.int64)
    for p in prange(n):
        # Runs of equal b in p's bucket; each run's winner is written over the bucket's
        # front (never ahead of what is still to be read).
        lo, hi = start[p], start[p + 1]
        k = lo
        t = lo
        while t < hi:
            best = order[t]
            q = b[best]
            t += 1
            while t < hi and b[order[t]] == q:
                if weakness[order[t]] < weakness[best]:
                    best = order[t]
                t += 1
            order[k] = best
            k += 1
        count[p] = k - lo
    out = np.zeros(n + 1, np.int64)
    for p in range(n):
        out[p + 1] = out[p] + count[p]
    kept = np.empty(out[n], np.int64)
    for p in prange(n):
        for t in range(count[p]):
            kept[out[p] + t] = order[start[p] + t]
    return kept


@one_at_a_time
@njit(cache=True, parallel=True)
def weakness_of(w):  # pragma: no cover - compiled
    """Sort key of candidate ties, lower is stronger: ``1 - w`` quantised to 16 bits.

    ``round((1 - w) * 65535)`` in float64, halves to even, as ``np.round`` rounds.
    """
    out = np.empty(len(w), np.uint16)
    for i in prange(len(w)):
        out[i] = np.uint16(np.round((1.0 - np.float64(w[i])) * 65535.0))
    return out


@one_at_a_time
@njit(cache=True, parallel=True)
def take_candidates(index, a, b, w, kind, weakness):  # pragma: no cover - compiled
    """The candidates at ``index``, every field gathered in one parallel pass."""
    m = len(index)
    a2 = np.empty(m, a.dtype)
    b2 = np.empty(m, b.dtype)
    w2 = np.empty(m, w.dtype)
    kind2 = np.empty(m, kind.dtype)
    weakness2 = np.empty(m, weakness.dtype)
    for t in prange(m):
        i = index[t]
        a2[t] = a[i]
        b2[t] = b[i]
        w2[t] = w[i]
        kind2[t] = kind[i]
        weakness2[t] = weakness[i]
    return a2, b2, w2, kind2, weakness2


def within_cap_of_both_ends(a, b, weakness, n, cap):
    """Whether each tie is among the ``cap`` strongest ties of both its ends.

    Each person's ties are ranked by ``weakness``, and among equals by position in the
    list of every tie's ``a`` end followed by every tie's ``b`` end; only people with
    more than ``cap`` ties need ranking, by selection of their ``cap``-th weakness. People
    are ranked in parallel; a tie is only ever marked as not kept, so the order in which
    its two ends are ranked does not matter.

    Args:
        a: First end of each tie.
        b: Second end of each tie.
        weakness: Sort key, lower is stronger.
        n: Number of people.
        cap: Most ties a person may keep.

    Returns:
        Boolean mask over the ties: kept.
    """
    # Positions in the a-ends-then-b-ends list, in 32 bits where they fit.
    slot = np.empty(2 * len(a), np.int32 if 2 * len(a) < 2**31 else np.int64)
    return _within_cap_of_both_ends(a, b, weakness, n, cap, slot)


@one_at_a_time
@njit(cache=True, parallel=True)
def _within_cap_of_both_ends(a, b, weakness, n, cap, slot):  # pragma: no cover - compiled
    """The compiled body of :func:`within_cap_of_both_ends`; ``slot`` is scratch."""
    m = len(a)
    start = positions_by_end(a, b, n, slot)
    kept = np.ones(m, np.bool_)
    size = (n + MERGE_PARTS - 1) // MERGE_PARTS
    for part in prange(MERGE_PARTS):
        keys = np.empty(0, weakness.dtype)
        for p in range(part * size, min((part + 1) * size, n)):
            lo, hi = start[p], start[p + 1]
            d = hi - lo
            if d <= cap:
                continue
            if cap <= 0:
                for t in range(d):
                    kept[slot[lo + t] % m] = False
                continue
            if len(keys) < d:
                keys = np.empty(2 * d, weakness.dtype)
            for t in range(d):
                keys[t] = weakness[slot[lo + t] % m]
            # The cap-th weakness: the weaker ties go, and of those as weak as it, the
            # later in position order (a stable rank, without a sort).
            edge = kth_smallest(keys, d, cap - 1)
            stronger = 0
            for t in range(d):
                if weakness[slot[lo + t] % m] < edge:
                    stronger += 1
            room = cap - stronger
            for t in range(d):
                i = slot[lo + t] % m
                x = weakness[i]
                if x > edge:
                    kept[i] = False
                elif x == edge:
                    if room > 0:
                        room -= 1
                    else:
                        kept[i] = False
    return kept


def row_strengths(adj, deg, now, total, out=None):
    """Today's strength of every used slot of every adjacency row, from ``now`` by edge id.

    The rows of a full person are then scanned in memory order instead of by edge id.
    ``total``, unless empty, receives each person's summed strength, added in slot order
    in float64 (as a pick by strength adds it up). Slots past a row's end are 0.

    Args:
        adj: Edge id per person and slot.
        deg: Used slots per person.
        now: Today's strength per edge id.
        total: Output, each person's summed strength (or an empty array).
        out: Optionally, the float32 array of ``adj``'s shape to fill (a buffer kept
            between sweeps saves the pages of a new one); allocated if not given.

    Returns:
        ``out``, filled.
    """
    if out is None:
        out = np.empty(adj.shape, np.float32)
    _fill_row_strengths(adj, deg, now, total, out)
    return out


@one_at_a_time
@njit(cache=True, parallel=True)
def close_rows_with_strengths(adj, nbr, deg, kind, now, total, out):  # pragma: no cover
    """Close up every row (drop its ties freed in ``kind``), then :func:`row_strengths`.

    One pass instead of two: each row keeps its live slots in their order (as
    :func:`sim.kernels.rows.squeeze_row` does), writing today's strength of each
    (``now`` by edge id) to ``out`` and their sum to ``total`` (float64, slot order).
    Rows are independent, so the result does not depend on the number of threads.

    Args:
        adj: Edge id per person and slot (updated).
        nbr: Person at the other end per slot (updated).
        deg: Used slots per person (updated).
        kind: Kind code per edge id (``FREE`` for a freed tie).
        now: Today's strength per edge id.
        total: Output, each person's summed strength.
        out: Output, today's strength per person and slot (0 past a row's end).
    """
    width = adj.shape[1]
    for p in prange(adj.shape[0]):
        d = deg[p]
        k = 0
        sum_p = 0.0
        for s in range(d):  # one loop: each slot's kind and strength are fetched together
            e = adj[p, s]
            if e < 0 or kind[e] == FREE:
                continue
            x = now[e]
            if k != s:
                adj[p, k] = e
                nbr[p, k] = nbr[p, s]
            out[p, k] = x
            sum_p += x
            k += 1
        for s in range(k, d):
            adj[p, s] = -1
            nbr[p, s] = -1
        for s in range(k, width):
            out[p, s] = 0.0
        deg[p] = k
        total[p] = sum_p


@njit(cache=True)
def _fill_row(p, adj, deg, now, out):  # pragma: no cover - compiled
    """Person ``p``'s row of today's strengths (0 past its end); returns their sum.

    The sum is added in float64 in slot order, as a pick by strength adds it up.
    """
    sum_p = 0.0
    for s in range(deg[p]):
        out[p, s] = now[adj[p, s]]
        sum_p += out[p, s]
    for s in range(deg[p], adj.shape[1]):
        out[p, s] = 0.0
    return sum_p


@one_at_a_time
@njit(cache=True, parallel=True)
def _fill_row_strengths(adj, deg, now, total, out):  # pragma: no cover - compiled
    """The compiled body of :func:`row_strengths`."""
    totals = total.shape[0] > 0
    for p in prange(adj.shape[0]):
        sum_p = _fill_row(p, adj, deg, now, out)
        if totals:
            total[p] = sum_p


@njit(cache=True)
def note_slots(p, adj, nbr, deg, slot_u, slot_v):  # pragma: no cover - compiled
    """Note the slot of each tie of person ``p``'s row in ``slot_u`` or ``slot_v``."""
    for s in range(deg[p]):
        if p < nbr[p, s]:
            slot_u[adj[p, s]] = s
        else:
            slot_v[adj[p, s]] = s


@one_at_a_time
@njit(cache=True, parallel=True)
def slots_by_edge(adj, nbr, deg, slot_u, slot_v):  # pragma: no cover - compiled
    """Each edge id's slot in the row of its first end (``slot_u``) and of its second.

    The first end is the lower person id, so which of the two a slot belongs to is read
    from the row itself (``p < nbr[p, s]``), without looking the edge up.
    """
    for p in prange(deg.shape[0]):
        note_slots(p, adj, nbr, deg, slot_u, slot_v)


@njit(cache=True)
def close_rows(persons, adj, nbr, deg, row_now):  # pragma: no cover - compiled
    """Close up the holes of each of ``persons``' rows (distinct), moving ``row_now`` along.

    See :func:`sim.kernels.rows.squeeze_row`; ``row_now`` may be empty.
    """
    every_tie = np.zeros(0, np.int8)  # no kinds: only holes are dropped
    for t in range(len(persons)):
        squeeze_row(persons[t], adj, nbr, deg, every_tie, row_now)


@one_at_a_time
@njit(cache=True, parallel=True)
def close_rows_parallel(persons, adj, nbr, deg, row_now):  # pragma: no cover - compiled
    """:func:`close_rows` in parallel: rows are independent, so the result is the same."""
    every_tie = np.zeros(0, np.int8)
    for t in prange(len(persons)):
        squeeze_row(persons[t], adj, nbr, deg, every_tie, row_now)


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
    tied_before,
    slot_u,
    slot_v,
):  # pragma: no cover - compiled
    """Admit candidate ties one at a time, in the given order, holding the cap (F1, F2).

    The rule is :func:`sim.rules.admit_under_cap`: an end below the cap takes any tie;
    an end at the cap offers its weakest tie today (the first in slot order among equal
    strengths), and the candidate is made only if it is stronger than the weakest tie of
    every full end, which is then dropped. Each candidate sees the ties made and dropped
    before it. Made ties are appended to both ends' adjacency rows.

    A dropped tie leaves a hole in its two rows (edge id -1) instead of shifting the rest
    of the row left: slots keep their place during the batch, so the order of a row's
    ties, and with it the rule's choice among equals, is what shifting would give. Rows
    need spare slots beyond the cap for this; a row whose slots run out is closed up at
    once. The caller closes the holes afterwards (:func:`close_rows`).

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
        adj: Edge id per person and slot (updated in place, like the next two).
        nbr: Person at the other end per slot.
        deg: Used slots per person, holes included (the caller closes them up).
        half_life: Half-life per kind code (for ages past the table).
        table_s: Decay factor per kind code and age in days.
        victims: Output, the edge ids dropped (room for two per candidate).
        now: Strength today of the edge ids below its length, exactly as
            :func:`strength_today` gives it (updated for the ties made); may be empty.
        row_now: The same strengths by person and slot (:func:`row_strengths`, kept up
            to date here as rows change; a hole reads as infinitely strong), so that a
            full row is read in memory order with one read per slot; an empty array
            (shape ``(0, 0)``) if ``now`` is empty, and then full rows are decayed slot
            by slot.
        tied_before: Per candidate, the edge id of the tie its pair had before the
            batch, or -1 (:func:`sim.kernels.rows.find_pairs`).
        slot_u: Each edge id's slot in its first end's row before the batch
            (:func:`slots_by_edge`; updated for the ties made), so that a dropped tie is
            found in the row of its other end without a scan; an empty array to scan.
        slot_v: The same for the second end.

    Returns:
        ``(made, dropped, holed)``: ``ids[:made]`` are the ties made, in candidate
        order, ``victims[:dropped]`` the ties they replaced, and ``holed`` the people
        whose rows have holes.
    """
    by_slot = row_now.shape[0] > 0
    by_lookup = slot_u.shape[0] > 0
    n = deg.shape[0]
    width = adj.shape[1]
    held = deg.copy()  # ties per person; deg is the end of the used slots
    first_new = deg.copy()  # slots from here on hold ties made in this batch
    holed = np.zeros(n, np.bool_)
    holed_list = np.empty(n, np.int64)
    n_holed = 0
    made = 0
    dropped = 0
    hole = np.float32(np.inf)
    every_tie = np.zeros(0, np.int8)  # for closing a row: only its holes are dropped
    for i in range(len(a)):
        p0, q0 = a[i], b[i]
        e0 = tied_before[i]
        if e0 >= 0 and kind[e0] != FREE:  # still tied (ids freed here are not reused here)
            continue
        made_here = False  # a tie of the pair made earlier in the batch and still held
        for s in range(first_new[p0], deg[p0]):
            if nbr[p0, s] == q0:
                made_here = True
                break
        if made_here:
            continue
        x = new_w[i]
        admitted = True
        slot_a = -1
        slot_b = -1
        for j in range(2):
            p = p0 if j == 0 else q0
            if held[p] < cap:
                continue
            lowest = np.float32(np.inf)
            weakest = -1
            for s in range(deg[p]):
                if by_slot:
                    y = row_now[p, s]
                elif adj[p, s] < 0:
                    y = hole
                else:
                    y = strength_today(adj[p, s], day, w, last, kind, half_life, table_s)
                if y < lowest:
                    lowest = y
                    weakest = s
            if j == 0:
                slot_a = weakest
            else:
                slot_b = weakest
            if not x > lowest:
                admitted = False
        if not admitted:
            continue
        for j in range(2):
            p = np.int64(p0 if j == 0 else q0)
            s = np.int64(slot_a if j == 0 else slot_b)
            if s < 0:
                continue
            e = adj[p, s]
            kind[e] = FREE
            w[e] = 0.0
            q = np.int64(nbr[p, s])
            if by_lookup:
                t = np.int64(slot_v[e] if q > p else slot_u[e])
            else:
                t = 0
                while adj[q, t] != e:
                    t += 1
            for r, r_s in ((p, s), (q, t)):
                adj[r, r_s] = -1
                nbr[r, r_s] = -1
                if by_slot:
                    row_now[r, r_s] = hole
                held[r] -= 1
                if not holed[r]:
                    holed[r] = True
                    holed_list[n_holed] = r
                    n_holed += 1
            victims[dropped] = e
            dropped += 1
        e = ids[made]
        made += 1
        u[e], v[e], w[e], kind[e], last[e], created[e] = p0, q0, x, new_kind, day, day
        if e < len(now):
            now[e] = x  # w * 2 ** 0
        for p, q in ((p0, q0), (q0, p0)):
            if deg[p] == width:  # no spare slot left: close the row's holes now
                old = 0
                for s in range(first_new[p]):
                    old += adj[p, s] >= 0
                squeeze_row(p, adj, nbr, deg, every_tie, row_now)
                first_new[p] = old
                if by_lookup:
                    note_slots(p, adj, nbr, deg, slot_u, slot_v)
            s = deg[p]
            adj[p, s], nbr[p, s] = e, q
            if by_slot:
                row_now[p, s] = x
            if by_lookup:
                if p < q:
                    slot_u[e] = s
                else:
                    slot_v[e] = s
            deg[p] = s + 1
            held[p] += 1
    return made, dropped, holed_list[:n_holed]


room_under_cap = njit(cache=True)(rules.room_under_cap)


@one_at_a_time
@njit(cache=True, parallel=True)
def rooms_under_cap(row_now, deg, new_strength, cap, room):  # pragma: no cover - compiled
    """Each person's room for new ties of ``new_strength`` (:func:`sim.rules.room_under_cap`).

    ``row_now`` holds today's strength of every tie by person and slot
    (:func:`row_strengths`), rows without holes; ``room`` receives the result.
    """
    for p in prange(deg.shape[0]):
        room[p] = room_under_cap(row_now[p, : deg[p]], new_strength, cap)


LEFT, SEEN, LATEST = 0, 1, 2  # columns of take_while_room's state per person


@njit(cache=True)
def take_while_room(a, b, room):  # pragma: no cover - compiled
    """In the given order, make each candidate whose two ends both still have room.

    A pair made earlier in the batch is skipped. That check costs little: each person's
    partners made so far are set as bits of a 64-bit filter, and only on a hit are they
    listed (a chain through the candidates made with the same first end). A person's
    room left, filter and last candidate sit side by side, so that a candidate costs
    two reads of memory, one per end.

    Args:
        a: First end of each candidate (``a < b``, pairs not yet tied).
        b: Second end of each candidate.
        room: Each person's room (:func:`rooms_under_cap`), at least 0.

    Returns:
        ``(made, taken)``: per candidate whether it is made, and per person the number
        of new ties it takes.
    """
    n = room.shape[0]
    # Per person, side by side so that one cache line holds them: the room left, the
    # filter of the partners made with it as first end, the last candidate made so; the
    # fourth column is padding, so that no person's state straddles two cache lines.
    state = np.empty((n, 4), np.int64)
    for p in range(n):
        state[p, LEFT] = room[p]
        state[p, SEEN] = 0
        state[p, LATEST] = -1
    made = np.zeros(a.shape[0], np.bool_)
    earlier = np.empty(a.shape[0], np.int64)  # per candidate made, the one made before it
    for i in range(a.shape[0]):
        p, q = a[i], b[i]
        if state[p, LEFT] <= 0 or state[q, LEFT] <= 0:
            continue
        h = np.int64((np.uint64(q) * np.uint64(2654435769)) >> np.uint64(26) & np.uint64(63))
        bit = np.int64(1) << h
        if state[p, SEEN] & bit:
            j = state[p, LATEST]
            while j >= 0 and b[j] != q:
                j = earlier[j]
            if j >= 0:
                continue
        state[p, SEEN] |= bit
        earlier[i] = state[p, LATEST]
        state[p, LATEST] = i
        made[i] = True
        state[p, LEFT] -= 1
        state[q, LEFT] -= 1
    taken = room - state[:, LEFT]
    return made, taken


WEAKEST_BY_SCAN = 4  # up to this many weakest ties a row is scanned once per tie
WEAKEST_PARTS = 64  # fixed split of the people for :func:`mark_weakest` (scratch per part)


@njit(cache=True)
def kth_smallest(x, n, k):  # pragma: no cover - compiled
    """The ``k``-th smallest (from 0) of ``x[:n]``, by selection; ``x`` is reordered."""
    lo, hi = 0, n - 1
    while lo < hi:
        pivot = x[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while x[i] < pivot:
                i += 1
            while x[j] > pivot:
                j -= 1
            if i <= j:
                x[i], x[j] = x[j], x[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return x[k]


@one_at_a_time
@njit(cache=True, parallel=True)
def mark_weakest(row_now, adj, deg, surplus, doomed):  # pragma: no cover - compiled
    """Mark the ``surplus[p]`` weakest ties of each person ``p`` in ``doomed`` (by edge id).

    Weakest by ``row_now`` (today's strength by person and slot), the first in slot
    order among equals. A tie marked by both its ends is marked once. A few are found
    by scanning the row once each; more, through the strength of the ``surplus``-th
    weakest: every tie weaker than it, then the ties as strong as it in slot order.
    """
    n, width = row_now.shape
    size = (n + WEAKEST_PARTS - 1) // WEAKEST_PARTS
    for part in prange(WEAKEST_PARTS):
        scratch = np.empty(width, np.float32)
        for p in range(part * size, min((part + 1) * size, n)):
            k = surplus[p]
            if k <= 0:
                continue
            d = deg[p]
            scratch[:d] = row_now[p, :d]
            if k > WEAKEST_BY_SCAN:
                k = min(k, d)
                edge = kth_smallest(scratch, d, k - 1)
                weaker = 0
                for s in range(d):
                    if row_now[p, s] < edge:
                        doomed[adj[p, s]] = True
                        weaker += 1
                for s in range(d):
                    if weaker == k:
                        break
                    if row_now[p, s] == edge:
                        doomed[adj[p, s]] = True
                        weaker += 1
                continue
            for _ in range(k):
                weakest = 0
                for s in range(1, d):
                    if scratch[s] < scratch[weakest]:
                        weakest = s
                doomed[adj[p, weakest]] = True
                scratch[weakest] = np.inf
