"""A sweep from start to finish: plan the runs, run what is missing, assemble the results.

``results/<experiment>/`` holds:

- ``runs/<run-id>.json``: one record per finished run (written atomically as it ends);
- ``runs.parquet`` and ``runs.csv``: one row per run, parameters and metrics;
- ``summary.parquet`` and ``summary.csv``: one row per point, each metric's mean and
  95% CI over replicates;
- ``lifetimes.parquet``: every group's lifetime in every run, for survival analysis;
- ``survival_<parameter>.csv``: pooled Kaplan–Meier median lifetime per level, for each
  survival plot;
- ``sensitivity.csv``: Sobol or Morris indices of every metric, for those designs;
- ``figures/*.png`` and ``manifest.json``.

Everything but ``runs/`` is rebuilt from the records at the end, so the tables depend on
the records only, not on the order in which runs finished or where they ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Scenario
from sim.output import check_folder, writing
from sim.resources import memory_problem
from sim.runner import code_digest, git_commit, run_id, versions
from sim.sweep import figures
from sim.sweep.analysis import point_summary, pooled_survival, sensitivity
from sim.sweep.design import run_seed
from sim.sweep.execute import Executor, Task, pending, point_scenario, rough_cost
from sim.sweep.load import LoadedExperiment, load_experiment
from sim.sweep.store import (
    RunStore,
    StoredRunsError,
    atomic_write,
    made_by_other_code,
    reusable_runs,
    stored_value,
)


class SweepError(ValueError):
    """A sweep that cannot start as asked (for example, results already there)."""


@dataclass
class SweepResult:
    """A finished sweep.

    Attributes:
        folder: ``results/<experiment>/``.
        runs: One row per run: run, point, replicate, seed, run_id, parameters, metrics.
        summary: One row per point: parameters and each metric's mean and 95% CI.
        lifetimes: One row per group per run: run, cohort, lifetime, censored.
        survival: Pooled Kaplan–Meier medians per level, by survival plot parameter.
        sensitivity: Sobol or Morris indices (empty for other designs).
        figures: The PNG files written.
        manifest: What was run, with which versions, where and how long.
        ran: Runs executed by this call (the rest were resumed from disk).
        notes: What resuming found wrong with the stored records, and did about it.
        failed: One line per run that failed (its metrics are empty in ``runs``, and
            the reason is in its ``error`` column); the other runs are complete.
    """

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    lifetimes: pd.DataFrame
    survival: dict[str, pd.DataFrame] = field(default_factory=dict)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: list[Path] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    ran: int = 0
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def plan_tasks(loaded: LoadedExperiment) -> list[Task]:
    """One task per point and replicate, in run order."""
    experiment = loaded.experiment
    tasks = []
    for index, point in enumerate(loaded.points):
        for replicate in range(experiment.replicates):
            seed = run_seed(experiment, point, replicate)
            scenario = point_scenario(loaded.base, point, seed, loaded.name)
            tasks.append(
                Task(
                    run=index * experiment.replicates + replicate,
                    point=index,
                    replicate=replicate,
                    seed=seed,
                    run_id=run_id(scenario),
                    parameters=point,
                    scenario=scenario.model_dump(mode="json"),
                    metrics=tuple(experiment.metrics),
                    imports=tuple(experiment.imports),
                )
            )
    return tasks


def run_sweep(
    experiment: LoadedExperiment | str | Path,
    *,
    out: str | Path = "results",
    executor: Executor | None = None,
    resume: bool = False,
    fresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
    command_line: dict[str, Any] | None = None,
) -> SweepResult:
    """Run an experiment's missing runs and assemble its results.

    Args:
        experiment: A loaded experiment or the path of its YAML.
        out: Folder under which ``<experiment>/`` is written.
        executor: Where runs go (default: this process).
        resume: Keep the runs already stored and run only the others.
        fresh: Delete stored runs and start over.
        progress: Called with (runs finished, runs in all) as runs finish.
        command_line: What the command line changed of the experiment file (its
            ``--set`` and ``--replicates``), recorded in the manifest.

    Returns:
        The assembled results.

    Raises:
        ScenarioError: The experiment file is invalid.
        SweepError: Runs are stored already and neither ``resume`` nor ``fresh`` was given.
    """
    executor = executor or Executor()
    loaded = (
        experiment
        if isinstance(experiment, LoadedExperiment)
        else load_experiment(experiment, check_memory=executor.scheduler is None)
    )
    # Checked before anything is deleted or run: the folder must be inside ``out``.
    folder = check_folder(out, loaded.name)
    store = RunStore(folder)
    store.clear_partial()
    tasks = plan_tasks(loaded)
    wanted = {task.run_id for task in tasks}
    code = code_digest()  # of this process: what stored and new runs must match
    try:
        stored, notes = reusable_runs(
            store,
            wanted,
            list(loaded.experiment.metrics),
            resume=resume,
            fresh=fresh,
            code=code,
        )
    except StoredRunsError as error:
        raise SweepError(str(error).replace("of these", "of this sweep's")) from None
    todo = pending(tasks, stored)
    # Identical runs (the same point drawn twice) are run once.
    unique = list({task.run_id: task for task in todo}.values())
    _check_workers_fit(executor, unique)
    finished = len(wanted) - len({task.run_id for task in todo})
    if progress:
        progress(finished, len(wanted))
    started = time.perf_counter()

    def on_record(record: dict[str, Any]) -> None:
        nonlocal finished
        if problem := made_by_other_code(record, code):
            raise SweepError(problem)
        store.write(record)
        finished += 1
        if progress:
            progress(finished, len(wanted))

    # A full or read-only disk stops the sweep with one message; the runs stored until
    # then are whole, and --resume continues from them.
    with writing(folder, kept="the runs stored until then are whole; --resume continues"):
        executor.map(unique, on_record)
        wall = time.perf_counter() - started
        result = assemble(loaded, folder, store, tasks)
    result.ran = len(unique)
    result.notes = notes
    result.manifest.update(
        resume_notes=notes,
        executor=executor.describe(),
        ran_now=len(unique),
        resumed=len(wanted) - len(unique) if resume else 0,
        wall_seconds=round(wall, 3),
        command_line=command_line or {},
    )
    with writing(folder / "manifest.json"):
        atomic_write(folder / "manifest.json", json.dumps(result.manifest, indent=2, default=str))
    return result


def _check_workers_fit(executor: Executor, tasks: list[Task]) -> None:
    """Refuse local workers whose runs side by side would not fit in memory.

    The experiment's check covers one run at a time; on a cluster each worker has a
    machine of its own, so only local processes are counted here.
    """
    at_once = min(executor.workers, len(tasks))
    if executor.scheduler or executor.dask_local or at_once <= 1:
        return
    largest = Scenario.model_validate(max(tasks, key=rough_cost).scenario)
    problem = memory_problem(largest, runs_at_once=at_once)
    if problem is not None:
        raise SweepError(f"--workers {executor.workers}: {problem[1]}; use fewer workers")


def assemble(
    loaded: LoadedExperiment, folder: Path, store: RunStore, tasks: list[Task]
) -> SweepResult:
    """Build the tables, figures and manifest of a sweep from its stored records."""
    experiment = loaded.experiment
    parameters = list(experiment.parameters)
    metrics = list(experiment.metrics)
    rows, lifetimes = [], []
    failed: list[str] = []
    seconds = 0.0
    horizon = 0
    for task in tasks:
        record = store.read(task.run_id)
        seconds += record["seconds"]
        horizon = max(horizon, record["days_run"])
        rows.append(
            {
                "run": task.run,
                "point": task.point,
                "replicate": task.replicate,
                "seed": task.seed,
                "run_id": task.run_id,
                **{p: task.parameters[p] for p in parameters},
                **{m: stored_value(record["metrics"][m]) for m in metrics},
                "days_run": record["days_run"],
                "error": record.get("error", ""),
            }
        )
        if record.get("error"):
            failed.append(f"run {task.run} ({_shown(task.parameters)}): {record['error']}")
        life = pd.DataFrame(record["lifetimes"])
        life.insert(0, "run", task.run)
        lifetimes.append(life)
    runs = pd.DataFrame(rows)
    lifetimes_table = (
        pd.concat(lifetimes, ignore_index=True)
        if lifetimes
        else pd.DataFrame(columns=["run", "cohort", "lifetime", "censored"])
    )
    summary = point_summary(runs, parameters, metrics)
    _write_table(runs, folder / "runs", csv=True)
    _write_table(summary, folder / "summary", csv=True)
    _write_table(lifetimes_table, folder / "lifetimes", csv=False)

    result = SweepResult(folder, runs, summary, lifetimes_table, failed=failed)
    notes: dict[str, str] = {}
    if experiment.design.kind in ("sobol", "morris"):
        parts = []
        for metric in metrics:
            try:
                frame, notes[metric] = sensitivity(experiment, runs, metric, horizon)
            except ValueError as error:
                notes[metric] = f"not computed: {error}"
                continue
            parts.append(frame)
        if parts:
            result.sensitivity = pd.concat(parts, ignore_index=True)
            atomic_write(folder / "sensitivity.csv", result.sensitivity.to_csv(index=False))
    result.figures = _draw(loaded, result, notes, folder / "figures")
    result.manifest = {
        "experiment": loaded.name,
        "description": experiment.description,
        "experiment_file": str(loaded.file),
        "experiment_as_written": loaded.written,
        "experiment_resolved": experiment.model_dump(mode="json"),
        "base_scenario": str(loaded.base_path),
        "base_scenario_with_set": loaded.base,
        "design": experiment.design.kind,
        "points": len(loaded.points),
        "replicates": experiment.replicates,
        "runs": len(tasks),
        "root_seed": experiment.seed,
        "common_random_numbers": experiment.common_random_numbers,
        "horizon_days": horizon,
        "run_seconds_total": round(seconds, 3),
        "sensitivity_notes": notes,
        "failed_runs": failed,
        "versions": versions(),
        "git_commit": git_commit(),
        "code_digest": code_digest(),
        "files": [*_outputs(folder), "manifest.json", "runs/"],
    }
    return result


def _shown(point: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in point.items())


def _outputs(folder: Path) -> list[str]:
    """The files of a sweep folder outside ``runs/``, relative to it."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] != "runs" and p.name != "manifest.json"
    )


def _write_table(frame: pd.DataFrame, stem: Path, csv: bool) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    temporary = stem.with_name(f".{stem.name}.parquet.tmp")
    try:
        frame.to_parquet(temporary, index=False)
        temporary.replace(stem.with_suffix(".parquet"))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if csv:
        atomic_write(stem.with_suffix(".csv"), frame.to_csv(index=False))


def _draw(
    loaded: LoadedExperiment, result: SweepResult, notes: dict[str, str], folder: Path
) -> list[Path]:
    """Every plot the experiment asks for (and the survival tables behind them)."""
    experiment = loaded.experiment
    written = []
    for index, plot in enumerate(experiment.plots, start=1):
        if plot.kind == "line":
            name = f"{index:02d}-{plot.metric}-vs-{plot.x}"
            written.append(figures.line(experiment, result.runs, plot, folder / _safe(name)))
        elif plot.kind == "heatmap":
            name = f"{index:02d}-{plot.metric}-over-{plot.x}-{plot.y}"
            written.append(figures.heatmap(experiment, result.runs, plot, folder / _safe(name)))
        elif plot.kind == "survival":
            assert plot.by is not None
            name = f"{index:02d}-survival-by-{plot.by}" + (f"-{plot.cohort}" if plot.cohort else "")
            written.append(
                figures.survival(
                    experiment, result.runs, result.lifetimes, plot, folder / _safe(name)
                )
            )
            runs = result.runs.assign(**{plot.by: figures.levels(experiment, result.runs, plot.by)})
            table = pooled_survival(result.lifetimes, runs, plot.by, plot.cohort)
            key = plot.by + (f"[{plot.cohort}]" if plot.cohort else "")
            result.survival[key] = table
            atomic_write(
                result.folder / _safe(f"survival_{key}", ".csv"), table.to_csv(index=False)
            )
        elif plot.kind == "sensitivity":
            assert plot.metric is not None
            frame = result.sensitivity
            if len(frame) and (frame["metric"] == plot.metric).any():
                name = f"{index:02d}-sensitivity-{plot.metric}"
                written.append(
                    figures.indices(
                        experiment,
                        frame[frame["metric"] == plot.metric],
                        notes.get(plot.metric, ""),
                        plot.metric,
                        folder / _safe(name),
                    )
                )
    return written


def _safe(name: str, suffix: str = ".png") -> str:
    """A file name from a plot's description (dots and brackets become dashes)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
    return cleaned + suffix
