"""The schema of a claim file, and loading it with clear errors (``claims/C1.yaml``).

A claim file is declared before any run: the claim's sentence, what it means in the
model, the scenario whose variants test it, which variant is the claimed cause and which
the reference, the outcome metric, the claimed direction and the smallest effect that
would matter. A claim the model cannot test yet says so (``testable: false``) with its
reason. Nothing in a claim file is tuned after a run: its SHA-256 goes into the results,
and the report says when a file changed after its results were produced.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from sim.compare import Comparison, Variant, load_comparison
from sim.config import Section
from sim.errors import ScenarioError
from sim.overrides import set_path
from sim.scenario import scenario_from_dict
from sim.sweep.registry import METRICS
from sim.sweep.spec import Scalar, parse_metric
from sim.validation import error_at, validate
from sim.yamlfile import Located, read_yaml


class Claim(Section):
    """One book claim and, if the model can test it, how."""

    id: Annotated[str, Field(pattern=r"^C[0-9]+$")] = Field(..., description="C1, C2, ...")
    title: str = Field(..., description="The claim in a few words.")
    source: str = Field(..., description="The source's short tag (smallgroups, flywheel...).")
    original: str = Field(..., description="The claim's sentence as the source writes it.")
    gloss: str = Field(..., description="The sentence in English.")
    meaning: str = Field(..., description="What the claim means in the model.")
    testable: bool = Field(True, description="Whether the model can test it now.")
    reason: str = Field("", description="Why not, when it cannot be tested yet.")
    scenario: str | None = Field(None, description="Scenario with variants, from this file.")
    reference: str | None = Field(None, description="The variant without the claimed cause.")
    cause: str | dict[str, float] | None = Field(
        None,
        description="The variant with the claimed cause; or a contrast {variant: weight} "
        "of differences against the reference (an interaction: {both: 1, a: -1, b: -1}).",
    )
    against: float | None = Field(
        None,
        description="For a claim about a level rather than a difference: the value the "
        "cause variant's outcome is compared with (the effect is outcome - against).",
    )
    metric: str | None = Field(None, description="Outcome: a registry metric, or name[cohort].")
    direction: Literal["higher", "lower"] | None = Field(
        None, description="Which way the claim says the cause moves the outcome."
    )
    smallest_effect: Annotated[float, Field(ge=-1e9, le=1e9)] | None = Field(
        None, description="The smallest effect that would matter, in the metric's units."
    )
    replicates: Annotated[int, Field(ge=2, le=10_000)] = Field(
        10, description="Replicates per variant."
    )
    quick: dict[str, Scalar | None] = Field(
        default_factory=dict,
        description="Changes (dotted paths) to every variant for groupsim claims --quick.",
    )
    quick_replicates: Annotated[int, Field(ge=2, le=10_000)] = Field(
        3, description="Replicates per variant with --quick."
    )
    cannot_say: str = Field("", description="What the model cannot say about the claim.")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if not self.testable:
            if not self.reason.strip():
                raise ValueError("a claim with testable: false needs a reason")
            return self
        for name in ("scenario", "reference", "cause", "metric", "direction"):
            if getattr(self, name) is None:
                raise ValueError(f"a testable claim needs '{name}'")
        if self.smallest_effect is None:
            raise ValueError("a testable claim needs 'smallest_effect'")
        if not self.cannot_say.strip():
            raise ValueError("say what the model cannot say about the claim (cannot_say)")
        return self

    @property
    def contrast(self) -> dict[str, float]:
        """The cause as weights of variants' differences against the reference."""
        if isinstance(self.cause, dict):
            return dict(self.cause)
        return {str(self.cause): 1.0}


@dataclass
class LoadedClaim:
    """A claim file read and checked.

    Attributes:
        spec: The validated claim.
        file: The claim file.
        sha256: SHA-256 of the file's bytes, recorded with its results.
        located: The file's data with its lines (for errors found later).
        comparison: The scenario's variants (None for a claim that is not testable).
    """

    spec: Claim
    file: Path
    sha256: str
    located: Located
    comparison: Comparison | None = None

    @property
    def id(self) -> str:
        """The claim's id."""
        return self.spec.id


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_claim(
    path: str | Path,
    *,
    quick: bool = False,
    replicates: int | None = None,
    check_memory: bool = True,
) -> LoadedClaim:
    """Read and check a claim file and, if testable, its scenario and variants.

    Args:
        path: The claim YAML.
        quick: Apply the claim's ``quick:`` changes and use ``quick_replicates``.
        replicates: Replicates per variant instead of the claim's own.
        check_memory: Refuse a variant whose run would not fit in this machine's memory.

    Raises:
        ScenarioError: Anything wrong, with the claim file's (or scenario file's) line.
    """
    file = str(path)
    located = read_yaml(path)
    spec = validate(located, file, Claim)
    stem = Path(path).stem
    if spec.id != stem:
        raise error_at(
            file, located, ("id",), f"id '{spec.id}' differs from the file name '{stem}'"
        )
    loaded = LoadedClaim(spec, Path(path), file_sha256(path), located)
    if not spec.testable:
        return loaded
    name, _ = parse_metric(str(spec.metric))
    if name not in METRICS:
        known = ", ".join(sorted([*METRICS, "rmst"]))
        raise error_at(file, located, ("metric",), f"no metric '{name}'; known: {known}")
    scenario_path = Path(path).parent / str(spec.scenario)
    if not scenario_path.is_file():
        raise error_at(file, located, ("scenario",), f"scenario '{scenario_path}' not found")
    if replicates is None:
        replicates = spec.quick_replicates if quick else spec.replicates
    comparison = load_comparison(scenario_path, replicates, check_memory=check_memory)
    names = [v.name for v in comparison.variants]
    if spec.reference != names[0]:
        raise error_at(
            file,
            located,
            ("reference",),
            f"the reference must be the scenario's first variant ('{names[0]}'); "
            f"variants: {', '.join(names)}",
        )
    for variant in spec.contrast:
        if variant not in names:
            raise error_at(
                file, located, ("cause",), f"no variant '{variant}'; variants: {', '.join(names)}"
            )
    if quick and spec.quick:
        try:
            comparison = with_changes(comparison, spec.quick)
        except ScenarioError as error:
            key = next((k for k in spec.quick if k in str(error.field)), None)
            loc = ("quick", key) if key else ("quick",)
            raise error_at(file, located, loc, error.problem) from None
    loaded.comparison = comparison
    return loaded


def with_changes(
    comparison: Comparison, changes: dict[str, object], origin: str = "quick"
) -> Comparison:
    """The comparison with ``changes`` (dotted path -> value) applied to every variant.

    A path that a variant sets itself keeps the variant's value: the claimed cause is
    never overwritten by an assumption changed around it.

    Args:
        comparison: The variants.
        changes: Dotted path -> value.
        origin: Where the changes come from, for errors (``quick``, ``--set``, a draw).

    Raises:
        ScenarioError: A change makes a variant invalid (``field`` names the change).
    """
    variants = []
    for variant in comparison.variants:
        data = copy.deepcopy(variant.scenario.model_dump(mode="python"))
        for dotted, value in changes.items():
            try:
                set_path(data, dotted, value)
            except ScenarioError as error:
                raise ScenarioError(origin, error.problem, field=dotted) from None
        # The variant's own changes are set again on top, so that they win even where a
        # change sets a whole section around them.
        for own, value in variant.changes.items():
            set_path(data, own, copy.deepcopy(value))
        try:
            made = scenario_from_dict(data, variant.scenario.name)
        except ScenarioError as error:
            blamed = [d for d in changes if str(error.field).startswith(d)]
            problem = f"variant '{variant.name}': {error.problem}"
            raise ScenarioError(
                origin, problem, field=blamed[0] if blamed else str(error.field)
            ) from None
        variants.append(Variant(variant.name, variant.changes, made))
    return Comparison(
        file=comparison.file,
        name=comparison.name,
        written=comparison.written,
        seed=comparison.seed,
        replicates=comparison.replicates,
        variants=variants,
    )


def claim_files(folder: str | Path, ids: list[str] | None = None) -> list[Path]:
    """The claim files of a folder (``C*.yaml``) in id order, or only those of ``ids``.

    Raises:
        ScenarioError: The folder or an asked-for claim is missing.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ScenarioError(str(root), "no claims folder here")
    files = {p.stem: p for p in root.glob("C*.yaml")}
    if ids:
        missing = [i for i in ids if i not in files]
        if missing:
            raise ScenarioError(str(root), f"no claim file for {', '.join(missing)}")
        chosen = list(dict.fromkeys(ids))
    else:
        chosen = list(files)
    return [files[i] for i in sorted(chosen, key=lambda i: int(i[1:]))]
