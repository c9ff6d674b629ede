"""The tie store's answers about groups: members' ties to their co-members.

Part of :class:`sim.world.ties.TieStore`; the roster (``sim/roster.py``) passes its index
of current memberships and its scratch marks, the store walks its own adjacency rows.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.groups import GroupIndex
from sim.kernels.inside import ties_inside_all, ties_to_comembers


class GroupQueries:
    """Ties between members of groups, for :class:`~sim.world.ties.TieStore`."""

    def to_members(
        self, persons: np.ndarray, groups: np.ndarray, index: GroupIndex, mark: np.ndarray, day: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Ties of each (person, group) pair to the members listed in a group index.

        Args:
            persons: Person of each pair.
            groups: Group of each pair.
            index: The roster's :class:`~sim.roster.GroupIndex` of current memberships.
            mark: The roster's scratch, one per person, all -1 on entry and on return.
            day: Today.

        Returns:
            ``(count, total, pair, member_row, strength)``: per pair the number and summed
            strength of its ties inside; per tie found, its pair, the co-member's
            membership row and its strength today.
        """
        count, total, pair, member, _, strength = ties_to_comembers(
            persons,
            groups,
            np.argsort(groups, kind="stable"),
            self.adj,
            self.nbr,
            self.deg,
            index.persons,
            index.rows,
            index.start,
            mark,
            day,
            *self.decayed(int(day)),
        )
        return count, total, pair, member, strength

    def inside_groups(
        self, index: GroupIndex, day: int, total: np.ndarray, count: np.ndarray
    ) -> None:
        """Summed strength and number of ties of every membership of ``index`` inside its group.

        Writes ``total`` and ``count`` at the membership rows (in parallel, group by group;
        the result does not depend on the number of threads).
        """
        ties_inside_all(
            day,
            index.persons,
            index.rows,
            index.start,
            self.adj,
            self.nbr,
            self.deg,
            *self.decayed(int(day)),
            numba.config.NUMBA_NUM_THREADS,
            total,
            count,
        )
