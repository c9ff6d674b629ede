"""Calibration to facts (``groupsim calibrate``, ``sim/calibration/``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.calibration import calibrate, load_calibration
from sim.calibration.fit import weighted_quantile
from sim.calibration.measures import MEASURES
from sim.calibration.report import adopted, shipped_default
from sim.facts.measures import Run
from sim.scenario import ScenarioError

ROOT = Path(__file__).parent.parent
GROUPSIM = [sys.executable, "-m", "sim.cli"]

TINY = textwrap.dedent(
    f"""\
    scenario: {ROOT / "scenarios" / "baseline.yaml"}
    set:
      population.size: 500
      days: 40
      groups.lecture.count: 3
      groups.lecture.size: 30
      groups.family.count: 5
      groups.friends.count: 5
    seed: 5
    particles: 4
    generations: 2
    parameters:
      behaviour.post_rate: {{low: 0.05, high: 0.6}}
      behaviour.crowd_scale: {{low: 2, high: 100, log: true}}
    targets:
      gone:
        fact: F15
        measure: dead_within_30_days
        value: 0.2
        scale: 0.1
        source: a guild census
      posted:
        fact: F13
        measure: never_posted
        value: 0.9
        scale: 0.05
        source: participation inequality
    """
)


def write(tmp_path: Path, text: str, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dead_within_counts_deaths_within_the_window_of_groups_seen_long_enough():
    groups = pd.DataFrame(
        {
            "created": [0, 0, 0, 10, 50],
            "died": [20, 45, -1, 30, 55],  # the last is created too late to be followed
        }
    )
    scenario = load_calibration_base_scenario(days=60)
    run = Run(scenario, {"groups": groups}, model=None)
    # Followed for 30 days: groups 0-3; dead by day 30 of their life: 0 (20) and 3 (20).
    assert MEASURES["dead_within_30_days"](run) == pytest.approx(2 / 4)
    empty = Run(scenario, {"groups": groups.iloc[:0]}, model=None)
    assert np.isnan(MEASURES["dead_within_30_days"](empty))


def test_never_posted():
    run = Run(
        load_calibration_base_scenario(10),
        {"memberships": pd.DataFrame({"posts": [0, 0, 3, 0, 1]})},
        None,
    )
    assert MEASURES["never_posted"](run) == pytest.approx(0.6)


def load_calibration_base_scenario(days: int):
    from sim.scenario import scenario_from_dict

    return scenario_from_dict({"days": days})


def test_weighted_quantile_follows_the_weights():
    values = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(values, np.array([1.0, 1.0, 1.0]), 0.5) == 2.0
    assert weighted_quantile(values, np.array([0.1, 0.1, 5.0]), 0.5) == 2.0
    assert weighted_quantile(values, np.array([5.0, 0.1, 0.1]), 0.5) == 3.0
    assert weighted_quantile(values, np.array([0.1, 5.0, 0.1]), 0.05) == 1.0


def test_calibration_is_reproducible_and_stays_within_its_priors(tmp_path):
    loaded = load_calibration(write(tmp_path, TINY))
    first = calibrate(loaded)
    again = calibrate(loaded)
    pd.testing.assert_frame_equal(first.posterior, again.posterior)
    assert first.best == again.best
    other = calibrate(
        load_calibration(write(tmp_path, TINY.replace("seed: 5", "seed: 6"), "b.yaml"))
    )
    assert not first.posterior.equals(other.posterior)
    assert len(first.posterior) == 4 and first.posterior["weight"].gt(0).all()
    for row in first.ranges.itertuples():
        assert row.prior_low <= row.q05 <= row.median <= row.q95 <= row.prior_high
        assert row.q05 <= row.best <= row.q95 or row.best in set(first.posterior[row.parameter])
    # The best point is the accepted particle closest to the targets.
    closest = first.posterior.loc[first.posterior["distance"].idxmin()]
    assert first.best["behaviour.post_rate"] == closest["behaviour.post_rate"]
    # Its measures are what a run of the scenario gives: shares.
    assert 0.0 <= first.best["posted"] <= 1.0 and 0.0 <= first.best["gone"] <= 1.0
    # Tolerances shrink, generation by generation.
    assert first.generations["epsilon"].is_monotonic_decreasing
    # NumPy's global generator is given back as it was.
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    calibrate(loaded)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_calibrate_command_writes_tables_manifest_report_and_figure(tmp_path):
    path = write(tmp_path, TINY)
    doc = tmp_path / "docs" / "calibration.md"
    done = subprocess.run(
        [*GROUPSIM, "calibrate", str(path), "--out", str(tmp_path / "out"), "--doc", str(doc)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "calibration" / "tiny"
    for name in ("posterior.parquet", "generations.parquet", "ranges.parquet", "posterior.png"):
        assert (folder / name).stat().st_size > 0, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["calibration_as_written"] == TINY
    assert set(manifest["best"]) == {
        "behaviour.post_rate",
        "behaviour.crowd_scale",
        "gone",
        "posted",
    }
    text = doc.read_text()
    assert "| `behaviour.crowd_scale` | [2, 100] |" in text
    assert "![accepted values](img/calibration/tiny.png)" in text
    # Its best point is not the shipped defaults: the report says it is only a candidate.
    assert "are **not** set to it: this calibration is a candidate" in text
    assert (doc.parent / "img" / "calibration" / "tiny.png").stat().st_size > 0
    assert "accepted ranges" in done.stdout
    accepted = pd.read_csv(tmp_path / "tiny.accepted.csv")
    assert list(accepted["parameter"]) == ["behaviour.post_rate", "behaviour.crowd_scale"]
    assert (accepted["q05"] <= accepted["q95"]).all()

    # --report-only writes the same report again from the stored results, running nothing.
    again = tmp_path / "again.md"
    redo = [*GROUPSIM, "calibrate", str(path), "--out", str(tmp_path / "out"), "--report-only"]
    done = subprocess.run([*redo, "--doc", str(again)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert again.read_text() == text.replace(str(doc), str(again))
    assert "accepted ranges" not in done.stdout  # nothing was run
    # Without --doc, or once the file has changed, it refuses, with exit status 2.
    refused = subprocess.run(redo, capture_output=True, text=True)
    assert refused.returncode == 2 and "--doc" in refused.stderr
    path.write_text(TINY.replace("seed: 5", "seed: 6"), encoding="utf-8")
    refused = subprocess.run([*redo, "--doc", str(again)], capture_output=True, text=True)
    assert refused.returncode == 2 and "has changed since" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    "change, line, field, says",
    [
        ("behaviour.post_rate: {low", 13, "parameters", "only free parameters"),
        ("behaviour.crowd_scale: {", 14, "parameters", "a half-life is calibrated by kind"),
        ("behaviour.crowd_scal", 14, "parameters", "no such behaviour parameter"),
        ("measure: dead_within_30_days", 18, "targets.gone.measure", "dead_within_90_days"),
        ("particles: 4", 10, "particles", "greater than or equal to 4"),
    ],
)
def test_a_bad_calibration_file_is_reported_at_its_line(tmp_path, change, line, field, says):
    broken = {
        "behaviour.post_rate: {low": "population.size: {low",
        "behaviour.crowd_scale: {": "network.ties.half_life_days.pets: {",
        "behaviour.crowd_scal": "behaviour.crowd_scal_",
        "measure: dead_within_30_days": "measure: dead_within_31_days",
        "particles: 4": "particles: 2",
    }[change]
    path = write(tmp_path, TINY.replace(change, broken, 1))
    with pytest.raises(ScenarioError) as caught:
        load_calibration(path)
    assert caught.value.line == line and caught.value.field.startswith(field)
    assert says in str(caught.value)
    done = subprocess.run([*GROUPSIM, "calibrate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{path}:{line}:" in done.stderr
    assert not (Path("results") / "calibration" / "tiny").exists()


def test_the_shipped_calibration_file_is_valid():
    loaded = load_calibration(ROOT / "experiments" / "calibration" / "facts.yaml")
    assert loaded.spec.targets and all(t.fact.startswith("F") for t in loaded.spec.targets.values())


@pytest.mark.parametrize(
    ("spec_file", "doc"),
    [("facts.yaml", "calibration.md"), ("network.yaml", "calibration_network.md")],
)
def test_the_defaults_are_the_calibration_s_best_point(spec_file, doc):
    report = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([\w.]+)` \| \[[^]]+\] \|(?: [^|]+ \|){3} ([^|]+) \|$", report, re.M)
    fitted = set(load_calibration(ROOT / "experiments" / "calibration" / spec_file).spec.parameters)
    assert {name for name, _ in rows} == fitted
    for name, best in rows:
        assert shipped_default(name) == pytest.approx(float(best), rel=1e-9), name
    assert "are set to it." in report and "candidate" not in report


def test_a_calibration_is_adopted_when_the_defaults_are_its_best_point():
    ranges = pd.DataFrame(
        {"parameter": ["behaviour.post_rate", "network.ties.contact_gain"], "best": [0.0, 0.0]}
    )
    ranges["best"] = [shipped_default(name) for name in ranges["parameter"]]
    result = SimpleNamespace(ranges=ranges)
    assert adopted(result)
    ranges.loc[1, "best"] *= 1.01  # the report's three digits tell them apart
    assert not adopted(result)
