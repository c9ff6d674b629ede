"""Counting sorts: items grouped by a key (a person), stable, in parallel.

The kernels that visit many items of the same people (candidate ties, picks) group
the items by person first, so that each person's row is read once for all its items
instead of once per item, in random order. These sorts run inside those kernels, under
their lock (``sim/kernels/parallel.py``); the model never calls them from Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PARTS = 8  # fixed split of the items: results do not depend on the number of threads


@njit(cache=True)
def part_bounds(m, parts, part):  # pragma: no cover - compiled
    """The items ``[lo, hi)`` of part ``part`` of a fixed split of ``m`` items."""
    size = (m + parts - 1) // parts
    return min(part * size, m), min((part + 1) * size, m)


@njit(cache=True)
def _places(counts, n):  # pragma: no cover - compiled
    """Turn counts per (part, key) into first places, key order then part order.

    Returns where each key's items start (``start[n]`` is the number of items).
    """
    start = np.empty(n + 1, np.int64)
    running = 0
    for k in range(n):
        start[k] = running
        for part in range(counts.shape[0]):
            c = counts[part, k]
            counts[part, k] = running  # from here on: where the part's next item goes
            running += c
    start[n] = running
    return start


@njit(cache=True, parallel=True)
def sort_by_key(items, key, n):  # pragma: no cover - compiled
    """``items`` in ascending order of ``key[item]``, stable; and where each key starts.

    A counting sort over a fixed split of the items: each part counts its keys, every
    (key, part) gets its place in key order then part order, and each part puts its
    items there in order. The order is the stable sort's whatever the number of threads.

    Args:
        items: Item indices.
        key: Key of every item, in ``[0, n)``.
        n: Number of keys.

    Returns:
        ``(start, out)``: where key ``k``'s items start in ``out`` (``start[n]`` is the
        number of items), and the items sorted.
    """
    m = len(items)
    counts = np.zeros((PARTS, n), np.int64)
    for part in prange(PARTS):
        lo, hi = part_bounds(m, PARTS, part)
        for t in range(lo, hi):
            counts[part, key[items[t]]] += 1
    start = _places(counts, n)
    out = np.empty_like(items)
    for part in prange(PARTS):
        lo, hi = part_bounds(m, PARTS, part)
        for t in range(lo, hi):
            k = key[items[t]]
            out[counts[part, k]] = items[t]
            counts[part, k] += 1
    return start, out


@njit(cache=True, parallel=True)
def positions_by_key(key, n, out):  # pragma: no cover - compiled
    """Positions ``0 .. len(key) - 1`` in ascending order of ``key``, stable, into ``out``.

    :func:`sort_by_key` of the positions themselves, without an array of them. Returns
    where each key's positions start.
    """
    m = len(key)
    counts = np.zeros((PARTS, n), np.int64)
    for part in prange(PARTS):
        lo, hi = part_bounds(m, PARTS, part)
        for t in range(lo, hi):
            counts[part, key[t]] += 1
    start = _places(counts, n)
    for part in prange(PARTS):
        lo, hi = part_bounds(m, PARTS, part)
        for t in range(lo, hi):
            out[counts[part, key[t]]] = t
            counts[part, key[t]] += 1
    return start


@njit(cache=True, parallel=True)
def positions_by_end(a, b, n, out):  # pragma: no cover - compiled
    """Positions ``i`` (the ``a`` end of item ``i``) and ``m + i`` (its ``b`` end) by person.

    :func:`positions_by_key` of the list of every ``a`` end followed by every ``b`` end,
    without making that list. Returns where each person's positions start.
    """
    m = len(a)
    total = 2 * m
    counts = np.zeros((PARTS, n), np.int64)
    for part in prange(PARTS):
        lo, hi = part_bounds(total, PARTS, part)
        for t in range(lo, hi):
            counts[part, a[t] if t < m else b[t - m]] += 1
    start = _places(counts, n)
    for part in prange(PARTS):
        lo, hi = part_bounds(total, PARTS, part)
        for t in range(lo, hi):
            k = a[t] if t < m else b[t - m]
            out[counts[part, k]] = t
            counts[part, k] += 1
    return start
