"""The roster: who is in which group, since when, and how many ties they have inside.

The roster owns the membership table and everything derived from it: the index of the
current memberships (kept up to date by the roster itself, since only the roster makes
joins and leaves and opens and closes groups), and each membership's ties to its
co-members. Phases ask it questions and tell it what happened; they never touch its
arrays' bookkeeping. It is the only caller of the membership kernels
(``sim/kernels/membership.py``); for the ties themselves it asks the tie store.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.groups import NO_ONE, GroupIndex, Groups, Memberships
from sim.kernels.membership import current_memberships, membership_rows
from sim.world.ties import TieStore


class TiesInside(NamedTuple):
    """Ties of (person, group) pairs to the current members of those groups."""

    strength: np.ndarray
    """Summed strength of each pair's ties inside (float32)."""
    count: np.ndarray
    """Number of each pair's ties inside (int32)."""
    pair: np.ndarray
    """Per tie found: the pair it belongs to."""
    member_row: np.ndarray
    """Per tie found: the co-member's membership row."""
    tie_strength: np.ndarray
    """Per tie found: its strength today."""


class Roster:
    """Memberships of people in groups, with an index of the current ones.

    Args:
        groups: The table of groups (the roster opens and closes them).
        ties: The tie store, asked for ties between members.
        capacity: Membership rows to allocate at first.
    """

    def __init__(self, groups: Groups, ties: TieStore, capacity: int):
        self.table = Memberships(capacity=capacity)
        self.groups = groups
        self._ties = ties
        # One mark per person, -1 between uses: the kernels mark a group's members in it.
        self._mark = np.full(ties.n, -1, np.int64)
        self._current = np.zeros(0, np.int64)
        self._index = GroupIndex(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(1))
        self._stale = True

    # ------------------------------------------------------------------ questions

    def current(self) -> np.ndarray:
        """Rows of the memberships that are current: not left, in a living group."""
        if self._stale:
            m, g = self.table, self.groups
            # One pass over the rows, no sort: the current rows, and the same rows grouped
            # by group (for the kernels that mark a group's members).
            self._current, rows, persons, start = current_memberships(
                m.view("left"), m.view("group"), m.view("person"), g.alive, NO_ONE, g.n
            )
            self._index = GroupIndex(persons, rows, start)
            self._stale = False
        return self._current

    def index(self) -> GroupIndex:
        """The current memberships grouped by group."""
        self.current()
        return self._index

    def row_of(self, persons: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Row of each person's current membership in each group, or -1."""
        index = self.index()
        groups = np.asarray(groups, np.int64)
        out = np.full(len(groups), -1, np.int64)
        membership_rows(
            np.asarray(persons, np.int64),
            groups,
            np.argsort(groups, kind="stable"),
            index.persons,
            index.rows,
            index.start,
            self._mark,
            out,
        )
        return out

    def ties_inside(self, persons: np.ndarray, groups: np.ndarray, day: int) -> TiesInside:
        """Ties of each (person, group) pair to the current members of that group."""
        count, total, pair, member, strength = self._ties.to_members(
            np.asarray(persons, np.int64),
            np.asarray(groups, np.int64),
            self.index(),
            self._mark,
            day,
        )
        return TiesInside(total.astype(np.float32), count.astype(np.int32), pair, member, strength)

    # ------------------------------------------------------------------ what happened

    def open(self, groups: np.ndarray, day: int) -> None:
        """Groups are created today (their founders join next)."""
        self.groups.born[groups] = True
        self.groups.last_post[groups] = day
        self._stale = True

    def close(self, groups: np.ndarray, day: int, causes: np.ndarray) -> None:
        """Groups die today; their memberships stay in the record, no longer current."""
        self.groups.died[groups] = day
        self.groups.cause[groups] = causes
        if len(groups):
            self._stale = True

    def join(
        self,
        groups: np.ndarray,
        persons: np.ndarray,
        inviters: np.ndarray,
        day: int,
        founder: bool = False,
    ) -> np.ndarray:
        """Add members (pairs must be new and distinct); update ties inside both ways.

        Returns:
            The new membership rows.
        """
        if len(persons) == 0:
            return np.zeros(0, np.int64)
        m, g = self.table, self.groups
        rows = m.append(
            group=groups,
            person=persons,
            joined=np.full(len(persons), day),
            inviter=inviters,
            founder=np.full(len(persons), founder),
        )
        np.add.at(g.members, groups, 1)
        g.peak[:] = np.maximum(g.peak, g.members)
        self._stale = True
        # One query once the newcomers are in: their ties to everyone inside, newcomers
        # joining together included.
        inside = self.ties_inside(persons, groups, day)
        m.tie_in[rows] = inside.strength
        m.ties_in[rows] = inside.count
        m.ties_on_join[rows] = inside.count
        # Earlier members gain the newcomers' ties (new rows come after every earlier one).
        earlier = inside.member_row < rows[0]
        self.credit_ties(inside.member_row[earlier], inside.tie_strength[earlier])
        return rows

    def leave(self, rows: np.ndarray, day: int) -> None:
        """End memberships; co-members lose the leavers' ties."""
        if len(rows) == 0:
            return
        m = self.table
        m.left[rows] = day
        np.add.at(self.groups.members, m.group[rows], -1)
        self._stale = True
        inside = self.ties_inside(m.person[rows], m.group[rows], day)
        np.add.at(m.tie_in, inside.member_row, -inside.tie_strength)
        np.add.at(m.ties_in, inside.member_row, -1)
        np.maximum(m.tie_in, 0.0, out=m.tie_in)

    def credit_ties(self, rows: np.ndarray, strength: np.ndarray | float) -> None:
        """A new tie inside for each of ``rows`` (repeats count), of the given strength."""
        np.add.at(self.table.tie_in, rows, strength)
        np.add.at(self.table.ties_in, rows, 1)

    def recount(self, day: int) -> None:
        """Recompute the ties inside of every current membership from today's strengths."""
        current = self.current()
        m = self.table
        total = np.zeros(m.size, np.float64)
        count = np.zeros(m.size, np.int64)
        self._ties.inside_groups(self._index, day, total, count)
        m.tie_in[current] = total[current]
        m.ties_in[current] = count[current]
