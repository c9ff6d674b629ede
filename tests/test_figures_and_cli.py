"""The run's figures (sim/plots.py) and the small command-line fixes of issue 16.

The command line runs in this process through Typer's CliRunner.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import figure_style, plots
from sim.runner import run

ROOT = Path(__file__).resolve().parent.parent


def groupsim(*args):
    from sim.cli import app

    return CliRunner().invoke(app, list(map(str, args)))


# ----------------------------------------------------------------- figures


def days_frame(values: dict[str, list[float]], column: str = "groups_alive") -> pd.DataFrame:
    rows = []
    for cohort, series in values.items():
        for day, value in enumerate(series):
            rows.append({"day": day, "cohort": cohort, column: value})
    return pd.DataFrame(rows)


def test_one_colour_per_cohort_and_grey_for_the_pooled_ones():
    colours = figure_style.cohort_colours(["b", "a", "other 3 cohorts", "c", "a"])
    assert list(colours) == ["b", "a", "other 3 cohorts", "c"]
    assert colours["b"] == "tab:blue" and colours["a"] == "tab:orange"
    assert colours["c"] == "tab:green" and colours["other 3 cohorts"] == figure_style.POOLED_COLOUR
    assert len(set(figure_style.cohort_colours([f"k{i}" for i in range(10)]).values())) == 10


def test_a_constant_count_is_drawn_from_zero():
    _fig, (ax,) = figure_style.figure()
    plots.draw_groups_alive(ax, days_frame({"a": [11] * 30}), {"a": "tab:blue"})
    low, high = ax.get_ylim()
    assert low == 0 and 11 < high < 13


def test_the_day0_peak_does_not_squash_the_rest():
    _fig, (ax,) = figure_style.figure()
    rng = np.random.default_rng(1)
    later = list(10 + rng.random(60))
    figure_style.clip_spike(ax, np.arange(61), np.array([1000.0, *later]))
    low, high = ax.get_ylim()
    assert low == 0 and 11 < high < 20
    assert any("day 0: 1,000" in text.get_text() for text in ax.texts)
    _fig, (ax,) = figure_style.figure()
    figure_style.clip_spike(ax, np.arange(61), np.array([12.0, *later]))  # no peak: nothing clipped
    assert ax.get_ylim()[1] >= 12 and not ax.texts


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    scenario = ROOT / "scenarios" / "baseline.yaml"
    return run(
        scenario, overrides=["population.size=2000", "days=40"], out=tmp_path_factory.mktemp("r")
    )


def test_run_figures_by_cohort_with_legends_outside(baseline_run):
    names = sorted(p.name for p in baseline_run.figures)
    assert names == ["cascades.png", "flows.png", "members.png", "posts.png", "survival.png"]
    days = baseline_run.tables["cohort_days"]
    assert set(days["cohort"]) == {"lecture", "family", "friends"}
    pooled = days.groupby("day")[["posts", "members"]].sum()
    series = baseline_run.tables["timeseries"]
    assert pooled["posts"].tolist() == series["posts"].tolist()
    assert pooled["members"].tolist() == series["members"].tolist()
    assert (baseline_run.out_dir / "cohort_days.parquet").exists()
    colours = figure_style.cohort_colours(["lecture", "family", "friends"])
    fig, (ax,) = figure_style.figure()
    plots.draw_survival(ax, baseline_run.tables["groups"], colours)
    figure_style.legend_outside(fig, ax)
    assert ax.get_legend() is None and len(fig.legends) == 1  # outside the axes
    lines = [line for line in ax.get_lines() if line.get_label().endswith(")")]
    assert len({line.get_linestyle() for line in lines}) == 3
    assert [line.get_color() for line in lines] == ["tab:blue", "tab:orange", "tab:green"]
    assert len(ax.collections) >= 3  # the confidence bands the title promises


def test_group_size_is_per_group_not_summed(baseline_run):
    days = baseline_run.tables["cohort_days"]
    late = days[days["day"] == days["day"].max()].set_index("cohort")
    # Family groups have 5 members at most: their median stays small, not at zero.
    assert 2 <= late.loc["family", "members_median"] <= 5
    assert late.loc["lecture", "members_median"] > 20
    assert (late["members_q25"] <= late["members_median"]).all()
    assert (late["members_median"] <= late["members_q75"]).all()


# ----------------------------------------------------------------- command line


def test_metrics_prints_the_brackets():
    done = groupsim("metrics")
    assert done.exit_code == 0 and "name[cohort]" in done.output


def test_run_on_an_experiment_says_to_use_sweep():
    path = ROOT / "experiments" / "group_size_survival.yaml"
    done = groupsim("run", path)
    assert done.exit_code == 2
    assert "this is an experiment: use `groupsim sweep" in done.output
    assert "Traceback" not in done.output and isinstance(done.exception, SystemExit)


def test_the_command_line_package_keeps_its_entry_points():
    import sim.cli
    from sim.cli import commands, sweep, viz

    assert callable(sim.cli.main)
    for module in (sim.cli, commands, sweep, viz):
        assert len(Path(module.__file__).read_text().splitlines()) < 400


def test_help_breaks_lines_only_where_a_sentence_ends():
    # Typer keeps the line breaks of a help text's later paragraphs, so a docstring
    # wrapped mid-sentence prints as a ragged paragraph in `groupsim <command> --help`.
    import inspect

    import typer.main

    from sim.cli import app

    def commands(command, name):
        yield name, command
        for sub_name, sub in getattr(command, "commands", {}).items():
            yield from commands(sub, f"{name} {sub_name}")

    ragged = []
    for name, command in commands(typer.main.get_command(app), "groupsim"):
        help_text = inspect.cleandoc(command.help or "").partition("\f")[0]
        for paragraph in help_text.split("\n\n")[1:]:
            for line in paragraph.splitlines()[:-1]:
                if not line.rstrip().endswith((".", ":", ";", "?", "!")):
                    ragged.append(f"{name}: {line!r}")
    assert not ragged


@pytest.fixture
def experiment(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "days: 8\npopulation: {size: 1000}\ngroups:\n"
        "  lecture: {driver: event, count: 4, size: 20, created: [0, 2]}\n"
    )
    (tmp_path / "exp.yaml").write_text(
        "scenario: base.yaml\nparameters:\n  groups.lecture.size: [10, 30]\n"
        "replicates: 3\nmetrics: [share_alive]\n"
    )
    return tmp_path / "exp.yaml"


def test_sweep_set_and_replicates_shrink_an_experiment(experiment, tmp_path):
    out = tmp_path / "out"
    done = groupsim("sweep", experiment, "--set", "days=5", "--replicates", "1", "--out", out)
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "exp" / "manifest.json").read_text())
    assert manifest["runs"] == 2 and manifest["replicates"] == 1
    assert manifest["base_scenario_with_set"]["days"] == 5
    assert manifest["command_line"] == {"set": ["days=5"], "replicates": 1}
    assert manifest["experiment_resolved"]["set"] == {"days": 5}
    # Two replicates now: the one stored is reused, the other is run.
    done = groupsim(
        "sweep", experiment, "--set", "days=5", "--replicates", "2", "--resume", "--out", out
    )
    assert done.exit_code == 0, done.output
    assert "ran 2 run(s), 2 resumed" in done.output
    # A different override is a different experiment: nothing stored is its.
    done = groupsim("sweep", experiment, "--set", "days=6", "--replicates", "1", "--out", out)
    assert done.exit_code == 2 and "0 of this sweep's 2" in done.output


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("groups.lecture.size=5", "the experiment varies 'groups.lecture.size'"),
        ("seed=3", "the sweep sets it per run"),
        ("days=-1", "days"),
        ("population.sise=3", "sise"),
    ],
)
def test_sweep_set_refuses_what_it_cannot_do(experiment, tmp_path, assignment, message):
    done = groupsim("sweep", experiment, "--set", assignment, "--out", tmp_path / "out")
    assert done.exit_code == 2 and message in done.output and "--set" in done.output
    assert not (tmp_path / "out" / "exp").exists()
