"""Parameter sweeps: experiment files, designs, executors, resumable results and plots.

In Python::

    from sim.sweep import Executor, run_sweep

    result = run_sweep("experiments/group_size_survival.yaml", executor=Executor(workers=2))
    result.summary  # one row per point: each metric's mean and 95% CI over replicates
"""

from sim.sweep import sales as _sales  # noqa: F401  (registers the commerce metrics)
from sim.sweep.execute import Executor
from sim.sweep.load import LoadedExperiment, load_experiment
from sim.sweep.registry import METRICS, RunData, register_metric
from sim.sweep.spec import Experiment
from sim.sweep.sweep import SweepError, SweepResult, run_sweep

__all__ = [
    "METRICS",
    "Executor",
    "Experiment",
    "LoadedExperiment",
    "RunData",
    "SweepError",
    "SweepResult",
    "load_experiment",
    "register_metric",
    "run_sweep",
]
