"""The commands on one scenario: validate, schema, world, run; and the metrics list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim.cli.common import (
    Overrides,
    app,
    commerce_tables,
    err_console,
    fail,
    number,
    out_console,
    summary_tables,
)
from sim.output import check_folder, writing
from sim.scenario import ScenarioError, json_schema, load_scenario


def _is_experiment(path: Path) -> bool:
    """Whether a YAML file is an experiment (it varies parameters) rather than a scenario."""
    from sim.scenario import read_yaml

    data = read_yaml(path).data
    return "parameters" in data and "targets" not in data


def _is_calibration(path: Path) -> bool:
    """Whether a YAML file is a calibration (it fits parameters to targets)."""
    from sim.scenario import read_yaml

    return "targets" in read_yaml(path).data


@app.command()
def validate(file: Path, set_: Overrides = None) -> None:
    """Check a scenario, experiment or calibration file and say what is wrong with it."""
    try:
        if _is_calibration(file):
            from sim.calibration import load_calibration

            if set_:
                raise ScenarioError("--set", "overrides apply to scenarios, not calibrations")
            calibration = load_calibration(file)
            out_console.print(
                f"{file}: valid calibration '{calibration.name}': "
                f"{len(calibration.spec.parameters)} parameters, "
                f"{len(calibration.spec.targets)} targets",
                highlight=False,
            )
            return
        if _is_experiment(file):
            from sim.sweep import load_experiment

            if set_:
                raise ScenarioError("--set", "overrides apply to scenarios, not experiments")
            # Imports are only located: validating must not run anyone's code.
            experiment = load_experiment(file, run_imports=False)
            runs = len(experiment.points) * experiment.experiment.replicates
            out_console.print(
                f"{file}: valid experiment '{experiment.name}': {len(experiment.points)} "
                f"points × {experiment.experiment.replicates} replicates = {runs} runs",
                highlight=False,
            )
            for module, origin in experiment.imports.items():
                out_console.print(
                    f"imports: '{module}' from {origin} is not run now; the sweep runs its "
                    "code when it starts (its metrics are checked then)",
                    highlight=False,
                )
            return
        loaded = load_scenario(file, set_ or [], memory="run")
    except ScenarioError as error:
        fail(error)
    out_console.print(f"{file}: valid scenario '{loaded.name}'", highlight=False)
    from sim.notices import ineffective_settings

    for note in ineffective_settings(loaded):
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    sys.stdout.write(json_schema() + "\n")


@app.command()
def world(
    scenario: Path,
    set_: Overrides = None,
    out: Annotated[Path, typer.Option(help="Folder for the figure.")] = Path("results"),
    sample: Annotated[int, typer.Option(help="People sampled for clustering and layers.")] = 2000,
) -> None:
    """Build the scenario's world and print its statistics; write a figure."""
    try:
        loaded = load_scenario(scenario, set_ or [], memory="world")
        folder = check_folder(out, str(loaded.name))
    except ScenarioError as error:
        fail(error)
    # Imported once the input is known to be good: bad input is refused at once.
    from sim import plots
    from sim.model import GroupModel
    from sim.world.stats import world_statistics

    with err_console.status(f"building a world of {loaded.population.size:,} people"):
        model = GroupModel(
            scenario=loaded.model_copy(update={"groups": {}}), rng=loaded.seed, agents=False
        )
        exponent = loaded.network.ties.allocation_exponent
        stats = world_statistics(
            model.world,
            exponent,
            len(loaded.network.dunbar.layers),
            np.random.default_rng([loaded.seed, 1]),
            sample,
        )
    table = Table(title=f"World of {loaded.name}", title_justify="left")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        table.add_row(key, number(value))
    out_console.print(table)
    figure = folder / "world.png"
    with writing(figure, cleanup=figure):
        path = plots.world_figure(model.world, stats, exponent, figure)
    out_console.print(f"figure: {path}", highlight=False)


@app.command()
def run(
    scenario: Path,
    set_: Overrides = None,
    out: Annotated[Path, typer.Option(help="Folder under which the run folder is written.")] = Path(
        "results"
    ),
) -> None:
    """Run a scenario: progress, a summary by cohort, and results/<scenario>/<run-id>/."""
    try:
        if _is_experiment(scenario):
            fail(f"{scenario}: this is an experiment: use `groupsim sweep {scenario}`")
        if _is_calibration(scenario):
            fail(f"{scenario}: this is a calibration: use `groupsim calibrate {scenario}`")
        loaded = load_scenario(scenario, set_ or [], memory="run")
        check_folder(out, str(loaded.name))
    except ScenarioError as error:
        fail(error)
    from sim.runner import run as run_scenario  # after the checks, as in world

    columns = (
        SpinnerColumn(),
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        # Until the first day ends the world is built and, on first use, the kernels are
        # compiled: that can take a while, so it is said rather than left at 0/180.
        task = progress.add_task(
            f"{loaded.name}: building a world of {loaded.population.size:,} people "
            "(and compiling, on first use)",
            total=None,
        )

        def day_done(day: int) -> None:
            progress.update(
                task, completed=day, total=loaded.days, description=f"{loaded.name}: days"
            )

        result = run_scenario(
            loaded,
            overrides=set_ or [],
            out=out,
            progress=day_done,
            written=scenario.read_text(encoding="utf-8"),
        )
    if len(result.summary):
        for table in summary_tables(result.summary, str(loaded.name)):
            out_console.print(table)
    else:
        out_console.print("No groups in this scenario.")
    if result.commerce:
        brand = result.manifest["brand_in_top15"]
        for table in commerce_tables(result.commerce, str(loaded.name), brand):
            out_console.print(table)
    for note in result.manifest["notes"]:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    out_console.print(f"results: {result.out_dir}", highlight=False)


@app.command()
def metrics() -> None:
    """List the metrics a sweep can record."""
    from sim.sweep import METRICS

    table = Table(
        title=escape("Metrics (use name or name[cohort] in an experiment)"), title_justify="left"
    )
    for column in ("name", "family", "unit", "per cohort", "what it measures"):
        table.add_column(column)
    for metric in METRICS.values():
        # escape: rich would read "name[cohort]" in a description as markup and drop it.
        table.add_row(
            *map(
                escape,
                (
                    metric.name,
                    metric.family,
                    metric.unit,
                    "yes" if metric.per_cohort else "no",
                    metric.description,
                ),
            )
        )
    out_console.print(table)
