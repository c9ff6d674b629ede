"""``groupsim compare``: variants with common random numbers, paired differences, survival."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compare import COMPARED, load_comparison, run_comparison
from sim.compare.engine import CompareError
from sim.runner import code_digest
from sim.scenario import ScenarioError
from sim.sweep import Executor

GROUPSIM = [sys.executable, "-m", "sim.cli"]
TEXT = textwrap.dedent(
    """\
    seed: 9
    days: 40
    population: {size: 800}
    groups:
      talk: {driver: relationship, count: 6, size: 5, circle: friend}
      lecture: {driver: event, count: 3, size: 30}
    variants:
      as_written: {}
      no_lectures:
        groups.lecture.count: 0
      same_again: {}
      chatty:
        behaviour.post_rate: 0.6
    """
)


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "choice.yaml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_variants_share_seeds_and_differences_are_paired(scenario_file, tmp_path):
    comparison = load_comparison(scenario_file, replicates=3)
    assert [v.name for v in comparison.variants] == [
        "as_written",
        "no_lectures",
        "same_again",
        "chatty",
    ]
    result = run_comparison(comparison, out=tmp_path / "out")
    runs = result.runs
    # Common random numbers: replicate r has one seed in every variant.
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs["seed"].nunique() == 3
    # A variant that changes nothing gives the same runs: every difference is exactly 0.
    same = result.differences[result.differences["variant"] == "same_again"]
    assert len(same) == len(COMPARED) + 1
    assert (same["difference"] == 0).all()
    # The difference is the mean of the replicate-by-replicate differences.
    base = runs[runs["variant"] == "as_written"].set_index("replicate")
    chatty = runs[runs["variant"] == "chatty"].set_index("replicate")
    row = result.differences.set_index(["variant", "metric"]).loc[
        ("chatty", "posts_per_member_day")
    ]
    paired = chatty["posts_per_member_day"] - base["posts_per_member_day"]
    assert row["difference"] == pytest.approx(paired.mean())
    assert row["low"] < row["difference"] < row["high"]
    assert row["difference"] > 0  # four times the post rate: more posts per member-day
    # A cohort switched off is absent from its variant's groups.
    life = result.lifetimes
    assert set(life[life["variant"] == "no_lectures"]["cohort"]) == {"talk"}
    assert set(life[life["variant"] == "as_written"]["cohort"]) == {"talk", "lecture"}
    # Summary: a mean within its CI for every variant and metric with a spread.
    summary = result.summary.dropna(subset=["low"])
    assert ((summary["low"] <= summary["mean"]) & (summary["mean"] <= summary["high"])).all()
    assert set(result.survival["variant"]) == set(runs["variant"])
    assert np.isnan(result.survival.set_index("variant").loc["as_written", "log-rank p vs first"])
    for name in ("runs", "summary", "differences", "survival", "lifetimes"):
        assert (result.folder / f"{name}.parquet").is_file()
    for figure in result.figures:
        assert figure.stat().st_size > 10_000


def test_a_comparison_resumes_and_gives_the_same_tables_on_two_workers(scenario_file, tmp_path):
    comparison = load_comparison(scenario_file, replicates=2)
    first = run_comparison(comparison, out=tmp_path / "a")
    with pytest.raises(CompareError, match="--resume"):
        run_comparison(comparison, out=tmp_path / "a")
    resumed = run_comparison(comparison, out=tmp_path / "a", resume=True)
    assert resumed.manifest["ran_now"] == 0
    pd.testing.assert_frame_equal(first.differences, resumed.differences)
    # A run stored by other code (an earlier version) is run again, not reused: claims
    # always resume, so their numbers must not come from code that has since changed.
    record_file = sorted((first.folder / "runs").glob("*.json"))[0]
    record = json.loads(record_file.read_text())
    assert record["code"] == code_digest() == first.manifest["code_digest"]
    record["code"] = "0" * 16
    record["metrics"] = dict.fromkeys(record["metrics"], -1.0)
    record_file.write_text(json.dumps(record))
    again = run_comparison(comparison, out=tmp_path / "a", resume=True)
    assert again.manifest["ran_now"] == 1
    pd.testing.assert_frame_equal(first.differences, again.differences)
    parallel = run_comparison(comparison, out=tmp_path / "b", executor=Executor(workers=2))
    pd.testing.assert_frame_equal(first.runs, parallel.runs)
    pd.testing.assert_frame_equal(first.differences, parallel.differences)


def test_a_bad_variant_is_reported_at_its_line(scenario_file):
    scenario_file.write_text(TEXT.replace("groups.lecture.count: 0", "groups.lecture.count: -1"))
    with pytest.raises(ScenarioError) as caught:
        load_comparison(scenario_file)
    assert caught.value.line == 10 and "variant 'no_lectures'" in str(caught.value)
    done = subprocess.run(
        [*GROUPSIM, "compare", str(scenario_file)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{scenario_file}:10:" in done.stderr


def test_a_file_without_variants_says_how_to_declare_them(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(TEXT.split("variants:")[0], encoding="utf-8")
    with pytest.raises(ScenarioError, match="at least two variants"):
        load_comparison(path)


def test_compare_command_prints_means_and_differences(scenario_file, tmp_path):
    done = subprocess.run(
        [*GROUPSIM, "compare", str(scenario_file), "--replicates", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "difference against 'as_written'" in done.stdout
    assert "posts_per_member_day" in done.stdout and "rmst" in done.stdout
