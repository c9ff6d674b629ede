"""Published stylized facts as checks of the model (``groupsim facts``).

``checks`` declares each check as data (fact, measure, scenario, published figure,
source, pre-declared rule), ``measures`` computes each measure from a run's tables and
the model's public end state, ``run`` runs the replicates and judges the checks, and
``report`` writes the figures and ``docs/validation.md``.
"""

from sim.facts.checks import CHECKS, NOT_COVERED, Check
from sim.facts.rules import AGREES, DISAGREES, UNDEFINED, Above, Below, Overlaps
from sim.facts.run import COLUMNS, interval, run_checks

__all__ = [
    "AGREES",
    "CHECKS",
    "COLUMNS",
    "DISAGREES",
    "NOT_COVERED",
    "UNDEFINED",
    "Above",
    "Below",
    "Check",
    "Overlaps",
    "interval",
    "run_checks",
]
