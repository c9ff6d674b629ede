"""Phase 1, schedule: today's groups are created and recruit; interventions fire.

Drivers differ only here and in the event pulse (docs/ODD.md, "Submodels"): ``event``
groups recruit by broadcast among people interested in the topic, regardless of ties;
``relationship`` groups recruit the organiser's own ties of one circle, and their ties
after them; ``hybrid`` groups recruit along ties but prefer people interested in the
topic. An ice-breaker makes every member's interests visible at once (C5).
"""

from __future__ import annotations

import numpy as np

from sim.groups import DRIVERS, NO_ONE
from sim.phases.today import Today
from sim.simulation import Simulation
from sim.world import World


def run(model: Simulation, today: Today) -> None:
    """Create today's groups with their founders; fire today's ice-breakers."""
    g, roster = model.groups, model.roster
    new = np.flatnonzero((g.created == today.day) & ~g.born)
    if len(new):
        has_ties = np.flatnonzero(model.world.ties.deg > 0)
        recruited = [recruit(model, gid, has_ties, today.day) for gid in new.tolist()]
        roster.open(new, today.day)
        # One join for all of today's founders: the membership index is rebuilt once.
        roster.join(
            np.concatenate(
                [
                    np.full(len(p), gid, np.int32)
                    for gid, (p, _) in zip(new.tolist(), recruited, strict=True)
                ]
            ),
            np.concatenate([p for p, _ in recruited]),
            np.concatenate([i for _, i in recruited]),
            today.day,
            founder=True,
        )
    push = model.config.interventions.promotion_push
    if push is not None:
        cohorts = [model.cohort_names.index(name) for name in push.cohorts]
        pushed = np.isin(g.cohort, cohorts) & (g.created + push.day == today.day) & g.alive
        g.promo_share[pushed] = push.share
    fire = np.flatnonzero((g.icebreaker_day == today.day) & g.alive)
    if len(fire):
        current = roster.current()
        m = roster.table
        rows = current[np.isin(m.group[current], fire)]
        m.visible[rows] = model.world.interests[m.person[rows]]


def recruit(
    model: Simulation, gid: int, has_ties: np.ndarray, day: int
) -> tuple[np.ndarray, np.ndarray]:
    """Choose a new group's organiser and founding members, by its driver.

    Returns:
        The founders (organiser first, if a person) and who brought each one in.
    """
    g, world, rng = model.groups, model.world, model.rng
    holders = model.topic_holders
    size, topic = int(g.size0[gid]), int(g.topic[gid])
    driver = DRIVERS[g.driver[gid]]
    if driver == "event":
        organiser = -1
        if not g.brand[gid]:
            pool = holders[topic] if len(holders[topic]) else np.arange(model.n)
            organiser = int(pool[rng.integers(len(pool))])
        recruits = broadcast(
            world,
            holders[topic],
            size - (organiser >= 0),
            organiser,
            rng,
            model.config.behaviour.topic_pull,
        )
        inviter = NO_ONE
    else:
        organiser = int(has_ties[rng.integers(len(has_ties))])
        hybrid_topic = topic if driver == "hybrid" else None
        recruits = along_ties(
            world, organiser, size - 1, int(g.circle[gid]), hybrid_topic, day, rng
        )
        inviter = organiser
    g.organiser[gid] = organiser
    people = ([organiser] if organiser >= 0 else []) + recruits
    inviters = [NO_ONE] * (organiser >= 0) + [inviter] * len(recruits)
    return np.array(people, np.int64), np.array(inviters, np.int64)


def distinct_draw(
    pool: np.ndarray, k: int, rng: np.random.Generator, exclude: set[int]
) -> list[int]:
    """Up to ``k`` distinct members of ``pool`` not in ``exclude``, in random order."""
    if k <= 0 or len(pool) == 0:
        return []
    picks: list[int] = []
    seen = set(exclude)
    tries = 0
    while len(picks) < k and tries < 4:
        draw = pool[rng.integers(0, len(pool), size=2 * (k - len(picks)) + 8)]
        for p in draw.tolist():
            if p not in seen:
                seen.add(p)
                picks.append(p)
                if len(picks) == k:
                    break
        tries += 1
    return picks


def broadcast(
    world: World,
    holders: np.ndarray,
    size: int,
    organiser: int,
    rng: np.random.Generator,
    topic_pull: float,
) -> list[int]:
    """Event recruitment: mostly people holding the topic, the rest anyone; ties ignored."""
    exclude = {organiser} if organiser >= 0 else set()
    from_topic = int(rng.binomial(size, topic_pull))
    picks = distinct_draw(holders, from_topic, rng, exclude)
    everyone = np.arange(world.n)
    picks += distinct_draw(everyone, size - len(picks), rng, exclude | set(picks))
    return picks


def along_ties(
    world: World,
    organiser: int,
    size: int,
    circle: int,
    topic: int | None,
    day: int,
    rng: np.random.Generator,
) -> list[int]:
    """Relationship recruitment: the organiser's ties of a circle, then their ties.

    Candidates are taken strongest first (for hybrid groups, topic holders first); when
    the organiser's own ties run out, the recruits' ties are used in turn (snowball).
    """
    ties = world.ties
    chosen: list[int] = []
    seen = {organiser}
    frontier = [organiser]
    while frontier and len(chosen) < size:
        _, other, eid = ties.neighbours(np.array(frontier, np.int64))
        if circle >= 0 and len(chosen) == 0:
            keep = ties.kind[eid] == circle
            if keep.any():
                other, eid = other[keep], eid[keep]
        score = ties.strength(eid, day) * (1.0 + 1e-3 * rng.random(len(eid)))
        if topic is not None:
            holds = (world.interests[other] >> np.uint64(topic)) & np.uint64(1)
            score = score + holds.astype(np.float32)
        next_frontier = []
        for i in np.argsort(-score, kind="stable").tolist():
            person = int(other[i])
            if person in seen:
                continue
            seen.add(person)
            chosen.append(person)
            next_frontier.append(person)
            if len(chosen) == size:
                break
        frontier = next_frontier
    return chosen
