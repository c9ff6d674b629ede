"""``groupsim calibrate``: fit free parameters to published facts, and report."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sim.cli.common import app, err_console, fail, out_console, rich_table
from sim.scenario import ScenarioError


@app.command()
def calibrate(
    file: Path,
    particles: Annotated[
        int | None,
        typer.Option(min=4, max=100_000, help="Particles per generation, instead of the file's."),
    ] = None,
    generations: Annotated[
        int | None,
        typer.Option(min=1, max=100, help="ABC-SMC generations, instead of the file's."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder under which calibration/<name>/ goes.")] = (
        Path("results")
    ),
    doc: Annotated[
        Path | None,
        typer.Option(help="Write the report here (e.g. docs/calibration.md), with its figure."),
    ] = None,
) -> None:
    """Fit free parameters to fact targets (ABC-SMC); accepted ranges, best point."""
    from sim.calibration import calibrate as fit
    from sim.calibration import load_calibration

    try:
        loaded = load_calibration(file)
    except ScenarioError as error:
        fail(error)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        fail("calibration needs pyabc: pip install 'groupsim[calibrate]'")
    from sim.calibration.fit import quiet_pyabc, write_accepted, write_calibration
    from sim.calibration.report import calibration_markdown, posterior_figure

    quiet_pyabc()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(f"{loaded.name}: compiling, first simulation", total=None)

        def ran(runs: int) -> None:
            progress.update(task, description=f"{loaded.name}: {runs} simulations")

        result = fit(loaded, particles=particles, generations=generations, progress=ran)
    folder = write_calibration(result, out / "calibration" / loaded.name)
    posterior_figure(result, folder / "posterior.png")
    shown = result.ranges.drop(columns="log")
    out_console.print(rich_table(shown, f"{loaded.name}: accepted ranges"))
    out_console.print(f"results: {folder}", highlight=False)
    out_console.print(f"accepted ranges: {write_accepted(result, file)}", highlight=False)
    if doc is not None:
        command = "groupsim calibrate " + shlex.join(
            [str(file)]
            + ([f"--particles={particles}"] if particles else [])
            + ([f"--generations={generations}"] if generations else [])
            + [f"--doc={doc}"]
        )
        figure_path = doc.parent / "img" / "calibration" / f"{loaded.name}.png"
        posterior_figure(result, figure_path)
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(
            calibration_markdown(loaded, result, figure_path, doc, command), encoding="utf-8"
        )
        out_console.print(f"report: {doc}", highlight=False)
