"""``groupsim facts``: the model checked against published stylized facts."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from sim.cli.common import Overrides, app, err_console, fail, out_console, rich_table
from sim.scenario import ScenarioError


@app.command()
def facts(
    replicates: Annotated[
        int | None, typer.Option(help="Runs of each scenario, at least 1 [default: 5; 2 quick].")
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Small populations, short horizons, 2 replicates.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Root seed of every run (same seed, same report).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the figures.")] = Path(
        "docs/img/validation"
    ),
    doc: Annotated[Path, typer.Option(help="The Markdown report written.")] = Path(
        "docs/validation.md"
    ),
    set_: Overrides = None,
) -> None:
    """Run the checks of published facts (F1-F19) and write docs/validation.md.

    With --set, every scenario runs with that setting changed: a what-if.
    The report's first line gives the command, overrides included.
    """
    from sim.facts import CHECKS
    from sim.facts.run import check_replicates, run_checks

    if replicates is None:
        replicates = 2 if quick else 5
    try:
        check_replicates(replicates)
        if seed < 0:
            raise ScenarioError("--seed", f"must be at least 0, got {seed}", field="seed")
        for folder in (out, doc.parent):
            if folder.exists() and not folder.is_dir():
                raise ScenarioError(str(folder), "is a file, not a folder")
    except ScenarioError as problem:
        fail(problem)
    from sim.facts.report import write_report

    scenarios = list(dict.fromkeys(c.scenario for c in CHECKS))
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    started = time.perf_counter()
    with Progress(*columns, TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("runs (first one compiles)", total=len(scenarios) * replicates)

        def done(name: str, replicate: int) -> None:
            bar.update(task, advance=1, description=f"{name}, replicate {replicate + 1}")

        try:
            report, data = run_checks(
                replicates, seed, quick=quick, progress=done, overrides=tuple(set_ or [])
            )
        except ScenarioError as problem:
            fail(problem)
    parts = ["groupsim facts"]
    if quick:
        parts.append("--quick")
    parts.append(f"--replicates {replicates}")
    parts.append(f"--seed {seed}")
    parts += [f"--set {shlex.quote(setting)}" for setting in set_ or []]
    written = write_report(
        report,
        data,
        out,
        doc,
        command=" ".join(parts),
        seed=seed,
        replicates=replicates,
        quick=quick,
    )
    shown = report[
        ["fact", "measure", "scenario", "model mean", "CI low", "CI high", "replicates", "verdict"]
    ].assign(measure=report["measure"].str.slice(0, 60))
    for column in ("CI low", "CI high"):
        # With one replicate there is no interval: said, not shown as a number.
        shown[column] = [v if np.isfinite(v) else "undefined" for v in shown[column]]
    out_console.print(rich_table(shown, "Published facts: the model's figure and verdict"))
    counts = report["verdict"].value_counts()
    out_console.print(
        ", ".join(f"{k}: {int(counts.get(k, 0))}" for k in ("agrees", "disagrees", "undefined"))
        + f" ({time.perf_counter() - started:.0f} s)",
        highlight=False,
    )
    if replicates < 2:
        out_console.print(
            "With one replicate the 95% CI, and so every verdict, is undefined.", highlight=False
        )
    out_console.print(f"report: {written[-1]}; figures: {out}", highlight=False)
