"""Experiment files: the schema of a sweep and its loading with clear errors.

An experiment names a base scenario, fixed changes to it (``set``), the parameters to
vary (addressed by dotted path, each a list of values or a range), a design, the number
of replicates, the metrics to record and the plots to draw. It is read with the line of
every key, so that any problem, including one that only shows once a parameter value is
put into the scenario, is reported at the experiment file's line.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from sim.config import Section, Seed, _check_name, name_from_stem
from sim.scenario import (
    Located,
    ScenarioError,
    _describe,
    _line_of,
    _walk,
    apply_override,
    read_yaml,
)

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


class Design(Section):
    """How parameter points are chosen."""

    kind: Literal["grid", "random", "latin_hypercube", "sobol", "morris"] = Field(
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
        return _check_name(name)

    @model_validator(mode="before")
    @classmethod
    def _design_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("design"), str):
            data = {**data, "design": {"kind": data["design"]}}
        return data


# --------------------------------------------------------------------------- loading


def parse_metric(text: str) -> tuple[str, str | None]:
    """Split ``name[cohort]`` into the metric's name and its cohort (or None)."""
    if text.endswith("]") and "[" in text:
        name, cohort = text[:-1].split("[", 1)
        return name, cohort
    return text, None


def _validate(located: Located, file: str) -> Experiment:
    """Validate the file's data; report the most specific error at its line."""
    try:
        return Experiment.model_validate(located.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        error = max(errors, key=lambda e: (e["type"] != "missing", len(e["loc"])))
        loc = tuple(error["loc"])
        if loc[:1] == ("parameters",) and len(loc) > 2 and loc[2] in ("list", "range"):
            loc = loc[:2] + loc[3:]  # the branch tag is not a key of the file
            if len(loc) == 4 and loc[3] in ("int", "float", "bool", "str"):
                loc = loc[:3]  # nor is the type a listed value was tried as
        where = loc if loc[:1] == ("parameters",) else _walk(Experiment, loc)[0]
        problem = _describe({**error, "loc": where}, Experiment)
        if where[:1] == ("parameters",) and len(where) == 2 and error["type"] == "list_type":
            problem = f"give a list of values or a range {{low, high}} (got {error.get('input')!r})"
        if where == ("parameters",) and error["type"] == "too_short":
            problem = "name at least one parameter to vary"
        if where[:1] == ("parameters",) and error["type"] == "extra_forbidden":
            allowed = list(Range.model_fields)
            guess = _suggest(str(where[-1]), allowed)
            problem = f"unknown field '{where[-1]}'{guess} Allowed here: {', '.join(allowed)}"
        raise _fail(file, located, where, problem) from None


def _fail(file: str, located: Located, loc: tuple, problem: str) -> ScenarioError:
    return ScenarioError(file, problem, _line_of(located.lines, loc), ".".join(map(str, loc)))


def _suggest(word: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def locate_module(module: str) -> str:
    """Where ``import module`` would load a module from, found without running its code.

    A dotted name is looked up in its parent package's folders rather than by importing
    the parent, which would run the parent's ``__init__``.

    Raises:
        ImportError: The name is not a module name, or no such module is found.
    """
    import importlib.machinery
    import importlib.util

    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        raise ImportError(f"'{module}' is not a module name (dotted Python identifiers)")
    spec = importlib.util.find_spec(parts[0])
    for depth in range(1, len(parts)):
        locations = spec.submodule_search_locations if spec is not None else None
        if locations is None:
            raise ImportError(f"'{'.'.join(parts[:depth])}' is not a package")
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: depth + 1]), locations)
    if spec is None:
        raise ImportError(f"no module named '{module}' on the Python path")
    return str(spec.origin or "a namespace package")


def load_experiment(
    path: str | Path, *, run_imports: bool = True, check_memory: bool = True
) -> LoadedExperiment:
    """Read and check an experiment file, down to every point's scenario.

    Args:
        path: The experiment YAML.
        run_imports: Import the modules under ``imports:`` (which runs their code) so
            that the metrics they register can be checked. With False, as in
            ``groupsim validate``, the modules are only located, and a metric that is
            not registered yet is taken to come from them.
        check_memory: Refuse an experiment whose largest run would not fit in this
            machine's memory (False for a cluster, whose workers have their own).

    Returns:
        The validated experiment with its base scenario data and its points.

    Raises:
        ScenarioError: Anything wrong, with the experiment file's line and field.
    """
    from sim.sweep.design import plan
    from sim.sweep.registry import METRICS

    file = str(path)
    located = read_yaml(path)
    if located.data.get("name") is None:
        located.data["name"] = name_from_stem(Path(path).stem, "experiment")
    experiment = _validate(located, file)
    base_path = Path(path).parent / experiment.scenario
    base = _load_base(base_path, experiment, located, file)

    cohorts = list(base.get("groups") or {})
    origins = {}
    for index, module in enumerate(experiment.imports):
        try:
            origins[module] = locate_module(module)
            if run_imports:
                importlib.import_module(module)
        # Any failure of a user's module is bad input here, sys.exit() in it included.
        except (Exception, SystemExit) as exc:
            why = "it called sys.exit()" if isinstance(exc, SystemExit) else exc
            raise _fail(
                file, located, ("imports", index), f"cannot import '{module}': {why}"
            ) from None
    for index, text in enumerate(experiment.metrics):
        name, cohort = parse_metric(text)
        if name not in METRICS and not run_imports and experiment.imports:
            continue  # may be registered by the modules, which were not run
        if name not in METRICS:
            raise _fail(
                file,
                located,
                ("metrics", index),
                f"unknown metric '{name}'{_suggest(name, list(METRICS))} "
                f"Known metrics: {', '.join(METRICS)}",
            )
        if cohort is not None and not METRICS[name].per_cohort:
            raise _fail(
                file,
                located,
                ("metrics", index),
                f"'{name}' covers the whole run and cannot be restricted to a cohort",
            )
        if cohort is not None and cohort not in cohorts:
            raise _fail(
                file,
                located,
                ("metrics", index),
                f"'{cohort}' is not a cohort of the base scenario{_suggest(cohort, cohorts)} "
                f"Cohorts: {', '.join(cohorts) or 'none'}",
            )
    if len(set(experiment.metrics)) != len(experiment.metrics):
        raise _fail(file, located, ("metrics",), "a metric is listed twice")

    _check_paths(base, experiment, located, file)
    _check_design(experiment, located, file)
    _check_plots(experiment, located, file, cohorts)
    _check_size(experiment, located, file)
    points = plan(experiment)
    biggest = _check_points(base, experiment, points, located, file)
    if check_memory:
        _check_memory(biggest, located, file)
    return LoadedExperiment(
        experiment=experiment,
        file=Path(path),
        base_path=base_path,
        base=base,
        points=points,
        written=Path(path).read_text(encoding="utf-8"),
        imports=origins,
    )


@dataclass
class LoadedExperiment:
    """An experiment ready to run: its spec, base scenario data and parameter points.

    Attributes:
        experiment: The validated experiment.
        file: The experiment file.
        base_path: The base scenario file.
        base: The base scenario's data with the experiment's ``set`` applied.
        points: One mapping of parameter path to value per point, in design order.
        written: The experiment file's text, for the manifest.
        imports: Each module under ``imports:`` and the file it is loaded from.
    """

    experiment: Experiment
    file: Path
    base_path: Path
    base: dict
    points: list[dict[str, Scalar]]
    written: str
    imports: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.experiment.name)


def _load_base(base_path: Path, experiment: Experiment, located: Located, file: str) -> dict:
    """The base scenario's raw data with ``set`` applied, checked as a scenario."""
    from sim.scenario import load_scenario

    if not base_path.is_file():
        raise _fail(file, located, ("scenario",), f"base scenario '{base_path}' not found")
    try:
        load_scenario(base_path)
    except ScenarioError as error:
        raise _fail(
            file, located, ("scenario",), f"the base scenario is not valid: {error}"
        ) from None
    data = read_yaml(base_path).data
    data.pop("name", None)
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("edgelist"), dict):
        given = network["edgelist"].get("path")
        if isinstance(given, str) and not Path(given).is_absolute():
            network["edgelist"]["path"] = str(base_path.parent / given)
    for key, value in experiment.set.items():
        try:
            _set_path(data, key, value)
        except ScenarioError as error:
            raise _fail(file, located, ("set", key), error.problem) from None
    return data


def _set_path(data: dict, dotted: str, value: Any) -> None:
    """Set a dotted path in raw scenario data to an already-parsed value."""
    apply_override(data, f"{dotted}=null")
    node = data
    keys = dotted.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


# Set by the sweep for every run: a value given for them would be silently replaced.
_SET_PER_RUN = {
    "seed": "every run's seed derives from the experiment's seed, its values and its "
    "replicate; vary replicates, or set the experiment's own seed",
    "name": "every run takes the experiment's name",
}


def _check_paths(base: dict, experiment: Experiment, located: Located, file: str) -> None:
    """Check that every parameter names a field the base scenario has (no new cohorts)."""
    from sim.scenario import scenario_from_dict

    for section in ("set", "parameters"):
        for dotted in getattr(experiment, section):
            if dotted in _SET_PER_RUN:
                raise _fail(
                    file,
                    located,
                    (section, dotted),
                    f"'{dotted}' cannot be given here: {_SET_PER_RUN[dotted]}",
                )

    try:
        resolved = scenario_from_dict(base, "base").model_dump(mode="json")
    except ScenarioError as error:
        field = error.field
        culprit = next(
            (k for k in experiment.set if field and (field.startswith(k) or k.startswith(field))),
            None,
        )
        loc = ("set",) if culprit is None else ("set", culprit)
        raise _fail(
            file, located, loc, f"the base scenario with these changes: {field}: {error.problem}"
        ) from None
    for dotted in experiment.parameters:
        node: Any = resolved
        walked: list[str] = []
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                where = ".".join(walked) or "the top level"
                known = list(node) if isinstance(node, dict) else []
                hint = (
                    f"{_suggest(key, known)} Known here: {', '.join(map(str, known))}"
                    if known
                    else f" ({where} is not set in the base scenario, so it has no fields)"
                )
                raise _fail(
                    file,
                    located,
                    ("parameters", dotted),
                    f"the base scenario has no '{key}' under {where}{hint}",
                )
            node = node[key]
            walked.append(key)


def _check_design(experiment: Experiment, located: Located, file: str) -> None:
    kind = experiment.design.kind
    for dotted, values in experiment.parameters.items():
        if isinstance(values, Range):
            if kind == "grid" and values.num is None:
                raise _fail(
                    file,
                    located,
                    ("parameters", dotted),
                    "a range in a grid design needs num (how many evenly spaced values)",
                )
        elif kind in ("sobol", "morris"):
            raise _fail(
                file,
                located,
                ("parameters", dotted),
                f"the {kind} design needs a range {{low, high}} for every parameter",
            )
    if kind == "sobol":
        n = experiment.design.samples or 0
        if n & (n - 1):
            raise _fail(
                file,
                located,
                ("design", "samples"),
                f"Sobol sampling needs a power of 2 (got {n})",
            )


def _check_plots(experiment: Experiment, located: Located, file: str, cohorts: list[str]) -> None:
    parameters = list(experiment.parameters)
    kind = experiment.design.kind
    for index, plot in enumerate(experiment.plots):
        for field in ("x", "y", "by"):
            value = getattr(plot, field)
            if value is not None and value not in parameters:
                raise _fail(
                    file,
                    located,
                    ("plots", index, field),
                    f"'{value}' is not a parameter of this sweep{_suggest(value, parameters)} "
                    f"Parameters: {', '.join(parameters)}",
                )
        if plot.metric is not None and plot.metric not in experiment.metrics:
            raise _fail(
                file,
                located,
                ("plots", index, "metric"),
                f"'{plot.metric}' is not among the metrics recorded"
                f"{_suggest(plot.metric, experiment.metrics)} "
                f"Recorded: {', '.join(experiment.metrics)}",
            )
        if plot.cohort is not None and plot.cohort not in cohorts:
            raise _fail(
                file,
                located,
                ("plots", index, "cohort"),
                f"'{plot.cohort}' is not a cohort of the base scenario"
                f"{_suggest(plot.cohort, cohorts)} Cohorts: {', '.join(cohorts) or 'none'}",
            )
        if plot.kind == "sensitivity" and kind not in ("sobol", "morris"):
            raise _fail(
                file,
                located,
                ("plots", index, "kind"),
                f"a sensitivity plot needs a sobol or morris design (this one is {kind})",
            )
        if plot.kind == "heatmap" and plot.x == plot.y:
            raise _fail(
                file, located, ("plots", index, "y"), "a heatmap needs two different parameters"
            )


MAX_RUNS = 100_000
"""Most runs one sweep may have: planning takes about a millisecond and 5 kB a run."""


def _check_size(experiment: Experiment, located: Located, file: str) -> None:
    """Refuse a sweep too large to plan, before its points are made."""
    from sim.sweep.design import count_points

    points = count_points(experiment)
    runs = points * experiment.replicates
    if runs <= MAX_RUNS:
        return
    kind = experiment.design.kind
    fit = MAX_RUNS // experiment.replicates
    how = (
        f"fewer values, or a random or latin_hypercube design with samples up to {fit:,}"
        if kind == "grid"
        else f"fewer samples (at most {fit:,} points)"
    )
    loc = ("parameters",) if kind == "grid" else ("design", "samples")
    raise _fail(
        file,
        located,
        loc,
        f"this sweep would make {points:,} points × {experiment.replicates} replicates = "
        f"{runs:,} runs; at most {MAX_RUNS:,} runs fit in one sweep: use {how}, or fewer "
        "replicates",
    )


def _check_memory(biggest: tuple[Any, dict[str, Scalar]] | None, located: Located, file: str):
    """Refuse a sweep whose largest run would not fit in this machine's memory."""
    from sim.resources import memory_problem

    if biggest is None:
        return
    scenario, point = biggest
    problem = memory_problem(scenario)
    if problem is None:
        return
    loc, text = problem
    dotted = ".".join(map(str, loc))
    culprit = next((p for p in point if dotted.startswith(p) or p.startswith(dotted)), None)
    shown = ", ".join(f"{k}={v}" for k, v in point.items())
    where = ("scenario",) if culprit is None else ("parameters", culprit)
    raise _fail(file, located, where, f"at the point {shown}: {dotted}: {text}")


def _check_points(
    base: dict,
    experiment: Experiment,
    points: list[dict[str, Scalar]],
    located: Located,
    file: str,
) -> tuple[Any, dict[str, Scalar]] | None:
    """Every point must make a valid scenario; blame the parameter that breaks it.

    Returns:
        The scenario of the point whose run needs the most memory, and that point.
    """
    from sim.resources import run_bytes
    from sim.sweep.execute import point_scenario

    seen: set[tuple] = set()
    biggest: tuple[Any, dict[str, Scalar]] | None = None
    most = -1
    for point in points:
        key = tuple(point.items())
        if key in seen:  # a grid repeats no point, but random designs over lists may
            continue
        seen.add(key)
        try:
            scenario = point_scenario(base, point, 0, experiment.name or "experiment")
        except ScenarioError as error:
            field = error.field
            culprit = next(
                (p for p in point if field and (field.startswith(p) or p.startswith(field))),
                next(iter(point)),
            )
            shown = ", ".join(f"{k}={v}" for k, v in point.items())
            raise _fail(
                file,
                located,
                ("parameters", culprit),
                f"at the point {shown}: {error.field + ': ' if error.field else ''}{error.problem}",
            ) from None
        need = run_bytes(scenario).total
        if need > most:
            biggest, most = (scenario, point), need
    return biggest
