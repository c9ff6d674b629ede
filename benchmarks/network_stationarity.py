"""Stationarity of the network without groups: layers, degree, turnover and contact by year.

Runs the default world (circles, no groups) for some years and reports, on every
measurement day (day 0 and each 364-day year, 13 sweeps of 28 days), the mean cumulative
natural layer sizes (docs/ODD.md §7.20), mean degree, the time shares to the top 5 and
top 15 ties (F3), the median contacts per day a person gives its 5th, 15th and weakest
tie (own side, outside groups, as ``groupsim facts`` measures F4), and the share of the
weak bridging ties of the start of each year still tied a year later (as F6 is measured
by ``groupsim facts``).

    PYTHONPATH=. python benchmarks/network_stationarity.py --people 2000 --years 3 \
        --seeds 1 2 3 [--set network.ties.contacts_per_day=3 ...] [--json out.jsonl]

Each ``--set`` is a dotted override of the scenario. With several seeds the table shows
means and 95% t intervals over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from scipy import stats

from sim.config import Scenario
from sim.facts.measures import LAYERS, weak_bridges
from sim.model import GroupModel
from sim.world.stats import natural_layers, ranked_time_shares, top_shares

YEAR = 364
BRIDGES = 2000


def parse_value(text: str):
    """A number if it looks like one, else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def scenario(people: int, days: int, sets: list[str]) -> Scenario:
    """The default world with no groups, with dotted overrides."""
    raw: dict = {"population": {"size": people}, "days": days}
    for item in sets:
        key, value = item.split("=", 1)
        node = raw
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = parse_value(value)
    return Scenario.model_validate(raw)


def snapshot(model: GroupModel, rng: np.random.Generator) -> dict:
    """Layers, degree, time shares and contact rates today."""
    cfg = model.config.network.ties
    world = model.world
    table = ranked_time_shares(world, cfg.allocation_exponent, model.day)
    degree = np.asarray(world.ties.deg)
    layers = natural_layers(table, degree, LAYERS, rng, 2000)
    shares = top_shares(table, degree)
    out = {
        "day": model.day,
        "layers": layers["sizes"],
        "ratio": layers["ratio"],
        "degree": float(degree.mean()),
        "top5": shares[5],
        "top15": shares[15],
    }
    per_day = cfg.contacts_per_day
    for name, rank, need in (("c5", 5, 15), ("c15", 15, 15), ("clast", None, 50)):
        people = np.flatnonzero(degree >= need)
        column = np.full(len(people), rank - 1) if rank else degree[people] - 1
        out[name] = float(np.median(per_day * table[people, column])) if len(people) else None
    return out


def run(people: int, years: int, seed: int, sets: list[str]) -> dict:
    """One replicate: a snapshot each year and the yearly fate of weak bridges."""
    model = GroupModel(scenario=scenario(people, years * YEAR, sets), rng=seed, agents=False)
    rng = np.random.default_rng(seed + 10_000)
    snaps, kept, bridges = [], [], None
    while True:
        if model.day % YEAR == 0:
            snaps.append(snapshot(model, rng))
            if bridges is not None:
                found = model.world.ties.find(bridges[:, 0], bridges[:, 1])
                kept.append(float((found >= 0).mean()))
            bridges = weak_bridges(model, BRIDGES, rng)
        if model.day >= years * YEAR:
            break
        model.step()
    return {"seed": seed, "sets": sets, "snaps": snaps, "bridges_kept": kept}


def summary(values: list[float]) -> str:
    """Mean and, with several values, the half-width of a 95% t interval."""
    x = np.asarray(values, np.float64)
    if len(x) < 2:
        return f"{x.mean():.3g}"
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{x.mean():.3g} ± {half:.2g}"


def report(runs: list[dict]) -> str:
    """A markdown table over replicates, one row per measurement day."""
    lines = [
        "| day | layers (cumulative) | ratio | degree | top 5 | top 15 | c5 | c15 | c last "
        "| weak bridges kept a year on |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, snap in enumerate(runs[0]["snaps"]):
        rows = [r["snaps"][i] for r in runs]
        layers = " / ".join(
            summary([r["layers"][k] for r in rows]) for k in range(len(rows[0]["layers"]))
        )
        kept = [r["bridges_kept"][i] for r in runs if len(r["bridges_kept"]) > i]
        cells = [summary([r[key] for r in rows]) for key in ("ratio", "degree", "top5", "top15")]
        cells += [summary([r[key] for r in rows]) for key in ("c5", "c15", "clast")]
        lines.append(
            f"| {snap['day']} | {layers} | "
            + " | ".join(cells)
            + f" | {summary(kept) if kept else '–'} |"
        )
    change = []
    for r in runs:
        first, last = np.array(r["snaps"][1]["layers"]), np.array(r["snaps"][-1]["layers"])
        change.append(last / first - 1.0)
    change = np.array(change)
    lines.append("")
    lines.append(
        "change of each layer, last year vs day "
        f"{runs[0]['snaps'][1]['day']}: "
        + " / ".join(summary(list(change[:, k])) for k in range(change.shape[1]))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--set", dest="sets", action="append", default=[])
    parser.add_argument("--json", help="append one JSON line per replicate to this file")
    args = parser.parse_args(argv)
    runs = []
    for seed in args.seeds:
        started = time.perf_counter()
        result = run(args.people, args.years, seed, args.sets)
        result["seconds"] = time.perf_counter() - started
        runs.append(result)
        if args.json:
            with open(args.json, "a") as out:
                out.write(json.dumps(result) + "\n")
        print(f"seed {seed}: {result['seconds']:.1f} s", file=sys.stderr)
    print(" ".join(args.sets) or "defaults")
    print(report(runs))


if __name__ == "__main__":
    main()
