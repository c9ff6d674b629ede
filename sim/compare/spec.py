"""A scenario's variants, read and checked, each made into the scenario it runs."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import Scenario, name_from_stem
from sim.errors import ScenarioError
from sim.overrides import set_path
from sim.resources import memory_problem
from sim.scenario import load_scenario, resolve_edgelist_path, scenario_from_dict
from sim.validation import error_at, line_of
from sim.yamlfile import read_yaml


@dataclass(frozen=True)
class Variant:
    """One option of a comparison.

    Attributes:
        name: Its name in the file.
        changes: What it changes, by dotted path.
        scenario: The scenario it runs (seed still the file's; each replicate sets its own).
    """

    name: str
    changes: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Comparison:
    """A scenario file with variants, ready to run.

    Attributes:
        file: The scenario file.
        name: The scenario's name (the results folder).
        written: The file's text, for the manifest.
        seed: The root seed: replicate ``r`` of every variant gets the same seed from it.
        replicates: Runs per variant.
        variants: In the file's order; the first is the reference.
    """

    file: Path
    name: str
    written: str
    seed: int
    replicates: int
    variants: list[Variant]

    @property
    def reference(self) -> Variant:
        """The variant the others are compared with."""
        return self.variants[0]


def load_comparison(
    path: str | Path, replicates: int = 10, *, check_memory: bool = True
) -> Comparison:
    """Read a scenario file and make each of its variants into a scenario.

    Args:
        path: The scenario YAML, with ``variants:``.
        replicates: Runs per variant (at least 2, for a confidence interval).
        check_memory: Refuse a variant whose run would not fit in this machine's memory.

    Raises:
        ScenarioError: The file is invalid, declares fewer than two variants, or a
            variant's changes make an invalid scenario (reported at the change's line).
    """
    file = str(path)
    scenario = load_scenario(path)
    located = read_yaml(path)
    if len(scenario.variants) < 2:
        raise ScenarioError(
            file,
            "groupsim compare needs at least two variants: add a section such as\n"
            "variants:\n  as_written: {}\n  no_lectures: {groups.lecture.count: 0}\n"
            "(the first is the reference the others are compared with)",
            line_of(located.lines, ("variants",)),
            "variants",
        )
    if replicates < 2:
        raise ScenarioError("--replicates", "at least 2 replicates give a confidence interval")
    base = copy.deepcopy(located.data)
    base.pop("variants", None)
    base.setdefault("name", name_from_stem(Path(path).stem, "scenario"))
    resolve_edgelist_path(base, Path(path).parent)
    variants = []
    for name, changes in scenario.variants.items():
        data = copy.deepcopy(base)
        for dotted, value in changes.items():
            try:
                set_path(data, dotted, value)
            except ScenarioError as error:
                raise error_at(file, located, ("variants", name, dotted), error.problem) from None
        try:
            made = scenario_from_dict(data, str(base["name"]))
        except ScenarioError as error:
            field = error.field or ""
            blamed = [d for d in changes if field == d or field.startswith(d + ".")]
            loc = ("variants", name, blamed[0]) if blamed else ("variants", name)
            problem = f"variant '{name}' makes an invalid scenario: {error.problem}"
            raise error_at(file, located, loc, problem) from None
        if check_memory and (problem := memory_problem(made)) is not None:
            raise error_at(file, located, ("variants", name), problem[1])
        variants.append(Variant(name, dict(changes), made))
    return Comparison(
        file=Path(path),
        name=str(base["name"]),
        written=Path(path).read_text(encoding="utf-8"),
        seed=scenario.seed,
        replicates=replicates,
        variants=variants,
    )
