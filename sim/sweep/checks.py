"""The checks of an experiment against its base scenario, designs, metrics and memory.

Each check raises a :class:`~sim.errors.ScenarioError` at the experiment file's line of
the field to blame, including a problem that only shows once a parameter value is put
into the base scenario.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sim.errors import ScenarioError, did_you_mean
from sim.resources import memory_problem, run_bytes
from sim.scenario import scenario_from_dict
from sim.sweep.design import count_points
from sim.sweep.execute import point_scenario
from sim.sweep.registry import METRICS
from sim.sweep.spec import Experiment, Range, Scalar, parse_metric
from sim.validation import error_at
from sim.yamlfile import Located


def check_metrics(
    experiment: Experiment, located: Located, file: str, cohorts: list[str], run_imports: bool
) -> None:
    """Check that every metric is registered, listed once and restricted to a real cohort.

    With ``run_imports`` False the modules under ``imports:`` were not run, and a metric
    that is not registered yet is taken to come from them.
    """
    for index, text in enumerate(experiment.metrics):
        name, cohort = parse_metric(text)
        if name not in METRICS and not run_imports and experiment.imports:
            continue  # may be registered by the modules, which were not run
        if name not in METRICS:
            raise error_at(
                file,
                located,
                ("metrics", index),
                f"unknown metric '{name}'{did_you_mean(name, list(METRICS))} "
                f"Known metrics: {', '.join(METRICS)}",
            )
        if cohort is not None and not METRICS[name].per_cohort:
            raise error_at(
                file,
                located,
                ("metrics", index),
                f"'{name}' covers the whole run and cannot be restricted to a cohort",
            )
        if cohort is not None and cohort not in cohorts:
            raise error_at(
                file,
                located,
                ("metrics", index),
                f"'{cohort}' is not a cohort of the base scenario{did_you_mean(cohort, cohorts)} "
                f"Cohorts: {', '.join(cohorts) or 'none'}",
            )
    if len(set(experiment.metrics)) != len(experiment.metrics):
        raise error_at(file, located, ("metrics",), "a metric is listed twice")


# Set by the sweep for every run: a value given for them would be silently replaced.
_SET_PER_RUN = {
    "seed": "every run's seed derives from the experiment's seed, its values and its "
    "replicate; vary replicates, or set the experiment's own seed",
    "name": "every run takes the experiment's name",
}


def check_paths(base: dict, experiment: Experiment, located: Located, file: str) -> None:
    """Check that every parameter names a field the base scenario has (no new cohorts)."""
    for section in ("set", "parameters"):
        for dotted in getattr(experiment, section):
            if dotted in _SET_PER_RUN:
                raise error_at(
                    file,
                    located,
                    (section, dotted),
                    f"'{dotted}' cannot be given here: {_SET_PER_RUN[dotted]}",
                )

    try:
        resolved = scenario_from_dict(base, "base").model_dump(mode="json")
    except ScenarioError as error:
        field = error.field
        culprit = _path_to_blame(field, experiment.set)
        loc = ("set",) if culprit is None else ("set", culprit)
        raise error_at(
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
                    f"{did_you_mean(key, known)} Known here: {', '.join(map(str, known))}"
                    if known
                    else f" ({where} is not set in the base scenario, so it has no fields)"
                )
                raise error_at(
                    file,
                    located,
                    ("parameters", dotted),
                    f"the base scenario has no '{key}' under {where}{hint}",
                )
            node = node[key]
            walked.append(key)


def check_design(experiment: Experiment, located: Located, file: str) -> None:
    """Check that the parameters suit the design.

    A grid needs ``num`` for every range, Sobol and Morris need a range for every
    parameter, and Sobol a power of 2 of samples.
    """
    kind = experiment.design.kind
    for dotted, values in experiment.parameters.items():
        if isinstance(values, Range):
            if kind == "grid" and values.num is None:
                raise error_at(
                    file,
                    located,
                    ("parameters", dotted),
                    "a range in a grid design needs num (how many evenly spaced values)",
                )
        elif kind in ("sobol", "morris"):
            raise error_at(
                file,
                located,
                ("parameters", dotted),
                f"the {kind} design needs a range {{low, high}} for every parameter",
            )
    if kind == "sobol":
        n = experiment.design.samples or 0
        if n & (n - 1):
            raise error_at(
                file,
                located,
                ("design", "samples"),
                f"Sobol sampling needs a power of 2 (got {n})",
            )


def check_plots(experiment: Experiment, located: Located, file: str, cohorts: list[str]) -> None:
    """Check that every plot names parameters, metrics and a cohort the sweep has."""
    parameters = list(experiment.parameters)
    kind = experiment.design.kind
    for index, plot in enumerate(experiment.plots):
        for field in ("x", "y", "by"):
            value = getattr(plot, field)
            if value is not None and value not in parameters:
                raise error_at(
                    file,
                    located,
                    ("plots", index, field),
                    f"'{value}' is not a parameter of this sweep{did_you_mean(value, parameters)} "
                    f"Parameters: {', '.join(parameters)}",
                )
        if plot.metric is not None and plot.metric not in experiment.metrics:
            raise error_at(
                file,
                located,
                ("plots", index, "metric"),
                f"'{plot.metric}' is not among the metrics recorded"
                f"{did_you_mean(plot.metric, experiment.metrics)} "
                f"Recorded: {', '.join(experiment.metrics)}",
            )
        if plot.cohort is not None and plot.cohort not in cohorts:
            raise error_at(
                file,
                located,
                ("plots", index, "cohort"),
                f"'{plot.cohort}' is not a cohort of the base scenario"
                f"{did_you_mean(plot.cohort, cohorts)} Cohorts: {', '.join(cohorts) or 'none'}",
            )
        if plot.kind == "sensitivity" and kind not in ("sobol", "morris"):
            raise error_at(
                file,
                located,
                ("plots", index, "kind"),
                f"a sensitivity plot needs a sobol or morris design (this one is {kind})",
            )
        if plot.kind == "heatmap" and plot.x == plot.y:
            raise error_at(
                file, located, ("plots", index, "y"), "a heatmap needs two different parameters"
            )


MAX_RUNS = 100_000
"""Most runs one sweep may have: planning takes about a millisecond and 5 kB a run."""


def check_size(experiment: Experiment, located: Located, file: str) -> None:
    """Refuse a sweep too large to plan, before its points are made."""
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
    raise error_at(
        file,
        located,
        loc,
        f"this sweep would make {points:,} points × {experiment.replicates} replicates = "
        f"{runs:,} runs; at most {MAX_RUNS:,} runs fit in one sweep: use {how}, or fewer "
        "replicates",
    )


def check_largest_run_fits(
    biggest: tuple[Any, dict[str, Scalar]] | None, located: Located, file: str
):
    """Refuse a sweep whose largest run would not fit in this machine's memory."""
    if biggest is None:
        return
    scenario, point = biggest
    problem = memory_problem(scenario)
    if problem is None:
        return
    loc, text = problem
    dotted = ".".join(map(str, loc))
    culprit = _path_to_blame(dotted, point)
    where = ("scenario",) if culprit is None else ("parameters", culprit)
    raise error_at(file, located, where, f"at the point {_shown(point)}: {dotted}: {text}")


def check_points(
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
            culprit = _path_to_blame(error.field, point) or next(iter(point))
            raise error_at(
                file,
                located,
                ("parameters", culprit),
                f"at the point {_shown(point)}: "
                f"{error.field + ': ' if error.field else ''}{error.problem}",
            ) from None
        need = run_bytes(scenario).total
        if need > most:
            biggest, most = (scenario, point), need
    return biggest


def _path_to_blame(field: str, paths: Iterable[str]) -> str | None:
    """The first of the dotted ``paths`` that is ``field``, a section around it or inside it."""
    return next((p for p in paths if field and (field.startswith(p) or p.startswith(field))), None)


def _shown(point: dict[str, Scalar]) -> str:
    """A point as ``path=value, ...``."""
    return ", ".join(f"{k}={v}" for k, v in point.items())
