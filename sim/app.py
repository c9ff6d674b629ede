"""Watch a scenario unfold day by day in the browser, and steer it, with Mesa's SolaraViz.

Start it with ``groupsim viz [SCENARIO.yaml]`` and open the address it prints (see
docs/viz.md). The sidebar picks a scenario file, the number of people, the seed and the
behaviour settings a strategist changes most; *Reset* builds that model, *Step* and
*Play* advance it one day at a time. The page shows, by cohort, members and active
members, group size, posts per day and the muted share; the network of one group; a
table of the groups; the Kaplan–Meier survival of the groups so far; and the cohort
table that ``groupsim run`` prints, under the settings of the model on the page.

The scenarios offered are the YAML files of the folder named by the ``GROUPSIM_SCENARIOS``
environment variable (or of the folder of the file it names, which the page then opens
with), else of ``scenarios/`` in the working directory, else of the repository's own
``scenarios/``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim import figure_style, network_plot, plots
from sim.by_cohort import CohortDays
from sim.metrics import cohort_summary, groups_table
from sim.model import GroupModel
from sim.runner import cell, model_tables
from sim.scenario import load_scenario

SCENARIOS_VARIABLE = "GROUPSIM_SCENARIOS"  # set by `groupsim viz` (sim.cli.viz)
PEOPLE = {"min": 2_000, "max": 50_000, "step": 1_000}
"""The range of the population slider: every shipped scenario builds across it."""
SLIDERS = {
    "post_rate": ("Post rate", 0.005, 0.5, 0.0001),
    "invite_rate": ("Invite rate", 0.0, 0.3, 0.005),
    "leave_rate": ("Leave rate", 0.0, 0.2, 0.00001),
    "overload_cost": ("Overload cost", 0.0, 3.0, 0.0001),
    "unmute_rate": ("Unmute rate", 0.0, 0.5, 0.01),
    "silence_days": ("Silence days", 1, 60, 1),
}
"""The behaviour settings on sliders: label, minimum, maximum, step (``sim.config``).

Each default lies on its slider's steps, so that the page shows the value the model runs.
"""
GROUPS_SHOWN = 25
"""Rows of the groups table, and groups offered by the network view's picker."""


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


@lru_cache(maxsize=1)
def slider_defaults() -> dict[str, float]:
    """Where the sliders start: the settings of the scenario the page opens with."""
    opened = load_scenario(scenario_folder() / f"{first_scenario()}.yaml")
    values = {name: getattr(opened.behaviour, name) for name in SLIDERS}
    values["people"] = int(np.clip(opened.population.size, PEOPLE["min"], PEOPLE["max"]))
    return values


class ScenarioModel(GroupModel):
    """A :class:`~sim.model.GroupModel` built from a scenario file and the page's knobs.

    SolaraViz rebuilds the model from keyword arguments on *Reset*; these are the ones
    the sidebar sets. Everything else comes from the file, as with ``groupsim run``. A
    behaviour slider still where it started (at the value of the file the page opened
    with) leaves each scenario its own value; one that was moved overrides it.

    Args:
        scenario_name: A scenario file of :func:`scenario_folder`, without ``.yaml``.
        people: Population size (overrides ``population.size``; by default, where the
            slider starts).
        seed: Root seed (overrides ``seed``).
        scenario: Ignored: what Mesa's *Reset* passes back (see the code).
        **behaviour: Slider values of the settings in :data:`SLIDERS`.
    """

    def __init__(
        self,
        scenario_name: str | None = None,
        people: int | None = None,
        seed: int | str = 42,
        scenario: MesaScenario | None = None,
        **behaviour: float,
    ):
        # Mesa's Reset hands back the model's own (empty) Mesa scenario; the page's
        # scenario is the file named by scenario_name.
        if scenario is not None and not isinstance(scenario, MesaScenario):
            raise TypeError("the page builds its scenario from scenario_name")
        scenario_name = scenario_name or first_scenario()
        path = scenario_folder() / f"{scenario_name}.yaml"
        try:
            seed = int(seed)
        except ValueError:
            raise ValueError(f"the seed must be a whole number, not '{seed}'") from None
        unknown = set(behaviour) - set(SLIDERS)
        if unknown:
            raise TypeError(f"not a slider of the page: {', '.join(sorted(unknown))}")
        start = slider_defaults()
        moved = {k: v for k, v in behaviour.items() if v != start[k]}
        people = start["people"] if people is None else int(people)
        overrides = [f"population.size={people}", f"seed={seed}"]
        super().__init__(scenario=load_scenario(path, overrides), rng=seed, **moved)
        self.scenario_name = scenario_name
        self.by_cohort = CohortDays(self)

    def step(self) -> None:
        """One day, then its row of the daily series by cohort."""
        super().step()
        self.by_cohort()


# ----------------------------------------------------------------- what the panels read


@lru_cache(maxsize=4)
def _tables(model: GroupModel, day: int) -> dict[str, pd.DataFrame]:
    """The model's tables on ``day``, shared by the components that draw them."""
    return model_tables(model)


def colours(model: GroupModel) -> dict[str, str]:
    """The cohort colours of the page: in the scenario's order, as in ``groupsim run``."""
    return figure_style.cohort_colours(model.cohort_names)


def settings_line(model: GroupModel) -> str:
    """The behaviour settings of the model on the page, as ``name value`` pairs.

    Values are shown to the slider's finest step (``:g``), not rounded like table cells,
    so that a slider moved by one step shows in the model's settings after *Reset*.
    """
    return " · ".join(f"{name} {getattr(model.config.behaviour, name):g}" for name in SLIDERS)


def _html(frame: pd.DataFrame, index: bool = False) -> solara.Element:
    # An HTML table, not Markdown: solara's Markdown fetches KaTeX from a CDN. It
    # scrolls within its panel (Mesa's grid cells are of a fixed height).
    html = frame.to_html(index=index, float_format=cell, classes="groupsim-table", border=0)
    style = {"overflow": "auto", "max-height": "320px"}
    return solara.HTML(tag="div", unsafe_innerHTML=html, style=style)


# ----------------------------------------------------------------- the panels


def _days_figure(model: GroupModel, draw, what: str) -> solara.Element:
    """``draw(ax, days, colours)`` on a new figure, or a note on ``what`` before day 1."""
    days = model.by_cohort.frame()
    if not len(days):
        return solara.Info(f"{what}: step the model to see its first day.")
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    draw(ax, days, colours(model))
    figure_style.cohort_legend(fig, colours(model), days["cohort"])
    return solara.FigureMatplotlib(fig, format="png")


def _days_panel(draw, what: str):
    """A page component drawing ``draw`` of the daily series by cohort (``what`` it shows)."""

    @solara.component
    def Panel(model: GroupModel):
        update_counter.get()
        return _days_figure(model, draw, what)

    Panel.__name__ = draw.__name__.removeprefix("draw_").title().replace("_", "")
    return Panel


@solara.component
def Summary(model: GroupModel):
    """The scenario, day and settings of the model on the page, and its cohort table."""
    update_counter.get()
    tables = _tables(model, model.day)
    with solara.Column(gap="4px") as main:
        solara.Text(
            f"{model.config.name}, day {model.day} of {model.config.days}, {model.n:,} people",
            style={"font-weight": "bold"},
        )
        solara.Text(f"settings: {settings_line(model)}", style={"font-size": "12px"})
        if not len(tables["groups"]):
            solara.Text("No group has been created yet.")
        else:
            # Cohorts as columns: the table fits half the page however many columns the
            # summary has.
            summary = cohort_summary(tables, model.day).set_index("cohort").T
            _html(summary.rename_axis("cohort", axis=1), index=True)
    return main


@solara.component
def Survival(model: GroupModel):
    """Kaplan–Meier survival of the groups created so far, by cohort."""
    update_counter.get()
    tables = _tables(model, model.day)
    if not len(tables["groups"]):
        return solara.Info("Survival of the groups: no group has been created yet.")
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    plots.draw_survival(ax, tables["groups"], colours(model))
    figure_style.legend_outside(fig, ax)
    return solara.FigureMatplotlib(fig, format="png")


@solara.component
def GroupsTable(model: GroupModel):
    """The groups created so far: living ones first, largest first."""
    update_counter.get()
    tables = _tables(model, model.day)
    if not len(tables["groups"]):
        return solara.Info("Groups: no group has been created yet.")
    shown = groups_table(tables, GROUPS_SHOWN)
    with solara.Column(gap="4px") as main:
        solara.Text(
            f"Groups: {len(shown)} of {len(tables['groups'])} created, living ones first, "
            "largest first",
            style={"font-weight": "bold"},
        )
        _html(shown)
    return main


@solara.component
def GroupNetwork(model: GroupModel):
    """The network of one group: members, ties inside by strength, invitations."""
    update_counter.get()
    chosen, set_chosen = solara.use_state(None)
    # Positions of the people drawn before, so that the picture moves, not jumps.
    positions = solara.use_memo(dict, dependencies=[id(model)])
    living = network_plot.living_groups(model)
    if not len(living):
        return solara.Info("The network of one group: no group is alive.")
    group = chosen if chosen in set(living.tolist()) else int(living[0])
    g = model.groups
    names = model.cohort_names

    def label(i: int) -> str:
        return f"group {i} · {names[g.cohort[i]]} · {g.members[i]} members"

    offered = [int(i) for i in living[:GROUPS_SHOWN]]
    if group not in offered:
        offered.append(group)
    by_label = {label(i): i for i in offered}
    network = network_plot.group_network(model, group)
    fig = Figure(figsize=(6, 3.1), layout="constrained")
    ax = fig.subplots()
    network_plot.draw_group_network(
        fig,
        ax,
        network,
        positions.setdefault(group, {}),
        colours(model)[names[g.cohort[group]]],
        f"group {group} ({names[g.cohort[group]]}) on day {model.day}",
    )
    with solara.Column(gap="0px", classes=["groupsim-network"]) as main:
        solara.Select(
            "Group (default: the largest living one)",
            value=label(group),
            values=list(by_label),
            on_value=lambda text: set_chosen(by_label.get(text)),
        )
        solara.FigureMatplotlib(fig, format="png")
    return main


STYLE = """
/* Sliders show their value all the time, not only while dragged. */
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label {
  transform: translateY(-16px) translateX(-50%) !important;
  width: auto !important; min-width: 28px; padding: 0 4px;
  border-radius: 4px !important; height: 20px !important; font-size: 11px;
}
.v-slider__thumb-label > * { transform: none !important; }
.v-input--is-label-active.v-input__slider { margin-top: 14px; }
/* Mesa labels the only tab "Page 0": one page needs no tabs. */
.v-tabs { display: none !important; }
.groupsim-table { border-collapse: collapse; font-size: 12px; }
.groupsim-table th, .groupsim-table td { padding: 1px 6px; text-align: right; }
.groupsim-table tr:nth-child(even) { background: rgba(0, 0, 0, 0.04); }
"""


def model_params() -> dict:
    """The sidebar's inputs (Mesa's spec dicts), starting at the opened file's values."""
    start = slider_defaults()
    params = {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario",
            "value": first_scenario(),
            "values": scenario_names(),
        },
        "people": {"type": "SliderInt", "label": "People", "value": start["people"], **PEOPLE},
        "seed": {"type": "InputText", "label": "Seed", "value": 42},
    }
    for name, (text, low, high, step) in SLIDERS.items():
        kind = "SliderInt" if isinstance(step, int) else "SliderFloat"
        params[name] = {
            "type": kind,
            "label": text,
            "value": start[name],
            "min": low,
            "max": high,
            "step": step,
        }
    return params


components = [
    (Summary, 0),
    (_days_panel(plots.draw_members, "Members and active members by cohort"), 0),
    (GroupNetwork, 0),
    (GroupsTable, 0),
    (_days_panel(plots.draw_group_sizes, "Members per living group by cohort"), 0),
    (_days_panel(plots.draw_groups_alive, "Groups alive by cohort"), 0),
    (_days_panel(plots.draw_posts, "Posts per day by cohort"), 0),
    (_days_panel(plots.draw_muted_share, "Muted share by cohort"), 0),
    (Survival, 0),
]


@solara.component
def Page():
    """The page: one model per browser tab, so that two viewers never step each other's."""
    model = solara.use_memo(ScenarioModel, dependencies=[])
    solara.Style(STYLE)
    SolaraViz(model, components=components, model_params=model_params(), name="groupsim")
