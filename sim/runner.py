"""Running a scenario: the model to completion, its tables, and the run folder.

``run`` is the Python face of ``groupsim run``: it returns a :class:`RunResult` holding
the tables as pandas DataFrames and, when asked to write, the folder
``results/<scenario>/<run-id>/`` with ``manifest.json``, Parquet tables, figures and
``summary.md``. The folder appears whole or not at all: it is written under a temporary
name and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from sim import customers
from sim.by_cohort import CohortDays
from sim.config import TIE_KINDS, Scenario
from sim.groups import CAUSES, DRIVERS, NO_ONE
from sim.metrics import cohort_summary
from sim.model import GroupModel
from sim.notices import capped_groups, ineffective_settings
from sim.output import check_folder, clear_stale, writing
from sim.resources import memory_problem
from sim.scenario import ScenarioError, load_scenario


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        scenario: The resolved scenario.
        tables: ``timeseries``, ``groups``, ``memberships``, ``invites`` (and
            ``persons`` when requested, ``cohort_days`` when figures are), as DataFrames.
        summary: The summary table by cohort.
        commerce: With products: ``sales`` by product and ``customer value`` (C18).
        manifest: What was run, with which versions, and how long each phase took.
        out_dir: The run folder, if the run was written.
    """

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    manifest: dict
    out_dir: Path | None = None
    figures: list[Path] = field(default_factory=list)
    commerce: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def run_id(scenario: Scenario) -> str:
    """A run's id: its seed and a digest of the resolved scenario (same input, same id)."""
    digest = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:10]
    return f"seed{scenario.seed}-{digest}"


def model_tables(model: GroupModel, persons: bool = False) -> dict[str, pd.DataFrame]:
    """The model's record as tables (docs/ODD.md, §7.20)."""
    g, m, inv = model.groups, model.memberships, model.invites
    horizon = model.day
    names = np.array(model.cohort_names or ["none"], dtype=object)
    died = g.died.astype(np.int64)
    censored = died == NO_ONE
    current = m.view("left") == NO_ONE
    final_strength = np.bincount(
        m.view("group")[current], m.view("tie_in")[current], minlength=g.n
    ) / np.maximum(g.members, 1)
    born = g.born
    groups = pd.DataFrame(
        {
            "group": np.arange(g.n)[born],
            "cohort": names[g.cohort][born],
            "driver": np.array(DRIVERS, dtype=object)[g.driver][born],
            "created": g.created[born],
            "died": died[born],
            "censored": censored[born],
            "lifetime": (np.where(censored, horizon, died) - g.created)[born],
            "cause": np.array(CAUSES, dtype=object)[g.cause][born],
            "initial": g.size0[born],
            "peak": g.peak[born],
            "final": g.members[born],
            "posts": g.posts[born],
            "promotions": g.promotions[born],
            "invites_sent": g.invites_sent[born],
            "invites_accepted": g.invites_accepted[born],
            "internal_strength": final_strength[born].astype(np.float64),
            "organiser": g.organiser[born],
            "topic": g.topic[born],
        }
    )
    memberships = pd.DataFrame(
        {
            name: m.view(name)
            for name in (
                "group",
                "person",
                "joined",
                "left",
                "inviter",
                "founder",
                "muted",
                "ties_on_join",
                "posts",
                "last_post",
                "guided",
            )
        }
    )
    invites = pd.DataFrame({name: inv.view(name) for name in inv.fields})
    series = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    series.insert(0, "day", np.arange(len(series)))
    tables = {
        "timeseries": series,
        "groups": groups,
        "memberships": memberships,
        "invites": invites,
    }
    if model.market is not None:
        tables.update(commerce_tables(model))
    if persons:
        world = model.world
        tables["persons"] = pd.DataFrame(
            {
                "person": np.arange(world.n),
                "degree": world.ties.deg,
                "super_user": world.is_super,
                "budget": world.budget,
                "interests": world.interests,
                "memberships": np.bincount(m.view("person")[current], minlength=world.n),
            }
        )
    return tables


def commerce_tables(model: GroupModel) -> dict[str, pd.DataFrame]:
    """``purchases`` and ``customers`` (docs/ODD.md §7.18) of a run with products."""
    market, world = model.market, model.world
    purchases = customers.purchases_table(market)
    ranks = customers.brand_ranks(market.relationship, world.ties, model.day)
    intimate = model.config.network.dunbar.layers[
        min(1, len(model.config.network.dunbar.layers) - 1)
    ]
    return {
        "purchases": purchases,
        "customers": customers.customers_table(
            purchases, market.relationship, ranks, world.is_super, intimate
        ),
    }


def versions() -> dict[str, str]:
    """Versions of groupsim and the libraries that shape its results."""
    out = {}
    for name in (
        "groupsim",
        "mesa",
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "lifelines",
        "networkx",
        "pydantic",
    ):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@cache
def code_digest() -> str:
    """A digest of the code a result comes from: groupsim's sources and NumPy's version.

    SHA-256 of every ``*.py`` file of the ``sim`` package (relative path and bytes, in
    path order) and of NumPy's version (its generators make every draw), first 16 hex
    digits. A stored run is reused only by the code that made it (:mod:`sim.sweep.store`):
    any edit of the package, even one that leaves results as they were, makes its runs
    run again. Computed once per process.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    digest.update(f"numpy {np.__version__}".encode())
    return digest.hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of the groupsim source tree, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def simulate(
    scenario: Scenario,
    *,
    progress: Callable[[int], None] | None = None,
    agents: bool = True,
    by_cohort: bool = False,
) -> tuple[GroupModel, dict[str, pd.DataFrame]]:
    """Build the model, run it to the horizon, and return it with its tables.

    Args:
        scenario: The scenario to run (seeded with its ``seed``).
        progress: Called with each finished day.
        agents: Build the ``Person`` agents (see :class:`~sim.model.GroupModel`).
        by_cohort: Also record the daily series by cohort (table ``cohort_days``, which
            the run's figures are drawn from; a sweep does without it).
    """
    model = GroupModel(scenario=scenario, rng=scenario.seed, agents=agents)
    recorder = CohortDays(model) if by_cohort else None

    def each_day(day: int) -> None:
        if recorder is not None:
            recorder(day)
        if progress is not None:
            progress(day)

    model.run(each_day)
    tables = model_tables(model, persons=scenario.output.persons)
    if recorder is not None:
        tables["cohort_days"] = recorder.frame()
    return model, tables


def run(
    scenario: Scenario | str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    out: str | Path | None = "results",
    progress: Callable[[int], None] | None = None,
    written: str | None = None,
) -> RunResult:
    """Run a scenario and (unless ``out`` is None) write its run folder.

    Args:
        scenario: A scenario, or the path of a scenario YAML.
        overrides: ``dotted.path=value`` overrides, applied to a path and recorded in
            the manifest (give them with a scenario loaded with them, for the record).
        out: Folder under which ``<scenario>/<run-id>/`` is written; None writes nothing.
        progress: Called with each finished day.
        written: The scenario file's text, for the manifest (read from the path if given).

    Returns:
        The run's tables, summary and manifest.
    """
    if not isinstance(scenario, Scenario):
        path = Path(scenario)
        written = path.read_text(encoding="utf-8") if path.exists() else written
        scenario = load_scenario(path, overrides, memory="run")
    elif (problem := memory_problem(scenario)) is not None:
        loc, text = problem
        raise ScenarioError(f"<{scenario.name}>", text, field=".".join(map(str, loc)))
    if out is not None:
        # A bad output folder is reported now, not after the simulation.
        check_folder(out, str(scenario.name))
    started = time.perf_counter()
    # The series by cohort are what the figures are drawn from.
    model, tables = simulate(scenario, progress=progress, by_cohort=scenario.output.figures)
    wall = time.perf_counter() - started
    summary = cohort_summary(tables, model.day) if len(tables["groups"]) else pd.DataFrame()
    notes = ineffective_settings(scenario) + capped_groups(tables["groups"], scenario)
    manifest = {
        "scenario": scenario.name,
        "run_id": run_id(scenario),
        "seed": scenario.seed,
        "days_run": model.day,
        "scenario_as_written": written,
        "scenario_resolved": scenario.model_dump(mode="json"),
        "overrides": list(overrides),
        "versions": versions(),
        "git_commit": git_commit(),
        "code_digest": code_digest(),
        "wall_seconds": round(wall, 3),
        "phase_seconds": {k: round(v, 4) for k, v in model.phase_seconds.items()},
        "tie_kinds": list(TIE_KINDS),
        "notes": notes,
    }
    result = RunResult(scenario=scenario, tables=tables, summary=summary, manifest=manifest)
    if "purchases" in tables:
        result.commerce = {
            "sales": customers.commerce_summary(tables["purchases"]),
            "customer value": customers.customer_value(tables["customers"]),
        }
        manifest["brand_in_top15"] = customers.brand_in_top15_share(tables["customers"])
    if out is not None:
        write_run(result, Path(out))
    return result


def write_run(result: RunResult, out: Path) -> Path:
    """Write the run folder atomically: a temporary folder renamed when complete.

    Raises:
        ScenarioError: The folder would be outside ``out``, or writing failed (a full
            disk, a read-only file system); nothing of the run is left behind.
    """
    final = check_folder(out, str(result.scenario.name)) / result.manifest["run_id"]
    # Runs killed before their rename leave hidden folders; a later run removes them.
    clear_stale(final.parent, _PARTIAL)
    staging = final.parent / f".{final.name}{_PARTIAL}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with writing(final, cleanup=staging):
        staging.mkdir()
        _write_staged(result, staging, final)
    result.out_dir = final
    result.figures = [final / "figures" / p.name for p in result.figures]
    return final


_PARTIAL = ".partial-"


def _write_staged(result: RunResult, staging: Path, final: Path) -> None:
    """Write the run's files into ``staging`` and rename it to ``final``."""
    from sim import plots  # matplotlib only when writing

    try:
        files = []
        for name, table in result.tables.items():
            table.to_parquet(staging / f"{name}.parquet", index=False)
            files.append(f"{name}.parquet")
        figures = []
        if result.scenario.output.figures and len(result.tables["groups"]):
            figures = plots.run_figures(result, staging / "figures")
            files += [f"figures/{p.name}" for p in figures]
        (staging / "summary.md").write_text(summary_markdown(result, figures), encoding="utf-8")
        files.append("summary.md")
        manifest = dict(result.manifest, files=sorted([*files, "manifest.json"]))
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.figures = figures


def summary_markdown(result: RunResult, figures: list[Path]) -> str:
    """The run's ``summary.md``: what was run and the summary table."""
    s = result.scenario
    lines = [
        f"# {s.name}",
        "",
        s.description.strip() or "(no description)",
        "",
        f"- seed: {s.seed}; horizon: {s.days} days; days run: {result.manifest['days_run']}",
        f"- people: {s.population.size}; generator: {s.network.generator}",
        f"- run id: {result.manifest['run_id']}; wall time: {result.manifest['wall_seconds']} s",
        "",
        "## Groups by cohort",
        "",
    ]
    if len(result.summary):
        lines.append(markdown_table(result.summary))
    else:
        lines.append("No groups in this scenario.")
    if result.commerce:
        lines += ["", "## Sales by product", "", markdown_table(result.commerce["sales"])]
        lines += [
            "",
            "## Customer value over buyers (retention, spend, referred reach)",
            "",
            markdown_table(result.commerce["customer value"]),
            "",
            f"Buyers whose relationship with the brand ranks inside their 15 closest: "
            f"{cell(result.manifest['brand_in_top15'])}.",
        ]
    notes = result.manifest.get("notes") or []
    if notes:
        lines += ["", "## Settings that could not take effect", ""] + [f"- {n}" for n in notes]
    if figures:
        lines += ["", "## Figures", ""] + [f"![{p.stem}](figures/{p.name})" for p in figures]
    return "\n".join(lines) + "\n"


def cell(value: object) -> str:
    """A table cell as text: floats to three significant digits, infinity as ∞."""
    if isinstance(value, (float, np.floating)):
        return "∞" if np.isinf(value) else f"{value:.3g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table, numbers to three significant digits."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])
