"""What a calibration target measures on a run: the facts checks' own measures.

A target names one of the measures below, each the measure of a fact check in
:mod:`sim.facts.measures`, so that the calibration is fitted to exactly what
``groupsim facts`` reports (docs/calibration.md, docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.facts.measures import Run, never_posted, share_gone_within

MEASURES: dict[str, Callable[[Run], float]] = {
    "dead_within_30_days": share_gone_within(30),
    "dead_within_90_days": share_gone_within(90),
    "never_posted": never_posted,
}
"""Measures a target can name."""


def measure_all(names: dict[str, str], run: Run) -> dict[str, float]:
    """Each target's measure on one run (``names``: target name -> measure name)."""
    return {target: MEASURES[measure](run) for target, measure in names.items()}


def finite(stats: dict[str, float]) -> dict[str, float]:
    """Stats with an undefined value replaced by one far from any share (a miss)."""
    return {k: (v if np.isfinite(v) else 10.0) for k, v in stats.items()}
