"""What ``groupsim run`` tells its reader: survival beside the median, 80 columns, notes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Scenario
from sim.notices import capped_groups, ineffective_settings
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
ICEBREAKER = ROOT / "scenarios" / "icebreaker.yaml"
SMALL = ["population.size=1500", "days=40", "groups.plain.count=6", "groups.icebreaker.count=6"]


def scenario(*extra: str) -> Scenario:
    return load_scenario(ICEBREAKER, [*SMALL, *extra])


def test_summary_gives_share_alive_and_restricted_mean_lifetime():
    result = run(scenario(), out=None)
    summary = result.summary.set_index("cohort")
    groups = result.tables["groups"]
    for cohort, row in summary.iterrows():
        part = groups[groups["cohort"] == cohort]
        assert row["share alive"] == pytest.approx(part["censored"].mean())
        # Followed for 40 days less the last creation day; RMST is a mean lifetime up to it.
        assert row["RMST up to (days)"] == 40 - part["created"].max()
        assert 0 < row["RMST (days)"] <= row["RMST up to (days)"]
        lived = part["lifetime"].clip(upper=row["RMST up to (days)"])
        if part["censored"].all():
            assert row["RMST (days)"] == pytest.approx(row["RMST up to (days)"])
        else:
            assert row["RMST (days)"] >= lived.min()


def test_run_prints_tables_that_fit_80_columns_and_says_what_could_not_take_effect(tmp_path):
    sets = [*SMALL, "interventions.icebreaker.day=30", "groups.plain.cap=50"]
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(ICEBREAKER), "--out", str(tmp_path)]
        + [arg for s in sets for arg in ("--set", s)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines if not line.startswith("results:")) <= 80
    assert "survival of groups by cohort" in done.stdout and "RMST" in done.stdout
    assert "groups of 'icebreaker' created after day 9 never get the ice-breaker" in done.stderr
    assert "groups.plain.cap: 6 of 6 groups reached the cap of 50" in done.stderr
    folder = next(p for p in (tmp_path / "icebreaker").iterdir() if p.is_dir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["notes"]) == 2
    assert "## Settings that could not take effect" in (folder / "summary.md").read_text()


def test_notes_name_only_what_cannot_take_effect():
    assert ineffective_settings(scenario()) == []
    never = ineffective_settings(scenario("interventions.icebreaker.day=45"))
    assert never == [
        "interventions.icebreaker.day: 45 days after creation is after the horizon (40 days) "
        "for every group of 'icebreaker': it never runs"
    ]
    guides = scenario("interventions.guides={cohorts: [plain], from_day: 40}")
    assert any("no newcomer is ever greeted" in n for n in ineffective_settings(guides))
    late_event = scenario("groups.plain.event={start: 45}")
    assert any("groups.plain.event.start" in n for n in ineffective_settings(late_event))
    wide_cap = scenario("network.platform_cap=150")
    assert any("changes nothing" in n for n in ineffective_settings(wide_cap))
    assert ineffective_settings(scenario("network.platform_cap=50")) == []
    reward = scenario("interventions.referral_reward={amount: 5}")
    assert any("no products" in n for n in ineffective_settings(reward))


def test_a_cohort_can_be_switched_off():
    off = scenario("groups.plain.count=0")
    assert ineffective_settings(off) == ["groups.plain.count: 0, the cohort is switched off"]
    result = run(off, out=None)
    assert set(result.tables["groups"]["cohort"]) == {"icebreaker"}
    assert list(result.summary["cohort"]) == ["icebreaker"]
    assert capped_groups(result.tables["groups"], off) == []
