"""Time the fast model against the plain reference implementation on one scenario.

Both models run the same scenario (by default ``scenarios/baseline.yaml``: 10,000 people,
180 days) from the same seed, one after the other in this process, on this machine. Each
first runs a short warm-up (the same scenario up to the day after its first sweep: the
fast model's compiled kernels load from numba's cache on first use, once per process),
then is timed in two parts: setting up (building the world and, for the reference, copying it
into Python objects; planning groups; creating the Mesa agents) and stepping through the
days. The comparison is the time per simulated day, and its ratio. A Markdown report with
the date, the command, ``nproc`` and the load average (``uptime``, before and after) is
printed and written to ``benchmarks/reference.md``; the hand-written sections of the file
it replaces (from its first ``## `` heading on) are kept after it.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_reference.py [--days 180] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.reference import ReferenceModel  # noqa: E402
from sim.model import GroupModel  # noqa: E402
from sim.scenario import ScenarioError, load_scenario  # noqa: E402


def command_output(args: list[str]) -> str:
    """The standard output of a command, stripped ("unavailable" if it cannot run)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    except OSError:
        return "unavailable"
    return done.stdout.strip()


def warm_up(model_class: type, scenario: Any, label: str) -> float:
    """Run the scenario until just past its first sweep; return the seconds it took.

    The first use of each compiled kernel in a process loads it from numba's cache (about
    0.1 s in all, once per process); a warm-up run keeps that one-off cost out of the
    timed daily steps. Both models get the same warm-up.
    """
    days = scenario.network.ties.sweep_days + 1
    print(f"{label}: warm-up, {days} days ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    model = model_class(scenario=scenario.model_copy(update={"days": days}))
    while model.running:
        model.step()
    return time.perf_counter() - started


def time_model(model_class: type, scenario: Any, label: str) -> dict[str, Any]:
    """Warm up, then build and run one model; return its timings.

    Args:
        model_class: ``GroupModel`` or ``ReferenceModel``.
        scenario: The scenario to run.
        label: Name of the model in the report.

    Returns:
        Seconds of warm-up, to set up and of daily steps, days run and a few counts.
    """
    warm = warm_up(model_class, scenario, label)
    print(f"{label}: setting up ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    model = model_class(scenario=scenario)
    setup = time.perf_counter() - started
    print(f"{label}: {setup:.1f} s; stepping ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    while model.running:
        model.step()
        if model.day % 30 == 0:
            print(
                f"{label}: day {model.day}, {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    steps = time.perf_counter() - started
    series = model.datacollector.get_model_vars_dataframe()
    return {
        "label": label,
        "warm": warm,
        "setup": setup,
        "steps": steps,
        "days": model.day,
        "per_day": steps / max(model.day, 1),
        "members_end": int(series["members"].iloc[-1]),
        "posts": int(series["posts"].sum()),
        "joins": int(series["joins"].sum()),
    }


def report(
    scenario_path: Path, days: int, people: int, results: list[dict[str, Any]], notes: dict
) -> str:
    """The Markdown report."""
    fast, reference = results
    ratio = reference["per_day"] / fast["per_day"]
    header = (
        "model",
        "warm-up s",
        "set-up s",
        "days",
        "daily steps s",
        "s per day",
        "× fast (per day)",
        "members at end",
        "posts",
        "joins",
    )
    rows = [
        (
            r["label"],
            f"{r['warm']:.2f}",
            f"{r['setup']:.2f}",
            str(r["days"]),
            f"{r['steps']:.2f}",
            f"{r['per_day']:.4f}",
            f"{r['per_day'] / fast['per_day']:.1f}",
            str(r["members_end"]),
            str(r["posts"]),
            str(r["joins"]),
        )
        for r in results
    ]
    table = "\n".join(
        [
            "| " + " | ".join(header) + " |",
            "|---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(row) + " |" for row in rows),
        ]
    )
    relative = scenario_path.resolve()
    if relative.is_relative_to(ROOT):
        relative = relative.relative_to(ROOT)
    lines = [
        "# Fast model vs reference implementation",
        "",
        f"- date: {notes['date']}",
        f"- command: `{notes['command']}`",
        f"- scenario: `{relative}` ({people:,} people, {days} days, seed {notes['seed']})",
        f"- machine: {platform.machine()}, `nproc` = {notes['nproc']}; Python "
        f"{platform.python_version()}, numpy {notes['numpy']}, mesa {notes['mesa']}",
        f"- git: {notes['git']}",
        f"- `uptime` before: {notes['uptime_before']}",
        f"- `uptime` after: {notes['uptime_after']}",
        "",
        "Both models ran in this process, one after the other, from the same seed. Each first",
        "ran a warm-up (the same scenario up to the day after its first sweep, so that every",
        "compiled kernel of the fast model is loaded from numba's cache, a one-off cost per",
        "process; the reference got the same warm-up). Set-up is building the world (the",
        "reference also copies it into Python objects), planning groups and creating the",
        "Mesa agents; the ratio compares the daily steps only.",
        "",
        table,
        "",
        f"**The reference takes {ratio:.0f}× as long per simulated day as the fast model.**",
        "The two runs do not draw the same random numbers, so their counts differ; they",
        "agree in distribution (`tests/test_differential.py`). Other processes may have",
        "been running: see the load averages above.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run both models, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--days", type=int, default=None, help="horizon (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reference.md")
    args = parser.parse_args()
    overrides = [] if args.days is None else [f"days={args.days}"]
    try:
        scenario = load_scenario(args.scenario, overrides)
    except ScenarioError as error:
        parser.error(str(error))
    import mesa
    import numpy

    dirty = command_output(["git", "status", "--porcelain", "--", "sim"])
    notes = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([Path(sys.executable).relative_to(ROOT).as_posix(), *sys.argv])
        if Path(sys.executable).is_relative_to(ROOT)
        else shlex.join([sys.executable, *sys.argv]),
        "seed": scenario.seed,
        "nproc": command_output(["nproc"]),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "git": command_output(["git", "rev-parse", "--short", "HEAD"])
        + (" with uncommitted changes in sim/" if dirty else ""),
        "uptime_before": command_output(["uptime"]),
    }
    results = [
        time_model(GroupModel, scenario, "fast (`sim.model.GroupModel`)"),
        time_model(ReferenceModel, scenario, "reference (`benchmarks.reference`)"),
    ]
    notes["uptime_after"] = command_output(["uptime"])
    text = report(args.scenario, scenario.days, scenario.population.size, results, notes)
    print(text)
    args.out.write_text(text + kept_sections(args.out), encoding="utf-8")


def kept_sections(path: Path) -> str:
    """The hand-written ``## `` sections of an earlier report at ``path``, to keep.

    The generated part has no second-level heading, so everything from the first one on
    (e.g. "Commerce in the reference") is written by hand and survives a new run.
    """
    if not path.exists():
        return ""
    old = path.read_text(encoding="utf-8")
    start = old.find("\n## ")
    return "" if start < 0 else old[start:].rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
