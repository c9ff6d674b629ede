"""Groups and memberships as tables of arrays (struct of arrays).

Groups are known in advance from the scenario's cohorts, so their table has a fixed
length; memberships and invitations grow, so their tables double their capacity when
full. Every membership ever made stays in the record: leaving sets ``left``, and a dead
group's memberships simply stop being active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

from sim.config import KIND_CODES

if TYPE_CHECKING:
    from sim.config import Scenario

DRIVERS = ("event", "relationship", "hybrid")
CAUSES = ("alive", "silence", "deserted")
NO_ONE = -1  # an inviter, organiser or day that does not exist


class Growable:
    """A set of same-length arrays that grow together."""

    fields: ClassVar[dict[str, tuple[type, object]]] = {}

    def __init__(self, capacity: int = 1024):
        self.size = 0
        for name, (dtype, fill) in self.fields.items():
            setattr(self, name, np.full(max(capacity, 16), fill, dtype))

    def _grow(self, extra: int) -> None:
        need = self.size + extra
        current = len(next(iter(vars(self)[n] for n in self.fields)))
        if need <= current:
            return
        new_cap = max(need, 2 * current)
        for name, (dtype, fill) in self.fields.items():
            old = getattr(self, name)
            new = np.full(new_cap, fill, dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def append(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows given as columns; missing columns take their fill value.

        Returns:
            The indices of the new rows.
        """
        k = len(next(iter(columns.values())))
        self._grow(k)
        rows = np.arange(self.size, self.size + k)
        for name, values in columns.items():
            getattr(self, name)[rows] = values
        self.size += k
        return rows

    def view(self, name: str) -> np.ndarray:
        """The used part of a column."""
        return getattr(self, name)[: self.size]


class Memberships(Growable):
    """Every membership: who, where, since when, invited by whom, and its state."""

    fields: ClassVar[dict[str, tuple[type, object]]] = {
        "group": (np.int32, 0),
        "person": (np.int64, 0),
        "joined": (np.int32, 0),
        "left": (np.int32, NO_ONE),
        "inviter": (np.int64, NO_ONE),
        "muted": (np.bool_, False),
        "tie_in": (np.float32, 0.0),  # summed strength of ties to co-members
        "ties_in": (np.int32, 0),  # number of ties to co-members
        "ties_on_join": (np.int32, 0),
        "visible": (np.uint64, 0),  # interests the member has shown in this group
        "posts": (np.int32, 0),
        "last_post": (np.int32, NO_ONE),  # day of the member's latest post, NO_ONE if none
        "value": (np.float32, 0.0),  # belonging, as of the last attention phase
        "guided": (np.bool_, False),
        "founder": (np.bool_, False),  # recruited when the group was created
    }


class GroupIndex(NamedTuple):
    """The current memberships grouped by group (a counting sort of the current rows)."""

    persons: np.ndarray
    """Person of each current membership, memberships sorted by group."""
    rows: np.ndarray
    """Membership row of each entry of ``persons``."""
    start: np.ndarray
    """Where each group's run starts in ``persons`` (length groups + 1)."""


class Invites(Growable):
    """Every invitation: day, group, inviter, invitee, what it rested on, and the answer.

    ``strength`` is the invitee's tie to the inviter that day and ``ties_inside`` how many
    other members the invitee was tied to (the inviter not counted): the two pulls of
    :func:`sim.rules.accept_probability`, kept so that F8 and F12 can be checked.
    """

    fields: ClassVar[dict[str, tuple[type, object]]] = {
        "day": (np.int32, 0),
        "group": (np.int32, 0),
        "inviter": (np.int64, 0),
        "invitee": (np.int64, 0),
        "strength": (np.float32, 0.0),
        "ties_inside": (np.int32, 0),
        "accepted": (np.bool_, False),
    }


class Groups:
    """The fixed table of all groups the scenario will create.

    Attributes are arrays of length ``n``, filled from the scenario's cohorts by
    :func:`plan_groups`.
    """

    def __init__(self, n: int):
        self.n = n
        i32 = lambda fill=0: np.full(n, fill, np.int32)  # noqa: E731
        self.cohort = i32()
        self.driver = np.zeros(n, np.int8)
        self.created = i32()
        self.size0 = i32()
        self.cap = i32()
        self.organiser = np.full(n, NO_ONE, np.int64)
        self.brand = np.zeros(n, bool)
        self.circle = np.zeros(n, np.int8)  # kind code, or -1 for any
        self.topic = i32()
        self.event_start = i32(NO_ONE)
        self.event_end = i32(NO_ONE)  # exclusive
        self.intensity = np.zeros(n, np.float32)
        self.org_rate = np.zeros(n, np.float32)
        self.promo_share = np.zeros(n, np.float32)
        self.icebreaker_day = i32(NO_ONE)
        self.guides_from = i32(NO_ONE)
        self.guide_strength = np.zeros(n, np.float32)
        self.born = np.zeros(n, bool)
        self.died = i32(NO_ONE)
        self.cause = np.zeros(n, np.int8)
        self.last_post = i32()
        self.members = i32()
        self.peak = i32()
        self.posts = np.zeros(n, np.int64)
        self.promotions = np.zeros(n, np.int64)
        self.invites_sent = np.zeros(n, np.int64)
        self.invites_accepted = np.zeros(n, np.int64)
        # The latest posting phase's volumes: yesterday's for attention, which runs
        # before posting, and today's for commerce, which runs after it.
        self.organic_yesterday = np.zeros(n, np.float32)
        self.promo_yesterday = np.zeros(n, np.float32)

    @property
    def alive(self) -> np.ndarray:
        """Born and not dead."""
        return self.born & (self.died == NO_ONE)

    def pulse(self, day: int) -> np.ndarray:
        """Event pulse of each group today."""
        on = (self.event_start <= day) & (day < self.event_end)
        return np.where(on, self.intensity, 0.0).astype(np.float32)


def plan_groups(scenario: Scenario, rng: np.random.Generator) -> Groups:
    """Lay out every group of every cohort: creation day, size, organiser, event."""
    cohorts = scenario.groups
    total = sum(c.count for c in cohorts.values())
    g = Groups(total)
    topics = scenario.population.interests.topics
    start = 0
    for index, (name, cohort) in enumerate(cohorts.items()):
        rows = slice(start, start + cohort.count)
        k = cohort.count
        g.cohort[rows] = index
        g.driver[rows] = DRIVERS.index(cohort.driver)
        first, last = cohort.created_range
        g.created[rows] = np.sort(rng.integers(first, last + 1, size=k))
        lo, hi = cohort.size_range
        g.size0[rows] = rng.integers(lo, hi + 1, size=k)
        g.cap[rows] = cohort.cap
        g.brand[rows] = cohort.organiser == "brand"
        g.circle[rows] = -1 if cohort.circle == "any" else KIND_CODES[cohort.circle]
        g.topic[rows] = rng.integers(0, topics, size=k)  # drawn always: same streams
        if cohort.topic is not None:
            g.topic[rows] = cohort.topic
        event = cohort.resolved_event
        if event is not None:
            g.event_start[rows] = g.created[rows] + event.start
            g.event_end[rows] = g.created[rows] + event.start + event.duration
            g.intensity[rows] = event.intensity
        g.org_rate[rows] = cohort.content.organiser_posts_per_day
        g.promo_share[rows] = cohort.content.promotion_share
        ice = scenario.interventions.icebreaker
        if ice is not None and name in ice.cohorts:
            g.icebreaker_day[rows] = g.created[rows] + ice.day
        guides = scenario.interventions.guides
        if guides is not None and name in guides.cohorts:
            g.guides_from[rows] = np.maximum(g.created[rows], guides.from_day)
            g.guide_strength[rows] = guides.tie_strength
        start += k
    g.last_post[:] = g.created
    return g
