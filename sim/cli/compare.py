"""``groupsim compare``: a scenario's variants side by side, with differences and CIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

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
from sim.scenario import ScenarioError


def _with_ci(mean: float, low: float, high: float) -> str:
    return f"{number(float(mean))} [{number(float(low))}, {number(float(high))}]"


def variant_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Metrics as rows, variants as columns: ``mean [low, high]``."""
    cells = summary.assign(cell=[_with_ci(*r) for r in summary[["mean", "low", "high"]].values])
    table = cells.pivot(index="metric", columns="variant", values="cell")
    table = table.reindex(index=list(dict.fromkeys(summary["metric"])))
    table = table[list(dict.fromkeys(summary["variant"]))]
    return table.reset_index()


def difference_table(differences: pd.DataFrame) -> pd.DataFrame:
    """Metrics as rows, each variant's paired difference against the reference [95% CI]."""
    if differences.empty:
        return differences
    return variant_table(
        differences.rename(columns={"difference": "mean"})[
            ["variant", "metric", "mean", "low", "high"]
        ]
    )


@app.command()
def compare(
    scenario: Path,
    replicates: Annotated[
        int, typer.Option(min=2, max=10_000, help="Runs per variant (common random numbers).")
    ] = 10,
    workers: Workers = 1,
    scheduler: Scheduler = None,
    dask_local: DaskLocal = None,
    resume: Resume = False,
    fresh: Fresh = False,
    out: Annotated[Path, typer.Option(help="Folder under which compare/<scenario>/ goes.")] = (
        Path("results")
    ),
) -> None:
    """Run a scenario's variants with replicates; means, differences and survival, with CIs."""
    from sim.compare import load_comparison, run_comparison
    from sim.compare.engine import CompareError
    from sim.sweep import Executor

    if sum([workers > 1, scheduler is not None, dask_local is not None]) > 1:
        fail("choose one of --workers, --scheduler and --dask-local")
    if resume and fresh:
        fail("--resume and --fresh exclude each other")
    try:
        comparison = load_comparison(scenario, replicates, check_memory=scheduler is None)
    except ScenarioError as error:
        fail(error)
    executor = Executor(workers=workers, scheduler=scheduler, dask_local=dask_local)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(f"{comparison.name}: runs", total=None)

        def ran(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_comparison(
                comparison, out=out, executor=executor, resume=resume, fresh=fresh, progress=ran
            )
        except CompareError as error:
            fail(str(error))
    reference = comparison.reference.name
    out_console.print(
        rich_table(
            variant_table(result.summary),
            f"{comparison.name}: each variant, mean [95% CI] over {replicates} replicates",
        )
    )
    if not result.differences.empty:
        out_console.print(
            rich_table(
                difference_table(result.differences),
                f"difference against '{reference}' [95% CI], paired by replicate",
                caption=f"rmst: restricted mean group lifetime up to {result.rmst_days} days",
            )
        )
    out_console.print(f"results: {result.folder}", highlight=False)
