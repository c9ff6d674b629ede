"""``groupsim claims``: test the book claims with uncertainty and write the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from sim.cli.common import Overrides, app, err_console, fail, out_console, rich_table
from sim.scenario import ScenarioError


def parse_sets(assignments: list[str]) -> dict[str, Any]:
    """``--set path=value`` texts as ``{path: value}`` (values read as YAML).

    Raises:
        ScenarioError: An assignment is malformed.
    """
    from sim.yamlfile import parse_yaml

    changes: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise ScenarioError("--set", f"'{text}' is not of the form path.to.field=value")
        dotted, raw = (part.strip() for part in text.split("=", 1))
        if not dotted or not all(dotted.split(".")):
            raise ScenarioError(
                "--set", f"'{dotted}' is not a dotted path like behaviour.leave_rate"
            )
        changes[dotted] = parse_yaml(raw, "--set").data if raw else None
    return changes


@app.command()
def claims(
    ids: Annotated[list[str] | None, typer.Argument(help="Claims to test (default: all).")] = None,
    replicates: Annotated[
        int | None,
        typer.Option(min=2, max=10_000, help="Replicates per variant (default: each claim's)."),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="Each claim's quick: changes and quick_replicates, and 2 draws."
        ),
    ] = False,
    draws: Annotated[
        int | None,
        typer.Option(min=0, max=1000, help="Robustness draws (default 8; 2 with --quick)."),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Local worker processes (1: run in this process).")
    ] = 1,
    sets: Overrides = None,
    folder: Annotated[Path, typer.Option("--claims", help="Folder of claim files.")] = Path(
        "claims"
    ),
    calibration: Annotated[
        Path, typer.Option(help="Calibration whose ranges are the uncertain parameters.")
    ] = Path("experiments/calibration/facts.yaml"),
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Write the report from stored results only.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Folder under which claims/ goes.")] = Path("results"),
) -> None:
    """Test book claims: effect, 95% CI, verdict and robustness share; writes the report."""
    from sim.claims import claim_files, load_claim, run_claim, write_report
    from sim.claims.report import summary_rows
    from sim.sweep import Executor

    k = draws if draws is not None else (2 if quick else 8)
    try:
        changes = parse_sets(sets or [])
        files = claim_files(folder, ids)
        loaded = [load_claim(f, quick=quick, replicates=replicates) for f in files]
        # The report covers every claim file, with the stored results of those not run now.
        asked = {c.id for c in loaded}
        others = [load_claim(f) for f in claim_files(folder) if f.stem not in asked]
        everyone = sorted([*loaded, *others], key=lambda c: int(c.id[1:]))
    except ScenarioError as error:
        fail(error)
    executor = Executor(workers=workers)
    testable = [c for c in loaded if c.spec.testable]
    if not report_only:
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), console=err_console, transient=True) as bar:
            for claim in testable:
                task = bar.add_task(f"{claim.id}", total=None)

                def ran(stage: str, done: int, total: int, task=task, name=claim.id) -> None:
                    bar.update(task, description=f"{name} {stage}", completed=done, total=total)

                try:
                    run_claim(
                        claim,
                        out=out,
                        executor=executor,
                        k=k,
                        quick=quick,
                        changes=changes,
                        calibration=calibration,
                        progress=ran,
                    )
                except ScenarioError as error:
                    fail(error)
                bar.remove_task(task)
    report = write_report(everyone, out)
    rows = pd.DataFrame(summary_rows(loaded, out))
    if len(rows):
        out_console.print(rich_table(rows, "book claims: effect [95% CI], verdict, robustness"))
    for claim in loaded:
        if not claim.spec.testable:
            out_console.print(
                f"{claim.id} not testable yet: {' '.join(claim.spec.reason.split())}",
                highlight=False,
                markup=False,
            )
    for claim_id in report.changed:
        err_console.print(
            f"{claim_id}: the claim file changed after its results were produced; re-run it",
            highlight=False,
            markup=False,
        )
    out_console.print(f"report: {report.markdown} and {report.html}", highlight=False)
