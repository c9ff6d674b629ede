"""Topics held as bit masks: one held topic drawn at random per mask."""

from __future__ import annotations

from numba import njit

from sim import rules

held_topic = njit(cache=True)(rules.held_topic)


@njit(cache=True)
def nth_set_bits(masks, uniforms, topics, out):  # pragma: no cover - compiled
    """:func:`sim.rules.held_topic` of each mask with its uniform, into ``out`` (int64).

    Args:
        masks: Bit masks (uint64).
        uniforms: One uniform draw in ``[0, 1)`` per mask.
        topics: Number of topics (bits looked at).
        out: Output, the chosen topic of each mask, or -1 for a mask with no bit set.
    """
    for i in range(masks.shape[0]):
        out[i] = held_topic(masks[i], uniforms[i], topics)
