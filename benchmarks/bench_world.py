"""Benchmark building the default world: time of ``build_world``, of the agents, and memory.

For each size a fresh Python process builds a ``GroupModel`` of the default scenario
with only ``population.size`` changed (``circles`` generator, no groups; ``--set`` changes
more, e.g. ``--set network.ties.spin_up_days=1456`` to time the spin-up), with
``agents=False``, then creates the Mesa ``Person`` agents exactly as
``GroupModel(agents=True)`` does, timing each part. Peak RSS is ``ru_maxrss`` of that
process, so it covers one size alone.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_world.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
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

# Targets (README): world build 100k < 10 s; 1M < 2 min and < 6 GB.
TARGETS: dict[int, tuple[float, float | None]] = {100_000: (10.0, None), 1_000_000: (120.0, 6.0)}


def measure(size: int, agents: bool, seed: int, overrides: list[str]) -> dict[str, Any]:
    """Build one world in this process and return its timings and memory.

    Args:
        size: Number of people.
        agents: Also create the Mesa ``Person`` agents.
        seed: The scenario's seed.
        overrides: ``dotted.path=value`` settings applied after the size.

    Returns:
        Timings in seconds and memory in bytes.
    """
    started = time.perf_counter()
    from sim.agents import Person
    from sim.model import GroupModel
    from sim.overrides import apply_override
    from sim.scenario import scenario_from_dict

    imported = time.perf_counter() - started
    rss_imports = current_rss_bytes()
    data: dict[str, Any] = {"seed": seed, "population": {"size": size}}
    for assignment in overrides:
        apply_override(data, assignment)
    scenario = scenario_from_dict(data, name="world")
    started = time.perf_counter()
    model = GroupModel(scenario=scenario, rng=scenario.seed, agents=False)
    init = time.perf_counter() - started
    build = model.phase_seconds["build"]
    world = model.world
    ties = world.ties
    world_bytes = sum(
        a.nbytes
        for a in (
            world.interests,
            world.is_super,
            world.budget,
            ties.u,
            ties.v,
            ties.w,
            ties.last,
            ties.kind,
            ties.created,
            ties.deg,
            ties.adj,
            ties.nbr,
        )
    )
    rss_world = current_rss_bytes()
    peak_world = peak_rss_bytes()
    agent_seconds = None
    if agents:
        started = time.perf_counter()
        for index in range(model.n):  # the loop of GroupModel.__init__(agents=True)
            Person(model, index)
        agent_seconds = time.perf_counter() - started
        assert len(model.agents) == model.n
    return {
        "size": size,
        "agents": agents,
        "overrides": overrides,
        "digest": source_digest(),
        "import_s": imported,
        "build_s": build,
        "init_other_s": init - build,
        "agents_s": agent_seconds,
        "ties": ties.n_ties,
        "mean_degree": 2 * ties.n_ties / size,
        "world_bytes": world_bytes,
        "rss_imports": rss_imports,
        "rss_world": rss_world,
        "peak_world": peak_world,
        "rss_end": current_rss_bytes(),
        "peak": peak_rss_bytes(),
    }


def verdict(size: int, seconds: float, peak: int) -> str:
    """Whether a size meets its target (time of build plus agents; peak RSS)."""
    return target_verdict(TARGETS.get(size), seconds, peak)


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    header = [
        "people",
        "ties",
        "mean degree",
        "build_world s",
        "rest of init s",
        "Person agents s",
        "total s",
        "world arrays GiB",
        "RSS after world GiB",
        "peak RSS GiB",
        "target",
    ]
    rows = []
    for r in results:
        if "status" in r:
            rows.append([fmt_count(r["size"]), r["status"], *["–"] * (len(header) - 2)])
            continue
        total = r["build_s"] + r["init_other_s"] + (r["agents_s"] or 0.0)
        rows.append(
            [
                fmt_count(r["size"]),
                fmt_count(r["ties"]),
                f"{r['mean_degree']:.1f}",
                fmt_seconds(r["build_s"]),
                fmt_seconds(r["init_other_s"]),
                fmt_seconds(r["agents_s"]),
                fmt_seconds(total),
                fmt_gib(r["world_bytes"]),
                fmt_gib(r["rss_world"]),
                fmt_gib(r["peak"]),
                verdict(r["size"], total, r["peak"]),
            ]
        )
    return markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    """Run each size in a fresh process and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--agents",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the Mesa Person agents too (default: yes)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-rss-gb", type=float, default=16.0, help="kill a child above this")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change a field of the scenario (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        emit(measure(args.child, args.agents, args.seed, args.overrides))
        return 0

    print("## World build\n")
    print(machine_markdown(), flush=True)
    if args.overrides:
        print("- overrides: " + ", ".join(f"`{o}`" for o in args.overrides) + "\n", flush=True)
    results = []
    for size in args.sizes:
        child = [
            "--child",
            str(size),
            "--seed",
            str(args.seed),
            "--agents" if args.agents else "--no-agents",
            *[f"--set={assignment}" for assignment in args.overrides],
        ]
        outcome = run_child(Path(__file__), child, max_rss_gb=args.max_rss_gb, timeout=args.timeout)
        if outcome.result is None:
            print(f"\n{size}: {outcome.status}\n{outcome.stderr}", file=sys.stderr)
            results.append({"size": size, "status": outcome.status})
        else:
            results.append(outcome.result | {"child_s": outcome.seconds})
        print(f"  {size}: {outcome.status} in {outcome.seconds:.1f} s", file=sys.stderr)
    print(uptime_line("after") + "\n")
    print(table(results))
    digests = sorted({r["digest"] for r in results if "digest" in r})
    print(f"\nsim/ source digest(s) measured: {', '.join(digests) or '–'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
