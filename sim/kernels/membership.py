"""The membership index: current memberships grouped by group, and lookups in it."""

from __future__ import annotations

import numpy as np
from numba import njit


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
