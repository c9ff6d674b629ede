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
    report_only: Annotated[
        bool,
        typer.Option(
            "--report-only",
            help="Run nothing: write the report (--doc) again from the results of the last "
            "calibration under --out, e.g. once the defaults are set to its best point.",
        ),
    ] = False,
) -> None:
    """Fit free parameters to fact targets (ABC-SMC); accepted ranges, best point."""
    from sim.calibration import calibrate as fit
    from sim.calibration import load_calibration

    try:
        loaded = load_calibration(file)
    except ScenarioError as error:
        fail(error)
    if report_only and doc is None:
        fail("--report-only writes the report again: give --doc PATH")
    try:
        import pyabc  # noqa: F401
    except ImportError:
        fail("calibration needs pyabc: pip install 'groupsim[calibrate]'")
    from sim.calibration.fit import (
        quiet_pyabc,
        read_calibration,
        write_accepted,
        write_calibration,
    )
    from sim.calibration.report import calibration_markdown, posterior_figure

    folder = out / "calibration" / loaded.name
    if report_only:
        try:
            result = read_calibration(folder)
        except (OSError, KeyError, ValueError) as error:
            fail(f"{folder}: no calibration results to report ({error}); run it first")
        if result.manifest.get("calibration_as_written") != loaded.written:
            fail(f"{file} has changed since the calibration in {folder} ran; run it again")
        particles = particles or _override(result.manifest, "particles", loaded.spec.particles)
        generations = generations or _override(
            result.manifest, "generations", loaded.spec.generations
        )
    else:
        quiet_pyabc()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as progress:
            task = progress.add_task(f"{loaded.name}: compiling, first simulation", total=None)

            def ran(runs: int) -> None:
                progress.update(task, description=f"{loaded.name}: {runs} simulations")

            result = fit(loaded, particles=particles, generations=generations, progress=ran)
        folder = write_calibration(result, folder)
        posterior_figure(result, folder / "posterior.png")
        shown = result.ranges.drop(columns="log")
        out_console.print(rich_table(shown, f"{loaded.name}: accepted ranges"))
        out_console.print(f"results: {folder}", highlight=False)
        out_console.print(f"accepted ranges: {write_accepted(result, file)}", highlight=False)
    if doc is not None:
        # The command that made the results, whether or not this call ran them.
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


def _override(manifest: dict, key: str, in_file: int) -> int | None:
    """The value a stored calibration was run with, if it overrode the file's."""
    value = manifest.get(key)
    return int(value) if value is not None and int(value) != in_file else None
