"""Book claims tested with uncertainty (docs/claims.md).

A claim file (``claims/C1.yaml``) declares, before any run, the claim's sentence, what
it means in the model, the scenario variants that test it, the outcome metric, the
claimed direction and the smallest effect that would matter. :func:`run_claim` runs the
comparison (``sim.compare``) at the default parameters and at draws of the uncertain
behaviour parameters; :func:`verdict` is the one rule every claim is judged by;
:func:`write_report` writes the report.
"""

from sim.claims.report import Report, write_report
from sim.claims.run import ClaimResult, read_result, run_claim
from sim.claims.spec import Claim, LoadedClaim, claim_files, load_claim
from sim.claims.verdict import Effect, effect_of, verdict

__all__ = [
    "Claim",
    "ClaimResult",
    "Effect",
    "LoadedClaim",
    "Report",
    "claim_files",
    "effect_of",
    "load_claim",
    "read_result",
    "run_claim",
    "verdict",
    "write_report",
]
