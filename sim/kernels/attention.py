"""Attention: which memberships a person mutes when they cost more than its budget."""

from __future__ import annotations

import numpy as np
from numba import njit


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
