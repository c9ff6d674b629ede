"""The verdict rule, the same for every claim.

With ``effect`` the difference of the outcome (cause variant - reference, paired by
replicate), oriented in the claimed direction (``d = effect`` if the claim says
*higher*, ``-effect`` if *lower*), and ``[lo, hi]`` the 95% CI of ``d``:

- *supported* when ``lo > smallest effect``: the whole CI is an effect that matters;
- *not supported* when ``hi < smallest effect``: the CI excludes an effect that matters;
- *inconclusive* otherwise (including an undefined CI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.sweep.analysis import mean_ci

Verdict = Literal["supported", "not supported", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("supported", "not supported", "inconclusive")


def verdict(low: float, high: float, smallest_effect: float) -> Verdict:
    """The verdict from the CI ``[low, high]`` of the oriented effect.

    Args:
        low: Lower end of the 95% CI of ``d`` (the effect in the claimed direction).
        high: Upper end.
        smallest_effect: The smallest effect that would matter, declared in the claim.
    """
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    if low > smallest_effect:
        return "supported"
    if high < smallest_effect:
        return "not supported"
    return "inconclusive"


def orient(mean: float, low: float, high: float, direction: str) -> tuple[float, float, float]:
    """The effect and its CI turned so that the claimed direction is positive."""
    if direction == "higher":
        return mean, low, high
    return -mean, -high, -low


@dataclass(frozen=True)
class Effect:
    """A claim's effect on one set of runs.

    Attributes:
        effect: Mean difference (cause - reference, or the contrast), in the metric's units.
        low: 95% CI low of ``effect``.
        high: 95% CI high of ``effect``.
        oriented: ``effect`` in the claimed direction (``d``).
        oriented_low: CI low of ``d``.
        oriented_high: CI high of ``d``.
        replicates: Replicates with a value on every side.
        verdict: The verdict the rule gives.
    """

    effect: float
    low: float
    high: float
    oriented: float
    oriented_low: float
    oriented_high: float
    replicates: int
    verdict: Verdict


def replicate_effects(
    runs: pd.DataFrame,
    metric: str,
    reference: str,
    contrast: dict[str, float],
    against: float | None = None,
) -> np.ndarray:
    """The effect in each replicate: paired by replicate (common random numbers).

    Args:
        runs: The comparison's runs table (variant, replicate, metric columns).
        metric: The outcome column.
        reference: The reference variant.
        contrast: Weights of variants' differences against the reference.
        against: For a claim about a level: the cause's outcome minus this value.
    """
    wide = runs.pivot(index="replicate", columns="variant", values=metric).astype(float)
    if against is not None:
        (cause,) = contrast
        values = wide[cause] - against
    else:
        values = sum(w * (wide[v] - wide[reference]) for v, w in contrast.items())
    values = np.asarray(values, float)
    return values[np.isfinite(values)]


def effect_of(
    runs: pd.DataFrame,
    metric: str,
    reference: str,
    contrast: dict[str, float],
    direction: str,
    smallest_effect: float,
    against: float | None = None,
) -> Effect:
    """The effect, its 95% paired t CI and the verdict, from a comparison's runs."""
    values = replicate_effects(runs, metric, reference, contrast, against)
    mean, low, high, n = mean_ci(values) if len(values) else (math.nan,) * 3 + (0,)
    d, d_low, d_high = orient(mean, low, high, direction)
    return Effect(
        float(mean),
        float(low),
        float(high),
        float(d),
        float(d_low),
        float(d_high),
        int(n),
        verdict(d_low, d_high, smallest_effect),
    )
