"""How a new group finds its first members: by broadcast or along ties.

Drivers differ only here and in the event pulse (DESIGN §2): ``event`` groups recruit by
broadcast among people interested in the topic, regardless of ties; ``relationship``
groups recruit the organiser's own ties of one circle, and their ties after them;
``hybrid`` groups recruit along ties but prefer people interested in the topic.
"""

from __future__ import annotations

import numpy as np

from sim.world import World

TOPIC_PULL = 0.8  # share of broadcast recruits drawn from people who hold the topic


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
    world: World, holders: np.ndarray, size: int, organiser: int, rng: np.random.Generator
) -> list[int]:
    """Event recruitment: mostly people holding the topic, the rest anyone; ties ignored."""
    exclude = {organiser} if organiser >= 0 else set()
    from_topic = int(rng.binomial(size, TOPIC_PULL))
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
