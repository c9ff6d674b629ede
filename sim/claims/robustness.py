"""Draws of the uncertain behaviour parameters, for re-testing a claim (robustness).

The uncertain parameters are those a calibration fits: their calibrated 5–95% ranges
(``experiments/calibration/<name>.accepted.csv``, kept with the file, or else
``results/calibration/<name>/ranges.parquet``; columns ``parameter``, ``q05``, ``q95``)
when a calibration has been run, otherwise the priors of its file
(``experiments/calibration/facts.yaml``). Draws are a seeded Latin hypercube over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.calibration import load_calibration
from sim.calibration.fit import accepted_path
from sim.tables import read_parquet

DEFAULT_CALIBRATION = Path("experiments/calibration/facts.yaml")
"""The calibration whose ranges are the uncertain behaviour parameters."""


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter's range.

    Attributes:
        low: Lowest value.
        high: Highest value.
        log: Spread draws evenly on a log scale.
    """

    low: float
    high: float
    log: bool = False

    def at(self, u: float) -> float:
        """The value at unit coordinate ``u``."""
        if self.log and self.low > 0:
            return float(
                math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
            )
        return float(self.low + u * (self.high - self.low))


def uncertain_ranges(
    calibration: str | Path = DEFAULT_CALIBRATION, results: str | Path = "results"
) -> tuple[dict[str, Uncertain], str]:
    """The uncertain parameters and where their ranges come from.

    Args:
        calibration: The calibration file (its priors, and its name for the results).
        results: The results folder a calibration writes under.

    Returns:
        ``{dotted path: range}`` and a sentence naming the source.

    Raises:
        ScenarioError: The calibration file is invalid.
    """
    loaded = load_calibration(calibration)
    priors = {
        name: Uncertain(prior.low, prior.high, prior.log)
        for name, prior in loaded.spec.parameters.items()
    }
    kept = accepted_path(Path(calibration))
    fitted = Path(results) / "calibration" / loaded.name / "ranges.parquet"
    for source in (kept, fitted):
        if not source.is_file():
            continue
        table = pd.read_csv(source) if source.suffix == ".csv" else read_parquet(source)
        if {"parameter", "q05", "q95"} <= set(table.columns):
            out = dict(priors)
            for row in table.itertuples():
                name = str(row.parameter)
                if name in priors and float(row.q05) < float(row.q95):
                    out[name] = Uncertain(float(row.q05), float(row.q95), priors[name].log)
            return out, f"calibrated 5-95% ranges ({source})"
    return priors, f"prior ranges of {calibration} (no calibration results yet)"


def draws(ranges: dict[str, Uncertain], k: int, seed: int) -> list[dict[str, float]]:
    """``k`` Latin hypercube draws over ``ranges``, the same for the same seed."""
    if k <= 0 or not ranges:
        return []
    sample = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(k)
    return [
        {name: round(r.at(u), 6) for (name, r), u in zip(ranges.items(), row, strict=True)}
        for row in sample
    ]
