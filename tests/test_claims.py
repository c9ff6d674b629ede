"""``groupsim claims``: the verdict rule, claim files, the report and its reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.claims import claim_files, effect_of, load_claim, run_claim, verdict, write_report
from sim.claims.verdict import orient
from sim.scenario import ScenarioError
from sim.tables import read_parquet

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "experiments" / "calibration" / "facts.yaml"
GROUPSIM = [sys.executable, "-m", "sim.cli"]

SCENARIO = textwrap.dedent(
    """\
    # Question: do chatty members post more per member-day?
    seed: 4
    days: 30
    population: {size: 400}
    groups:
      g: {driver: relationship, count: 5, size: 5, circle: friend}
    variants:
      plain: {}
      chatty:
        behaviour.post_rate: 0.6
    """
)
CLAIM = textwrap.dedent(
    """\
    id: C1
    title: Chatty groups post more
    source: test
    original: "话多的群发言多。"
    gloss: Chatty groups post more.
    meaning: Members with a higher post rate post more per member-day.
    scenario: tiny.yaml
    reference: plain
    cause: chatty
    metric: posts_per_member_day
    direction: higher
    smallest_effect: 0.01
    replicates: 3
    quick: {population.size: 300}
    quick_replicates: 2
    cannot_say: Anything about real people.
    """
)
UNTESTABLE = textwrap.dedent(
    """\
    id: C8
    title: A tight-knit community out-earns a big one
    source: test
    original: "(paraphrase)"
    gloss: Small close communities sell more.
    meaning: Purchases per member.
    testable: false
    reason: commerce is not implemented
    """
)


@pytest.fixture()
def claims_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "C1.yaml").write_text(CLAIM, encoding="utf-8")
    (folder / "C8.yaml").write_text(UNTESTABLE, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("low", "high", "smallest", "expected"),
    [
        (0.2, 0.5, 0.1, "supported"),
        (-0.5, 0.05, 0.1, "not supported"),
        (0.05, 0.5, 0.1, "inconclusive"),
        (0.1, 0.5, 0.1, "inconclusive"),  # lo must exceed the smallest effect
        (float("nan"), float("nan"), 0.1, "inconclusive"),
    ],
)
def test_the_verdict_rule(low, high, smallest, expected):
    assert verdict(low, high, smallest) == expected


def _runs(reference: list[float], cause: list[float]) -> pd.DataFrame:
    rows = [
        {"variant": v, "replicate": r, "x": x}
        for v, values in (("ref", reference), ("cause", cause))
        for r, x in enumerate(values)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_the_rule_turns_the_effect_into_the_claimed_direction(direction):
    sign = 1.0 if direction == "higher" else -1.0
    reference = [10.0, 12.0, 11.0, 13.0]
    for shift, expected in ((sign * 5.0, "supported"), (-sign * 5.0, "not supported")):
        runs = _runs(reference, [x + shift + 0.1 * i for i, x in enumerate(reference)])
        found = effect_of(runs, "x", "ref", {"cause": 1.0}, direction, 1.0)
        assert found.verdict == expected
        assert found.effect == pytest.approx(shift + 0.15)
        assert found.oriented == pytest.approx(sign * found.effect)
        assert found.oriented_low <= found.oriented <= found.oriented_high
    jitter = [3.0, -2.0, 4.0, -3.0]
    noisy = _runs(reference, [x + sign * d for x, d in zip(reference, jitter, strict=True)])
    assert effect_of(noisy, "x", "ref", {"cause": 1.0}, direction, 1.0).verdict == "inconclusive"
    assert orient(2.0, 1.0, 3.0, "lower") == (-2.0, -3.0, -1.0)


def test_a_level_claim_and_a_contrast():
    runs = _runs([0.0, 0.0, 0.0], [0.70, 0.72, 0.71])
    level = effect_of(runs, "x", "ref", {"cause": 1.0}, "higher", 0.05, against=0.5)
    assert level.effect == pytest.approx(0.21) and level.verdict == "supported"
    four = pd.DataFrame(
        [
            {"variant": v, "replicate": r, "x": base + r * 0.01}
            for v, base in (("n", 1.0), ("a", 2.0), ("b", 3.0), ("ab", 9.0))
            for r in range(3)
        ]
    )
    # (ab - n) - (a - n) - (b - n) = 9 - 2 - 3 + 1 = 5 in every replicate.
    interaction = effect_of(four, "x", "n", {"ab": 1, "a": -1, "b": -1}, "higher", 1.0)
    assert interaction.effect == pytest.approx(5.0) and interaction.verdict == "supported"


def test_a_claim_file_with_an_error_names_its_line_and_exits_2(claims_dir, tmp_path):
    bad = CLAIM.replace("direction: higher", "direction: sideways")
    (claims_dir / "C1.yaml").write_text(bad, encoding="utf-8")
    line = bad.splitlines().index("direction: sideways") + 1
    with pytest.raises(ScenarioError) as caught:
        load_claim(claims_dir / "C1.yaml")
    assert caught.value.line == line
    done = subprocess.run(
        [*GROUPSIM, "claims", "--claims", str(claims_dir), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"C1.yaml:{line}:" in done.stderr
    wrong = CLAIM.replace("cause: chatty", "cause: loud")
    (claims_dir / "C1.yaml").write_text(wrong, encoding="utf-8")
    with pytest.raises(ScenarioError, match="no variant 'loud'") as caught:
        load_claim(claims_dir / "C1.yaml")
    assert caught.value.line == wrong.splitlines().index("cause: loud") + 1
    (claims_dir / "C8.yaml").write_text(UNTESTABLE.replace("reason:", "why:"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="why"):
        load_claim(claims_dir / "C8.yaml")


def _run_all(claims_dir: Path, out: Path) -> str:
    loaded = [load_claim(f, quick=True) for f in claim_files(claims_dir)]
    for claim in loaded:
        if claim.spec.testable:
            run_claim(claim, out=out, k=2, quick=True, calibration=CALIBRATION)
    write_report(loaded, out)
    return (out / "claims" / "report.md").read_text(encoding="utf-8")


def test_a_tiny_claim_end_to_end(claims_dir, tmp_path):
    report = _run_all(claims_dir, tmp_path / "a")
    assert (tmp_path / "a" / "claims" / "report.html").read_text().count("<table>") >= 2
    stored = json.loads((tmp_path / "a" / "claims" / "C1.json").read_text())
    d = stored["default"]
    # The verdict is the one the stored numbers imply by the rule.
    assert d["verdict"] == verdict(d["oriented_low"], d["oriented_high"], 0.01)
    # The effect is the mean of the paired differences of the stored runs.
    runs = read_parquet(
        tmp_path / "a" / "claims" / "runs" / "C1" / "default" / "compare" / "tiny" / "runs.parquet"
    )
    wide = runs.pivot(index="replicate", columns="variant", values="posts_per_member_day")
    assert d["effect"] == pytest.approx(float(np.mean(wide["chatty"] - wide["plain"])))
    assert d["replicates"] == 2 and len(stored["draws"]) == 2
    same = [e["verdict"] == d["verdict"] for e in stored["draw_effects"]]
    assert stored["robustness"] == pytest.approx(sum(same) / 2)
    summary = report.split("## ")[0]
    assert (
        "| claim | title | metric | effect | 95% CI | smallest | verdict | robustness |" in summary
    )
    assert f"| {d['verdict']} |" in summary.split("| C1 |")[1].splitlines()[0]
    # The untestable claim is listed with its reason.
    assert "| C8 | A tight-knit community out-earns a big one | commerce is not implemented |" in (
        summary
    )
    assert "changed after" not in report
    assert (tmp_path / "a" / "claims" / "figures" / "C1_survival.png").is_file()
    manifest = json.loads((tmp_path / "a" / "claims" / "manifest.json").read_text())
    assert manifest["claims"]["C1"]["sha256_of_results"] == manifest["claims"]["C1"]["sha256_now"]


def test_the_same_seeds_give_the_same_report_and_a_changed_claim_is_flagged(claims_dir, tmp_path):
    first = _run_all(claims_dir, tmp_path / "a")
    second = _run_all(claims_dir, tmp_path / "b")
    assert first == second
    # Edit the claim after its results: the report, rebuilt from them, says so.
    path = claims_dir / "C1.yaml"
    path.write_text(path.read_text().replace("smallest_effect: 0.01", "smallest_effect: 0.5"))
    loaded = [load_claim(f, quick=True) for f in claim_files(claims_dir)]
    written = write_report(loaded, tmp_path / "a")
    assert written.changed == ["C1"]
    text = written.markdown.read_text()
    section = text.split("## C1")[1]
    assert "C1.yaml` changed after these results were produced" in section
    assert "(file changed since)" in text.split("## ")[0]


def test_every_book_claim_has_a_valid_file():
    files = claim_files(REPO / "claims")
    assert [f.stem for f in files] == [f"C{i}" for i in range(1, 19)]
    loaded = {f.stem: load_claim(f, quick=True, check_memory=False) for f in files}
    testable = {i for i, c in loaded.items() if c.spec.testable}
    assert testable == {
        "C1",
        "C2",
        "C3",
        "C4",
        "C5",
        "C6",
        "C7",
        "C8",
        "C9",
        "C10",
        "C11",
        "C12",
        "C13",
        "C14",
        "C15",
        "C16",
        "C17",
    }
    for claim in loaded.values():
        assert claim.spec.original and claim.spec.gloss and claim.spec.meaning
        if claim.spec.testable:
            assert claim.comparison is not None and claim.spec.cannot_say
        else:
            assert claim.spec.reason


def test_changes_to_every_variant_keep_each_variant_s_own_values(claims_dir):
    from sim.claims.spec import with_changes

    comparison = load_claim(claims_dir / "C1.yaml").comparison
    changed = with_changes(comparison, {"behaviour.post_rate": 0.05, "days": 20}, "--set")
    plain, chatty = (v.scenario for v in changed.variants)
    assert plain.behaviour.post_rate == 0.05 and chatty.behaviour.post_rate == 0.6
    assert plain.days == chatty.days == 20
    with pytest.raises(ScenarioError) as caught:
        with_changes(comparison, {"days": -3}, "--set")
    assert caught.value.file == "--set" and caught.value.field == "days"
