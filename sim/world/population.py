"""People: interests (homophilous along ties), roles and attention budgets."""

from __future__ import annotations

import numpy as np

from sim import libm, rules
from sim.config import Interests, Population
from sim.kernels.topics import nth_set_bits
from sim.world.ties import TieStore


def bits(topics: np.ndarray) -> np.ndarray:
    """Bit masks (uint64) for topic ids."""
    return np.left_shift(np.uint64(1), np.asarray(topics, np.uint64))


def random_interests(n: int, topics: int, per_person: int, rng: np.random.Generator) -> np.ndarray:
    """Each person holds ``per_person`` distinct topics drawn uniformly, as a bit mask."""
    keys = rng.random((n, topics))
    chosen = np.argpartition(keys, per_person - 1, axis=1)[:, :per_person]
    return np.bitwise_or.reduce(bits(chosen), axis=1)


def _replace_one(
    mask: np.ndarray,
    who: np.ndarray,
    new_topic: np.ndarray,
    topics: int,
    rng: np.random.Generator,
) -> None:
    """Give ``who`` the topic ``new_topic`` in place of one of its topics, at random.

    People who already hold the topic are left as they are, so the count stays fixed.
    """
    new_bit = bits(new_topic)
    lacking = (mask[who] & new_bit) == 0
    who, new_bit = who[lacking], new_bit[lacking]
    drop = bits(random_topic_among(mask[who], topics, rng))
    mask[who] = (mask[who] & ~drop) | new_bit


def homophilous_interests(
    pop: Population,
    ties: TieStore,
    pinned: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """Interests with homophily along ties.

    Everyone starts with random topics; then members of interest clubs take their club's
    topic (``pinned``); then, in ``per_person`` rounds, each person with probability
    ``homophily`` adopts a topic of one of its ties, chosen in proportion to strength, in
    place of one of its own: about ``homophily`` of a person's topics come from its
    circles. Shared interests are the connection points of C5 and raise tie formation (F7).
    """
    cfg = pop.interests
    n = ties.n
    mask = random_interests(n, cfg.topics, cfg.per_person, rng)
    who, topic = pinned
    if len(who):
        # One pinned topic per person at most, so a club does not overwrite another.
        first = np.unique(who, return_index=True)[1]
        _replace_one(mask, who[first], topic[first], cfg.topics, rng)
    rows = ties.strengths_by_row(0)  # all ties are new: day 0
    for _ in range(cfg.per_person):
        movers = np.flatnonzero((rng.random(n) < cfg.homophily) & (ties.deg > 0)).astype(np.int64)
        if len(movers) == 0:
            continue
        # Each mover picks one tie in proportion to strength.
        source = ties.pick_by_row_strength(movers, *rows, rng)
        # A random topic of the chosen tie.
        _replace_one(
            mask, movers, random_topic_among(mask[source], cfg.topics, rng), cfg.topics, rng
        )
    return mask


def random_topic_among(masks: np.ndarray, topics: int, rng: np.random.Generator) -> np.ndarray:
    """One topic of each bit mask, uniformly among its set bits (-1 for an empty mask).

    :func:`sim.rules.held_topic`, with one uniform per mask from ``rng``.
    """
    masks = np.ascontiguousarray(masks, np.uint64)
    out = np.empty(len(masks), np.int64)
    nth_set_bits(masks, rng.random(len(masks)), int(topics), out)
    return out


def drift_interests(
    mask: np.ndarray,
    ties: TieStore,
    cfg: Interests,
    day: int,
    days: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """People give up one interest for another over the last ``days`` days (F10, F11).

    Who changes is drawn by :func:`sim.rules.interest_changers`; each changer's new topic
    comes from a tie chosen in proportion to strength today with the chance of
    :func:`sim.rules.interest_from_tie` (a topic of that tie's it lacks), otherwise, or
    when that tie holds nothing new to it, from the topics it lacks at random; then a
    held topic other than the new one is given up at random. The number of topics each
    person holds stays the same. Nothing is drawn when the rate is 0.

    Args:
        mask: Each person's interests (bit masks, updated in place).
        ties: The tie store.
        cfg: ``population.interests``.
        day: Today.
        days: Length of the period.
        rng: The model's generator.

    Returns:
        The people whose interests changed, ascending.
    """
    if cfg.turnover_per_year <= 0 or cfg.per_person >= cfg.topics:
        return np.zeros(0, np.int64)
    changers = rules.interest_changers(ties.n, cfg.per_person, cfg.turnover_per_year, days, rng)
    from_tie = rules.interest_from_tie(ties.deg[changers] > 0, cfg.homophily, rng)
    every = np.uint64((1 << cfg.topics) - 1)
    lacking = ~mask[changers] & every
    offered = lacking.copy()
    if from_tie.any():
        source, _, _ = ties.pick_by_strength(changers[from_tie], day, rng)
        from_source = mask[source] & lacking[from_tie]
        offered[from_tie] = np.where(from_source != 0, from_source, lacking[from_tie])
    new_topic = random_topic_among(offered, cfg.topics, rng)
    _replace_one(mask, changers, new_topic, cfg.topics, rng)
    return changers


def super_users(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """A random ``share`` of people are super users (boolean vector)."""
    return rng.random(n) < share


def attention_budgets(
    pop: Population, is_super: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Daily attention budgets: log-normal with the configured mean and CV."""
    mean, cv = pop.attention.mean, pop.attention.cv
    sigma = np.sqrt(libm.log1p(cv**2))
    budget = rng.lognormal(libm.log(mean) - sigma**2 / 2, sigma, size=len(is_super))
    return np.where(is_super, budget * pop.super_users.attention, budget).astype(np.float32)


def talkativeness(pop: Population, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """Each person's multiplier of the post rate: log-normal, mean 1, the configured CV.

    People differ in how much they speak, whatever the group: posting activity per person
    is heavy-tailed (participation inequality, F13). ``None`` when the CV is 0 (everyone
    alike), drawing nothing, so that such a world is the one without the trait.
    """
    cv = pop.talkativeness.cv
    if cv == 0:
        return None
    sigma = np.sqrt(libm.log1p(cv**2))
    return rng.lognormal(-(sigma**2) / 2, sigma, size=n).astype(np.float32)
