"""Measures of the network over years: the watch on a run, layer change, F4 shortfalls."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.calibration import load_calibration
from sim.calibration.measures import MEASURES, shortfall
from sim.facts.measures import (
    YEAR_DAYS,
    Run,
    Watch,
    bridges_kept,
    bridges_kept_second_year,
    layer_change,
)
from sim.model import GroupModel
from sim.runner import model_tables
from sim.scenario import load_scenario

ROOT = Path(__file__).parent.parent
NO_GROUPS = ["groups.lecture.count=0", "groups.family.count=0", "groups.friends.count=0"]


def world(days: int, *extra: str) -> GroupModel:
    scenario = load_scenario(
        ROOT / "scenarios" / "baseline.yaml",
        ["population.size=400", f"days={days}", "seed=11", *NO_GROUPS, *extra],
    )
    return GroupModel(scenario=scenario, rng=scenario.seed, agents=False)


def watched(days: int, *extra: str) -> Run:
    model = world(days, *extra)
    rng = np.random.default_rng(4)
    watch = Watch(model, rng, layers=True, bridges=300)
    model.run(watch)
    return Run(model.config, model_tables(model), model, start=watch.start, rng=rng)


def test_a_world_without_groups_runs_to_its_horizon():
    run = watched(40)
    assert run.day == 40


def test_the_bridges_of_a_longer_run_are_counted_on_day_365():
    longer, year = watched(YEAR_DAYS + 60), watched(YEAR_DAYS)
    assert "bridges_kept" in longer.start and "bridges_kept" in year.start
    assert np.array_equal(longer.start["bridges"], year.start["bridges"])
    assert bridges_kept(longer) == bridges_kept(year)
    # Measured at the end of the year-long run, the same share.
    del year.start["bridges_kept"]
    assert bridges_kept(year) == bridges_kept(longer)
    assert 0.0 <= bridges_kept(longer) <= 1.0


def test_the_bridges_of_day_365_are_followed_to_day_730():
    """F6 a year later: a second sample, drawn on day 365 and looked up on day 730."""
    run = watched(2 * YEAR_DAYS + 10)
    later, first = run.start["bridges_later"], run.start["bridges"]
    assert len(later) > 0 and not np.array_equal(later, first)
    kept = bridges_kept_second_year(run)
    assert 0.0 <= kept <= 1.0 and kept == run.start["bridges_kept_second_year"]
    # Those pairs were tied on day 365: on that day every one of them was a tie.
    short = watched(YEAR_DAYS + 5)
    assert np.array_equal(short.start["bridges_later"], later)
    found = short.model.world.ties.find(later[:, 0], later[:, 1])
    assert (found >= 0).mean() > kept  # fewer are left after a year than after 5 days
    assert math.isnan(bridges_kept_second_year(short))


def test_layers_shrink_in_a_world_that_only_decays():
    """No new acquaintances and almost no contact: the outer layer thins over a year."""
    run = watched(
        YEAR_DAYS,
        "network.ties.new_acquaintances_per_year=0",
        "network.ties.contacts_per_day=0.01",
    )
    assert layer_change(3)(run) < -0.1


def test_layer_change_is_undefined_without_the_layers_of_day_0():
    model = world(40)
    rng = np.random.default_rng(1)
    watch = Watch(model, rng, layers=False, bridges=0)
    model.run(watch)
    run = Run(model.config, model_tables(model), model, start=watch.start, rng=rng)
    assert math.isnan(layer_change(0)(run))


def test_a_shortfall_is_zero_above_the_floor_and_the_log_ratio_below():
    def half(run):
        return 0.05

    def double(run):
        return 0.2

    assert shortfall(double, 0.1)(None) == 0.0
    assert shortfall(half, 0.1)(None) == pytest.approx(math.log(0.5))


def test_the_network_calibration_fits_only_the_network_to_facts():
    loaded = load_calibration(ROOT / "experiments" / "calibration" / "network.yaml")
    assert all(
        name.startswith(("network.ties.", "network.circles.")) for name in loaded.spec.parameters
    )
    assert all(t.fact.startswith("F") for t in loaded.spec.targets.values())
    assert {t.measure for t in loaded.spec.targets.values()} <= set(MEASURES)
    assert loaded.base.groups == {} or all(c.count == 0 for c in loaded.base.groups.values())
