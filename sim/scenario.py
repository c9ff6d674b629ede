"""Loading scenario files: YAML with positions, overrides, validation and clear errors.

A scenario is read as YAML, keeping the line of every key, then ``--set`` overrides are
applied, then it is validated against :class:`sim.config.Scenario`. Any problem raises a
single :class:`ScenarioError` that names the file, the line, the field's dotted path and
what is allowed, so that the command line can print one message and exit with status 2.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.config import Scenario, name_from_stem


class ScenarioError(ValueError):
    """A scenario or experiment file that cannot be used, with where and why.

    Attributes:
        file: The file the problem is in (or ``"--set"`` for an override).
        line: 1-based line of the offending key or value, if known.
        field: Dotted path of the field, if known.
        problem: What is wrong and what is allowed.
    """

    def __init__(self, file: str, problem: str, line: int | None = None, field: str = ""):
        self.file, self.line, self.field, self.problem = file, line, field, problem
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {field + ': ' if field else ''}{problem}")


# --------------------------------------------------------------------------- YAML with lines


@dataclass
class Located:
    """A YAML document as plain data plus the line of every path in it."""

    data: Any
    lines: dict[tuple, int]
    empty: bool = False


_YAML_TAG = "tag:yaml.org,2002:"
_MERGE = _YAML_TAG + "merge"
# Plain data only: any other tag (!foo, !!python/name:..., !!set) is refused.
_TAGS = {
    yaml.MappingNode: {_YAML_TAG + "map"},
    yaml.SequenceNode: {_YAML_TAG + "seq"},
    yaml.ScalarNode: {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "merge")},
}

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a file may have (a scenario needs 5)."""

MAX_VALUES = 100_000
"""Most values a file may expand to, counting each use of an alias anew."""


class _Budget:
    """What is left of :data:`MAX_VALUES` while a document is turned into data."""

    def __init__(self, file: str):
        self.file, self.left = file, MAX_VALUES

    def take(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise ScenarioError(
                self.file,
                f"expands to more than {MAX_VALUES:,} values (aliases of aliases?); "
                "a scenario or experiment needs a few hundred",
                node.start_mark.line + 1,
            )


def _construct(
    node: yaml.Node, path: tuple, lines: dict[tuple, int], file: str, budget: _Budget
) -> Any:
    """Turn a composed YAML node into plain data, recording the line of each path."""
    budget.take(node)
    lines[path] = node.start_mark.line + 1
    if node.tag not in _TAGS[type(node)]:
        shown = node.tag.replace(_YAML_TAG, "!!")
        raise ScenarioError(
            file,
            f"the tag '{shown}' is not allowed; use plain values (numbers, text, true/false, "
            "lists and mappings)",
            node.start_mark.line + 1,
            ".".join(map(str, path)),
        )
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, lines, file, budget)
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), lines, file, budget) for i, item in enumerate(node.value)
        ]
    return _scalar(node)


def _mapping(
    node: yaml.MappingNode, path: tuple, lines: dict[tuple, int], file: str, budget: _Budget
) -> dict:
    """A mapping's own keys, then those its merge key (``<<``) brings in, YAML 1.1 style.

    Keys written in the mapping win over merged ones, and of a list of merged mappings the
    earlier wins. A merged key keeps the line where its value is written (in the anchored
    mapping), so that an error in it points there.
    """
    out: dict[Any, Any] = {}
    sources: list[yaml.MappingNode] = []
    merge_line: int | None = None
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE:
            if merge_line is not None:
                raise ScenarioError(
                    file,
                    f"duplicate merge key '<<' (first at line {merge_line}); "
                    "merge several mappings with a list: <<: [*a, *b]",
                    line,
                    ".".join(map(str, (*path, "<<"))),
                )
            merge_line = line
            sources = _merge_sources(value_node, path, line, file)
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScenarioError(file, "a key must be a plain name", line)
        key = key_node.value
        if key in out:
            raise ScenarioError(
                file,
                f"duplicate key '{key}' (first at line {lines[(*path, key)]})",
                line,
                ".".join(map(str, (*path, key))),
            )
        out[key] = _construct(value_node, (*path, key), lines, file, budget)
        # A key's own line is more useful than the line its value starts on.
        lines[(*path, key)] = line
    depth = len(path)
    for source in sources:
        merged_lines: dict[tuple, int] = {}
        added = {
            key: value
            for key, value in _mapping(source, path, merged_lines, file, budget).items()
            if key not in out
        }
        out.update(added)
        # Lines of overridden keys are dropped: the local value has lines of its own.
        lines.update(
            (sub, line)
            for sub, line in merged_lines.items()
            if len(sub) > depth and sub[depth] in added
        )
    return out


def _merge_sources(node: yaml.Node, path: tuple, line: int, file: str) -> list[yaml.MappingNode]:
    """The mappings a merge key's value names: one mapping, or a list of them."""
    if isinstance(node, yaml.MappingNode):
        return [node]
    if isinstance(node, yaml.SequenceNode) and all(
        isinstance(item, yaml.MappingNode) for item in node.value
    ):
        return list(node.value)
    raise ScenarioError(
        file,
        "the merge key '<<' takes a mapping (such as an alias *defaults) or a list of them",
        line,
        ".".join(map(str, (*path, "<<"))),
    )


_SCALARS = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:
    """A YAML scalar as Python data, with PyYAML's safe resolution (empty means None)."""
    try:
        return _SCALARS.construct_object(node, deep=True)
    finally:
        # Scalars are not shared, and a cache of every node would only grow.
        _SCALARS.constructed_objects.clear()
        _SCALARS.recursive_objects.clear()


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than :data:`MAX_DEPTH`.

    The composer is recursive: without a limit, a file of 10,000 nested lists exhausts
    Python's stack.
    """

    def __init__(self, text: str, file: str):
        super().__init__(text)
        self.file, self.depth = file, 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ScenarioError(
                    self.file,
                    f"lists and mappings nested more than {MAX_DEPTH} deep",
                    mark.line + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML text into plain data with the line of every key, within limits.

    Only plain data is accepted (no tags but YAML's own scalar ones), nesting is at most
    :data:`MAX_DEPTH` deep, and the document may expand to at most :data:`MAX_VALUES`
    values, so that a small file cannot make the reader use unbounded time or memory.

    Raises:
        ScenarioError: The text is not such YAML, with the line.
    """
    loader = None
    try:
        loader = _Loader(text, file)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, f"YAML syntax error: {exc.problem or exc}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError(
            file, f"the character U+{code:04X} is not allowed in a YAML file", line
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple, int] = {}
    if node is None:
        return Located(None, lines)
    try:
        data = _construct(node, (), lines, file, _Budget(file))
    except RecursionError:
        raise ScenarioError(file, "an alias refers to a mapping or list that contains it") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, f"not a plain YAML value: {exc}", line) from None
    return Located(data, lines)


def read_yaml(path: str | Path) -> Located:
    """Read a YAML mapping, keeping the line of every key.

    Merge keys (``<<: *anchor``) are resolved as in YAML 1.1; a merged key keeps the line
    where its value is written.

    Args:
        path: The file to read.

    Returns:
        The data and a map from key paths to 1-based lines; an empty file (or one of
        comments only) reads as an empty mapping, with ``empty`` set.

    Raises:
        ScenarioError: The file is missing, unreadable, not UTF-8, not plain YAML
            within :func:`parse_yaml`'s limits or not a mapping, or a merge key does not
            name mappings.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(file, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(file, "is a folder, not a YAML file") from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            file, f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", line
        ) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(file, f"cannot be read ({exc})") from None
    located = parse_yaml(text, file)
    if located.data is None:
        return Located({}, located.lines, empty=True)
    if not isinstance(located.data, dict):
        raise ScenarioError(file, "the top level must be a mapping of sections", 1)
    return located


# --------------------------------------------------------------------------- overrides


def apply_override(data: dict, assignment: str) -> tuple[str, ...]:
    """Apply one ``a.b.c=value`` override to raw scenario data, in place.

    The value is read as YAML, so ``3``, ``0.5``, ``true``, ``[1, 2]`` and ``{a: 1}`` work.

    Args:
        data: Raw scenario data.
        assignment: ``dotted.path=value``.

    Returns:
        The path that was set.

    Raises:
        ScenarioError: The assignment is malformed or walks through a non-mapping.
    """
    if "=" not in assignment:
        raise ScenarioError("--set", f"'{assignment}' is not of the form path.to.field=value")
    dotted, raw = assignment.split("=", 1)
    keys = tuple(k for k in dotted.strip().split("."))
    if not all(keys):
        raise ScenarioError("--set", f"'{dotted}' is not a dotted path like network.dunbar.cap")
    try:
        value = parse_yaml(raw, "--set").data if raw.strip() else None
    except ScenarioError as error:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise ScenarioError(
            "--set", f"the value {shown!r} is not valid YAML ({error.problem})", field=dotted
        ) from None
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            raise ScenarioError(
                "--set", f"'{'.'.join(keys[: depth + 1])}' is a value, not a section", field=dotted
            )
        node = child
    node[keys[-1]] = value
    return keys


# --------------------------------------------------------------------------- validation


@dataclass
class _Named:
    """Marks that the next key of a location is an item's name (a cohort), not a field."""

    model: type[BaseModel] | None


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _walk(model: type[BaseModel], loc: tuple) -> tuple[tuple, Any]:
    """Follow an error location through the configuration classes.

    Returns:
        The location without pydantic's union-branch labels (``int``,
        ``tuple[int, int]``), and the class whose fields the key after it would name.
    """
    clean: list = []
    owner: Any = model
    branch_next = False
    for key in loc:
        if branch_next and isinstance(key, str) and ("[" in key or key in _BRANCHES):
            branch_next = False
            continue
        branch_next = False
        clean.append(key)
        if isinstance(owner, _Named):
            owner = owner.model
            continue
        fields = getattr(owner, "model_fields", None) or {}
        if isinstance(key, str) and key in fields:
            annotation = fields[key].annotation
            if typing.get_origin(annotation) is dict:
                owner = _Named(_model_in(annotation))
            else:
                owner = _model_in(annotation)
                branch_next = owner is None and _is_union(annotation)
        else:
            owner = None
    return tuple(clean), owner


_BRANCHES = {"int", "float", "str", "bool"}


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Names allowed where the last key of ``loc`` stands (for did-you-mean)."""
    _, owner = _walk(model, loc[:-1])
    return list(getattr(owner, "model_fields", None) or {})


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``X | None`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _accepts_none(annotation: Any) -> bool:
    return annotation is type(None) or (
        _is_union(annotation) and type(None) in typing.get_args(annotation)
    )


def _is_mapping(annotation: Any) -> bool:
    """Whether an annotation is a section or a ``dict`` (or a union with one)."""
    if typing.get_origin(annotation) is dict:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return _is_union(annotation) and any(_is_mapping(a) for a in typing.get_args(annotation))


def _empty_sections_as_defaults(data: Any, model: type[BaseModel]) -> Any:
    """A copy of raw data in which a section left empty (YAML null) means its defaults.

    ``population:`` with nothing under it reads as null; for a section that cannot be
    null it is taken as omitted (its defaults), or as ``{}`` if it is required, so that
    its own required fields are reported. A null where a section may be null (an
    optional event or intervention) or where a value is expected is left as it is.
    """
    if not isinstance(data, dict):
        return data
    fields = model.model_fields
    out: dict[Any, Any] = {}
    for key, value in data.items():
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            out[key] = value
            continue
        annotation = field.annotation
        if value is None and _is_mapping(annotation) and not _accepts_none(annotation):
            if field.is_required():
                out[key] = {}
            continue
        if typing.get_origin(annotation) is dict:
            item = typing.get_args(annotation)[1]
            inner = _model_in(item)
            if inner is not None and isinstance(value, dict):
                # An empty cohort is checked as one with nothing given, so that the
                # fields it needs are named rather than "a valid dictionary".
                value = {
                    name: _empty_sections_as_defaults(
                        {} if entry is None and not _accepts_none(item) else entry, inner
                    )
                    for name, entry in value.items()
                }
        else:
            inner = _model_in(annotation)
            if inner is not None:
                value = _empty_sections_as_defaults(value, inner)
        out[key] = value
    return out


def _line_of(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the longest prefix of ``loc`` that the file has."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _describe(error: dict, model: type[BaseModel]) -> str:
    """One readable sentence for a pydantic error, with what is allowed."""
    kind, loc = error["type"], tuple(error["loc"])
    given = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"unknown field '{loc[-1]}'{hint} Allowed here: {', '.join(allowed)}"
    if kind == "missing":
        return "this field is required"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"'{given}' is not allowed; choose one of {expected}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if given is not None and not isinstance(given, (dict, list)):
        return f"{message} (got {given!r})"
    return message


def validate(
    located: Located,
    file: str,
    model: type[BaseModel] = Scenario,
    overrides: dict[tuple, str] | None = None,
):
    """Validate raw data against a configuration model.

    A section left empty (``population:`` with nothing under it) stands for its defaults.

    Args:
        located: The data with its lines.
        file: The file name to report.
        model: The configuration class.
        overrides: Paths set on the command line, reported as ``--set`` rather than a line.

    Returns:
        The validated configuration.

    Raises:
        ScenarioError: The first problem found, with its place.
    """
    try:
        return model.model_validate(_empty_sections_as_defaults(located.data, model))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # Report the most specific error: a union produces one per branch.
        error = max(errors, key=lambda e: (e["type"] != "missing", len(e["loc"])))
        loc, _ = _walk(model, tuple(error["loc"]))
        raise _error_at(file, located, loc, _describe(error, model), overrides) from None


def _error_at(
    file: str, located: Located, loc: tuple, problem: str, overrides: dict[tuple, str] | None
) -> ScenarioError:
    """An error at a field: on the command line if a ``--set`` made it, else in the file."""
    dotted = ".".join(map(str, loc))
    for path, text in (overrides or {}).items():
        if loc[: len(path)] == path or path[: len(loc)] == loc:
            return ScenarioError("--set", f"{problem} [from --set {text}]", field=dotted)
    return ScenarioError(file, problem, _line_of(located.lines, loc), dotted)


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
        for other in involved:
            for path, text in (overrides or {}).items():
                if other[: len(path)] == path or path[: len(other)] == other:
                    raise ScenarioError(
                        "--set", f"{problem} [from --set {text}]", field=".".join(map(str, loc))
                    )
        raise _error_at(file, located, loc, problem, overrides)

    for label in ("icebreaker", "guides"):
        item = getattr(scenario.interventions, label)
        if item is None:
            continue
        for index, name in enumerate(item.cohorts):
            if name not in scenario.groups:
                known = ", ".join(scenario.groups) or "none declared"
                guess = difflib.get_close_matches(name, list(scenario.groups), n=1)
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                loc = ("interventions", label, "cohorts", index)
                fail(
                    loc,
                    f"'{name}' is not a cohort in groups{hint} Known cohorts: {known}",
                    ("groups",),
                )
    for name, cohort in scenario.groups.items():
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


def _check_cohort_of_override(keys: tuple[str, ...], cohorts: set[str]) -> None:
    """A ``--set`` into a cohort the scenario does not have is a typo, not a new cohort.

    Without this, ``--set groups.lectur.size=10`` would make a cohort ``lectur`` with
    only a size, and the error would be its missing driver, blamed on the file.
    """
    if keys[0] != "groups" or len(keys) < 3 or keys[1] in cohorts:
        return
    known = sorted(cohorts)
    guess = difflib.get_close_matches(keys[1], known, n=1)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    raise ScenarioError(
        "--set",
        f"'{keys[1]}' is not a cohort of this scenario{hint} Cohorts: "
        f"{', '.join(known) or 'none'} (a new cohort is set whole: --set "
        f"'groups.{keys[1]}={{driver: event, count: 1, size: 10}}')",
        field=".".join(keys),
    )


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
        _check_cohort_of_override(keys, cohorts)
        if keys[0] == "groups" and len(keys) == 2:
            cohorts.add(keys[1])  # set whole: a new cohort on purpose
    network = located.data.get("network")
    if isinstance(network, dict) and isinstance(network.get("edgelist"), dict):
        given = network["edgelist"].get("path")
        if isinstance(given, str) and not Path(given).is_absolute():
            network["edgelist"]["path"] = str(Path(path).parent / given)
    if located.data.get("name") is None:
        located.data["name"] = name_from_stem(Path(path).stem, "scenario")
    scenario = validate(located, file, Scenario, set_paths)
    cross_check(scenario, located, file, set_paths)
    if scenario.network.generator == "edgelist":
        from sim.world.generators import edgelist

        # Read now, so that a bad edge list is reported before anything is built.
        try:
            edgelist(scenario.population.size, scenario.network)
        except ScenarioError as error:
            named = _error_at(file, located, ("network", "edgelist", "path"), "", set_paths)
            where = named.file if named.line is None else f"{named.file}:{named.line}"
            error.problem += f" (the edge list of {where} network.edgelist.path)"
            raise ScenarioError(error.file, error.problem, error.line, error.field) from None
    if memory is not None:
        from sim.resources import memory_problem

        problem = memory_problem(scenario, with_groups=memory == "run")
        if problem is not None:
            raise _error_at(file, located, *problem, set_paths)
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
