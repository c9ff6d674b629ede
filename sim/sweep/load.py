"""Loading an experiment file: its schema, its base scenario and every point, checked.

The file is read with the line of every key, so that any problem, including one that
only shows once a parameter value is put into the scenario, is reported at the
experiment file's line.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.machinery
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from sim.config import name_from_stem
from sim.errors import ScenarioError, did_you_mean
from sim.overrides import set_path
from sim.scenario import load_scenario, resolve_edgelist_path
from sim.sweep import design
from sim.sweep.checks import (
    check_design,
    check_largest_run_fits,
    check_metrics,
    check_paths,
    check_plots,
    check_points,
    check_size,
)
from sim.sweep.spec import Experiment, Range, Scalar
from sim.validation import SCALAR_BRANCHES, describe_error, error_at, walk_location
from sim.yamlfile import Located, read_yaml


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
            raise error_at(
                file, located, ("imports", index), f"cannot import '{module}': {why}"
            ) from None
    check_metrics(experiment, located, file, cohorts, run_imports)

    check_paths(base, experiment, located, file)
    check_design(experiment, located, file)
    check_plots(experiment, located, file, cohorts)
    check_size(experiment, located, file)
    points = design.plan(experiment)
    biggest = check_points(base, experiment, points, located, file)
    if check_memory:
        check_largest_run_fits(biggest, located, file)
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
    if not base_path.is_file():
        raise error_at(file, located, ("scenario",), f"base scenario '{base_path}' not found")
    try:
        load_scenario(base_path)
    except ScenarioError as error:
        raise error_at(
            file, located, ("scenario",), f"the base scenario is not valid: {error}"
        ) from None
    data = read_yaml(base_path).data
    data.pop("name", None)
    resolve_edgelist_path(data, base_path.parent)
    for key, value in experiment.set.items():
        try:
            set_path(data, key, value)
        except ScenarioError as error:
            raise error_at(file, located, ("set", key), error.problem) from None
    return data


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
            if len(loc) == 4 and loc[3] in SCALAR_BRANCHES:
                loc = loc[:3]  # nor is the type a listed value was tried as
        where = loc if loc[:1] == ("parameters",) else walk_location(Experiment, loc)[0]
        problem = describe_error({**error, "loc": where}, Experiment)
        if where[:1] == ("parameters",) and len(where) == 2 and error["type"] == "list_type":
            problem = f"give a list of values or a range {{low, high}} (got {error.get('input')!r})"
        if where == ("parameters",) and error["type"] == "too_short":
            problem = "name at least one parameter to vary"
        if where[:1] == ("parameters",) and error["type"] == "extra_forbidden":
            allowed = list(Range.model_fields)
            guess = did_you_mean(str(where[-1]), allowed)
            problem = f"unknown field '{where[-1]}'{guess} Allowed here: {', '.join(allowed)}"
        raise error_at(file, located, where, problem) from None


def locate_module(module: str) -> str:
    """Where ``import module`` would load a module from, found without running its code.

    A dotted name is looked up in its parent package's folders rather than by importing
    the parent, which would run the parent's ``__init__``.

    Raises:
        ImportError: The name is not a module name, or no such module is found.
    """
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
