"""What a calibration target measures on a run: the facts checks' own measures.

A target names one of the measures below, each the measure of a fact check in
:mod:`sim.facts.measures`, so that the calibration is fitted to exactly what
``groupsim facts`` reports (docs/calibration.md, docs/validation.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.facts.measures import (
    LAYERS,
    Run,
    bridges_kept,
    bridges_kept_second_year,
    contacts_at_rank,
    layer_change,
    layer_ratio,
    layer_size,
    mean_degree,
    never_posted,
    share_gone_within,
    top_posters_share,
    top_share,
)


def shortfall(measure: Callable[[Run], float], floor: float) -> Callable[[Run], float]:
    """How far a measure falls short of a published floor: ``min(log(value / floor), 0)``.

    For facts that give a lower bound ("at least weekly", F4): 0 at or above the floor,
    so a target of 0 is met by any value that clears it and nothing rewards overshooting.
    """

    def short(run: Run) -> float:
        value = measure(run)
        if not np.isfinite(value):
            return float("nan")
        return min(math.log(max(value, 1e-12) / floor), 0.0)

    short.__name__ = f"{measure.__name__}_shortfall"
    return short


MEASURES: dict[str, Callable[[Run], float]] = {
    "dead_within_30_days": share_gone_within(30),
    "dead_within_90_days": share_gone_within(90),
    "never_posted": never_posted,
    "top_1pct_posts_shortfall": shortfall(top_posters_share(0.01), 0.5),
    "inner_layer": layer_size(0),
    "outer_layer": layer_size(LAYERS - 1),
    "layer_ratio": layer_ratio,
    "mean_degree": mean_degree,
    "top_5_share": top_share(5),
    "top_15_share": top_share(15),
    "weekly_shortfall_5th": shortfall(contacts_at_rank(5), 1 / 7),
    "monthly_shortfall_15th": shortfall(contacts_at_rank(15), 1 / 30),
    "yearly_shortfall_weakest": shortfall(contacts_at_rank(None), 1 / 365),
    "bridges_kept_a_year": bridges_kept,
    "bridges_kept_second_year": bridges_kept_second_year,
    "outer_layer_change": layer_change(LAYERS - 1),
    "inner_layer_change": layer_change(0),
    "second_layer_change": layer_change(1),
    "third_layer_change": layer_change(2),
}
"""Measures a target can name."""

NEEDS_LAYERS = {name for name in MEASURES if name.endswith("_layer_change")}
"""Measures that compare with the layers of day 0."""
NEEDS_BRIDGES = {"bridges_kept_a_year", "bridges_kept_second_year"}
"""Measures that follow the weak bridges of day 0 for a year."""
BRIDGES = 2000
"""Weak bridges followed (F6), sampled."""


def measure_all(names: dict[str, str], run: Run) -> dict[str, float]:
    """Each target's measure on one run (``names``: target name -> measure name)."""
    return {target: MEASURES[measure](run) for target, measure in names.items()}


def finite(stats: dict[str, float]) -> dict[str, float]:
    """Stats with an undefined value replaced by one far from any share (a miss)."""
    return {k: (v if np.isfinite(v) else 10.0) for k, v in stats.items()}
