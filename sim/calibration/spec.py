"""The schema of a calibration file, and loading it with clear errors.

A calibration names a standard scenario (``scenario``, with fixed changes ``set``), the
free parameters to fit (of behaviour, or of the ties' dynamics; each a prior range), the
fact targets (a measure, the published value and the scale of a miss that matters) and
the ABC-SMC settings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from sim.calibration.measures import MEASURES
from sim.config import Scenario, Section, Seed, name_from_stem
from sim.config.behaviour import Behaviour
from sim.config.network import DEFAULT_HALF_LIVES, Circles, TieDynamics
from sim.config.population import Talkativeness
from sim.errors import ScenarioError, did_you_mean
from sim.overrides import set_path
from sim.scenario import resolve_edgelist_path, scenario_from_dict
from sim.sweep.spec import Range, Scalar
from sim.validation import error_at, validate
from sim.yamlfile import Located, read_yaml


class Target(Section):
    """One published figure the model should give."""

    fact: Annotated[str, Field(pattern=r"^F[0-9]+$")] = Field(
        ..., description="The fact it stands for (F1, F2, ... of docs/ODD.md)."
    )
    measure: Literal[tuple(MEASURES)] = Field(..., description="What is measured on a run.")
    value: float = Field(..., description="The published figure.")
    scale: Annotated[float, Field(gt=0.0, le=1e6)] = Field(
        ..., description="A miss of this size counts 1 in the distance."
    )
    source: str = Field(..., description="Where the figure is published.")


class Calibration(Section):
    """A calibration of free parameters to fact targets by ABC-SMC."""

    name: str | None = Field(None, description="Name; the file's stem if omitted.")
    description: str = Field("", description="What is calibrated and why.")
    scenario: str = Field(..., description="The standard scenario, relative to this file.")
    set: dict[str, Scalar] = Field(
        default_factory=dict, description="Fixed changes to the scenario (dotted paths)."
    )
    seed: Seed = Field(0, description="Seed of the whole calibration.")
    particles: Annotated[int, Field(ge=4, le=100_000)] = Field(
        40, description="Accepted particles per generation."
    )
    generations: Annotated[int, Field(ge=1, le=100)] = Field(
        4, description="ABC-SMC generations (populations)."
    )
    parameters: Annotated[dict[str, Range], Field(min_length=1)] = Field(
        ...,
        description="Free parameters to fit (behaviour.*, network.ties.*, network.circles.*, "
        "population.talkativeness.*), each with its prior range.",
    )
    targets: Annotated[dict[str, Target], Field(min_length=1)] = Field(
        ..., description="Fact targets; book claims are never targets."
    )


@dataclass
class LoadedCalibration:
    """A calibration ready to run.

    Attributes:
        spec: The validated calibration.
        file: The calibration file.
        base: The standard scenario with ``set`` applied, validated.
        written: The file's text, for the manifest.
    """

    spec: Calibration
    file: Path
    base: Scenario
    written: str

    @property
    def name(self) -> str:
        """The calibration's name."""
        return str(self.spec.name)

    def scenario(self, values: dict[str, float], seed: int) -> Scenario:
        """The standard scenario with ``values`` (dotted path -> value) and ``seed``."""
        data = copy.deepcopy(self.base.model_dump(mode="python"))
        for path, value in values.items():
            set_path(data, path, float(value))
        data["seed"] = int(seed)
        return scenario_from_dict(data, self.base.name)


def load_calibration(path: str | Path) -> LoadedCalibration:
    """Read and check a calibration file, its standard scenario and its priors' ends.

    Raises:
        ScenarioError: Anything wrong, with the file's line and field.
    """
    file = str(path)
    located = read_yaml(path)
    if located.data.get("name") is None:
        located.data["name"] = name_from_stem(Path(path).stem, "calibration")
    spec = validate(located, file, Calibration)
    for name, prior in spec.parameters.items():
        problem = _not_a_prior(name, prior)
        if problem:
            raise error_at(file, located, ("parameters", name), problem)
    base = _base(Path(path).parent / spec.scenario, spec, located, file)
    loaded = LoadedCalibration(spec, Path(path), base, Path(path).read_text(encoding="utf-8"))
    for name, prior in spec.parameters.items():
        for end in (prior.low, prior.high):
            try:
                loaded.scenario({name: end}, spec.seed)
            except ScenarioError as error:
                raise error_at(file, located, ("parameters", name), error.problem) from None
    return loaded


FITTED_SECTIONS = {
    "behaviour": Behaviour,
    "network.ties": TieDynamics,
    "network.circles": Circles,
    "population.talkativeness": Talkativeness,
}
"""The sections whose free parameters a calibration may fit: how people behave in
groups, how much they differ in how often they speak, how ties are contacted, decay and
form, and how many ties the world's circles give people. Never the scenario's design
(cohorts, interventions, population size), and no claim is a target."""


def _not_a_prior(path: str, prior: Range) -> str | None:
    """What is wrong with a parameter to fit, if anything: a free parameter, continuous."""
    allowed = ", ".join(f"{section}.<name>" for section in FITTED_SECTIONS)
    section = next((s for s in FITTED_SECTIONS if path.startswith(s + ".")), None)
    if section is None:
        return f"only free parameters are calibrated ({allowed})"
    model = FITTED_SECTIONS[section]
    field, _, kind = path[len(section) + 1 :].partition(".")
    if field not in model.model_fields:
        return f"no such {section} parameter{did_you_mean(field, list(model.model_fields))}"
    if kind and field != "half_life_days":
        return f"{section}.{field} has no parts to calibrate"
    if field == "half_life_days" and kind not in DEFAULT_HALF_LIVES:
        return f"a half-life is calibrated by kind: one of {', '.join(DEFAULT_HALF_LIVES)}"
    if prior.integer or prior.num is not None:
        return "a prior is a continuous range {low, high[, log]}"
    return None


def _base(base_path: Path, spec: Calibration, located: Located, file: str) -> Scenario:
    """The standard scenario with the file's ``set`` applied."""
    if not base_path.is_file():
        raise error_at(file, located, ("scenario",), f"scenario '{base_path}' not found")
    data = read_yaml(base_path).data
    resolve_edgelist_path(data, base_path.parent)
    data.setdefault("name", name_from_stem(base_path.stem, "scenario"))
    for key, value in spec.set.items():
        try:
            set_path(data, key, value)
        except ScenarioError as error:
            raise error_at(file, located, ("set", key), error.problem) from None
    try:
        return scenario_from_dict(data, str(data["name"]))
    except ScenarioError as error:
        raise error_at(
            file, located, ("scenario",), f"the scenario with set applied is not valid: {error}"
        ) from None
