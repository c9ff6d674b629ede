"""The top level of a scenario file: its name, seed and horizon, and every section."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from sim.config.behaviour import Behaviour
from sim.config.commerce import Commerce
from sim.config.groups import Cohort, Interventions
from sim.config.names import check_name
from sim.config.network import Network
from sim.config.population import Population
from sim.config.section import Section, Seed


class Output(Section):
    """What a run writes."""

    persons: bool = Field(False, description="Also write persons.parquet.")
    figures: bool = Field(True, description="Write the figures.")


class Scenario(Section):
    """A scenario: a world, its groups, interventions and behaviour, and a horizon."""

    name: str | None = Field(
        None,
        description="Name of the scenario, and of its folder under the output folder "
        "(default: the file name): letters, digits, . _ - + = @ , and spaces, not starting "
        "with a dot.",
    )
    description: str = Field("", description="What question the scenario answers.")
    seed: Seed = Field(42, description="Root seed: fixes every result.")
    days: Annotated[int, Field(ge=1, le=36_500)] = Field(180, description="Horizon in days.")
    population: Population = Population()
    network: Network = Network()
    groups: dict[str, Cohort] = Field(
        default_factory=dict, description="Cohorts of groups by name."
    )
    interventions: Interventions = Interventions()
    behaviour: Behaviour = Behaviour()
    commerce: Commerce = Commerce()
    output: Output = Output()
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named sets of changes (dotted path: value) that groupsim compare runs "
        "side by side with common random numbers; the first is the reference the others "
        "are compared with. groupsim run ignores them.",
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str | None) -> str | None:
        return check_name(name)

    @field_validator("variants")
    @classmethod
    def _safe_variant_names(cls, variants: dict[str, dict[str, Any]]) -> dict:
        for name in variants:
            check_name(name)
        return variants

    def __repr__(self) -> str:
        # Short, so that a results table (e.g. Mesa's batch_run) shows which scenario ran.
        return f"Scenario({self.name!r})"

    def __str__(self) -> str:
        return self.name or "scenario"
