"""Agreement rules: how a model's figure (mean and 95% CI) is judged against a fact.

Every rule is declared with its check, before any run, and is never tuned to the model's
output. A rule sees the mean and the confidence interval across replicates and answers
``"agrees"``, ``"disagrees"`` or ``"undefined"`` (no interval: fewer than two replicates
gave a number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

AGREES, DISAGREES, UNDEFINED = "agrees", "disagrees", "undefined"


def _defined(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


@dataclass(frozen=True)
class Overlaps:
    """Agrees when the 95% CI overlaps the published range ``[low, high]``."""

    low: float
    high: float

    def __call__(self, mean: float, lo: float, hi: float) -> str:
        """The verdict on a mean and its 95% CI."""
        if not _defined(lo, hi):
            return UNDEFINED
        return AGREES if lo <= self.high and hi >= self.low else DISAGREES

    def __str__(self) -> str:
        return f"95% CI overlaps [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Above:
    """Agrees when the whole 95% CI lies above ``threshold`` (a direction or a floor).

    A CI that straddles the threshold disagrees: the replicates do not show the effect.
    """

    threshold: float

    def __call__(self, mean: float, lo: float, hi: float) -> str:
        """The verdict on a mean and its 95% CI."""
        if not _defined(lo, hi):
            return UNDEFINED
        return AGREES if lo > self.threshold else DISAGREES

    def __str__(self) -> str:
        return f"95% CI above {self.threshold:g}"


@dataclass(frozen=True)
class Below:
    """Agrees when the whole 95% CI lies below ``threshold``."""

    threshold: float

    def __call__(self, mean: float, lo: float, hi: float) -> str:
        """The verdict on a mean and its 95% CI."""
        if not _defined(lo, hi):
            return UNDEFINED
        return AGREES if hi < self.threshold else DISAGREES

    def __str__(self) -> str:
        return f"95% CI below {self.threshold:g}"


Rule = Overlaps | Above | Below
