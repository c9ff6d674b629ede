"""Phase 7, commerce: exposures, purchases, word of mouth and the brand relationship.

Runs only in a scenario with products (docs/ODD.md §7.18). People are exposed to a
product in four ways, each an exposure with a purchase hazard
(:func:`sim.rules.purchase_hazard`: need × trust in the source):

- **organic**: people who have a relationship with the brand buy by themselves;
- **promotion**: promotion posts read in a group (trust: the brand relationship, or the
  reader's tie to the person who posted them, whichever is closer);
- **recommendation**: a satisfied buyer tells a tie, or mentions the product in a group
  it posts in (trust: the reader's tie to the buyer, if any);
- **referral**: a satisfied buyer sends a referral invitation to a tie (more while a
  referral reward runs).

A person buys a product at most once a day, with the chance given by the summed hazard;
the exposure that led to it is drawn in proportion to its hazard. Rules:
:func:`sim.rules.need`, :func:`sim.rules.trust`, :func:`sim.rules.purchase_hazard`,
:func:`sim.rules.buy_probability`, :func:`sim.rules.talk_rate`,
:func:`sim.rules.brand_relationship` (C8, C10–C14, C16, C18).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import rules
from sim.groups import NO_ONE
from sim.market import CHANNEL_CODES, CHANNELS, Market
from sim.phases.today import Today
from sim.simulation import Simulation

TALK_HALF_LIVES = 6.0
"""Buyers stop being drawn for after this many talk half-lives (their rate below 2 %)."""


@dataclass
class Exposures:
    """Today's exposures, gathered from every channel, as parallel lists of arrays."""

    person: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    referrer: list[np.ndarray] = field(default_factory=list)
    hazard: list[np.ndarray] = field(default_factory=list)

    def add(self, person, product, channel: str, referrer, hazard) -> None:
        """Add exposures of one channel (those with no hazard are dropped)."""
        keep = hazard > 0
        if not keep.any():
            return
        k = int(keep.sum())
        self.person.append(np.asarray(person, np.int64)[keep])
        self.product.append(np.broadcast_to(np.asarray(product, np.int64), keep.shape)[keep])
        self.channel.append(np.full(k, CHANNEL_CODES[channel], np.int8))
        self.referrer.append(np.broadcast_to(np.asarray(referrer, np.int64), keep.shape)[keep])
        self.hazard.append(np.asarray(hazard, np.float64)[keep])

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The exposures as five arrays (empty if there are none)."""
        if not self.person:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty.astype(np.int8), empty, np.zeros(0)
        return tuple(
            np.concatenate(part)
            for part in (self.person, self.product, self.channel, self.referrer, self.hazard)
        )


def run(model: Simulation, today: Today) -> None:
    """Expose, buy, talk and update the brand relationship; count the day's sales."""
    market: Market | None = model.market
    for name in CHANNELS:
        today.counts[f"purchases_{name}"] = 0
    if market is None:
        return
    c, day = model.config.commerce, today.day
    m, g = model.memberships, model.groups
    # Readers are the memberships present at attention and not muted: someone who left
    # today still read today's posts; someone invited today starts reading tomorrow.
    reading = today.present[~m.muted[today.present]]
    reader, group = m.person[reading], m.group[reading]
    exposures = Exposures()
    shares = 0

    known = np.flatnonzero(market.relationship > 1e-6)
    for product in range(len(market.products)):
        hazard = rules.purchase_hazard(
            c.organic_rate,
            need_of(model, known, product),
            market.relationship[known],
            convert(model, known),
        )
        exposures.add(known, product, "organic", NO_ONE, hazard)

    # Posting has just run, so the groups' latest promotions are today's.
    promos = g.promo_yesterday[group]
    seen = (promos > 0) & (g.organiser[group] != reader)  # not one's own promotions
    if seen.any():
        people = reader[seen]
        closeness = np.maximum(
            market.relationship[people], to_organiser(model, people, group[seen])
        )
        belief = rules.trust(closeness, c.trust_baseline)
        for product in range(len(market.products)):
            hazard = rules.purchase_hazard(
                c.conversion * promos[seen],
                need_of(model, people, product),
                belief,
                convert(model, people),
            )
            exposures.add(people, product, "promotion", NO_ONE, hazard)

    shares += word_of_mouth(model, market, exposures, day)
    shares += mentions(model, market, exposures, today, reading)

    bought = buy(model, market, exposures, day)
    introduce_brand(model, market, bought, day)
    content = (today.organiser_posts - g.promo_yesterday > 0) & g.brand & g.alive
    read_brand = np.zeros(model.n, bool)
    read_brand[reader[content[group]]] = True
    good = np.zeros(model.n, bool)
    bad = np.zeros(model.n, bool)
    good[bought.person[bought.good]] = True
    bad[bought.person[~bought.good]] = True
    market.relationship = rules.brand_relationship(
        market.relationship,
        read_brand,
        good,
        bad,
        1.0,
        half_life=c.brand.half_life,
        contact_gain=c.brand.contact_gain,
        experience_gain=c.brand.experience_gain,
        disappointment=c.brand.disappointment,
    )
    counts = today.counts
    counts["purchases"] = len(bought.person)
    counts["revenue"] = float(market.price[bought.product].sum())
    counts["rewards"] = float(bought.reward.sum())
    counts["buyers_new"] = int(bought.first.sum())
    counts["shares"] = shares
    for code, name in enumerate(CHANNELS):
        counts[f"purchases_{name}"] = int((bought.channel == code).sum())


def introduce_brand(model: Simulation, market: Market, bought: Bought, day: int) -> None:
    """Raise word-of-mouth buyers' brand relationship to their tie to the one who told them.

    :func:`sim.rules.introduced_relationship`, on today's purchases by recommendation or
    referral, before the day's update of the relationship (M2, C14).
    """
    told = (bought.channel == CHANNEL_CODES["recommendation"]) | (
        bought.channel == CHANNEL_CODES["referral"]
    )
    told &= bought.referrer >= 0
    if not told.any():
        return
    buyer, source = bought.person[told], bought.referrer[told]
    strength = model.world.ties.strength_between(buyer, source, day)
    raised = rules.introduced_relationship(market.relationship[buyer], strength)
    np.maximum.at(market.relationship, buyer, raised)


def to_organiser(model: Simulation, people: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Strength of each reader's tie to its group's organiser (0 for a brand or no tie).

    A promotion posted by a person is trusted as that person is: a mother selling to her
    friends' group is believed as a friend (C8, C11).
    """
    organiser = model.groups.organiser[group].astype(np.int64)
    strength = np.zeros(len(people))
    person_led = np.flatnonzero((organiser >= 0) & (organiser != people))
    if len(person_led):
        strength[person_led] = model.world.ties.strength_between(
            people[person_led], organiser[person_led], model.day
        )
    return strength


def need_of(model: Simulation, people: np.ndarray, product: int) -> np.ndarray:
    """Today's need of ``people`` for one product (:func:`sim.rules.need`)."""
    market, spec = model.market, model.market.products[product]
    last = market.last_bought[people, product]
    holds = ((model.world.interests[people] >> np.uint64(spec.topic)) & np.uint64(1)) != 0
    repurchase = rules.role_multiplier(
        model.world.is_super[people], model.config.population.super_users.repurchase
    ) * market.usage_of(people)
    return rules.need(
        holds,
        last != NO_ONE,
        market.satisfied[people, product],
        model.day - last,
        appeal=spec.appeal,
        off_topic_appeal=spec.off_topic_appeal,
        cycle=spec.cycle,
        repurchase=repurchase,
    )


def convert(model: Simulation, people: np.ndarray) -> np.ndarray:
    """The conversion trait of ``people`` (super users convert more, C12)."""
    return rules.role_multiplier(
        model.world.is_super[people], model.config.population.super_users.convert
    )


def referral_uplift(model: Simulation, day: int) -> float:
    """The factor on referral invitations today: the reward's uplift while it runs."""
    reward = model.config.interventions.referral_reward
    return reward.uplift if reward is not None and day >= reward.from_day else 1.0


def word_of_mouth(model: Simulation, market: Market, exposures: Exposures, day: int) -> int:
    """Satisfied recent buyers recommend and refer to ties chosen by strength.

    Returns:
        Recommendations and referral invitations sent.
    """
    c, sup = model.config.commerce, model.config.population.super_users
    ties, rng = model.world.ties, model.rng
    talkers = market.talkers(day, TALK_HALF_LIVES * c.talk_half_life)
    talkers = talkers[ties.deg[talkers] > 0]
    if len(talkers) == 0:
        return 0
    since = day - market.last_good[talkers]
    is_super = model.world.is_super[talkers]
    sent = 0
    for channel, rate, trait in (
        ("recommendation", c.recommend_rate, sup.recommend),
        ("referral", c.refer_rate * referral_uplift(model, day), sup.refer),
    ):
        per_day = rules.talk_rate(
            rate, rules.role_multiplier(is_super, trait), since, c.talk_half_life
        )
        times = rng.poisson(per_day)
        senders = np.repeat(talkers, times)
        if len(senders) == 0:
            continue
        sent += len(senders)
        market.sent[CHANNEL_CODES[channel]] += len(senders)
        other, _, strength = ties.pick_by_strength(senders, day, rng)
        product = market.talks_about[senders].astype(np.int64)
        add_by_product(model, exposures, other, product, channel, senders, strength)
    return sent


def mentions(
    model: Simulation, market: Market, exposures: Exposures, today: Today, reading: np.ndarray
) -> int:
    """Satisfied recent buyers who posted in a group today may mention the product there.

    One mention per group and day at most (the day's talk of it); every other member who
    reads the group is exposed, trusting it as much as its tie to the buyer.

    Returns:
        Mentions made.
    """
    c, m, rng = model.config.commerce, model.memberships, model.rng
    day = today.day
    posted = today.posted
    if len(posted) == 0 or len(reading) == 0:
        return 0
    poster = m.person[posted]
    talking = np.zeros(model.n, bool)
    talking[market.talkers(day, TALK_HALF_LIVES * c.talk_half_life)] = True
    said = posted[talking[poster] & (rng.random(len(posted)) < c.mention_share)]
    if len(said) == 0:
        return 0
    # One mention per group: the first of a random order.
    said = said[rng.permutation(len(said))]
    _, first = np.unique(m.group[said], return_index=True)
    said = said[first]
    by_group = np.full(model.groups.n, -1, np.int64)
    by_group[m.group[said]] = m.person[said]
    buyer = by_group[m.group[reading]]
    heard = reading[(buyer >= 0) & (m.person[reading] != buyer)]
    if len(heard) == 0:
        return len(said)
    listener, speaker = m.person[heard], by_group[m.group[heard]]
    strength = model.world.ties.strength_between(listener, speaker, day)
    product = market.talks_about[speaker].astype(np.int64)
    add_by_product(model, exposures, listener, product, "recommendation", speaker, strength)
    market.sent[CHANNEL_CODES["recommendation"]] += len(said)
    return len(said)


def add_by_product(
    model: Simulation,
    exposures: Exposures,
    people: np.ndarray,
    product: np.ndarray,
    channel: str,
    referrer: np.ndarray,
    strength: np.ndarray,
) -> None:
    """Add word-of-mouth exposures, each about its own product, trusted by tie strength."""
    c = model.config.commerce
    belief = rules.trust(strength, c.trust_baseline)
    lift = convert(model, people)
    for p in np.unique(product).tolist():
        on = product == p
        hazard = rules.purchase_hazard(
            c.conversion, need_of(model, people[on], p), belief[on], lift[on]
        )
        exposures.add(people[on], p, channel, referrer[on], hazard)


@dataclass
class Bought:
    """Today's purchases."""

    person: np.ndarray
    product: np.ndarray
    channel: np.ndarray
    referrer: np.ndarray
    reward: np.ndarray
    good: np.ndarray
    first: np.ndarray


def buy(model: Simulation, market: Market, exposures: Exposures, day: int) -> Bought:
    """Draw today's purchases from the exposures and record them in the market."""
    rng = model.rng
    person, product, channel, referrer, hazard = exposures.arrays()
    products = max(len(market.products), 1)
    key = person * products + product
    order = np.argsort(key, kind="stable")
    key, hazard = key[order], hazard[order]
    person, product, channel, referrer = (
        person[order],
        product[order],
        channel[order],
        referrer[order],
    )
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    total = np.add.reduceat(hazard, starts) if len(key) else np.zeros(0)
    buys = rng.random(len(starts)) < rules.buy_probability(total)
    chosen = rules.pick_in_proportion(key, hazard, rng.random(len(starts)))[buys]
    person, product = person[chosen], product[chosen]
    channel, referrer = channel[chosen], referrer[chosen]
    quality = np.array([p.quality for p in market.products])
    good = rng.random(len(person)) < quality[product]
    reward = np.zeros(len(person))
    prize = model.config.interventions.referral_reward
    if prize is not None and day >= prize.from_day:
        reward[channel == CHANNEL_CODES["referral"]] = prize.amount
    first = market.first_bought[person] == NO_ONE
    # A person buying two products on its first day is new once.
    first &= np.r_[True, person[1:] != person[:-1]] if len(person) else first
    market.record(day, person, product, channel, referrer, reward, good)
    return Bought(person, product, channel, referrer, reward, good, first)
