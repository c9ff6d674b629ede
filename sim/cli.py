"""The ``groupsim`` command line: the only part of groupsim that talks to people.

Bad input (a missing file, YAML syntax, an unknown key, a value out of range) is
reported as one message naming the file, line and field, with exit status 2 and no
traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim.output import check_folder, writing
from sim.scenario import ScenarioError, json_schema, load_scenario

app = typer.Typer(
    name="groupsim",
    help="Agent-based simulator of social spread in chat groups and communities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Redirected output is not cut to 80 columns: tables stay readable in logs and files.
out_console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

SHORT_HEADERS = {
    "median lifetime (days)": "median\nlifetime\n(days)",
    "95% CI low": "95% CI\nlow",
    "95% CI high": "95% CI\nhigh",
    "peak members": "peak\nmembers",
    "final members": "final\nmembers",
    "posts per member-day": "posts per\nmember-day",
    "accepted invites per member": "accepted\ninvites per\nmember",
    "muted share": "muted\nshare",
    "alive at end": "alive\nat end",
}

Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: --set population.size=5000 (repeatable)."),
]


def fail(error: ScenarioError) -> None:
    """Print a bad-input error as one message and exit with status 2."""
    # Messages quote the input, which may hold brackets: they are not rich markup.
    err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _number(value: object) -> str:
    if isinstance(value, float):
        if np.isinf(value):
            return "∞"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, list):
        return " / ".join(_number(v) for v in value)
    return str(value)


def rich_table(frame, title: str) -> Table:
    """A DataFrame as a rich table."""
    # Names such as rmst[plain] must not be read as rich markup.
    table = Table(title=escape(title), title_justify="left")
    for column in frame.columns:
        header = SHORT_HEADERS.get(str(column), str(column))
        justify = "left" if frame[column].dtype == object else "right"
        table.add_column(escape(header), justify=justify)
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(_number(v)) for v in row))
    return table


def _is_experiment(path: Path) -> bool:
    """Whether a YAML file is an experiment (it varies parameters) rather than a scenario."""
    from sim.scenario import read_yaml

    return "parameters" in read_yaml(path).data


@app.command()
def validate(file: Path, set_: Overrides = None) -> None:
    """Check a scenario or experiment file and say what is wrong with it, if anything."""
    try:
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
        table.add_row(key, _number(value))
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
        loaded = load_scenario(scenario, set_ or [], memory="run")
        check_folder(out, str(loaded.name))
    except ScenarioError as error:
        fail(error)
    from sim.runner import run as run_scenario  # after the checks, as in world

    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(f"{loaded.name}: days", total=loaded.days)
        result = run_scenario(
            loaded,
            overrides=set_ or [],
            out=out,
            progress=lambda day: progress.update(task, completed=day),
            written=scenario.read_text(encoding="utf-8"),
        )
    if len(result.summary):
        out_console.print(rich_table(result.summary, f"{loaded.name}: groups by cohort"))
    else:
        out_console.print("No groups in this scenario.")
    out_console.print(f"results: {result.out_dir}", highlight=False)


@app.command()
def sweep(
    experiment: Path,
    workers: Annotated[
        int, typer.Option(min=1, help="Local worker processes (1: run in this process).")
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
    dask_local: Annotated[
        int | None,
        typer.Option("--dask-local", min=1, help="Start a local Dask cluster with N workers."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep stored runs; run only the missing ones.")
    ] = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete stored runs of this sweep and start over.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Folder under which the sweep folder is written.")] = (
        Path("results")
    ),
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
            )
        except SweepError as error:
            progress.stop()
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(2) from None
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
            interval = "" if np.isnan(low) else f" [{_number(low)}, {_number(high)}]"
            cells[metric] = f"{_number(float(mean))}{interval}"
        rows.append(cells)
    return pd.DataFrame(rows).astype(object)


APP_SCENARIOS_VARIABLE = "GROUPSIM_SCENARIOS"
"""How ``groupsim app`` tells the page (``sim/app.py``) which scenarios to offer."""


@app.command(name="app")
def app_command(
    scenarios: Annotated[
        Path,
        typer.Argument(help="A folder of scenario files, or one file (its folder is offered)."),
    ] = Path("scenarios"),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
) -> None:
    """Watch scenarios day by day in the browser (Mesa's SolaraViz page, sim/app.py)."""
    import importlib.util
    import os
    import subprocess

    if not scenarios.exists():
        err_console.print(f"[bold red]error:[/] {escape(str(scenarios))}: no such file or folder")
        raise typer.Exit(2)
    folder = scenarios.parent if scenarios.is_file() else scenarios
    files = sorted(folder.glob("*.yaml"))
    if not files:
        err_console.print(f"[bold red]error:[/] {escape(str(folder))}: no *.yaml scenario files")
        raise typer.Exit(2)
    for file in files:  # the page offers every one: check them all before serving
        try:
            load_scenario(file)
        except ScenarioError as error:
            fail(error)
    if importlib.util.find_spec("solara") is None:
        err_console.print(
            "[bold red]error:[/] the app needs the viz extra: "
            "bash .ci/setup --viz (or pip install 'groupsim[viz]')"
        )
        raise typer.Exit(2)
    env = {
        **os.environ,
        APP_SCENARIOS_VARIABLE: str(scenarios.resolve()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    page = Path(__file__).with_name("app.py")
    command = [sys.executable, "-m", "solara", "run", str(page), "--production"]
    err_console.print(f"groupsim app: http://{host}:{port} (Ctrl+C stops it)", highlight=False)
    try:
        done = subprocess.run([*command, "--host", host, "--port", str(port)], env=env)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(done.returncode)


@app.command()
def metrics() -> None:
    """List the metrics a sweep can record."""
    from sim.sweep import METRICS

    table = Table(title="Metrics (use name or name[cohort] in an experiment)", title_justify="left")
    for column in ("name", "family", "unit", "per cohort", "what it measures"):
        table.add_column(column)
    for metric in METRICS.values():
        table.add_row(
            metric.name,
            metric.family,
            metric.unit,
            "yes" if metric.per_cohort else "no",
            metric.description,
        )
    out_console.print(table)


def main() -> None:
    """Entry point of the ``groupsim`` console script."""
    try:
        app()
    except ScenarioError as error:  # raised deeper than a command's own check
        err_console.print(
            f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
