"""Validating raw data against the configuration, with every problem at its line.

Pydantic reports an error at a location such as ``("groups", "chat", "size", "int")``;
here that location is cleaned of pydantic's own labels, turned into one readable
sentence with what is allowed, and placed at the file's line, or on the command line
when a ``--set`` made the problem.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config import Scenario
from sim.errors import ScenarioError, did_you_mean
from sim.yamlfile import Located

SCALAR_BRANCHES = {"int", "float", "str", "bool"}
"""Labels pydantic puts in an error's location for the scalar branch of a union it tried."""


@dataclass
class _Named:
    """Marks that the next key of a location is an item's name (a cohort), not a field."""

    model: type[BaseModel] | None


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def walk_location(model: type[BaseModel], loc: tuple) -> tuple[tuple, Any]:
    """Follow an error location through the configuration classes.

    Returns:
        The location without pydantic's union-branch labels (``int``,
        ``tuple[int, int]``), and the class whose fields the key after it would name.
    """
    clean: list = []
    owner: Any = model
    branch_next = False
    for key in loc:
        if branch_next and isinstance(key, str) and ("[" in key or key in SCALAR_BRANCHES):
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


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Names allowed where the last key of ``loc`` stands (for did-you-mean)."""
    _, owner = walk_location(model, loc[:-1])
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


def line_of(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the longest prefix of ``loc`` that the file has."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def describe_error(error: dict, model: type[BaseModel]) -> str:
    """One readable sentence for a pydantic error, with what is allowed."""
    kind, loc = error["type"], tuple(error["loc"])
    given = error.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc)
        hint = did_you_mean(str(loc[-1]), allowed)
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
        loc, _ = walk_location(model, tuple(error["loc"]))
        raise error_at(file, located, loc, describe_error(error, model), overrides) from None


def error_at(
    file: str,
    located: Located,
    loc: tuple,
    problem: str,
    overrides: dict[tuple, str] | None = None,
    involved: tuple[tuple, ...] = (),
) -> ScenarioError:
    """An error at a field: on the command line if a ``--set`` made it, else in the file.

    A ``--set`` made it when it set one of the other fields ``involved`` in the problem,
    or the field itself (a section around it or a field inside it).

    Args:
        file: The file name to report.
        located: The file's data with its lines.
        loc: The field's location.
        problem: What is wrong.
        overrides: Paths set on the command line, each with its ``--set`` text.
        involved: Other fields the problem depends on, checked first.
    """
    dotted = ".".join(map(str, loc))
    for field in (*involved, loc):
        for path, text in (overrides or {}).items():
            if field[: len(path)] == path or path[: len(field)] == field:
                return ScenarioError("--set", f"{problem} [from --set {text}]", field=dotted)
    return ScenarioError(file, problem, line_of(located.lines, loc), dotted)
