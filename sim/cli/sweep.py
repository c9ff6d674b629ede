"""``groupsim sweep``: an experiment's runs, with their progress and summary tables."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sim.cli.common import (
    DaskLocal,
    Fresh,
    Resume,
    Scheduler,
    Workers,
    app,
    err_console,
    fail,
    number,
    out_console,
    rich_table,
)
from sim.scenario import ScenarioError, apply_override

PER_RUN = ("seed", "name")
"""Fields the sweep sets for every run: a --set of them would be replaced silently."""


def adjusted(loaded, overrides: list[str], replicates: int | None, *, check_memory: bool = True):
    """The experiment with ``--set`` applied to its base scenario and ``--replicates``.

    The stored runs of a sweep are known by the digest of their scenario, so a sweep
    changed this way neither reuses nor overwrites runs of the experiment as written
    (``--resume`` keeps those on disk and leaves them out of the tables).

    Args:
        loaded: The experiment as :func:`sim.sweep.load_experiment` read it.
        overrides: ``dotted.path=value`` strings for the base scenario.
        replicates: Runs per point, or None for the file's.
        check_memory: Refuse a largest run that would not fit in this machine's memory.

    Raises:
        ScenarioError: An override of a varied parameter, of ``seed`` or ``name``, or one
            that makes any point's scenario invalid.
    """
    from sim.resources import memory_problem
    from sim.sweep.execute import point_scenario

    if not overrides and replicates is None:
        return loaded
    experiment = loaded.experiment
    base = copy.deepcopy(loaded.base)
    fixed = dict(experiment.set)
    for text in overrides:
        keys = apply_override(base, text)
        dotted = ".".join(keys)
        varied = [p for p in experiment.parameters if p == dotted or p.startswith(dotted + ".")]
        if varied or keys[0] in PER_RUN:
            why = f"the experiment varies '{varied[0]}'" if varied else "the sweep sets it per run"
            raise ScenarioError("--set", f"'{dotted}' cannot be set: {why}", field=dotted)
        node = base
        for key in keys:
            node = node[key]
        fixed[dotted] = copy.deepcopy(node)  # recorded with the experiment in the manifest
    biggest = None
    for point in {tuple(p.items()): p for p in loaded.points}.values():
        try:
            scenario = point_scenario(base, point, 0, loaded.name)
        except ScenarioError as error:
            raise ScenarioError("--set", f"with {', '.join(overrides)}: {error}") from None
        if biggest is None or scenario.population.size > biggest.population.size:
            biggest = scenario
    if check_memory and biggest is not None and (problem := memory_problem(biggest)):
        raise ScenarioError("--set", problem[1], field=".".join(map(str, problem[0])))
    update = {"set": fixed}
    if replicates is not None:
        update["replicates"] = replicates
    return dataclasses.replace(loaded, experiment=experiment.model_copy(update=update), base=base)


@app.command()
def sweep(
    experiment: Path,
    workers: Workers = 1,
    scheduler: Scheduler = None,
    dask_local: DaskLocal = None,
    resume: Resume = False,
    fresh: Fresh = False,
    out: Annotated[Path, typer.Option(help="Folder under which the sweep folder is written.")] = (
        Path("results")
    ),
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a field of the base scenario: --set population.size=2000 "
            "(repeatable; not a parameter the experiment varies).",
        ),
    ] = None,
    replicates: Annotated[
        int | None,
        typer.Option(min=1, max=10_000, help="Runs per point, instead of the file's number."),
    ] = None,
) -> None:
    """Run a parameter sweep: replicates, CIs, plots, results/<experiment>/."""
    from sim.sweep import Executor, SweepError, load_experiment, run_sweep

    chosen = [workers > 1, scheduler is not None, dask_local is not None]
    if sum(chosen) > 1:
        fail(ScenarioError("command line", "choose one of --workers, --scheduler, --dask-local"))
    if resume and fresh:
        fail(ScenarioError("command line", "choose --resume or --fresh, not both"))
    try:
        # A cluster's workers have memory of their own: only local runs are checked.
        loaded = load_experiment(experiment, check_memory=scheduler is None)
        loaded = adjusted(loaded, set_ or [], replicates, check_memory=scheduler is None)
    except ScenarioError as error:
        fail(error)
    executor = Executor(workers=workers, scheduler=scheduler, dask_local=dask_local)
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    runs = len(loaded.points) * loaded.experiment.replicates
    err_console.print(
        f"{loaded.name}: {len(loaded.points)} points × {loaded.experiment.replicates} "
        f"replicates = {runs} runs on {executor.describe()}",
        highlight=False,
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(f"{loaded.name}: runs", total=runs)
        try:
            result = run_sweep(
                loaded,
                out=out,
                executor=executor,
                resume=resume,
                fresh=fresh,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                command_line={"set": list(set_ or []), "replicates": replicates},
            )
        except SweepError as error:
            progress.stop()
            fail(error)
        except KeyboardInterrupt:
            progress.stop()
            err_console.print(
                "interrupted: the finished runs are stored; run the same command with "
                "--resume to continue",
                highlight=False,
            )
            raise typer.Exit(130) from None
    for note in result.notes:
        err_console.print(f"[bold yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    out_console.print(
        rich_table(_sweep_table(result, loaded), f"{loaded.name}: mean [95% CI] over replicates")
    )
    for key, table in result.survival.items():
        out_console.print(rich_table(table, f"{loaded.name}: pooled group survival by {key}"))
    if len(result.sensitivity):
        out_console.print(rich_table(result.sensitivity, f"{loaded.name}: sensitivity indices"))
    if result.failed:
        err_console.print(
            f"[bold red]{len(result.failed)} of {len(result.runs)} run(s) failed[/] (their "
            "metrics are empty; the reason is in the error column of runs.csv):",
            highlight=False,
        )
        for line in result.failed[:10]:
            err_console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    resumed = f", {result.manifest['resumed']} resumed" if resume else ""
    out_console.print(
        f"ran {result.ran} run(s){resumed}; results: {result.folder}", highlight=False
    )


def _sweep_table(result, loaded):
    """Points × metrics, each cell 'mean [low, high]' (at most 40 points shown)."""
    import pandas as pd

    parameters = list(loaded.experiment.parameters)
    rows = []
    for _, row in result.summary.head(40).iterrows():
        cells = {p: row[p] for p in parameters}
        for metric in loaded.experiment.metrics:
            mean, low, high = (row[f"{metric} {k}"] for k in ("mean", "low", "high"))
            interval = "" if np.isnan(low) else f" [{number(low)}, {number(high)}]"
            cells[metric] = f"{number(float(mean))}{interval}"
        rows.append(cells)
    return pd.DataFrame(rows).astype(object)
