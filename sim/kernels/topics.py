"""Topics held as bit masks: one set bit drawn at random per mask."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def nth_set_bits(masks, uniforms, topics, out):  # pragma: no cover - compiled
    """One set bit of each mask, uniformly among them, from one uniform each.

    Bit ``j`` counted from the lowest is chosen for ``j = floor(uniform * set_bits)``,
    so each of a mask's set bits below ``topics`` is equally likely; ``out`` receives
    its index, or -1 for a mask with no bit set.

    Args:
        masks: Bit masks (uint64).
        uniforms: One uniform draw in ``[0, 1)`` per mask.
        topics: Number of topics (bits looked at).
        out: Output, the chosen bit of each mask (int64).
    """
    one = np.uint64(1)
    for i in range(masks.shape[0]):
        m = masks[i]
        count = 0
        for t in range(topics):
            if (m >> np.uint64(t)) & one:
                count += 1
        if count == 0:
            out[i] = -1
            continue
        j = min(int(uniforms[i] * count), count - 1)
        for t in range(topics):
            if (m >> np.uint64(t)) & one:
                if j == 0:
                    out[i] = t
                    break
                j -= 1
