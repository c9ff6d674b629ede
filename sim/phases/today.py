"""What the phases of one day hand on to each other, and the day's counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EMPTY = np.zeros(0, np.int64)


@dataclass
class Today:
    """One day in the making: set by the phases in order, read by the later ones.

    Attributes:
        day: The day being simulated.
        present: Memberships current once today's groups are created (set by attention).
        cost: Reading cost of each present membership, were it read (set by attention).
        load: Attention each person spends reading today (set by attention).
        posted: Memberships whose member posted today (set by posting).
        organiser_posts: Posts of each group's organiser today, promotions included (set
            by posting).
        counts: The day's counts for the DataCollector (see ``DAILY_SERIES``).
    """

    day: int
    present: np.ndarray = field(default_factory=lambda: EMPTY)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    load: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    posted: np.ndarray = field(default_factory=lambda: EMPTY)
    organiser_posts: np.ndarray = field(default_factory=lambda: EMPTY)
    counts: dict[str, float] = field(default_factory=dict)
