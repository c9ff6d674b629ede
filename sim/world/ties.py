"""The tie store: every tie of the world in NumPy arrays.

Each undirected tie is stored once, as an edge ``e`` with endpoints ``u[e] < v[e]``,
a strength ``w[e]`` valid on day ``last[e]`` (its last contact), the highest strength it
has had, ``peak[e]`` (the most that contact outside groups restores), and a kind code. Decay is
lazy: the strength on day ``t`` is ``w * 2 ** (-(t - last) / half_life[kind])``, so no
daily pass over all ties is needed. A fixed-width adjacency table ``adj[p, :deg[p]]``
lists the edge ids of person ``p``, and ``deg`` never exceeds the Dunbar cap; the table
has up to ``ROW_SLACK`` columns beyond the cap, so that a batch of new ties can drop and
append ties without shifting rows (:func:`sim.kernels.cap.admit_in_order`).

Freed edge ids are reused, so the edge arrays stay as large as the peak number of ties.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from sim import libm, rules
from sim.kernels.cap import (
    admit_in_order,
    close_rows,
    close_rows_parallel,
    mark_weakest,
    rooms_under_cap,
    row_strengths,
    slots_by_edge,
    take_while_room,
)
from sim.kernels.rows import (
    FREE,
    append_to_rows,
    append_to_rows_parallel,
    drop_from_rows,
    drop_from_rows_parallel,
    find_pairs,
    find_pairs_parallel,
    flatten_rows,
    widen_rows,
    widest_row_after,
    write_new_ties,
)
from sim.kernels.strength import contact_edges, pick_by_strength, strength_of
from sim.world.background import BackgroundContact
from sim.world.inside_groups import GroupQueries

PARALLEL_DROP = 10_000  # fewer dropped ids than this are taken out of rows by one thread
PARALLEL_APPEND = 10_000  # from this many new ties, rows are appended to in parallel
LARGE_BATCH = 50_000  # candidate ties from which a batch looks dropped ties up by slot
ROW_SLACK = 32  # spare adjacency columns beyond the cap (holes of a batch, see add)


class TieStore(BackgroundContact, GroupQueries):
    """Undirected, weighted, typed ties with a per-person cap.

    Args:
        n: Number of people.
        cap: Most ties a person may hold.
        half_lives: Half-life in days of each kind, indexed by kind code.
        capacity: Edge ids to allocate at first.
    """

    def __init__(self, n: int, cap: int, half_lives: np.ndarray, capacity: int = 1024):
        self.n, self.cap = int(n), int(cap)
        self.half_life = np.asarray(half_lives, dtype=np.float32)
        capacity = max(int(capacity), 16)
        self.u = np.zeros(capacity, np.int32)
        self.v = np.zeros(capacity, np.int32)
        self.w = np.zeros(capacity, np.float32)
        self.peak = np.zeros(capacity, np.float32)
        self.last = np.zeros(capacity, np.int32)
        self.kind = np.full(capacity, FREE, np.int8)
        self.created = np.zeros(capacity, np.int32)
        self._top = 0  # ids below this have been used at least once
        self._free: list[np.ndarray] = []  # recycled ids
        self.deg = np.zeros(self.n, np.int32)
        self.adj = np.full((self.n, min(8, self.cap)), -1, np.int32)
        # The person at the other end of each adjacency slot: one gather per query.
        self.nbr = np.full((self.n, min(8, self.cap)), -1, np.int32)
        self._seen = np.zeros(self.n, bool)  # scratch flags for drop_from_rows
        # Sweep cache: w ** exponent per edge id, valid where w equals _w_seen (0 ** x = 0).
        self._w_seen = np.zeros(capacity, np.float32)
        self._w_pow = np.zeros(capacity, np.float32)
        self._w_pow_exponent = float("nan")
        self._times = np.zeros(capacity, np.int64)  # scratch for contact_edges
        # Earliest day ever written to ``last`` (so a lower bound of it) and the decay table.
        self._oldest = np.iinfo(np.int32).max
        self._table_key: tuple[int, int] | None = None
        self._table = np.ones((len(self.half_life), 1), np.float32)
        # Scratch per person for callers' kernels (all -1 between calls), kept here so that
        # no N-sized array is allocated per query.
        self.person_scratch = np.full(self.n, -1, np.int64)
        # Today's strength by person and slot, refilled by each sweep's new acquaintances.
        self._row_now = np.zeros((0, 0), np.float32)

    # ------------------------------------------------------------------ sizes

    @property
    def n_ties(self) -> int:
        """Number of ties alive."""
        return int(self.deg.sum()) // 2

    def alive_ids(self) -> np.ndarray:
        """Edge ids of all ties alive, ascending."""
        return np.flatnonzero(self.kind[: self._top] != FREE).astype(np.int64)

    # ------------------------------------------------------------------ strength

    def strength(self, eids: np.ndarray, day: int) -> np.ndarray:
        """Strength of ties on ``day``, with decay since their last contact (F5, F6)."""
        eids = np.asarray(eids, dtype=np.int64)
        if day != int(day):  # a fractional day: no table of whole-day ages
            age = (day - self.last[eids]).astype(np.float32)
            return rules.decay(self.w[eids], age, self.half_life[self.kind[eids].astype(np.int64)])
        day = int(day)
        out = np.empty(len(eids), np.float32)
        strength_of(
            eids, day, self.w, self.last, self.kind, self.half_life, self.decay_table(day), out
        )
        return out

    def other(self, eids: np.ndarray, person: np.ndarray) -> np.ndarray:
        """The endpoint of each edge that is not ``person``."""
        return self.u[eids] + self.v[eids] - person

    # ------------------------------------------------------------------ queries

    def neighbours(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ties of the given people, flattened.

        Args:
            persons: People to list (may repeat).

        Returns:
            ``(row, other, eid)``: for each tie, the position in ``persons`` of its owner,
            the person at the other end and the edge id.
        """
        return flatten_rows(np.asarray(persons, dtype=np.int64), self.adj, self.nbr, self.deg)

    def pick_by_strength(
        self, persons: np.ndarray, day: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One tie of each person, chosen with probability proportional to its strength.

        Args:
            persons: People who choose (may repeat; each must hold a tie).
            day: Today (strengths decay to it).
            rng: The model's generator: one uniform per person.

        Returns:
            ``(other, eid, strength)``: the person at the other end, the edge id and the
            strength today of each chosen tie.
        """
        persons = np.asarray(persons, np.int64)
        uniforms = rng.random(len(persons))
        return pick_by_strength(
            persons,
            uniforms,
            int(day),
            self.adj,
            self.nbr,
            self.deg,
            *self.decayed(int(day)),
        )

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge id of the tie between ``a[i]`` and ``b[i]``, or -1 where there is none."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        out = np.full(len(a), -1, np.int64)
        if len(a) == 0:
            return out
        # Scan the row of whichever endpoint has fewer ties, stopping at the match: no
        # whole rows are gathered.
        find_pairs(a, b, self.adj, self.nbr, self.deg, out)
        return out

    def strength_between(self, a: np.ndarray, b: np.ndarray, day: int) -> np.ndarray:
        """Strength on ``day`` of the tie between ``a[i]`` and ``b[i]`` (float64; 0 if none)."""
        eid = self.find(a, b)
        out = np.zeros(len(eid))
        tied = eid >= 0
        out[tied] = self.strength(eid[tied], day)
        return out

    def to_sparse(self, day: int, power: float = 1.0) -> sparse.csr_matrix:
        """Symmetric sparse matrix of strengths (raised to ``power``) on ``day``."""
        ids = self.alive_ids()
        s = self.strength(ids, day)
        s = libm.power(s, s.dtype.type(power))
        rows = np.concatenate([self.u[ids], self.v[ids]])
        cols = np.concatenate([self.v[ids], self.u[ids]])
        return sparse.csr_matrix((np.concatenate([s, s]), (rows, cols)), shape=(self.n, self.n))

    # ------------------------------------------------------------------ changes

    def _ensure_edge_capacity(self, extra: int) -> None:
        free = sum(len(f) for f in self._free)
        need = self._top + max(extra - free, 0)
        if need <= len(self.u):
            return
        size = max(need, int(len(self.u) * 1.5) + 16)
        for name in ("u", "v", "w", "peak", "last", "created", "_w_seen", "_w_pow", "_times"):
            old = getattr(self, name)
            new = np.zeros(size, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        kind = np.full(size, FREE, np.int8)
        kind[: len(self.kind)] = self.kind
        self.kind = kind

    def _ensure_width(self, width: int) -> None:
        widest = self.cap + ROW_SLACK
        width = min(max(width, 1), widest)
        if width <= self.adj.shape[1]:
            return
        width = min(widest, max(width, int(self.adj.shape[1] * 1.5)))
        if width >= self.cap:
            # A row at the cap takes its slack with the first batch that admits ties by
            # dropping others: widen once (a large table is copied and its fresh pages
            # faulted in: half a second at 100,000 people).
            width = widest
        for name in ("adj", "nbr"):
            new = np.empty((self.n, width), np.int32)
            widen_rows(getattr(self, name), new)
            setattr(self, name, new)

    def _take_ids(self, k: int) -> np.ndarray:
        self._ensure_edge_capacity(k)
        taken: list[np.ndarray] = []
        while k > 0 and self._free:
            chunk = self._free.pop()
            if len(chunk) > k:
                self._free.append(chunk[k:])
                chunk = chunk[:k]
            taken.append(chunk)
            k -= len(chunk)
        if k > 0:
            taken.append(np.arange(self._top, self._top + k, dtype=np.int64))
            self._top += k
        if len(taken) == 1:
            return taken[0]
        return np.concatenate(taken) if taken else np.zeros(0, np.int64)

    def add_unchecked(
        self, a: np.ndarray, b: np.ndarray, w: np.ndarray, kind: np.ndarray, day: int
    ) -> np.ndarray:
        """Add ties known to be new, distinct, non-self and within every cap.

        Returns:
            The new edge ids.
        """
        lo = np.minimum(a, b).astype(np.int32)
        hi = np.maximum(a, b).astype(np.int32)
        eids = self._take_ids(len(lo))
        write_new_ties(
            eids,
            lo,
            hi,
            np.asarray(w, np.float32).ravel(),
            np.asarray(kind, np.int8).ravel(),
            int(day),
            self.u,
            self.v,
            self.w,
            self.peak,
            self.kind,
            self.last,
            self.created,
        )
        self._oldest = min(self._oldest, day)
        self._ensure_width(widest_row_after(lo, hi, self.deg, self.person_scratch))
        many = len(eids) >= PARALLEL_APPEND
        if many:
            append_to_rows_parallel(eids, lo, hi, self.adj, self.nbr, self.deg)
        else:
            append_to_rows(eids, self.u, self.v, self.adj, self.nbr, self.deg)
        return eids

    def shift_days(self, offset: int) -> None:
        """Move every tie's dates (last contact, creation) by ``offset`` days.

        Strengths on a day ``offset`` days later than before are unchanged: used to
        date a generated world back to the start of its spin-up.
        """
        ids = self.alive_ids()
        self.last[ids] += offset
        self.created[ids] += offset
        if len(ids):
            self._oldest = int(self.last[ids].min())
        self._table_key = None

    def remove(self, eids: np.ndarray, close_rows: bool = True) -> None:
        """Drop ties by edge id (ids must be alive and distinct).

        With ``close_rows`` False the ties are freed but left in their ends' adjacency
        rows, for a caller that closes up every row itself before the rows are read
        again (the background period, :meth:`background_period`).
        """
        eids = np.asarray(eids, np.int64)
        if len(eids) == 0:
            return
        if not np.all(eids[1:] > eids[:-1]):  # a sweep's ids come sorted: skip the sort
            eids = np.unique(eids)
        self.kind[eids] = FREE
        self.w[eids] = 0.0
        if not close_rows:
            self._free.append(eids)
            return
        # Compact the rows of both ends in place; the cost is the ends' degrees, with no
        # temporaries as large as the touched block of the adjacency table.
        # Threads pay off only for a sweep's many drops.
        many = len(eids) >= PARALLEL_DROP
        drop = drop_from_rows_parallel if many else drop_from_rows
        drop(eids, self.u, self.v, self.adj, self.nbr, self.deg, self.kind, self._seen)
        self._free.append(eids)

    def contact(self, eids: np.ndarray, day: int, gain: float) -> None:
        """Record contact on ties: decay to today, then close ``gain`` of the gap to 1.

        Repeated ids are applied once per occurrence, in order. A tie's peak rises with
        it (shared activity builds closeness; background contact only restores it).
        """
        eids = np.asarray(eids, np.int64)
        if len(eids) == 0:
            return
        contact_edges(
            eids,
            int(day),
            float(gain),
            *self.decayed(int(day)),
            self.peak,
            self._times,
        )
        self._oldest = min(self._oldest, day)

    def add(
        self,
        a: np.ndarray,
        b: np.ndarray,
        w: float | np.ndarray,
        kind: int,
        day: int,
        now: np.ndarray | None = None,
        row_now: np.ndarray | None = None,
    ) -> np.ndarray:
        """Form new ties, holding the cap (:func:`sim.rules.admit_under_cap`).

        At the cap, a new tie replaces the person's weakest tie only if it is stronger.
        Candidates are taken strongest first (in batch order among equals), one at a
        time, each seeing the ties made and replaced before it. Self-ties and pairs
        already tied are skipped (an existing tie is left to :meth:`contact`), so of a
        pair repeated in the batch only the strongest candidate can be made.

        Args:
            a: First end of each candidate.
            b: Second end of each candidate.
            w: Strength of each candidate (or one for all).
            kind: Kind code of the new ties.
            day: Today.
            now: Optionally, today's strength of the edge ids below its length
                (``self.strength(np.arange(k), day)``), which makes scanning full rows
                cheaper; it is updated for the ties made. The result is the same.
            row_now: With ``now``, the same strengths by person and slot
                (:func:`~sim.kernels.cap.row_strengths`; computed if not given), which
                lets full rows be scanned in memory order; updated as rows change.

        Returns:
            Edge ids of the ties formed, in the order they were made.
        """
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        w = np.broadcast_to(np.asarray(w, np.float32), a.shape).copy()
        keep = a != b
        a, b, w = np.minimum(a, b)[keep], np.maximum(a, b)[keep], w[keep]
        if len(a) == 0:
            return np.zeros(0, np.int64)
        if not np.all(w == w[0]):  # equal strengths (a sweep's acquaintances) keep their order
            order = np.argsort(-w, kind="stable")
            a, b, w = a[order], b[order], w[order]
        # Room for every append before the kernel runs: arrays cannot grow inside it (a
        # row without room left is closed up by the kernel).
        self._ensure_width(widest_row_after(a, b, self.deg, self.person_scratch))
        ids = self._take_ids(len(a))
        victims = np.empty(2 * len(a), np.int64)
        if now is None:
            now, row_now = np.zeros(0, np.float32), np.zeros((0, 0), np.float32)
        elif row_now is None or row_now.shape != self.adj.shape:
            row_now = row_strengths(self.adj, self.deg, now, np.zeros(0))
        large = len(a) >= LARGE_BATCH
        tied_before = np.empty(len(a), np.int64)
        (find_pairs_parallel if large else find_pairs)(
            a, b, self.adj, self.nbr, self.deg, tied_before
        )
        if large:  # a slot lookup costs a pass over the rows; scanning, one per victim
            slot_type = np.uint8 if self.adj.shape[1] <= 256 else np.uint16
            slot_u = np.zeros(len(self.u), slot_type)
            slot_v = np.zeros(len(self.u), slot_type)
            slots_by_edge(self.adj, self.nbr, self.deg, slot_u, slot_v)
        else:
            slot_u = slot_v = np.zeros(0, np.uint8)
        made, dropped, holed = admit_in_order(
            a,
            b,
            w,
            kind,
            day,
            ids,
            self.cap,
            self.u,
            self.v,
            self.w,
            self.last,
            self.kind,
            self.created,
            self.adj,
            self.nbr,
            self.deg,
            self.half_life,
            self.decay_table(day),
            victims,
            now,
            row_now,
            tied_before,
            slot_u,
            slot_v,
        )
        (close_rows_parallel if large else close_rows)(holed, self.adj, self.nbr, self.deg, row_now)
        self._oldest = min(self._oldest, day)
        back = np.concatenate([victims[:dropped], ids[made:]])
        if len(back):
            self._free.append(back)
        self.peak[ids[:made]] = self.w[ids[:made]]
        return ids[:made]

    def add_together(
        self,
        a: np.ndarray,
        b: np.ndarray,
        w: float,
        kind: int,
        day: int,
        row_now: np.ndarray,
    ) -> np.ndarray:
        """Form a batch of equally strong new ties at once, holding the cap.

        The rule of :func:`sim.rules.room_under_cap`: each person's room is the cap less
        its ties at least as strong as ``w``; in batch order, a candidate is made if both
        its ends still have room; then every person above the cap drops its weakest
        ties (the first in slot order among equals) until it is back at the cap. Ties
        dropped by the other end do not make room within the batch. Self-pairs, pairs
        already tied and a pair's later repeats in the batch are skipped.

        Args:
            a: First end of each candidate.
            b: Second end of each candidate.
            w: Strength of every new tie.
            kind: Kind code of the new ties.
            day: Today.
            row_now: Today's strength of every tie by person and slot
                (:func:`~sim.kernels.cap.row_strengths`), rows without holes.

        Returns:
            Edge ids of the ties formed, in batch order.
        """
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        keep = a != b
        a, b = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
        if len(a) == 0:
            return np.zeros(0, np.int64)
        tied = np.empty(len(a), np.int64)
        (find_pairs_parallel if len(a) >= LARGE_BATCH else find_pairs)(
            a, b, self.adj, self.nbr, self.deg, tied
        )
        a, b = a[tied < 0], b[tied < 0]
        room = np.empty(self.n, np.int64)
        rooms_under_cap(row_now, self.deg, np.float32(w), self.cap, room)
        made, taken = take_while_room(a, b, room)
        surplus = self.deg + taken - self.cap
        doomed = np.zeros(self._top, np.bool_)
        mark_weakest(row_now, self.adj, self.deg, surplus, doomed)
        self.remove(np.flatnonzero(doomed))
        a, b = a[made], b[made]
        return self.add_unchecked(a, b, np.float32(w), kind, day)

    def decayed(self, day: int) -> tuple[np.ndarray, ...]:
        """What a kernel needs to know any tie's strength on ``day``, in its order.

        ``(w, last, kind, half_life, table)``: see :func:`sim.kernels.strength.strength_today`.
        """
        return self.w, self.last, self.kind, self.half_life, self.decay_table(day)

    def decay_table(self, day: int) -> np.ndarray:
        """Decay factor ``2 ** (-age / half_life)`` per kind code and age on ``day``.

        Ages are whole days, so kernels look the factor up instead of computing an exp2
        per tie; ``w * table[kind, age]`` is bit for bit what :func:`sim.rules.decay`
        gives in float32. The table covers ages up to ``day`` minus the earliest last
        contact ever written (a lower bound of every ``last``), and is kept for the day.
        """
        width = max(day - self._oldest, 0) + 1
        if self._table_key != (day, width):
            age = np.arange(width, dtype=np.float32)
            self._table = rules.decay(
                np.float32(1.0), age[None, :], self.half_life[:, None]
            ).astype(np.float32)
            self._table_key = (day, width)
        return self._table

    def check(self) -> None:
        """Raise AssertionError if an invariant of the store is broken (for tests)."""
        ids = self.alive_ids()
        assert np.all(self.deg <= self.cap), "a person holds more ties than the cap"
        assert np.all(self.u[ids] < self.v[ids]), "self-tie or unordered endpoints"
        assert np.all((self.w[ids] > 0) & (self.w[ids] <= 1)), "strength outside (0, 1]"
        assert np.all(self.w[ids] <= self.peak[ids]), "strength above the tie's peak"
        keys = self.u[ids].astype(np.int64) * self.n + self.v[ids]
        assert len(np.unique(keys)) == len(keys), "duplicate tie"
        counts = np.bincount(self.u[ids], minlength=self.n) + np.bincount(
            self.v[ids], minlength=self.n
        )
        assert np.array_equal(counts, self.deg), "degree table out of step with the ties"
        row, other, eid = self.neighbours(np.arange(self.n))
        assert np.all(self.kind[eid] != FREE), "adjacency lists a dropped tie"
        assert np.all((self.u[eid] == row) | (self.v[eid] == row)), "adjacency lists a stranger"
        assert np.all(other != row), "adjacency lists a self-tie"
        assert np.array_equal(other, self.other(eid, row)), "neighbour table out of step"
