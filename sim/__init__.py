"""groupsim: an agent-based simulator of social spread in chat groups, built on Mesa.

The Python interface::

    from sim import load_scenario, run

    result = run(load_scenario("scenarios/baseline.yaml"), out=None)
    result.groups  # a pandas DataFrame, one row per group
"""

from typing import Any

from sim.scenario import ScenarioError, load_scenario, scenario_from_dict

__all__ = ["GroupModel", "RunResult", "ScenarioError", "load_scenario", "run", "scenario_from_dict"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The model and runner pull in Mesa, pandas and lifelines: import them on first use,
    # so that `groupsim validate` and `groupsim schema` start fast.
    if name in ("run", "RunResult"):
        from sim import runner

        return getattr(runner, name)
    if name == "GroupModel":
        from sim.model import GroupModel

        return GroupModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
