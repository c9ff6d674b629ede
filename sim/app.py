"""Watch a scenario unfold day by day in the browser, with Mesa's SolaraViz.

Start it with ``groupsim app`` (or ``solara run sim/app.py``) and open the address it
prints. The sidebar picks a scenario file, the number of people and the seed; *Reset*
builds that model, *Step* and *Play* advance it one day at a time. The page shows the
daily series of the model's DataCollector, members by cohort, the Kaplan–Meier survival
of the groups so far and the cohort table that ``groupsim run`` prints.

The scenarios offered are the YAML files of the folder named by the ``GROUPSIM_SCENARIOS``
environment variable (or of the folder of the file it names, which the page then opens
with), else of ``scenarios/`` in the working directory, else of the repository's own
``scenarios/``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.metrics import cohort_summary
from sim.model import GroupModel
from sim.plots import draw_members, draw_survival
from sim.runner import cell, model_tables
from sim.scenario import load_scenario

SCENARIOS_VARIABLE = "GROUPSIM_SCENARIOS"  # set by `groupsim app` (sim.cli)
PEOPLE = {"min": 2_000, "max": 50_000, "step": 1_000, "value": 10_000}
"""The range of the population slider: every shipped scenario builds across it."""


def _given() -> Path:
    given = os.environ.get(SCENARIOS_VARIABLE)
    if given:
        return Path(given)
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "scenarios"


def scenario_folder() -> Path:
    """The folder whose YAML files the page offers (see the module docstring)."""
    given = _given()
    return given.parent if given.suffix in (".yaml", ".yml") else given


def scenario_names(folder: Path | None = None) -> list[str]:
    """The scenario files of ``folder``, by name (file stem), sorted."""
    folder = scenario_folder() if folder is None else folder
    return sorted(path.stem for path in folder.glob("*.yaml"))


def first_scenario() -> str:
    """The scenario the page opens with: the file given, else ``baseline``, else the first."""
    given = _given()
    if given.suffix in (".yaml", ".yml"):
        return given.stem
    names = scenario_names()
    return "baseline" if "baseline" in names or not names else names[0]


class ScenarioModel(GroupModel):
    """A :class:`~sim.model.GroupModel` built from a scenario file and the page's knobs.

    SolaraViz rebuilds the model from keyword arguments on *Reset*; these are the ones
    the sidebar sets. Everything else comes from the file, as with ``groupsim run``.

    Args:
        scenario_name: A scenario file of :func:`scenario_folder`, without ``.yaml``.
        people: Population size (overrides ``population.size``).
        seed: Root seed (overrides ``seed``).
    """

    def __init__(self, scenario_name: str | None = None, people: int = 10_000, seed=42):
        scenario_name = scenario_name or first_scenario()
        path = scenario_folder() / f"{scenario_name}.yaml"
        try:
            seed = int(seed)
        except ValueError:
            raise ValueError(f"the seed must be a whole number, not '{seed}'") from None
        overrides = [f"population.size={int(people)}", f"seed={seed}"]
        super().__init__(scenario=load_scenario(path, overrides), rng=seed)
        self.scenario_name = scenario_name


@lru_cache(maxsize=4)
def _tables(model: GroupModel, day: int) -> dict[str, pd.DataFrame]:
    """The model's tables on ``day``, shared by the components that draw them."""
    return model_tables(model)


def _born_groups(model: GroupModel) -> tuple[dict[str, pd.DataFrame], bool]:
    tables = _tables(model, model.day)
    return tables, len(tables["groups"]) > 0


def _tables_figure(model: GroupModel, draw) -> solara.Element:
    """``draw(ax, tables, day)`` on a new figure, or a note while no group exists."""
    tables, any_born = _born_groups(model)
    if not any_born:
        return solara.Info("No group has been created yet.")
    fig = Figure(figsize=(6, 4), layout="tight")
    draw(fig.subplots(), tables, model.day)
    return solara.FigureMatplotlib(fig, format="png")


@solara.component
def MembersByCohort(model: GroupModel):
    """Members of living groups per day, one line per cohort."""
    update_counter.get()
    return _tables_figure(
        model,
        lambda ax, tables, day: draw_members(ax, tables["groups"], tables["memberships"], day),
    )


@solara.component
def Survival(model: GroupModel):
    """Kaplan–Meier survival of the groups created so far, by cohort."""
    update_counter.get()
    return _tables_figure(model, lambda ax, tables, day: draw_survival(ax, tables["groups"]))


@solara.component
def CohortTable(model: GroupModel):
    """The cohort summary of ``groupsim run``, as of today."""
    update_counter.get()
    tables, any_born = _born_groups(model)
    title = f"{model.config.name}, day {model.day} of {model.config.days}"
    with solara.Column(gap="4px") as main:
        solara.Text(title, style={"font-weight": "bold"})
        if not any_born:
            solara.Text("No group has been created yet.")
        else:
            # An HTML table, not Markdown: solara's Markdown fetches KaTeX from a CDN.
            html = cohort_summary(tables, model.day).to_html(
                index=False, float_format=cell, classes="groupsim-cohorts", border=0
            )
            solara.HTML(
                tag="div", unsafe_innerHTML=html, style={"overflow-x": "auto", "font-size": "13px"}
            )
    return main


model_params = {
    "scenario_name": {
        "type": "Select",
        "label": "Scenario",
        "value": first_scenario(),
        "values": scenario_names(),
    },
    "people": {"type": "SliderInt", "label": "People", **PEOPLE},
    "seed": {"type": "InputText", "label": "Seed", "value": 42},
}

components = [
    (CohortTable, 0),
    make_plot_component({"groups_alive": "tab:blue", "deaths": "tab:red"}),
    make_plot_component({"members": "tab:blue", "active": "tab:green", "muted": "tab:gray"}),
    make_plot_component({"posts": "tab:blue", "joins": "tab:green", "leaves": "tab:red"}),
    (MembersByCohort, 0),
    (Survival, 0),
]


@solara.component
def Page():
    """The page: one model per browser tab, so that two viewers never step each other's."""
    model = solara.use_memo(ScenarioModel, dependencies=[])
    SolaraViz(model, components=components, model_params=model_params, name="groupsim")
