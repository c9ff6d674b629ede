"""Small array helpers shared by the model and the world."""

from __future__ import annotations

import numpy as np


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For each element of a sorted array, the index where its run of equal keys starts.

    Linear time, unlike ``np.searchsorted(x, x)``, which matters for arrays of millions.
    """
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, np.int64)
    change = np.empty(n, bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    return np.repeat(starts, np.diff(np.append(starts, n)))


def rank_in_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal keys (0 for the first)."""
    return np.arange(len(sorted_keys)) - run_starts(sorted_keys)
