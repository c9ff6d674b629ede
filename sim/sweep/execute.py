"""Running the runs of a sweep: one task per (point, replicate), on some executor.

A task carries everything its run needs (the resolved scenario, its seed, the metrics to
record), so that the result is a pure function of the task. Executors only decide where
tasks run: in this process, in local worker processes, or on a Dask cluster. Whatever
finishes comes back to the caller as a small record, which the caller stores; workers
never write to disk, so a cluster needs no shared file system.
"""

from __future__ import annotations

import copy
import importlib
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numba

from sim.config import Scenario
from sim.overrides import set_path
from sim.runner import code_digest, simulate
from sim.scenario import scenario_from_dict
from sim.sweep.registry import RunData, compute
from sim.sweep.spec import Scalar

# Dask's worker housekeeping (the statistical profiler, frequent system and memory
# monitors, per-thread malloc arenas) slowed runs by about 40% in measurements; a sweep's
# tasks are long and CPU-bound and need none of it.
QUIET_DASK_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "5s",
    "distributed.admin.tick.interval": "1s",
    # Dask's own default adds MALLOC_TRIM_THRESHOLD_, which makes NumPy's large
    # temporaries go back to the system after every operation.
    "distributed.nanny.pre-spawn-environ": {
        "MALLOC_ARENA_MAX": 1,
        "OMP_NUM_THREADS": 1,
        "MKL_NUM_THREADS": 1,
        "OPENBLAS_NUM_THREADS": 1,
        "NUMBA_NUM_THREADS": 1,
    },
}


def point_scenario(base: dict, point: dict[str, Scalar], seed: int, name: str) -> Scenario:
    """The scenario of one run: the base data, the point's values and the run's seed.

    Raises:
        ScenarioError: The point makes an invalid scenario.
    """
    data = copy.deepcopy(base)
    for path, value in point.items():
        set_path(data, path, value)
    data["seed"] = int(seed)
    data["name"] = name
    data.setdefault("output", {})
    return scenario_from_dict(data, name)


@dataclass(frozen=True)
class Task:
    """One run of a sweep.

    Attributes:
        run: Index of the run in the sweep (point × replicates + replicate).
        point: Index of the parameter point.
        replicate: Replicate number at that point.
        seed: The run's seed.
        run_id: The run's id: its seed and a digest of its resolved scenario.
        parameters: The point's values, by dotted path.
        scenario: The resolved scenario as JSON-ready data.
        metrics: Metric names to record.
        imports: Modules to import first (they register metrics).
    """

    run: int
    point: int
    replicate: int
    seed: int
    run_id: str
    parameters: dict[str, Scalar]
    scenario: dict[str, Any]
    metrics: tuple[str, ...]
    imports: tuple[str, ...] = ()


def _one_thread_each() -> None:
    """Worker set-up: one thread for the compiled kernels, as workers already share cores.

    Results do not depend on the thread count; this only avoids oversubscription.
    """
    numba.set_num_threads(1)


def _exit_with_parent() -> None:
    """Worker set-up: exit as soon as the sweep process that started the worker is gone.

    A sweep killed with -9 cannot stop its workers; without this they would finish their
    runs (and keep the forkserver and the resource tracker alive, as they hold their
    pipes) with no one to take the records.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _start_worker() -> None:
    _one_thread_each()
    _exit_with_parent()


def rough_cost(task: Task) -> float:
    """A rough guess of a run's time, used only to hand out the longest runs first.

    Person-days plus the founding member-days of its groups: a run's time grows with
    both. Results do not depend on it (each run has its own seed, and tables are sorted
    by run), only how well the last runs share the workers does.
    """
    scenario = task.scenario
    founders = 0.0
    for cohort in scenario.get("groups", {}).values():
        size = cohort["size"]
        founders += cohort["count"] * (size if isinstance(size, int) else sum(size) / 2)
    return float(scenario["days"]) * (scenario["population"]["size"] + founders)


def longest_first(tasks: list[Task]) -> list[Task]:
    """The tasks by decreasing :func:`rough_cost`, ties kept in their order."""
    return sorted(tasks, key=rough_cost, reverse=True)


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its record: metrics and group lifetimes (no files).

    A run that fails (a metric that raises, memory running out) does not stop the
    sweep: its record says why under ``error``, with no metric values and no groups.
    """
    for module in task.imports:
        importlib.import_module(module)
    started = time.perf_counter()
    record: dict[str, Any] = {
        "run": task.run,
        "point": task.point,
        "replicate": task.replicate,
        "seed": task.seed,
        "run_id": task.run_id,
        "parameters": task.parameters,
        "code": code_digest(),
    }
    try:
        scenario = Scenario.model_validate(task.scenario)
        model, tables = simulate(scenario, agents=False)
        values = compute(list(task.metrics), RunData(tables, model.day, model=model))
    except Exception as exc:  # one failed run is recorded; the others go on
        return {
            **record,
            "error": f"{type(exc).__name__}: {exc}",
            "metrics": dict.fromkeys(task.metrics),
            "days_run": 0,
            "lifetimes": {"cohort": [], "lifetime": [], "censored": []},
            "seconds": round(time.perf_counter() - started, 3),
        }
    groups = tables["groups"]
    return {
        **record,
        "metrics": values,
        "days_run": int(model.day),
        "lifetimes": {
            "cohort": groups["cohort"].astype(str).tolist(),
            "lifetime": groups["lifetime"].astype(int).tolist(),
            "censored": groups["censored"].astype(bool).tolist(),
        },
        "seconds": round(time.perf_counter() - started, 3),
    }


@dataclass(frozen=True)
class Executor:
    """Where a sweep's runs go.

    Attributes:
        workers: Local worker processes (1 runs in this process).
        scheduler: Address of a running Dask scheduler (``tcp://host:port``).
        dask_local: Start a local Dask cluster with this many single-threaded workers.
    """

    workers: int = 1
    scheduler: str | None = None
    dask_local: int | None = None

    def describe(self) -> str:
        """A short description for the manifest and the progress line."""
        if self.scheduler:
            return f"dask scheduler {self.scheduler}"
        if self.dask_local:
            return f"local dask cluster, {self.dask_local} workers"
        return "this process" if self.workers <= 1 else f"{self.workers} local processes"

    def map(self, tasks: list[Task], on_record: Callable[[dict[str, Any]], None]) -> None:
        """Run every task; call ``on_record`` in this process as each one finishes."""
        if not tasks:
            return
        if self.scheduler or self.dask_local:
            self._dask(tasks, on_record)
        elif self.workers <= 1:
            for task in tasks:
                on_record(run_task(task))
        else:
            self._processes(tasks, on_record)

    def _processes(self, tasks: list[Task], on_record: Callable[[dict], None]) -> None:
        # forkserver: workers start from a clean interpreter, not a fork of a process that
        # may hold threads or locks, and import groupsim once.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.sweep.execute", "sim.runner"])
        with ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_start_worker
        ) as pool:
            # Longest first: the short runs left at the end keep both workers busy.
            futures = [pool.submit(run_task, task) for task in longest_first(tasks)]
            try:
                for future in as_completed(futures):
                    on_record(future.result())
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _dask(self, tasks: list[Task], on_record: Callable[[dict], None]) -> None:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed

        # Each nanny of a local cluster writes its worker's variables into this process's
        # environment before it starts the worker, and leaves them there: they are put
        # back as they were once the cluster is closed (or failed to start).
        environment = dict(os.environ)
        cluster = client = None
        try:
            if self.dask_local:
                import dask

                with dask.config.set(QUIET_DASK_WORKERS):
                    cluster = LocalCluster(
                        n_workers=self.dask_local,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    )
                client = Client(cluster)
            else:
                client = Client(self.scheduler, timeout="30s")
            futures = client.map(run_task, longest_first(tasks), pure=False)
            for future in dask_completed(futures):
                on_record(future.result())
                future.release()
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
            if self.dask_local:
                _put_back(environment)


def _put_back(environment: dict[str, str]) -> None:
    """Make ``os.environ`` what it was (``environment``, a copy taken before)."""
    for key in set(os.environ) - set(environment):
        del os.environ[key]
    for key, value in environment.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def pending(tasks: Iterable[Task], done: set[str]) -> list[Task]:
    """The tasks whose runs are not stored yet."""
    return [task for task in tasks if task.run_id not in done]
