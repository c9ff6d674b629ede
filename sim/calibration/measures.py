"""What a calibration target measures on a run's tables.

Each measure takes the tables of one run and its horizon and returns one number. They are
the published facts' figures as the model can give them (docs/calibration.md says which
fact each target stands for and why).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Tables = dict[str, pd.DataFrame]


def silent_within(days: int) -> Callable[[Tables, int], float]:
    """Share of groups dead within ``days`` of their creation (F14, F15).

    Of the groups created at least ``days`` before the horizon, those that fell silent or
    were deserted no later than ``days`` after they were created.
    """

    def measure(tables: Tables, horizon: int) -> float:
        groups = tables["groups"]
        seen = groups[groups["created"] + days <= horizon]
        if len(seen) == 0:
            return float("nan")
        died = (seen["died"] >= 0) & (seen["died"] - seen["created"] <= days)
        return float(died.mean())

    return measure


def share_who_posted(tables: Tables, horizon: int) -> float:
    """Share of memberships whose member posted at least once (F13's 90-9-1)."""
    memberships = tables["memberships"]
    if len(memberships) == 0:
        return float("nan")
    return float((memberships["posts"] > 0).mean())


MEASURES: dict[str, Callable[[Tables, int], float]] = {
    "dead_within_30_days": silent_within(30),
    "dead_within_90_days": silent_within(90),
    "share_who_posted": share_who_posted,
}
"""Measures a target can name."""


def measure_all(names: dict[str, str], tables: Tables, horizon: int) -> dict[str, float]:
    """Each target's measure on one run (``names``: target name -> measure name)."""
    return {target: MEASURES[measure](tables, horizon) for target, measure in names.items()}


def finite(stats: dict[str, float]) -> dict[str, float]:
    """Stats with an undefined value replaced by a value far from any share (a miss)."""
    return {k: (v if np.isfinite(v) else 10.0) for k, v in stats.items()}
