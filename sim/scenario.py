"""Loading scenario files: YAML with positions, overrides, validation and clear errors.

A scenario is read as YAML, keeping the line of every key (:mod:`sim.yamlfile`), then
``--set`` overrides are applied (:mod:`sim.overrides`), then it is validated against
:class:`sim.config.Scenario` (:mod:`sim.validation`) and checked across sections here.
Any problem raises a single :class:`ScenarioError` that names the file, the line, the
field's dotted path and what is allowed, so that the command line can print one message
and exit with status 2.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

from sim.config import Scenario, name_from_stem
from sim.errors import ScenarioError, did_you_mean
from sim.overrides import apply_override, check_cohort_of_override
from sim.resources import memory_problem
from sim.validation import error_at, validate
from sim.yamlfile import Located, parse_yaml, read_yaml

__all__ = [
    "Located",
    "ScenarioError",
    "apply_override",
    "cross_check",
    "json_schema",
    "load_scenario",
    "parse_yaml",
    "read_yaml",
    "resolve_edgelist_path",
    "scenario_from_dict",
    "validate",
]


def resolve_edgelist_path(data: dict, folder: Path) -> None:
    """Make a relative edge list path in raw scenario data relative to ``folder``, in place.

    An edge list is named relative to the scenario file that names it, and ``folder`` is
    that file's folder.
    """
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("edgelist"), dict):
        given = network["edgelist"].get("path")
        if isinstance(given, str) and not Path(given).is_absolute():
            network["edgelist"]["path"] = str(folder / given)


def cross_check(
    scenario: Scenario, located: Located, file: str, overrides: dict[tuple, str] | None = None
) -> None:
    """Checks that span sections, reported at the offending field.

    A problem that a ``--set`` override brought about (on any of the fields involved) is
    reported as coming from the command line.

    Raises:
        ScenarioError: An intervention names an unknown cohort, a cohort starts after the
            horizon, is larger than the population, has a brand organiser without being
            event-driven or a circle while being event-driven, or an edge list file is
            missing.
    """

    def fail(loc: tuple, problem: str, *involved: tuple) -> None:
        raise error_at(file, located, loc, problem, overrides, involved)

    for label in ("icebreaker", "guides", "promotion_push"):
        item = getattr(scenario.interventions, label)
        if item is None:
            continue
        for index, name in enumerate(item.cohorts):
            if name not in scenario.groups:
                known = ", ".join(scenario.groups) or "none declared"
                hint = did_you_mean(name, list(scenario.groups))
                loc = ("interventions", label, "cohorts", index)
                fail(
                    loc,
                    f"'{name}' is not a cohort in groups{hint} Known cohorts: {known}",
                    ("groups",),
                )
    topics = scenario.population.interests.topics
    for index, product in enumerate(scenario.commerce.products):
        if product.topic >= topics:
            fail(
                ("commerce", "products", index, "topic"),
                f"topic {product.topic} does not exist: topics are numbered 0..{topics - 1} "
                "(population.interests.topics)",
                ("population", "interests", "topics"),
            )
    for name, cohort in scenario.groups.items():
        if cohort.topic is not None and cohort.topic >= topics:
            fail(
                ("groups", name, "topic"),
                f"topic {cohort.topic} does not exist: topics are numbered 0..{topics - 1} "
                "(population.interests.topics)",
                ("population", "interests", "topics"),
            )
        last = cohort.created_range[1]
        if last >= scenario.days:
            fail(
                ("groups", name, "created"),
                f"day {last} is at or after the horizon; days run 0..{scenario.days - 1}",
                ("days",),
            )
        if cohort.size_range[1] > scenario.population.size:
            fail(
                ("groups", name, "size"),
                f"{cohort.size_range[1]} members exceed the population "
                f"({scenario.population.size})",
                ("population", "size"),
            )
        # The model gives relationship and hybrid groups a person organiser whatever the
        # file says, so a brand there would be silently ignored.
        if cohort.organiser == "brand" and cohort.driver != "event":
            fail(
                ("groups", name, "organiser"),
                f"'brand' organises only event groups, and this cohort's driver is "
                f"'{cohort.driver}'; allowed here: 'person' (or set driver: event)",
                ("groups", name, "driver"),
            )
        # Event groups recruit by broadcast, not along ties, so a circle would be ignored.
        if cohort.circle != "any" and cohort.driver == "event":
            fail(
                ("groups", name, "circle"),
                f"circle '{cohort.circle}' picks whose ties relationship and hybrid groups "
                "recruit along, and this cohort's driver is 'event' (recruited by "
                "broadcast); allowed here: 'any' (or set driver: relationship or hybrid)",
                ("groups", name, "driver"),
            )
    edgelist = scenario.network.edgelist
    if (
        scenario.network.generator == "edgelist"
        and edgelist is not None
        and not Path(edgelist.path).exists()
    ):
        fail(("network", "edgelist", "path"), f"edge list '{edgelist.path}' not found")


def load_scenario(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    memory: typing.Literal["run", "world"] | None = None,
) -> Scenario:
    """Load, override and validate a scenario file.

    Args:
        path: The scenario YAML.
        overrides: ``dotted.path=value`` strings, applied in order.
        memory: Also check that a ``"run"`` of it (or the ``"world"`` alone) fits in the
            memory this process may use, before anything is allocated.

    Returns:
        The validated scenario. Its ``name`` defaults to the file's stem (made a safe
        file name), and an edge list path is made relative to the scenario file.

    Raises:
        ScenarioError: Anything wrong with the file, the overrides or the edge list it
            names (read here, to report its problems before a run starts).
    """
    file = str(path)
    located = read_yaml(path)
    if located.empty:
        raise ScenarioError(
            file,
            "the file is empty (or only comments): it sets nothing; write {} for a scenario "
            "of defaults only",
            1,
        )
    declared = located.data.get("groups")
    cohorts = set(declared) if isinstance(declared, dict) else set()
    set_paths = {}
    for text in overrides:
        keys = apply_override(located.data, text)
        set_paths[keys] = text
        check_cohort_of_override(keys, cohorts)
        if keys[0] == "groups" and len(keys) == 2:
            cohorts.add(keys[1])  # set whole: a new cohort on purpose
    resolve_edgelist_path(located.data, Path(path).parent)
    if located.data.get("name") is None:
        located.data["name"] = name_from_stem(Path(path).stem, "scenario")
    scenario = validate(located, file, Scenario, set_paths)
    cross_check(scenario, located, file, set_paths)
    if scenario.network.generator == "edgelist":
        # Imported here: the generators bring in networkx and the compiled kernels.
        from sim.world.generators import edgelist

        # Read now, so that a bad edge list is reported before anything is built.
        try:
            edgelist(scenario.population.size, scenario.network)
        except ScenarioError as error:
            named = error_at(file, located, ("network", "edgelist", "path"), "", set_paths)
            where = named.file if named.line is None else f"{named.file}:{named.line}"
            error.problem += f" (the edge list of {where} network.edgelist.path)"
            raise ScenarioError(error.file, error.problem, error.line, error.field) from None
    if memory is not None:
        problem = memory_problem(scenario, with_groups=memory == "run")
        if problem is not None:
            raise error_at(file, located, *problem, set_paths)
    return scenario


def scenario_from_dict(data: dict, name: str = "scenario") -> Scenario:
    """Validate a scenario given as a Python mapping (notebooks, tests, sweeps).

    Raises:
        ScenarioError: Anything wrong, reported against ``<name>``.
    """
    located = Located(dict(data), {})
    located.data.setdefault("name", name)
    scenario = validate(located, f"<{name}>", Scenario)
    cross_check(scenario, located, f"<{name}>")
    return scenario


def json_schema() -> str:
    """The JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "groupsim scenario"
    return json.dumps(schema, indent=2)
