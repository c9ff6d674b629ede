"""groupsim: an agent-based simulator of social spread in chat groups, built on Mesa."""

from sim.scenario import ScenarioError, load_scenario, scenario_from_dict

__all__ = ["ScenarioError", "load_scenario", "scenario_from_dict"]
__version__ = "0.1.0"
