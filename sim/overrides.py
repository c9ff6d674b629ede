"""Changes to raw scenario data by dotted path: ``--set`` overrides and sweep values.

``--set network.dunbar.cap=100`` and an experiment's ``set:`` and parameters all name a
field by its dotted path; the value goes into the raw data before it is validated, so
that one check covers the file and its changes alike.
"""

from __future__ import annotations

from typing import Any

from sim.errors import ScenarioError, did_you_mean
from sim.yamlfile import parse_yaml


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


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set a dotted path in raw scenario data to an already-parsed value.

    Raises:
        ScenarioError: The path is malformed or walks through a non-mapping.
    """
    apply_override(data, f"{dotted}=null")
    node = data
    keys = dotted.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


def check_cohort_of_override(keys: tuple[str, ...], cohorts: set[str]) -> None:
    """A ``--set`` into a cohort the scenario does not have is a typo, not a new cohort.

    Without this, ``--set groups.lectur.size=10`` would make a cohort ``lectur`` with
    only a size, and the error would be its missing driver, blamed on the file.
    """
    if keys[0] != "groups" or len(keys) < 3 or keys[1] in cohorts:
        return
    known = sorted(cohorts)
    hint = did_you_mean(keys[1], known)
    raise ScenarioError(
        "--set",
        f"'{keys[1]}' is not a cohort of this scenario{hint} Cohorts: "
        f"{', '.join(known) or 'none'} (a new cohort is set whole: --set "
        f"'groups.{keys[1]}={{driver: event, count: 1, size: 10}}')",
        field=".".join(keys),
    )
