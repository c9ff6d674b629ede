"""Benchmark whole runs of the baseline scenario scaled to N people over D days.

For each (N, D) a fresh Python process loads ``scenarios/baseline.yaml`` with
``population.size = N``, ``days = D`` and every cohort's ``count`` multiplied by
N / 10,000 (rounded, at least 1), then does what ``sim.runner.simulate`` does -- build the
``GroupModel``, run it, make its tables -- timing each part. It records the model's
``phase_seconds``, person-days per second (N x days run / time of the daily steps) and
peak RSS (``ru_maxrss`` of that process), and the CPU time the host lent to other guests
while the daily steps ran (``host steal s``, over all cores: a slow run with much steal was
slowed by a busy host, not by the code). D must exceed 30: the baseline's cohorts are
created on days 0-30, and a shorter horizon fails the scenario check.

With ``--commerce`` each (N, D) runs twice, in a world where the lecture groups are about
one topic and a fifth of their organisers' posts are promotions: once without products
and once selling a product of that topic (phase 7 at work), and a table gives the cost of
commerce as the ratio of the two runs' daily steps.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_run.py --sizes 10000 100000 --days 180 365
    .venv/bin/python benchmarks/bench_run.py --sizes 100000 --days 365 --commerce
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    GIB,
    ROOT,
    cpu_model,
    cpu_steal_seconds,
    current_rss_bytes,
    emit,
    fmt_count,
    fmt_gib,
    fmt_seconds,
    machine_markdown,
    markdown_table,
    peak_rss_bytes,
    run_child,
    source_digest,
    target_verdict,
    uptime_line,
)

BASELINE = ROOT / "scenarios" / "baseline.yaml"
PHASES = ("schedule", "attention", "posting", "ties", "invitations", "leaving", "commerce", "death")
# Targets (README): (people, days) -> (seconds, GB); None where no target is set.
TARGETS: dict[tuple[int, int], tuple[float, float | None]] = {
    (10_000, 180): (10.0, None),
    (100_000, 365): (20.0, 2.0),
    (1_000_000, 365): (300.0, 12.0),
}


SELLING = ("groups.lecture.topic=3", "groups.lecture.content.promotion_share=0.2")
"""With ``--commerce``: the lecture groups are about the product's topic and promote."""
PRODUCT = "commerce.products=[{name: kit, price: 20, topic: 3}]"
"""With ``--commerce``: the product of the run that sells."""


def scaled_overrides(size: int, days: int, commerce: int = -1) -> list[str]:
    """Overrides that scale the baseline to ``size`` people and ``days`` days.

    Args:
        size: Number of people.
        days: Horizon in days.
        commerce: -1 for the plain baseline; 0 for the selling world without products,
            1 with a product (``--commerce``).

    Returns:
        ``dotted.path=value`` strings for ``load_scenario``.
    """
    from sim.scenario import load_scenario

    base = load_scenario(BASELINE)
    factor = size / base.population.size
    overrides = [f"population.size={size}", f"days={days}"]
    for name, cohort in base.groups.items():
        overrides.append(f"groups.{name}.count={max(1, round(cohort.count * factor))}")
    if commerce >= 0:
        overrides += [*SELLING, *([PRODUCT] if commerce else [])]
    return overrides


def measure(
    size: int, days: int, agents: bool, progress: int, commerce: int = -1
) -> dict[str, Any]:
    """Run the scaled baseline in this process and return timings and memory.

    Args:
        size: Number of people.
        days: Horizon in days.
        agents: Create the Mesa ``Person`` agents.
        progress: Report to stderr every this many days (0: never).
        commerce: As for :func:`scaled_overrides`.

    Returns:
        Timings in seconds, memory in bytes and a few counts of the final state.
    """
    started = time.perf_counter()
    from sim.model import GroupModel
    from sim.runner import model_tables
    from sim.scenario import load_scenario

    imported = time.perf_counter() - started
    overrides = scaled_overrides(size, days, commerce)
    scenario = load_scenario(BASELINE, overrides)
    started = time.perf_counter()
    model = GroupModel(scenario=scenario, rng=scenario.seed, agents=agents)
    init = time.perf_counter() - started
    rss_ready = current_rss_bytes()
    clock: list[float] = []  # seconds of steps done after each day
    steal_before = cpu_steal_seconds()
    begin = time.perf_counter()

    def tick(day: int) -> None:
        clock.append(time.perf_counter() - begin)
        if progress and day % progress == 0:
            print(
                f"    day {day}: {clock[-1]:.1f} s, RSS {current_rss_bytes() / GIB:.2f} GiB",
                file=sys.stderr,
                flush=True,
            )

    model.run(tick)
    steps = time.perf_counter() - begin
    steal_after = cpu_steal_seconds()
    started = time.perf_counter()
    tables = model_tables(model, persons=scenario.output.persons)
    tabled = time.perf_counter() - started
    phases = {name: float(model.phase_seconds.get(name, 0.0)) for name in PHASES}
    return {
        "size": size,
        "days": days,
        "days_run": model.day,
        "agents": agents,
        "overrides": overrides,
        "digest": source_digest(),
        "cpu": cpu_model(),
        "import_s": imported,
        "build_s": float(model.phase_seconds["build"]),
        "init_s": init,
        "steps_s": steps,
        "tables_s": tabled,
        "total_s": init + steps + tabled,
        "phases": phases,
        "record_other_s": steps - sum(phases.values()),
        "steps_steal_s": (
            None if steal_before is None or steal_after is None else steal_after - steal_before
        ),
        "person_days_per_s": size * model.day / steps if steps else None,
        "day_clock": clock,
        "groups": int(model.groups.n),
        "groups_alive": int(model.groups.alive.sum()),
        "memberships": int(model.memberships.size),
        "members_now": len(model.active_memberships()),
        "invites": len(tables["invites"]),
        "ties_end": model.world.ties.n_ties,
        "rss_ready": rss_ready,
        "rss_end": current_rss_bytes(),
        "peak": peak_rss_bytes(),
    }


def verdict(size: int, days: int, seconds: float, peak: int) -> str:
    """Whether a run meets its target (total wall time; peak RSS)."""
    return target_verdict(TARGETS.get((size, days)), seconds, peak)


def summary_table(results: list[dict[str, Any]]) -> str:
    """Timings and memory, one row per run."""
    header = [
        "people",
        "days",
        "groups",
        "agents",
        "total s",
        "build s",
        "rest of init s",
        "daily steps s",
        "tables s",
        "person-days/s",
        "host steal s",
        "peak RSS GiB",
        "target",
    ]
    rows = []
    for r in results:
        if "status" in r:
            head = [fmt_count(r["size"]), str(r["days"]), r["status"]]
            rows.append([*head, *["–"] * (len(header) - len(head))])
            continue
        days = str(r["days_run"]) if r["days_run"] == r["days"] else f"{r['days_run']}/{r['days']}"
        rows.append(
            [
                fmt_count(r["size"]),
                days,
                str(r["groups"]),
                "yes" if r["agents"] else "no",
                fmt_seconds(r["total_s"]),
                fmt_seconds(r["build_s"]),
                fmt_seconds(r["init_s"] - r["build_s"]),
                fmt_seconds(r["steps_s"]),
                fmt_seconds(r["tables_s"]),
                fmt_count(r["person_days_per_s"] or 0),
                fmt_seconds(r.get("steps_steal_s")),
                fmt_gib(r["peak"]),
                verdict(r["size"], r["days"], r["total_s"], r["peak"]),
            ]
        )
    return markdown_table(header, rows)


def phase_table(results: list[dict[str, Any]]) -> str:
    """Seconds and share of the daily steps per phase, one row per run."""
    header = ["people × days", *PHASES, "record/other"]
    rows = []
    for r in results:
        if "status" in r:
            continue
        steps = r["steps_s"] or 1.0
        cells = [*(r["phases"][p] for p in PHASES), r["record_other_s"]]
        rows.append(
            [
                f"{fmt_count(r['size'])} × {r['days_run']}",
                *(f"{fmt_seconds(c)} ({100 * c / steps:.0f}%)" for c in cells),
            ]
        )
    return markdown_table(header, rows)


def commerce_table(results: list[dict[str, Any]]) -> str:
    """Daily steps without and with a product, and their ratio, for each (N, D)."""
    rows = []
    runs = {(r["size"], r["days"], r.get("commerce")): r for r in results if "steps_s" in r}
    for (size, days, commerce), plain in sorted(runs.items()):
        selling = runs.get((size, days, 1))
        if commerce != 0 or selling is None:
            continue
        ratio = selling["steps_s"] / plain["steps_s"]
        rows.append(
            [
                f"{fmt_count(size)} × {days}",
                fmt_seconds(plain["steps_s"]),
                fmt_seconds(selling["steps_s"]),
                fmt_seconds(selling["phases"].get("commerce", 0.0)),
                f"{ratio:.2f}",
                "yes" if ratio <= 1.25 else "no",
            ]
        )
    header = ["N × days", "steps, no product (s)", "steps, a product (s)", "commerce (s)"]
    return markdown_table([*header, "ratio", "within 25%"], rows)


def main(argv: list[str] | None = None) -> int:
    """Run each (size, days) in a fresh process and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--days", type=int, nargs="+", default=[180, 365])
    parser.add_argument(
        "--agents",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the Mesa Person agents (default: yes, as GroupModel does)",
    )
    parser.add_argument("--max-rss-gb", type=float, default=16.0, help="kill a child above this")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument(
        "--progress", type=int, default=0, help="report every this many days (stderr)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--commerce",
        action="store_true",
        help="run each size without and with a product, and compare (see above)",
    )
    parser.add_argument("--child", type=int, nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        size, days, commerce = args.child
        emit(measure(size, days, args.agents, args.progress, commerce) | {"commerce": commerce})
        return 0

    from sim.scenario import ScenarioError, load_scenario

    for days in args.days:  # a bad size or horizon is reported before any run starts
        for size in args.sizes:
            try:
                load_scenario(BASELINE, scaled_overrides(size, days))
            except ScenarioError as error:
                parser.error(f"--sizes {size} --days {days}: {error}")
    print("## Scaled baseline runs\n")
    print(machine_markdown(), flush=True)
    results = []
    for days in args.days:
        for size, commerce in [
            (s, c) for s in args.sizes for c in ((0, 1) if args.commerce else (-1,))
        ]:
            child = [
                "--child",
                str(size),
                str(days),
                str(commerce),
                "--progress",
                str(args.progress),
                "--agents" if args.agents else "--no-agents",
            ]
            print(f"  {size} × {days} days ...", file=sys.stderr, flush=True)
            outcome = run_child(
                Path(__file__),
                child,
                max_rss_gb=args.max_rss_gb,
                timeout=args.timeout,
                show_stderr=args.progress > 0,
            )
            if outcome.result is None:
                print(f"  {outcome.status}\n{outcome.stderr}", file=sys.stderr)
                results.append({"size": size, "days": days, "status": outcome.status})
            else:
                results.append(outcome.result | {"child_s": outcome.seconds})
            print(f"  ... {outcome.status} in {outcome.seconds:.1f} s", file=sys.stderr)
    print(uptime_line("after") + "\n")
    print(summary_table(results))
    print("\nPhase profile of the daily steps (seconds, share of the daily steps):\n")
    print(phase_table(results))
    if args.commerce:
        print("\nCost of commerce (the same selling world without and with a product):\n")
        print(commerce_table(results))
    digests = sorted({r["digest"] for r in results if "digest" in r})
    print(f"\nsim/ source digest(s) measured: {', '.join(digests) or '–'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
