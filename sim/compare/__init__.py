"""Comparing variants of a scenario with replicates: ``groupsim compare``.

A scenario file declares ``variants:`` (named sets of changes); each runs the same
replicates with common random numbers (replicate ``r`` has the same seed in every
variant), and the answer is each variant's mean with a 95% CI, each difference against
the first variant with its CI, and survival curves per variant.
"""

from sim.compare.engine import COMPARED, ComparisonResult, run_comparison
from sim.compare.spec import Comparison, Variant, load_comparison

__all__ = [
    "COMPARED",
    "Comparison",
    "ComparisonResult",
    "Variant",
    "load_comparison",
    "run_comparison",
]
