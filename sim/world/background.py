"""Background social life of the tie store: periodic contact, decay, dropping, new ties.

Part of :class:`sim.world.ties.TieStore`. Between sweeps ties only decay (lazily); a
sweep gives every tie the contacts of the period at once (C9, F3–F6),
:meth:`BackgroundContact.move` takes the period's movers away from their weak ties (F2,
F6), and :meth:`BackgroundContact.introduce` adds the new acquaintances of the period (F1,
F2, F6).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim import rules
from sim.config import KIND_CODES
from sim.config.network import TieDynamics
from sim.kernels.cap import close_rows_with_strengths
from sim.kernels.rows import FREE
from sim.kernels.strength import pick_by_slot_strength
from sim.kernels.sweep import sweep_contacts, sweep_weights

SWEEP_CHUNK = 1 << 18  # edge ids per batch of uniform draws in a sweep
SWEEP_PARTS = 8  # parts of a batch done in parallel (results do not depend on it)
POISSON_INVERSION_MAX = 30.0  # largest mean drawn by inversion in a sweep
ACQUAINTANCE_KIND = KIND_CODES["acquaintance"]  # the kind of every tie made outside groups
KIN_KIND = KIND_CODES["kin"]


class Period(NamedTuple):
    """What one period of background social life did."""

    made: int
    """New acquaintance ties made."""
    moved: int
    """People who moved away."""
    lost: int
    """Ties lost to those moves."""


class Swept(NamedTuple):
    """What a sweep did: the ties it dropped, and every edge id's strength after it."""

    dropped: int
    """Number of ties dropped."""
    strength: np.ndarray
    """Strength today of each edge id below the store's top after the sweep (0 if freed),
    bit for bit what :meth:`~sim.world.ties.TieStore.strength` gives."""


class BackgroundContact:
    """The periodic sweep and new acquaintances, for :class:`~sim.world.ties.TieStore`."""

    def background_period(
        self, day: int, rng: np.random.Generator, dynamics: TieDynamics
    ) -> Period:
        """One period of background social life ending on ``day``: sweep, moves, new ties.

        :meth:`sweep`, :meth:`move`, then :meth:`introduce`, with the settings of
        ``dynamics`` (the scenario's ``network.ties``). The daily model runs it every
        ``sweep_days`` (the ties phase), and the world's spin-up before day 0
        (:func:`sim.world.spin_up.spin_up`).

        Args:
            day: Last day of the period.
            rng: The model's generator.
            dynamics: The scenario's ``network.ties``.

        Returns:
            The new acquaintance ties made, the people who moved and the ties they lost.
        """
        # The ties dropped by the sweep and the moves are taken out of the rows in one
        # pass, which also lays today's strengths out by row for the new acquaintances.
        swept = self.sweep(
            day,
            rng,
            days=dynamics.sweep_days,
            exponent=dynamics.allocation_exponent,
            contacts_per_day=dynamics.contacts_per_day,
            gain=dynamics.contact_gain,
            floor=dynamics.floor,
            close_rows=False,
        )
        moved, lost = self.move(
            rng,
            days=dynamics.sweep_days,
            per_year=dynamics.moves_per_year,
            now=swept.strength,
            close_rows=False,
        )
        rows = self._close_rows_with_strengths(swept.strength)
        made = self.introduce(
            day,
            rng,
            days=dynamics.sweep_days,
            per_year=dynamics.new_acquaintances_per_year,
            closure_share=dynamics.closure_share,
            strength=dynamics.new_acquaintance_strength,
            kind=ACQUAINTANCE_KIND,
            now=swept.strength,
            rows=rows,
        )
        return Period(made, moved, lost)

    def strengths_by_row(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Today's strength of every tie by person and slot, and each person's sum.

        For many picks on the same day (:meth:`pick_by_row_strength`). The array is the
        store's buffer, valid until the ties change or the next call.
        """
        return self._close_rows_with_strengths(self.strength(np.arange(self._top), day))

    def _close_rows_with_strengths(self, now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Close up every row, then today's strength by person and slot, and its sums.

        Returns:
            ``(row_now, total)``: see :func:`~sim.kernels.cap.row_strengths`. ``row_now``
            is the store's buffer, valid until the next call.
        """
        if self._row_now.shape != self.adj.shape:  # one buffer, kept from sweep to sweep
            self._row_now = np.empty(self.adj.shape, np.float32)
        total = np.empty(self.n, np.float64)
        close_rows_with_strengths(
            self.adj, self.nbr, self.deg, self.kind, now, total, self._row_now
        )
        return self._row_now, total

    def _sweep_weights(
        self, day: int, exponent: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Strength, time weight per edge id in use so far, and per person 1 / total weight."""
        top = self._top
        if exponent != self._w_pow_exponent:  # the cache holds powers for one exponent
            self._w_seen[:] = np.nan
            self._w_pow_exponent = exponent
        # Decay factors per (kind, age): ages are whole days, so a table replaces an exp2
        # per tie. The same float32 arithmetic as rules.decay.
        table_s = self.decay_table(day)
        age = np.arange(table_s.shape[1], dtype=np.float32)
        table_w = rules.decay(
            np.float32(1.0), np.float32(exponent) * age[None, :], self.half_life[:, None]
        ).astype(np.float32)
        strength = np.empty(top, np.float32)
        weight = np.empty(top, np.float32)
        inverse = np.empty(self.n, np.float32)
        sweep_weights(
            day,
            self.w,
            self.last,
            self.kind,
            self.half_life,
            table_s,
            table_w,
            self._w_seen,
            self._w_pow,
            float(exponent),
            self.u,
            self.v,
            np.empty((SWEEP_PARTS, self.n), np.float64),
            strength,
            weight,
            inverse,
        )
        return strength, weight, inverse

    def sweep(
        self,
        day: int,
        rng: np.random.Generator,
        *,
        days: int,
        exponent: float,
        contacts_per_day: float,
        gain: float,
        floor: float,
        close_rows: bool = True,
    ) -> Swept:
        """Background contact over the last ``days`` days, then dropping (C9, F3–F6).

        Each tie receives a Poisson number of contacts at the rate of
        :func:`sim.rules.contact_rate`; a contacted tie is restored towards its peak once
        per contact (:func:`sim.rules.strengthen` with ``ceiling`` its peak) and its last
        contact set to today; a tie with no
        contact whose strength today is below ``floor`` is dropped.

        Counts with a mean up to ``POISSON_INVERSION_MAX`` are drawn by inversion of one
        uniform per edge id in use (freed ids included, so the number of draws depends
        only on the store's size), in edge-id order, in chunks, so that no array of
        draws as large as the store is held; larger means are drawn afterwards with
        ``rng.poisson``, in edge-id order. Every draw comes from ``rng``.

        Args:
            day: Today.
            rng: The model's generator.
            days: Length of the period (``sweep_days``).
            exponent: ``allocation_exponent``.
            contacts_per_day: Contacts each person makes per day.
            gain: ``contact_gain``.
            floor: Strength below which an uncontacted tie is dropped.
            close_rows: Whether the dropped ties are taken out of the adjacency rows
                (see :meth:`~sim.world.ties.TieStore.remove`).

        Returns:
            The number of ties dropped and every edge id's strength today after the
            sweep (what :meth:`introduce` needs).
        """
        top = self._top
        strength, weight, inverse = self._sweep_weights(day, exponent)
        self._oldest = min(self._oldest, day)  # the kernel sets ``last`` to today
        chunk = min(SWEEP_CHUNK, max(top, 1))
        uniforms = np.empty(chunk, np.float64)
        doomed_buf = np.empty(chunk, np.int64)
        big_buf = np.empty(chunk, np.int64)
        counts = np.zeros((SWEEP_PARTS, 2), np.int64)
        doomed, big = [], []
        per_day, period = np.float32(contacts_per_day), np.float32(days)
        for lo in range(0, top, chunk):
            n = min(chunk, top - lo)
            rng.random(out=uniforms[:n])
            sweep_contacts(
                lo,
                uniforms[:n],
                day,
                self.kind,
                self.u,
                self.v,
                strength,
                weight,
                inverse,
                per_day,
                period,
                np.float32(POISSON_INVERSION_MAX),
                float(gain),
                np.float32(floor),
                self.w,
                self.last,
                self.peak,
                doomed_buf,
                big_buf,
                counts,
            )
            size = -(-n // SWEEP_PARTS)
            for part, (n_doomed, n_big) in enumerate(counts.tolist()):
                if n_doomed:
                    doomed.append(doomed_buf[part * size : part * size + n_doomed].copy())
                if n_big:
                    big.append(big_buf[part * size : part * size + n_big].copy())
        if big:
            eids = np.concatenate(big)
            rate = rules.tie_contact_rate(
                weight[eids], inverse[self.u[eids]], inverse[self.v[eids]], per_day
            )
            lam = rate * period
            contacts = rng.poisson(lam)
            s = strength[eids]
            hit = contacts > 0
            # In float64, as the compiled rule computes it for every other tie.
            self.w[eids[hit]] = rules.strengthen(
                s[hit].astype(np.float64), gain, contacts[hit], self.peak[eids[hit]]
            )
            self.last[eids[hit]] = day
            strength[eids[hit]] = self.w[eids[hit]]
            doomed.append(eids[~hit & (s > 0) & (s < np.float32(floor))])
        dropped = np.concatenate(doomed) if doomed else np.zeros(0, np.int64)
        self.remove(dropped, close_rows)
        strength[dropped] = 0.0
        return Swept(len(dropped), strength)

    def move(
        self,
        rng: np.random.Generator,
        *,
        days: int,
        per_year: float,
        now: np.ndarray,
        close_rows: bool = True,
    ) -> tuple[int, int]:
        """The people who moved away over the last ``days`` days lose their local ties.

        Movers are drawn by :func:`sim.rules.movers`; each tie with a mover at either end
        is kept or lost once, by :func:`sim.rules.survives_move` on its strength today,
        with one uniform per such tie in edge-id order. Nothing is drawn when
        ``per_year`` is 0. ``now`` is set to 0 for the ties lost.

        Args:
            rng: The model's generator.
            days: Length of the period (``sweep_days``).
            per_year: ``moves_per_year``.
            now: Every edge id's strength today (a sweep's :attr:`Swept.strength`);
                updated in place.
            close_rows: Whether the lost ties are taken out of the adjacency rows (see
                :meth:`~sim.world.ties.TieStore.remove`). Rows may still hold ties
                freed before (a sweep's, not closed up): those are skipped.

        Returns:
            The number of people who moved and the number of ties they lost.
        """
        if per_year <= 0:
            return 0, 0
        moving = rules.movers(self.n, per_year, days, rng)
        eids = np.unique(self.neighbours(moving)[2])
        eids = eids[self.kind[eids] != FREE]
        kept = rules.survives_move(now[eids], self.kind[eids] == KIN_KIND, rng.random(len(eids)))
        lost = eids[~kept]
        self.remove(lost, close_rows)
        now[lost] = 0.0
        return len(moving), len(lost)

    def introduce(
        self,
        day: int,
        rng: np.random.Generator,
        *,
        days: int,
        per_year: float,
        closure_share: float,
        strength: float,
        kind: int,
        now: np.ndarray | None = None,
        rows: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> int:
        """New acquaintances made outside groups over the last ``days`` days (F1, F2, F6).

        Meetings are drawn by :func:`sim.rules.background_meetings`. A meeting through a
        friend picks one of the starter's ties with probability proportional to its
        strength today, then one of that friend's ties likewise, so a friend's friend is
        met in proportion to the strengths of both ties (the meeting is lost if that
        is the starter itself); a starter with no ties, and every other meeting, meets a
        random person (:func:`sim.rules.stranger`). The pairs, in the meetings' random
        order, become ties of ``strength`` and ``kind`` under the cap, all at once
        (:meth:`add_together`, :func:`sim.rules.room_under_cap`): pairs already tied are
        left as they are. Every draw comes from ``rng``.

        Args:
            day: Today.
            rng: The model's generator.
            days: Length of the period (``sweep_days``).
            per_year: ``new_acquaintances_per_year``.
            closure_share: ``closure_share``.
            strength: Strength of the new ties.
            kind: Kind code of the new ties.
            now: Optionally, every edge id's strength today (a sweep's
                :attr:`Swept.strength`, which saves computing it; the result is the same).
            rows: Optionally, with ``now``, the same by person and slot and its sums
                (:meth:`_close_rows_with_strengths`); the result is the same.

        Returns:
            The number of ties made.
        """
        if per_year <= 0 or self.n < 2:
            return 0
        starter, through = rules.background_meetings(self.n, per_year, days, closure_share, rng)
        through &= self.deg[starter] > 0
        other = np.empty(len(starter), np.int64)
        chance = np.flatnonzero(~through)
        other[chance] = rules.stranger(starter[chance], self.n, rng)
        closing = np.flatnonzero(through)
        # Today's strength of every edge id once, for both picks (the same choices as
        # ``pick_by_strength``, without a decay per slot visited) and for the cap.
        if now is None:
            now = self.strength(np.arange(self._top), day)
        row_now, total = rows if rows is not None else self._close_rows_with_strengths(now)
        if len(closing):
            friend = self.pick_by_row_strength(starter[closing], row_now, total, rng)
            other[closing] = self.pick_by_row_strength(friend, row_now, total, rng)
        # The meetings come in a random order, the order in which they are admitted.
        return len(self.add_together(starter, other, strength, kind, day, row_now))

    def pick_by_row_strength(
        self,
        persons: np.ndarray,
        row_now: np.ndarray,
        total: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """The other end of one tie of each person, chosen in proportion to ``row_now``.

        ``row_now`` is every tie's strength today by person and slot and ``total`` each
        person's sum of it (:func:`~sim.kernels.cap.row_strengths`); one uniform per
        person from ``rng``, as
        :meth:`~sim.world.ties.TieStore.pick_by_strength` draws it, which chooses the
        same tie up to the rounding of the sums.
        """
        uniforms = rng.random(len(persons))
        return pick_by_slot_strength(
            np.asarray(persons, np.int64), uniforms, self.nbr, self.deg, row_now, total
        )
