"""Sweeps: designs, seeds, executors, resuming after kill -9, results, plots and errors."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.runner import code_digest
from sim.scenario import ScenarioError
from sim.sweep import (
    METRICS,
    Executor,
    RunData,
    SweepError,
    load_experiment,
    register_metric,
    run_sweep,
)
from sim.sweep.analysis import mean_ci, point_summary
from sim.sweep.design import run_seed
from sim.sweep.registry import compute
from sim.tables import read_parquet

GROUPSIM = [sys.executable, "-m", "sim.cli"]

BASE = """\
seed: 1
days: 40
population: {size: 400}
groups:
  talk: {driver: event, count: 4, size: 12, created: [0, 5]}
  kin: {driver: relationship, count: 3, size: [3, 6], created: [0, 5], circle: kin}
"""


def write_experiment(folder: Path, body: str, name: str = "tiny") -> Path:
    """A base scenario and an experiment file over it in ``folder``."""
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text("scenario: base.yaml\n" + textwrap.dedent(body), encoding="utf-8")
    return path


GRID = """\
parameters:
  groups.talk.size: [8, 16]
  behaviour.post_rate: {low: 0.1, high: 0.3, num: 2}
design: grid
replicates: 2
seed: 9
metrics: [median_lifetime, rmst, share_alive, reach, ties_formed, "posts_per_member_day[talk]"]
plots:
  - {kind: line, x: groups.talk.size, metric: rmst, by: behaviour.post_rate}
  - {kind: heatmap, x: groups.talk.size, y: behaviour.post_rate, metric: reach}
  - {kind: survival, by: groups.talk.size}
"""


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("grid"), GRID)


@pytest.fixture(scope="module")
def reference(grid_file, tmp_path_factory):
    """The grid sweep run in this process: the table the other executors must match."""
    return run_sweep(grid_file, out=tmp_path_factory.mktemp("in-process"))


def _bytes(result, name: str = "runs.parquet") -> str:
    return hashlib.sha256((result.folder / name).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- designs


def test_grid_is_every_combination_last_parameter_fastest(grid_file):
    points = load_experiment(grid_file).points
    assert points == [
        {"groups.talk.size": 8, "behaviour.post_rate": 0.1},
        {"groups.talk.size": 8, "behaviour.post_rate": 0.3},
        {"groups.talk.size": 16, "behaviour.post_rate": 0.1},
        {"groups.talk.size": 16, "behaviour.post_rate": 0.3},
    ]


def test_grid_ranges_log_and_integer(tmp_path):
    path = write_experiment(
        tmp_path,
        """\
        parameters:
          groups.talk.size: {low: 4, high: 64, num: 5, log: true, integer: true}
        metrics: [reach]
        """,
    )
    sizes = [p["groups.talk.size"] for p in load_experiment(path).points]
    assert sizes == [4, 8, 16, 32, 64]
    assert all(isinstance(s, int) for s in sizes)


def test_latin_hypercube_puts_one_point_in_every_stratum(tmp_path):
    path = write_experiment(
        tmp_path,
        """\
        parameters:
          behaviour.post_rate: {low: 0.1, high: 0.5}
          behaviour.leave_rate: {low: 0.0, high: 0.2}
        design: {kind: latin_hypercube, samples: 12}
        metrics: [reach]
        """,
    )
    points = load_experiment(path).points
    assert len(points) == 12
    for name, low, high in (("behaviour.post_rate", 0.1, 0.5), ("behaviour.leave_rate", 0, 0.2)):
        u = (np.array([p[name] for p in points]) - low) / (high - low)
        assert sorted(np.floor(u * 12).astype(int)) == list(range(12))


def test_random_design_is_fixed_by_the_root_seed(tmp_path):
    body = """\
        parameters:
          behaviour.post_rate: {{low: 0.1, high: 0.5}}
          groups.kin.circle: [any, kin, friend]
        design: {{kind: random, samples: 30}}
        seed: {seed}
        metrics: [reach]
        """
    first = load_experiment(write_experiment(tmp_path, body.format(seed=1), "a")).points
    again = load_experiment(write_experiment(tmp_path, body.format(seed=1), "b")).points
    other = load_experiment(write_experiment(tmp_path, body.format(seed=2), "c")).points
    assert first == again != other
    rates = [p["behaviour.post_rate"] for p in first]
    assert min(rates) >= 0.1 and max(rates) < 0.5
    assert {p["groups.kin.circle"] for p in first} == {"any", "kin", "friend"}


def test_sobol_and_morris_sizes(tmp_path):
    ranges = """\
        parameters:
          behaviour.post_rate: {low: 0.1, high: 0.5}
          behaviour.leave_rate: {low: 0.0, high: 0.2}
          behaviour.invite_rate: {low: 0.0, high: 0.1}
        metrics: [reach]
        """
    sobol = write_experiment(tmp_path, ranges + "design: {kind: sobol, samples: 8}\n", "s")
    morris = write_experiment(tmp_path, ranges + "design: {kind: morris, samples: 5}\n", "m")
    assert len(load_experiment(sobol).points) == 8 * (3 + 2)
    assert len(load_experiment(morris).points) == 5 * (3 + 1)


# --------------------------------------------------------------------------- seeds


def test_seeds_depend_on_values_and_replicate_only(grid_file):
    experiment = load_experiment(grid_file).experiment
    point = {"groups.talk.size": 8, "behaviour.post_rate": 0.1}
    reordered = {"behaviour.post_rate": 0.1, "groups.talk.size": 8}
    assert run_seed(experiment, point, 0) == run_seed(experiment, reordered, 0)
    seeds = {
        run_seed(experiment, p, r)
        for p in load_experiment(grid_file).points
        for r in range(experiment.replicates)
    }
    assert len(seeds) == 8
    other_root = experiment.model_copy(update={"seed": experiment.seed + 1})
    assert run_seed(other_root, point, 0) != run_seed(experiment, point, 0)
    common = experiment.model_copy(update={"common_random_numbers": True})
    assert run_seed(common, point, 1) == run_seed(common, {"groups.talk.size": 16}, 1)
    assert run_seed(common, point, 0) != run_seed(common, point, 1)


def test_seeds_do_not_move_when_the_design_grows(tmp_path):
    small = write_experiment(tmp_path, GRID, "small")
    bigger = write_experiment(
        tmp_path,
        GRID.replace("[8, 16]", "[4, 8, 16, 32]").replace("replicates: 2", "replicates: 3"),
        "bigger",
    )
    a, b = load_experiment(small), load_experiment(bigger)

    def seeds(loaded):
        return {
            (tuple(p.items()), r): run_seed(loaded.experiment, p, r)
            for p in loaded.points
            for r in range(loaded.experiment.replicates)
        }

    kept = seeds(a)
    assert {k: seeds(b)[k] for k in kept} == kept


# --------------------------------------------------------------------------- results


def test_results_tables_manifest_and_figures(reference):
    runs, summary = reference.runs, reference.summary
    assert len(runs) == 8 and list(runs["run"]) == list(range(8))
    assert runs["run_id"].is_unique and runs["seed"].is_unique
    assert list(runs.groupby("point")["replicate"].apply(list)) == [[0, 1]] * 4
    folder = reference.folder
    for name in ("runs.parquet", "runs.csv", "summary.parquet", "summary.csv", "lifetimes.parquet"):
        assert (folder / name).stat().st_size > 0
    assert pd.read_csv(folder / "runs.csv")["run_id"].tolist() == runs["run_id"].tolist()
    assert len(list((folder / "runs").glob("*.json"))) == 8
    assert len(summary) == 4 and (summary["replicates"] == 2).all()
    # Mean and CI agree with the runs they summarise.
    first = runs[runs["point"] == 0]["rmst"]
    assert summary.loc[0, "rmst mean"] == pytest.approx(first.mean())
    if first.std() > 0:
        assert summary.loc[0, "rmst low"] < first.mean() < summary.loc[0, "rmst high"]
    assert summary["share_alive low"].dropna().ge(0).all()
    assert summary["share_alive high"].dropna().le(1).all()
    # Group lifetimes: 4 talk + 3 kin groups in every run.
    assert reference.lifetimes.groupby("run").size().tolist() == [7] * 8
    assert len(reference.figures) == 3
    for path in reference.figures:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    table = reference.survival["groups.talk.size"]
    assert table["groups"].tolist() == [28, 28] and (table["runs"] == 4).all()
    manifest = reference.manifest
    assert manifest["runs"] == 8 and manifest["points"] == 4 and manifest["root_seed"] == 9
    assert "figures/" + reference.figures[0].name in manifest["files"]
    assert (folder / "manifest.json").exists()


def test_metrics_match_the_run_they_come_from(grid_file, reference):
    from sim.config import Scenario
    from sim.metrics import cohort_summary
    from sim.runner import simulate
    from sim.sweep.sweep import plan_tasks

    task = plan_tasks(load_experiment(grid_file))[3]
    model, tables = simulate(Scenario.model_validate(task.scenario), agents=False)
    row = reference.runs.set_index("run").loc[3]
    assert row["reach"] == tables["memberships"]["person"].nunique()
    assert row["share_alive"] == pytest.approx(tables["groups"]["censored"].mean())
    talk = cohort_summary(tables, model.day).set_index("cohort").loc["talk"]
    assert row["posts_per_member_day[talk]"] == pytest.approx(talk["posts per member-day"])


def test_a_registered_metric_is_computed(grid_file):
    @register_metric("relationship_groups", unit="groups", family="test")
    def relationship_groups(run: RunData) -> float:
        """Groups driven by relationships."""
        return float((run.groups["driver"] == "relationship").sum())

    try:
        from sim.config import Scenario
        from sim.runner import simulate
        from sim.sweep.sweep import plan_tasks

        task = plan_tasks(load_experiment(grid_file))[0]
        _, tables = simulate(Scenario.model_validate(task.scenario), agents=False)
        values = compute(["relationship_groups", "relationship_groups[talk]"], RunData(tables, 40))
        assert values == {"relationship_groups": 3.0, "relationship_groups[talk]": 0.0}
        with pytest.raises(ValueError, match="already registered"):
            register_metric("relationship_groups")(lambda run: 0.0)
    finally:
        METRICS.pop("relationship_groups")


def test_share_and_count_intervals_are_clipped_to_the_metric_range():
    runs = pd.DataFrame(
        {
            "point": [0, 0, 0],
            "share_alive": [1.0, 1.0, 0.9],
            "reach": [0.0, 0.0, 6.0],
            "unregistered": [1.0, 1.0, 0.9],
        }
    )
    _, _, high, _ = mean_ci(runs["share_alive"].to_numpy())
    _, low, _, _ = mean_ci(runs["reach"].to_numpy())
    assert high > 1.0 and low < 0.0  # the plain t-interval leaves the range
    row = point_summary(runs, [], ["share_alive", "reach", "unregistered"]).iloc[0]
    assert row["share_alive high"] == 1.0
    assert row["share_alive low"] == pytest.approx(mean_ci(runs["share_alive"].to_numpy())[1])
    assert row["share_alive mean"] == pytest.approx(29 / 30)
    assert row["reach low"] == 0.0
    assert row["reach high"] == pytest.approx(mean_ci(runs["reach"].to_numpy())[2])
    assert row["unregistered high"] == pytest.approx(high)  # no bounds, no clipping
    assert METRICS["share_alive"].bounds == (0.0, 1.0)
    assert METRICS["reach"].bounds == (0.0, float("inf"))


def test_metric_bounds_must_be_ordered():
    with pytest.raises(ValueError, match="low < high"):
        register_metric("backwards", bounds=(1.0, 0.0))(lambda run: 0.0)
    assert "backwards" not in METRICS


def test_sensitivity_figure_title_names_the_experiment(tmp_path, monkeypatch):
    from sim.plots import plt
    from sim.sweep import figures
    from sim.sweep.spec import Experiment

    experiment = Experiment.model_validate(
        {
            "name": "lifetime_check",
            "scenario": "base.yaml",
            "parameters": {"behaviour.post_rate": {"low": 0.05, "high": 0.5}},
            "design": {"kind": "sobol", "samples": 4},
            "metrics": ["rmst"],
        }
    )
    frame = pd.DataFrame(
        {
            "parameter": ["behaviour.post_rate"],
            "S1": [0.4],
            "S1_conf": [0.1],
            "ST": [0.5],
            "ST_conf": [0.1],
        }
    )
    titles = []

    def keep_title(fig, path):
        titles.append(fig.axes[0].get_title())
        plt.close(fig)
        return path

    monkeypatch.setattr(figures, "save", keep_title)
    figures.indices(experiment, frame, "16 points", "rmst", tmp_path / "s.png")
    assert titles == ["lifetime_check: Sobol sensitivity of rmst (days)\n16 points"]


# --------------------------------------------------------------------------- executors


def test_workers_get_the_largest_runs_first(grid_file):
    from sim.sweep.execute import longest_first, rough_cost
    from sim.sweep.sweep import plan_tasks

    tasks = plan_tasks(load_experiment(grid_file))
    ordered = longest_first(tasks)
    assert sorted(t.run for t in ordered) == [t.run for t in tasks]  # a permutation
    sizes = [t.parameters["groups.talk.size"] for t in ordered]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 16 and sizes[-1] == 8
    # Runs of equal cost keep their order, so the hand-out order is fixed.
    big = [t.run for t in ordered if t.parameters["groups.talk.size"] == 16]
    assert big == sorted(big)
    # Cost grows with the population, the horizon and the founders of its groups.
    task = tasks[0]
    more = task.scenario | {"days": task.scenario["days"] * 2}
    assert rough_cost(replace(task, scenario=more)) == 2 * rough_cost(task)


def test_two_local_processes_give_the_same_table(grid_file, reference, tmp_path):
    result = run_sweep(grid_file, out=tmp_path, executor=Executor(workers=2))
    pd.testing.assert_frame_equal(result.runs, reference.runs, check_exact=True)
    assert _bytes(result) == _bytes(reference)
    assert _bytes(result, "summary.parquet") == _bytes(reference, "summary.parquet")
    assert result.manifest["executor"] == "2 local processes"


@pytest.fixture
def dask_scheduler(tmp_path):
    """A real Dask scheduler on 127.0.0.1 with two single-threaded worker processes."""
    bin_dir = Path(sys.executable).parent
    file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                bin_dir / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                file,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert file.exists(), "the Dask scheduler did not start"
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        bin_dir / "dask",
                        "worker",
                        "--scheduler-file",
                        file,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        address = yaml.safe_load(file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def test_a_dask_scheduler_gives_the_same_table(grid_file, reference, tmp_path, dask_scheduler):
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    result = run_sweep(grid_file, out=tmp_path, executor=Executor(scheduler=dask_scheduler))
    pd.testing.assert_frame_equal(result.runs, reference.runs, check_exact=True)
    assert _bytes(result) == _bytes(reference)
    assert result.manifest["executor"] == f"dask scheduler {dask_scheduler}"


def test_a_local_dask_cluster_gives_the_same_table_and_leaves_the_environment(
    grid_file, reference, tmp_path
):
    environment = dict(os.environ)
    result = run_sweep(grid_file, out=tmp_path, executor=Executor(dask_local=2))
    pd.testing.assert_frame_equal(result.runs, reference.runs, check_exact=True)
    assert _bytes(result) == _bytes(reference)
    assert result.manifest["executor"] == "local dask cluster, 2 workers"
    # Its nannies set their workers' variables (NUMBA_NUM_THREADS=1 among them) here.
    assert dict(os.environ) == environment


# --------------------------------------------------------------------------- resume


def test_stored_runs_need_resume_or_fresh(grid_file, reference):
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(grid_file, out=reference.folder.parent)


def test_resume_runs_only_the_missing_runs(grid_file, reference, tmp_path):
    first = run_sweep(grid_file, out=tmp_path)
    records = sorted((first.folder / "runs").glob("*.json"))
    for path in records[:3]:
        path.unlink()
    (first.folder / "runs" / ".abc.json.tmp-1").write_text("{half a rec")
    again = run_sweep(grid_file, out=tmp_path, resume=True)
    assert again.ran == 3
    assert not list((first.folder / "runs").glob(".*"))
    pd.testing.assert_frame_equal(again.runs, reference.runs, check_exact=True)
    fresh = run_sweep(grid_file, out=tmp_path, fresh=True)
    assert fresh.ran == 8


def test_resume_runs_again_what_other_code_made(grid_file, reference, tmp_path):
    first = run_sweep(grid_file, out=tmp_path)
    records = sorted((first.folder / "runs").glob("*.json"))
    assert {json.loads(p.read_text())["code"] for p in records} == {code_digest()}
    for i, path in enumerate(records[:2]):
        record = json.loads(path.read_text())
        if i == 0:
            record["code"] = "0" * 16  # made by another version of the code
        else:
            del record["code"]  # stored before runs recorded their code
        record["metrics"] = dict.fromkeys(record["metrics"], -1.0)
        path.write_text(json.dumps(record))
    again = run_sweep(grid_file, out=tmp_path, resume=True)
    assert again.ran == 2
    assert any("another version of groupsim's code" in note for note in again.notes)
    pd.testing.assert_frame_equal(again.runs, reference.runs, check_exact=True)
    assert again.manifest["code_digest"] == code_digest()


def test_runs_made_by_other_code_stop_the_sweep_unstored(grid_file, tmp_path, monkeypatch):
    """Workers running another version (a cluster half upgraded) must not mix models."""
    import sim.sweep.execute

    monkeypatch.setattr(sim.sweep.execute, "code_digest", lambda: "0" * 16)
    with pytest.raises(SweepError, match="another version of groupsim's code"):
        run_sweep(grid_file, out=tmp_path)
    assert (tmp_path / grid_file.stem).is_dir()
    assert not list(tmp_path.rglob("*.json")) and not list(tmp_path.rglob("*.parquet"))


def test_kill_9_then_resume_loses_and_duplicates_nothing(grid_file, reference, tmp_path):
    slower = grid_file.parent / "slow.yaml"
    text = grid_file.read_text().replace("replicates: 2", "replicates: 5")
    slower.write_text(text)
    env = dict(os.environ, COLUMNS="200")
    command = [*GROUPSIM, "sweep", str(slower), "--out", str(tmp_path)]
    proc = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = tmp_path / "slow" / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if runs.is_dir() and len(list(runs.glob("*.json"))) >= 4:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len(list(runs.glob("*.json")))
    assert 4 <= stored < 20, "the sweep was not stopped mid-way"
    assert not (tmp_path / "slow" / "runs.parquet").exists()
    done = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"ran {20 - stored} run(s), {stored} resumed" in done.stdout
    resumed = read_parquet(tmp_path / "slow" / "runs.parquet")
    whole = run_sweep(slower, out=tmp_path / "whole").runs
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)
    assert len(resumed) == 20 and resumed["run_id"].is_unique
    # The first two replicates are the reference sweep's runs: seeds depend on values only.
    same = resumed[resumed["replicate"] < 2].reset_index(drop=True)
    columns = ["seed", *load_experiment(grid_file).experiment.metrics]
    pd.testing.assert_frame_equal(same[columns], reference.runs[columns], check_exact=True)


# --------------------------------------------------------------------------- sensitivity


SENSITIVITY = """\
parameters:
  behaviour.post_rate: {{low: 0.05, high: 0.5}}
  behaviour.leave_rate: {{low: 0.0, high: 0.2}}
design: {{kind: {design}}}
replicates: 1
metrics: [{metrics}]
plots:
  - {{kind: sensitivity, metric: rmst}}
"""


def test_sobol_indices_and_their_figure(tmp_path):
    path = write_experiment(
        tmp_path, SENSITIVITY.format(design="sobol, samples: 4", metrics="rmst, reach")
    )
    result = run_sweep(path, out=tmp_path / "out")
    indices = result.sensitivity
    assert set(indices["metric"]) == {"rmst", "reach"}
    assert (
        indices.groupby("metric")["parameter"].apply(list).tolist()
        == [["behaviour.post_rate", "behaviour.leave_rate"]] * 2
    )
    assert np.isfinite(indices[["S1", "ST"]].to_numpy()).all()
    assert (result.folder / "sensitivity.csv").exists()
    assert len(result.figures) == 1 and result.figures[0].stat().st_size > 10_000


def test_morris_indices(tmp_path):
    path = write_experiment(
        tmp_path, SENSITIVITY.format(design="morris, samples: 3", metrics="rmst")
    )
    result = run_sweep(path, out=tmp_path / "out")
    assert len(result.runs) == 3 * 3
    assert list(result.sensitivity.columns[:3]) == ["metric", "parameter", "mu_star"]
    assert (result.sensitivity["mu_star"] >= 0).all()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("body", "line", "field", "says"),
    [
        (
            "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: [reach]\nreplicate: 2\n",
            5,
            "replicate",
            "did you mean 'replicates'",
        ),
        (
            "parameters:\n  behaviour.post_rat: [0.1]\nmetrics: [reach]\n",
            3,
            "parameters.behaviour.post_rat",
            "did you mean 'post_rate'",
        ),
        (
            "parameters:\n  groups.talks.size: [5]\nmetrics: [reach]\n",
            3,
            "parameters.groups.talks.size",
            "did you mean 'talk'",
        ),
        (
            "parameters:\n  groups.talk.size: [5, 450]\nmetrics: [reach]\n",
            3,
            "parameters.groups.talk.size",
            "exceed the population",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: [reach, median_lifetim]\n",
            4,
            "metrics.1",
            "did you mean 'median_lifetime'",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: ['reach[nope]']\n",
            4,
            "metrics.0",
            "not a cohort",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: ['ties_formed[talk]']\n",
            4,
            "metrics.0",
            "whole run",
        ),
        (
            "parameters:\n  behaviour.post_rate: {low: 0.5, high: 0.1}\nmetrics: [reach]\n",
            3,
            "parameters.behaviour.post_rate",
            "must be below high",
        ),
        (
            "parameters:\n  behaviour.post_rate: {low: 0.1, high: 0.5}\nmetrics: [reach]\n",
            3,
            "parameters.behaviour.post_rate",
            "needs num",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1]\ndesign: {kind: sobol, samples: 6}\n"
            "metrics: [reach]\n",
            3,
            "parameters.behaviour.post_rate",
            "needs a range",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1, 0.2]\nmetrics: [reach]\nplots:\n"
            "  - {kind: line, x: behaviour.post_rat, metric: reach}\n",
            6,
            "plots.0.x",
            "not a parameter",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1, 0.2]\nmetrics: [reach]\nplots:\n"
            "  - {kind: sensitivity, metric: reach}\n",
            6,
            "plots.0.kind",
            "sobol or morris",
        ),
        (
            "parameters:\n  interventions.icebreaker.day: [1]\nmetrics: [reach]\n",
            3,
            "parameters.interventions.icebreaker.day",
            "not set in the base scenario",
        ),
        (
            "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: [reach]\ndesign: lhs\n",
            5,
            "design.kind",
            "choose one of",
        ),
    ],
)
def test_malformed_experiments_are_reported_at_their_line(tmp_path, body, line, field, says):
    path = write_experiment(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), line, field), str(error)
    assert says in error.problem


def test_cli_reports_a_bad_experiment_with_status_2_and_writes_nothing(tmp_path):
    path = write_experiment(tmp_path, "parameters:\n  behaviour.post_rate: [0.1]\nmetrics: [x]\n")
    done = subprocess.run(
        [*GROUPSIM, "sweep", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert f"{path}:4: metrics.0: unknown metric 'x'" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    missing = subprocess.run(
        [*GROUPSIM, "sweep", str(tmp_path / "none.yaml")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
    checked = subprocess.run([*GROUPSIM, "validate", str(path)], capture_output=True, text=True)
    assert checked.returncode == 2 and "unknown metric 'x'" in checked.stderr
    path.write_text(path.read_text().replace("[x]", "[reach]"))
    checked = subprocess.run([*GROUPSIM, "validate", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0
    assert "valid experiment 'tiny': 1 points × 3 replicates = 3 runs" in checked.stdout


def test_experiments_in_the_repository_are_valid():
    folder = Path(__file__).parent.parent / "experiments"
    files = sorted(folder.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        loaded = load_experiment(path)
        assert loaded.points and loaded.experiment.plots, path


def test_imports_register_metrics_in_worker_processes(tmp_path, monkeypatch):
    (tmp_path / "extra_metrics.py").write_text(
        textwrap.dedent(
            '''\
            from sim.sweep import register_metric

            @register_metric("kin_groups", unit="groups")
            def kin_groups(run):
                """Relationship groups."""
                return float((run.groups["driver"] == "relationship").sum())
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    path = write_experiment(
        tmp_path,
        """\
        imports: [extra_metrics]
        parameters:
          groups.talk.size: [8]
        replicates: 2
        metrics: [kin_groups, reach]
        """,
    )
    try:
        result = run_sweep(path, out=tmp_path / "out", executor=Executor(workers=2))
        assert result.runs["kin_groups"].tolist() == [3.0, 3.0]
    finally:
        METRICS.pop("kin_groups", None)
        sys.modules.pop("extra_metrics", None)
    broken = write_experiment(
        tmp_path, "imports: [no_such_module]\nparameters:\n  days: [30]\nmetrics: [reach]\n", "b"
    )
    with pytest.raises(ScenarioError, match="cannot import 'no_such_module'") as caught:
        load_experiment(broken)
    assert caught.value.line == 2
