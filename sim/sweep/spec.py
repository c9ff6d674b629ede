"""The schema of an experiment file: plain data, checked field by field.

An experiment names a base scenario, fixed changes to it (``set``), the parameters to
vary (addressed by dotted path, each a list of values or a range), a design, the number
of replicates, the metrics to record and the plots to draw. The checks that need the
base scenario, the designs or the metric registry are in :mod:`sim.sweep.checks`, which
:mod:`sim.sweep.load` runs.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from sim.config import Section, Seed, check_name

Scalar = int | float | bool | str


class Range(Section):
    """A continuous or integer range of a parameter."""

    low: float = Field(..., description="Lowest value.")
    high: float = Field(..., description="Highest value.")
    num: Annotated[int, Field(ge=2, le=10_000)] | None = Field(
        None, description="Evenly spaced values for a grid design (required by grid)."
    )
    log: bool = Field(False, description="Space values evenly on a log scale.")
    integer: bool = Field(False, description="Round every value to an integer.")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self

    def values(self) -> list[float | int]:
        """The grid values of this range (``num`` of them)."""
        if self.num is None:
            raise ValueError("a grid needs num")
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            raw = [math.exp(a + (b - a) * i / (self.num - 1)) for i in range(self.num)]
        else:
            raw = [self.low + (self.high - self.low) * i / (self.num - 1) for i in range(self.num)]
        return [self.cast(x) for x in raw]

    def at(self, u: float) -> float | int:
        """The value at quantile ``u`` in [0, 1) of the range (uniform, or log-uniform)."""
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            x = math.exp(a + (b - a) * u)
        else:
            x = self.low + (self.high - self.low) * u
        return self.cast(x)

    def cast(self, x: float) -> float | int:
        """Round to an integer where asked (keeping within the range); else a float."""
        if self.integer:
            return int(min(max(round(x), math.ceil(self.low)), math.floor(self.high)))
        return float(x)


def _branch(value: Any) -> str:
    return "range" if isinstance(value, dict | Range) else "list"


# A mapping is a range, anything else a list of values: one branch, so one clear error.
Values = Annotated[
    Annotated[Annotated[list[Scalar], Field(min_length=1)], Tag("list")]
    | Annotated[Range, Tag("range")],
    Discriminator(_branch),
]

DESIGNS = ("grid", "random", "latin_hypercube", "sobol", "morris")
"""The designs an experiment can name (:mod:`sim.sweep.design` makes their points)."""


class Design(Section):
    """How parameter points are chosen."""

    kind: Literal[DESIGNS] = Field(
        "grid", description="Full factorial grid, random, Latin hypercube, Sobol or Morris."
    )
    samples: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description=(
            "Points for random and latin_hypercube; base sample N for sobol "
            "(N·(D+2) points, N a power of 2); trajectories for morris (r·(D+1) points)."
        ),
    )
    levels: Annotated[int, Field(ge=2, le=100)] = Field(
        4, description="Grid levels of the Morris method."
    )
    second_order: bool = Field(False, description="Sobol: also estimate second-order indices.")

    @model_validator(mode="after")
    def _needs_samples(self) -> Design:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"the {self.kind} design needs samples")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("a grid takes no samples: its points are every combination")
        return self


class Plot(Section):
    """One figure of the sweep."""

    kind: Literal["line", "heatmap", "survival", "sensitivity"] = Field(
        ...,
        description=(
            "line: a metric against a parameter with 95% CI bands over replicates; "
            "heatmap: a metric over two parameters; survival: Kaplan–Meier curves per "
            "level of a parameter; sensitivity: the Sobol or Morris indices of a metric."
        ),
    )
    x: str | None = Field(None, description="Parameter on the x axis (line, heatmap).")
    y: str | None = Field(None, description="Parameter on the y axis (heatmap).")
    metric: str | None = Field(None, description="Metric shown (line, heatmap, sensitivity).")
    by: str | None = Field(
        None, description="Parameter whose levels get their own line (line) or curve (survival)."
    )
    cohort: str | None = Field(None, description="Only this cohort's groups (survival).")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Plot:
        needed = {
            "line": ("x", "metric"),
            "heatmap": ("x", "y", "metric"),
            "survival": ("by",),
            "sensitivity": ("metric",),
        }[self.kind]
        for name in needed:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind} plot needs {name}")
        return self


class Experiment(Section):
    """A parameter sweep over a base scenario."""

    name: str | None = Field(
        None,
        description="Name, and the name of its folder under the output folder (default: "
        "the file name); a plain file name, as a scenario's.",
    )
    description: str = Field("", description="The question the sweep answers.")
    scenario: str = Field(..., description="Base scenario YAML, relative to this file.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Fixed changes to the base scenario, by dotted path, for every run.",
    )
    parameters: dict[str, Values] = Field(
        ..., min_length=1, description="Parameters to vary, by dotted path: values or a range."
    )
    design: Design = Field(default_factory=Design, description="How points are chosen.")
    replicates: Annotated[int, Field(ge=1, le=10_000)] = Field(
        3, description="Runs per point, each with its own seed."
    )
    seed: Seed = Field(0, description="Root seed of the whole sweep.")
    common_random_numbers: bool = Field(
        False,
        description=(
            "Give replicate r of every point the same seed (common random numbers), "
            "rather than a seed that also depends on the point's values."
        ),
    )
    imports: list[str] = Field(
        default_factory=list,
        description="Python modules to import when the sweep starts, in every worker: they "
        "register metrics. Importing runs their code, from the Python path (not from this "
        "file's folder); groupsim validate only locates them.",
    )
    metrics: list[str] = Field(
        ...,
        min_length=1,
        description="Metrics to record, by registry name; 'name[cohort]' for one cohort.",
    )
    plots: list[Plot] = Field(default_factory=list, description="Figures to draw.")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str | None) -> str | None:
        return check_name(name)

    @model_validator(mode="before")
    @classmethod
    def _design_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("design"), str):
            data = {**data, "design": {"kind": data["design"]}}
        return data


def parse_metric(text: str) -> tuple[str, str | None]:
    """Split ``name[cohort]`` into the metric's name and its cohort (or None)."""
    if text.endswith("]") and "[" in text:
        name, cohort = text[:-1].split("[", 1)
        return name, cohort
    return text, None
