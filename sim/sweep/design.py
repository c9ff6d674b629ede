"""Parameter points of a sweep and the seed of every run.

Designs work in the unit hypercube, one axis per parameter in the order the experiment
lists them; a point's coordinate ``u`` becomes a value through its range (uniform or
log-uniform, rounded for integers) or picks one of its listed values. Every random
choice here is drawn from a generator seeded from the experiment's root seed, so a
design is a pure function of the experiment file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math

import numpy as np
from scipy.stats import qmc

from sim.sweep.spec import Experiment, Range, Scalar

# Spawn keys that separate the design's own randomness from the runs' seeds.
_DESIGN_STREAM = 0
_RUN_STREAM = 1


def design_rng(experiment: Experiment) -> np.random.Generator:
    """The generator that draws random, Latin hypercube and Morris points."""
    return np.random.default_rng(
        np.random.SeedSequence(experiment.seed, spawn_key=(_DESIGN_STREAM,))
    )


def _design_seed(experiment: Experiment) -> int:
    """An integer seed for SALib's samplers, derived from the root seed."""
    return int(design_rng(experiment).integers(2**31 - 1))


def salib_problem(experiment: Experiment) -> dict:
    """The SALib problem over the unit hypercube (values are mapped afterwards)."""
    names = list(experiment.parameters)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def unit_sample(experiment: Experiment) -> np.ndarray:
    """The design's points in the unit hypercube, one row per point.

    Not used for grids, whose points are the product of the listed values.
    """
    design = experiment.design
    d = len(experiment.parameters)
    n = int(design.samples or 0)
    if design.kind == "random":
        return design_rng(experiment).random((n, d))
    if design.kind == "latin_hypercube":
        return qmc.LatinHypercube(d=d, rng=design_rng(experiment)).random(n)
    if design.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(
            salib_problem(experiment),
            n,
            calc_second_order=design.second_order,
            seed=_design_seed(experiment),
        )
    if design.kind == "morris":
        from SALib.sample import morris

        return morris.sample(
            salib_problem(experiment), n, num_levels=design.levels, seed=_design_seed(experiment)
        )
    raise ValueError(f"no unit sample for a {design.kind} design")


def value_at(values: Range | list[Scalar], u: float) -> Scalar:
    """The value of a parameter at unit coordinate ``u``."""
    if isinstance(values, Range):
        return values.at(float(u))
    index = min(int(u * len(values)), len(values) - 1)
    return values[index]


def count_points(experiment: Experiment) -> int:
    """How many points :func:`plan` makes, computed without making them."""
    parameters = experiment.parameters.values()
    design = experiment.design
    d = len(experiment.parameters)
    n = int(design.samples or 0)
    if design.kind == "grid":
        return math.prod(v.num or 0 if isinstance(v, Range) else len(v) for v in parameters)
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.kind == "morris":
        return n * (d + 1)
    return n


def plan(experiment: Experiment) -> list[dict[str, Scalar]]:
    """Every parameter point of the experiment, in design order.

    A grid varies the last parameter fastest. Other designs map their unit sample.
    """
    parameters = experiment.parameters
    if experiment.design.kind == "grid":
        axes = [v.values() if isinstance(v, Range) else list(v) for v in parameters.values()]
        return [dict(zip(parameters, combo, strict=True)) for combo in itertools.product(*axes)]
    sample = unit_sample(experiment)
    return [
        {
            name: value_at(values, u)
            for (name, values), u in zip(parameters.items(), row, strict=True)
        }
        for row in sample
    ]


def canonical(point: dict[str, Scalar]) -> str:
    """A point as canonical JSON: the same values always give the same text."""
    return json.dumps(point, sort_keys=True, separators=(",", ":"))


def run_seed(experiment: Experiment, point: dict[str, Scalar], replicate: int) -> int:
    """The seed of one run, from the root seed, the point's values and the replicate.

    It depends on nothing else: not on the design's order, the executor or the number of
    workers. With common random numbers it depends on the replicate only.
    """
    key: tuple[int, ...] = ()
    if not experiment.common_random_numbers:
        digest = hashlib.sha256(canonical(point).encode()).digest()
        key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return replicate_seed(experiment.seed, replicate, key)


def replicate_seed(root: int, replicate: int, key: tuple[int, ...] = ()) -> int:
    """The seed of replicate ``replicate`` under root seed ``root`` (and a point's ``key``).

    With no key, replicate ``r`` gets the same seed whatever is being varied: common
    random numbers, as a sweep with ``common_random_numbers`` and ``groupsim compare``
    use them.
    """
    sequence = np.random.SeedSequence(root, spawn_key=(_RUN_STREAM, *key, replicate))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))
