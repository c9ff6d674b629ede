"""Testing claims: the comparison at the default parameters, then at each draw.

Every run goes through :func:`sim.compare.run_comparison` (its executors, common random
numbers and resumable store): a claim's runs are stored under
``<out>/claims/runs/<id>/<default|draw_k>/`` and a re-run reuses the stored ones. Each
claim's numbers are written to ``<out>/claims/<id>.json`` with the claim file's SHA-256.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.claims.robustness import DEFAULT_CALIBRATION, draws, uncertain_ranges
from sim.claims.spec import LoadedClaim, with_changes
from sim.claims.verdict import Effect, effect_of
from sim.compare import run_comparison
from sim.output import check_folder
from sim.sweep.execute import Executor
from sim.sweep.store import atomic_write

DRAW_SEED = 20260
"""Seed of the robustness draws: the same draws for every claim and every re-run."""


@dataclass
class ClaimResult:
    """A tested claim.

    Attributes:
        id: The claim's id.
        sha256: SHA-256 of the claim file the results come from.
        quick: Whether it ran with ``--quick``.
        replicates: Replicates per variant.
        default: The effect and verdict at the default parameters.
        draws: The parameter values of each robustness draw.
        draw_effects: The effect and verdict at each draw.
        robustness: Share of draws whose verdict is the default's (None with no draws).
        ranges_source: Where the draws' ranges come from.
        means: Mean [CI] of the outcome per variant at the default parameters.
        figures: Figure files copied next to the report, relative to it.
        changes: Changes applied to every variant (``--set``), by dotted path.
    """

    id: str
    sha256: str
    quick: bool
    replicates: int
    default: Effect
    draws: list[dict[str, float]] = field(default_factory=list)
    draw_effects: list[Effect] = field(default_factory=list)
    robustness: float | None = None
    ranges_source: str = ""
    means: list[dict[str, Any]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimResult:
        """A result read back from :meth:`to_json`."""
        data = dict(data)
        data["default"] = Effect(**data["default"])
        data["draw_effects"] = [Effect(**e) for e in data["draw_effects"]]
        return cls(**data)


def run_claim(
    claim: LoadedClaim,
    *,
    out: str | Path = "results",
    executor: Executor | None = None,
    k: int = 8,
    quick: bool = False,
    changes: dict[str, Any] | None = None,
    calibration: str | Path = DEFAULT_CALIBRATION,
    progress: Callable[[str, int, int], None] | None = None,
) -> ClaimResult:
    """Test one claim at the default parameters and at ``k`` draws of the uncertain ones.

    Args:
        claim: A testable claim, loaded (with ``quick`` if ``quick``).
        out: Results folder; everything goes under ``<out>/claims/``.
        executor: Where runs go.
        k: Robustness draws (0 for none).
        quick: Recorded in the result (the claim was loaded with its quick changes).
        changes: Assumptions changed in every variant (dotted path -> value).
        calibration: The calibration whose ranges are drawn from.
        progress: Called with (stage, runs finished, runs in all).

    Raises:
        ScenarioError: A change or a draw makes a variant invalid.
    """
    spec = claim.spec
    assert claim.comparison is not None, "only testable claims are tested"
    root = check_folder(Path(out), "claims")
    base = with_changes(claim.comparison, changes, "--set") if changes else claim.comparison
    metric = str(spec.metric)

    def one(stage: str, comparison) -> tuple[Effect, Any]:
        folder = root / "runs" / spec.id / stage

        def step(done: int, total: int) -> None:
            if progress:
                progress(stage, done, total)

        result = run_comparison(
            comparison,
            out=folder,
            executor=executor,
            resume=True,
            progress=step,
            metrics=[metric],
        )
        found = effect_of(
            result.runs,
            metric,
            base.reference.name,
            spec.contrast,
            str(spec.direction),
            float(spec.smallest_effect or 0.0),
            spec.against,
        )
        return found, result

    default, result = one("default", base)
    figures = []
    for figure in result.figures:
        target = root / "figures" / f"{spec.id}_{figure.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(figure, target)
        figures.append(f"figures/{target.name}")
    summary = result.summary[result.summary["metric"] == metric]
    means = [
        {"variant": r.variant, "mean": r.mean, "low": r.low, "high": r.high}
        for r in summary.itertuples()
    ]
    ranges, source = uncertain_ranges(calibration, out)
    points = draws(ranges, k, DRAW_SEED)
    effects = [
        one(f"draw_{i + 1}", with_changes(base, point, f"robustness draw {i + 1}"))[0]
        for i, point in enumerate(points)
    ]
    same = [e.verdict == default.verdict for e in effects]
    outcome = ClaimResult(
        id=spec.id,
        sha256=claim.sha256,
        quick=quick,
        replicates=base.replicates,
        default=default,
        draws=points,
        draw_effects=effects,
        robustness=sum(same) / len(same) if same else None,
        ranges_source=source,
        means=means,
        figures=figures,
        changes=dict(changes or {}),
    )
    atomic_write(root / f"{spec.id}.json", json.dumps(outcome.to_json(), indent=2))
    return outcome


def read_result(out: str | Path, claim_id: str) -> ClaimResult | None:
    """A claim's stored result, or None if it has none."""
    path = Path(out) / "claims" / f"{claim_id}.json"
    if not path.is_file():
        return None
    return ClaimResult.from_json(json.loads(path.read_text(encoding="utf-8")))
