"""Running a comparison and summarising it: means, paired differences, survival.

Replicate ``r`` of every variant has the same seed (common random numbers): the same
world, where the variants do not change it, and the same draws as far as the variants
let them stay in step. Differences are therefore taken replicate by replicate, and their
confidence intervals are paired t intervals over replicates. The runs go through the
sweep's executors and store (``sim.sweep``): local processes or a Dask cluster, each run
stored atomically as it ends, ``resume`` to continue a comparison that was cut short; the
tables are rebuilt from the stored records, so they do not depend on where runs ran.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from sim import metrics as run_metrics
from sim.compare.spec import Comparison
from sim.output import check_folder, writing
from sim.runner import code_digest, git_commit, run_id, versions
from sim.sweep.analysis import mean_ci
from sim.sweep.design import replicate_seed
from sim.sweep.execute import Executor, Task, pending
from sim.sweep.registry import bounds_of
from sim.sweep.store import (
    RunStore,
    StoredRunsError,
    atomic_write,
    made_by_other_code,
    reusable_runs,
    stored_value,
)

COMPARED = (
    "reach",
    "members_at_end",
    "active_7",
    "active_30",
    "posts_per_member_day",
    "share_alive",
)
"""Metrics of the sweep registry every comparison records (with ``rmst``, computed here)."""

COMPARED_SALES = ("sales", "buyers", "word_of_mouth_share", "conversion_per_share")
"""Metrics a comparison records too when its scenario has products."""


class CompareError(ValueError):
    """A comparison that cannot start as asked (for example, results already there)."""


@dataclass
class ComparisonResult:
    """A finished comparison.

    Attributes:
        folder: ``results/compare/<scenario>/``.
        runs: One row per run: variant, replicate, seed, run id and each metric.
        summary: One row per variant and metric: mean, 95% CI, replicates.
        differences: One row per variant (but the reference) and metric: the mean of the
            paired differences against the reference, its 95% CI and replicates.
        survival: One row per variant: groups, share that died, RMST of the pooled
            Kaplan–Meier curve, log-rank p against the reference.
        lifetimes: Every group's lifetime in every run.
        rmst_days: The common horizon of the restricted mean lifetimes.
        figures: The PNG files written.
        manifest: What was run, how, where, with which versions.
    """

    folder: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    survival: pd.DataFrame
    lifetimes: pd.DataFrame
    rmst_days: int
    figures: list[Path] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def rmst_horizon(comparison: Comparison) -> int:
    """Days every group of every variant can be followed: the common RMST horizon."""
    follow = []
    for variant in comparison.variants:
        s = variant.scenario
        last = max((c.created_range[1] for c in s.groups.values() if c.count), default=0)
        follow.append(s.days - last)
    return max(min(follow), 1)


def recorded(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The registry metrics a comparison records: :data:`COMPARED` and ``extra``."""
    return tuple(dict.fromkeys([*COMPARED, *(m for m in extra if m != "rmst")]))


def compared(comparison: Comparison, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """What a comparison records: :func:`recorded`, and the sales if it has products."""
    sales = COMPARED_SALES if any(v.scenario.commerce.on for v in comparison.variants) else ()
    return recorded([*sales, *extra])


def plan_tasks(comparison: Comparison, metrics: Sequence[str] = ()) -> list[Task]:
    """One task per variant and replicate; replicate ``r`` has the same seed everywhere.

    Args:
        comparison: The variants.
        metrics: Registry metrics to record besides :data:`COMPARED`.
    """
    tasks = []
    for index, variant in enumerate(comparison.variants):
        for replicate in range(comparison.replicates):
            seed = replicate_seed(comparison.seed, replicate)
            scenario = variant.scenario.model_copy(update={"seed": seed})
            tasks.append(
                Task(
                    run=index * comparison.replicates + replicate,
                    point=index,
                    replicate=replicate,
                    seed=seed,
                    run_id=run_id(scenario),
                    parameters={"variant": variant.name},
                    scenario=scenario.model_dump(mode="json"),
                    metrics=compared(comparison, metrics),
                )
            )
    return tasks


def run_comparison(
    comparison: Comparison,
    *,
    out: str | Path = "results",
    executor: Executor | None = None,
    resume: bool = False,
    fresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
    metrics: Sequence[str] = (),
) -> ComparisonResult:
    """Run a comparison's missing runs and summarise all of them.

    Args:
        comparison: The variants (see :func:`sim.compare.load_comparison`).
        out: Folder under which ``compare/<scenario>/`` is written.
        executor: Where runs go (default: this process).
        resume: Keep the runs already stored and run only the others.
        fresh: Delete stored runs and start over.
        progress: Called with (runs finished, runs in all) as runs finish.
        metrics: Registry metrics (``name`` or ``name[cohort]``) to record besides
            :data:`COMPARED`; they get means, differences and CIs like the others.

    Raises:
        CompareError: Runs are stored already and neither ``resume`` nor ``fresh`` given.
    """
    executor = executor or Executor()
    folder = check_folder(Path(out) / "compare", comparison.name)
    store = RunStore(folder)
    store.clear_partial()
    tasks = plan_tasks(comparison, metrics)
    wanted = {task.run_id for task in tasks}
    code = code_digest()  # of this process: what stored and new runs must match
    try:
        stored, _ = reusable_runs(
            store,
            wanted,
            list(compared(comparison, metrics)),
            resume=resume,
            fresh=fresh,
            code=code,
        )
    except StoredRunsError as error:
        raise CompareError(str(error)) from None
    todo = list({task.run_id: task for task in pending(tasks, stored)}.values())
    finished = len(wanted) - len(todo)
    if progress:
        progress(finished, len(wanted))

    def on_record(record: dict[str, Any]) -> None:
        nonlocal finished
        if problem := made_by_other_code(record, code):
            raise CompareError(problem)
        store.write(record)
        finished += 1
        if progress:
            progress(finished, len(wanted))

    started = time.perf_counter()
    with writing(folder, kept="the runs stored until then are whole; --resume continues"):
        executor.map(todo, on_record)
        wall = time.perf_counter() - started
        result = assemble(comparison, folder, store, tasks)
        result.manifest.update(executor=executor.describe(), ran_now=len(todo))
        result.manifest["wall_seconds"] = round(wall, 3)
        atomic_write(folder / "manifest.json", json.dumps(result.manifest, indent=2, default=str))
    return result


def _kaplan_meier(life: pd.DataFrame, label: str) -> KaplanMeierFitter:
    kmf = KaplanMeierFitter(label=label)
    kmf.fit(life["lifetime"], event_observed=~life["censored"].astype(bool))
    return kmf


def paired_differences(runs: pd.DataFrame, reference: str, metrics: list[str]) -> pd.DataFrame:
    """Each variant's paired differences against ``reference``: mean and 95% t CI.

    Replicate ``r`` of a variant is paired with replicate ``r`` of the reference (the
    same seed); a replicate missing on either side is left out.
    """
    base = runs[runs["variant"] == reference].set_index("replicate")
    rows = []
    for variant, part in runs.groupby("variant", sort=False):
        if variant == reference:
            continue
        part = part.set_index("replicate")
        for metric in metrics:
            diff = (part[metric] - base[metric]).dropna().to_numpy(float)
            diff = diff[np.isfinite(diff)]
            mean, low, high, n = mean_ci(diff)
            rows.append(
                {
                    "variant": variant,
                    "metric": metric,
                    "against": reference,
                    "difference": mean,
                    "low": low,
                    "high": high,
                    "replicates": n,
                }
            )
    return pd.DataFrame(rows)


def assemble(
    comparison: Comparison, folder: Path, store: RunStore, tasks: list[Task]
) -> ComparisonResult:
    """The tables, figures and manifest of a comparison, from its stored records."""
    from sim.compare import figures

    tau = rmst_horizon(comparison)
    kept = recorded(tasks[0].metrics if tasks else ())
    metrics = [*kept, "rmst"]
    rows, lives = [], []
    for task in tasks:
        record = store.read(task.run_id)
        variant = comparison.variants[task.point].name
        life = pd.DataFrame(record["lifetimes"])
        rmst = run_metrics.rmst(_kaplan_meier(life, variant), tau) if len(life) else math.nan
        values = {m: stored_value(record["metrics"].get(m)) for m in kept}
        rows.append(
            {
                "run": task.run,
                "variant": variant,
                "replicate": task.replicate,
                "seed": task.seed,
                "run_id": task.run_id,
                **values,
                "rmst": rmst,
                "error": record.get("error", ""),
            }
        )
        life.insert(0, "replicate", task.replicate)
        life.insert(0, "variant", variant)
        lives.append(life)
    runs = pd.DataFrame(rows)
    lifetimes = pd.concat(lives, ignore_index=True)
    summary_rows = []
    for variant in comparison.variants:
        part = runs[runs["variant"] == variant.name]
        for metric in metrics:
            bounds = bounds_of(metric) if metric != "rmst" else (0.0, float(tau))
            mean, low, high, n = mean_ci(part[metric].to_numpy(float), bounds=bounds)
            summary_rows.append(
                {
                    "variant": variant.name,
                    "metric": metric,
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "replicates": n,
                }
            )
    summary = pd.DataFrame(summary_rows)
    reference = comparison.reference.name
    differences = paired_differences(runs, reference, metrics)
    survival = survival_table(lifetimes, [v.name for v in comparison.variants], tau)
    for name, frame in {
        "runs": runs,
        "summary": summary,
        "differences": differences,
        "survival": survival,
        "lifetimes": lifetimes,
    }.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    result = ComparisonResult(folder, runs, summary, differences, survival, lifetimes, tau)
    result.figures = [
        figures.survival_curves(lifetimes, comparison, folder / "figures" / "survival.png"),
        figures.differences_plot(differences, reference, folder / "figures" / "differences.png"),
    ]
    result.manifest = {
        "scenario": comparison.name,
        "scenario_file": str(comparison.file),
        "scenario_as_written": comparison.written,
        "variants": {v.name: v.changes for v in comparison.variants},
        "reference": reference,
        "replicates": comparison.replicates,
        "root_seed": comparison.seed,
        "seeds": sorted({t.seed for t in tasks}),
        "common_random_numbers": True,
        "rmst_days": tau,
        "metrics": metrics,
        "versions": versions(),
        "git_commit": git_commit(),
        "code_digest": code_digest(),
        "files": [
            "runs.parquet",
            "summary.parquet",
            "differences.parquet",
            "survival.parquet",
            "lifetimes.parquet",
            "figures/",
            "runs/",
            "manifest.json",
        ],
    }
    return result


def survival_table(lifetimes: pd.DataFrame, variants: list[str], tau: int) -> pd.DataFrame:
    """Per variant: groups, share died, RMST of the pooled curve, log-rank p vs the first.

    The log-rank test pools the groups of every replicate and treats them as independent;
    groups of one run share a world, so its p-value is optimistic. The paired CI of the
    RMST difference (in the differences table) does not make that assumption.
    """
    reference = lifetimes[lifetimes["variant"] == variants[0]]
    rows = []
    for variant in variants:
        part = lifetimes[lifetimes["variant"] == variant]
        if len(part) == 0:
            rows.append({"variant": variant, "groups": 0})
            continue
        kmf = _kaplan_meier(part, variant)
        p = math.nan
        if variant != variants[0] and len(reference):
            p = float(
                logrank_test(
                    part["lifetime"],
                    reference["lifetime"],
                    ~part["censored"].astype(bool),
                    ~reference["censored"].astype(bool),
                ).p_value
            )
        median, low, high = run_metrics.median_lifetime(kmf)
        rows.append(
            {
                "variant": variant,
                "groups": len(part),
                "share died": float((~part["censored"].astype(bool)).mean()),
                "median lifetime": median,
                "median low": low,
                "median high": high,
                "pooled RMST": run_metrics.rmst(kmf, tau),
                "log-rank p vs first": p,
            }
        )
    return pd.DataFrame(rows)
