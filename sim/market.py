"""The market: every purchase, and what each person has bought and thinks of the brand.

The sole owner of commerce state (docs/ODD.md §7.18): the brand relationship of each
person, each person's latest purchase of each product and whether it was a good
experience, and the table of purchases. The commerce phase (``sim/phases/commerce.py``)
asks it who can talk about a product and tells it what was bought.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim import rules
from sim.config import Commerce
from sim.groups import NO_ONE, Growable

CHANNELS = ("organic", "promotion", "recommendation", "referral")
"""How a purchase came about, in the order of their codes in the purchases table."""
CHANNEL_CODES = {name: code for code, name in enumerate(CHANNELS)}


class Purchases(Growable):
    """Every purchase: day, buyer, product, price, channel, referrer, reward, experience."""

    fields: ClassVar[dict[str, tuple[type, object]]] = {
        "day": (np.int32, 0),
        "person": (np.int64, 0),
        "product": (np.int16, 0),
        "price": (np.float64, 0.0),
        "channel": (np.int8, 0),
        "referrer": (np.int64, NO_ONE),  # who recommended or referred, NO_ONE if no one
        "reward": (np.float64, 0.0),  # paid to the referrer by a referral reward
        "satisfied": (np.bool_, False),
    }


class Market:
    """Commerce state of a world of ``n`` people and the scenario's products.

    Attributes:
        relationship: Each person's relationship with the brand (0..1).
        last_bought: Day of each person's latest purchase of each product (n x products),
            NO_ONE if never.
        satisfied: Whether that purchase was a good experience (n x products).
        last_good: Day of each person's latest good experience of any product, NO_ONE if
            none: buyers talk about it for a while after.
        talks_about: The product of that good experience (of several on one day, the
            highest-numbered).
        first_bought: Day of each person's first purchase, NO_ONE if never.
        purchases: The table of purchases.
        sent: Recommendations and referral invitations sent so far, by channel code.
        usage: How fast each person uses up what it buys (mean 1, ``rules.usage_rates``),
            or ``None`` when everyone is alike (``commerce.usage_cv`` 0).
    """

    def __init__(self, n: int, commerce: Commerce, rng: np.random.Generator):
        products = len(commerce.products)
        self.n = n
        self.usage = rules.usage_rates(n, commerce.usage_cv, rng)
        self.products = commerce.products
        self.price = np.array([p.price for p in commerce.products], np.float64)
        self.relationship = np.full(n, commerce.brand.initial_relationship, np.float64)
        self.last_bought = np.full((n, products), NO_ONE, np.int32)
        self.satisfied = np.zeros((n, products), bool)
        self.last_good = np.full(n, NO_ONE, np.int32)
        self.talks_about = np.zeros(n, np.int16)
        self.first_bought = np.full(n, NO_ONE, np.int32)
        self.purchases = Purchases(capacity=4096)
        self.sent = np.zeros(len(CHANNELS), np.int64)

    def usage_of(self, persons: np.ndarray | int) -> np.ndarray | float:
        """The usage rate of ``persons`` (1 when everyone is alike)."""
        return 1.0 if self.usage is None else self.usage[persons]

    def talkers(self, day: int, half_lives: float) -> np.ndarray:
        """People whose good experience is recent enough to talk about (before ``day``).

        Beyond ``half_lives`` half-lives a buyer's talk is below 2 ** -half_lives of its
        first day's, and it is left out rather than drawn for.
        """
        recent = (self.last_good != NO_ONE) & (self.last_good < day)
        return np.flatnonzero(recent & (day - self.last_good <= half_lives))

    def record(
        self,
        day: int,
        person: np.ndarray,
        product: np.ndarray,
        channel: np.ndarray,
        referrer: np.ndarray,
        reward: np.ndarray,
        good: np.ndarray,
    ) -> None:
        """Record today's purchases (at most one per person and product) and their effects."""
        self.purchases.append(
            day=np.full(len(person), day, np.int32),
            person=person,
            product=product.astype(np.int16),
            price=self.price[product],
            channel=channel.astype(np.int8),
            referrer=referrer,
            reward=reward,
            satisfied=good,
        )
        self.last_bought[person, product] = day
        self.satisfied[person, product] = good
        self.last_good[person[good]] = day
        # A person with good experiences of several products today talks about the
        # highest-numbered one: explicit, so no result rests on NumPy's handling of
        # repeated indices (the reference does the same).
        latest = np.full(self.n, -1, np.int64)
        np.maximum.at(latest, person[good], product[good])
        told = np.flatnonzero(latest >= 0)
        self.talks_about[told] = latest[told]
        new = self.first_bought[person] == NO_ONE
        self.first_bought[person[new]] = day

    def check(self, day: int) -> None:
        """Raise AssertionError if a commerce invariant (docs/ODD.md §7.18) is broken."""
        p = self.purchases
        buyer, when = p.view("person"), p.view("day")
        keys = (when.astype(np.int64) * self.n + buyer) * max(len(self.products), 1)
        keys = keys + p.view("product")
        assert len(np.unique(keys)) == len(keys), "a person bought a product twice in a day"
        assert np.all(when <= day), "a purchase after today"
        referred = p.view("referrer") != NO_ONE
        word = np.isin(
            p.view("channel"), [CHANNEL_CODES["recommendation"], CHANNEL_CODES["referral"]]
        )
        assert np.array_equal(referred, word), "a referrer on a purchase not by word of mouth"
        ref = p.view("referrer")[referred]
        first = self.first_bought[ref]
        assert np.all((first != NO_ONE) & (first < when[referred])), (
            "a referrer who had not bought before"
        )
        assert np.all(p.view("reward")[~referred] == 0), "a reward on a purchase not referred"
        assert np.all((self.relationship >= 0) & (self.relationship <= 1)), "brand relationship"
