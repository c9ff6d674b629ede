"""Profile the daily steps of a baseline run with cProfile.

Builds the baseline scenario (scaled to ``--size`` people as ``bench_run.py`` does),
then profiles ``model.run()`` over ``--days`` days -- the build is not profiled -- and
prints the top functions by cumulative time, then by own (total) time. With ``--build``
it profiles the construction of the model (``build_world`` and the agents) instead.

Usage (from the repository root)::

    .venv/bin/python benchmarks/profile_day.py              # 10,000 people, 60 days
    .venv/bin/python benchmarks/profile_day.py --size 100000 --days 365 --top 30
    .venv/bin/python benchmarks/profile_day.py --size 100000 --build
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from _common import machine_markdown, uptime_line
from bench_run import BASELINE, scaled_overrides


def stats_text(stats: pstats.Stats, key: str, top: int) -> str:
    """The ``top`` lines of ``stats`` sorted by ``key``, as pstats prints them."""
    stream = io.StringIO()
    stats.stream = stream  # type: ignore[attr-defined]
    stats.sort_stats(key).print_stats(top)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Profile one run and print the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--agents",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the Mesa Person agents (default: yes)",
    )
    parser.add_argument(
        "--tottime", action=argparse.BooleanOptionalAction, default=True, help="also by own time"
    )
    parser.add_argument(
        "--build", action="store_true", help="profile building the model instead of the run"
    )
    parser.add_argument("--save", type=Path, help="write the raw profile here (for snakeviz)")
    args = parser.parse_args(argv)

    from sim.model import GroupModel
    from sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(BASELINE, scaled_overrides(args.size, args.days))
    except ScenarioError as error:
        parser.error(str(error))
    what = "model build" if args.build else f"{args.days} days"
    print(f"## Profile: baseline, {args.size} people, {what}\n")
    print(machine_markdown(), flush=True)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    if args.build:
        profiler.enable()
    model = GroupModel(scenario=scenario, rng=scenario.seed, agents=args.agents)
    profiler.disable()
    built = time.perf_counter() - started
    if args.build:
        print(uptime_line("after"))
        print(f"\nModel build under the profiler {built:.2f} s.\n")
    else:
        started = time.perf_counter()
        profiler.enable()
        model.run()
        profiler.disable()
        ran = time.perf_counter() - started
        print(uptime_line("after"))
        print(
            f"\nBuild (not profiled) {built:.2f} s; daily steps under the profiler {ran:.2f} s "
            f"for {model.day} days.\n"
        )
    if args.save:
        profiler.dump_stats(args.save)
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    print("### By cumulative time\n\n```")
    print(stats_text(stats, "cumulative", args.top).strip())
    print("```")
    if args.tottime:
        print("\n### By own time\n\n```")
        print(stats_text(stats, "tottime", args.top).strip())
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
