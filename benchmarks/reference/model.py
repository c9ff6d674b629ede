"""The reference model: groupsim's daily step, one person, one membership, one tie at a time.

It mirrors :class:`sim.model.GroupModel` phase by phase (see that module's docstring):

1. schedule      groups are created and recruit; events start and end; interventions fire
2. attention     members value their groups; overloaded people mute the least valued
3. posting       unmuted members post; organisers post; posts reveal interests
4. ties          co-active members meet, strengthen or form ties; periodic sweep of
                 background contact, decay and dropping, then new acquaintances
                 outside groups
5. invitations   active members invite outside ties; invitees accept or not (fission)
6. leaving       guides greet newcomers; members leave with a hazard falling with belonging
7. commerce      (with products) exposures, purchases, word of mouth, the brand relationship
8. death         groups silent for ``silence_days`` or with fewer than 2 unmuted members die

The world is built exactly as the fast model builds it (:func:`sim.world.build_world`,
from the model's generator) and then copied into plain Python objects; the behaviour
rules are those of :mod:`sim.rules`, called on scalars (on small arrays only where many
ties are evaluated at once: a person's tie strengths, the sweep's time allocation). Only
the bookkeeping is written again, as plainly as possible. People act one at a time, in
random order within a phase; the outcomes agree with the fast model's in distribution,
not draw by draw.

Two choices follow docs/ODD.md where the fast model's bookkeeping approximates it: the
summed strength of a member's ties inside a group (§7.7) is recounted every day from
today's strengths (the fast model updates it on joins, leaves and new ties and recounts
it every ``recount_days`` days and at each sweep), and an invitee who accepts any of
several invitations to one group on one day joins it once (§7.15; in the fast model only
the first of them counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from benchmarks.reference.agents import Membership, Person, Tie, strengths
from sim import rules
from sim.config import TIE_KINDS, Scenario
from sim.groups import NO_ONE
from sim.market import CHANNEL_CODES, CHANNELS
from sim.model import DAILY_SERIES
from sim.world import KIND_CODES, World, build_world

REPORTERS = DAILY_SERIES
TALK_HALF_LIVES = 6.0
"""Buyers stop talking of a good purchase after this many talk half-lives (as the fast model)."""


@dataclass(eq=False)
class Group:
    """One chat group: its plan (from the scenario's cohort) and its state.

    Attributes:
        gid: Group id.
        cohort: Name of its cohort.
        driver: ``event``, ``relationship`` or ``hybrid``.
        created: Day of creation.
        size0: Founders to recruit.
        cap: Most members.
        brand: Organised by a brand (posts, is not a member).
        circle: Kind code of the ties a relationship group recruits along (None: any).
        topic: The group's topic.
        event_start: First day of the event pulse (None: no event).
        event_end: Day after the last day of the event.
        intensity: Belonging added by the event pulse.
        org_rate: Organiser's posts per day.
        promo_share: Share of the organiser's posts that are promotions.
        icebreaker_day: Day the ice-breaker runs (None: never).
        guides_from: First day guides greet newcomers (None: never).
        guide_strength: Strength of a guide's greeting tie.
        organiser: The organiser, or ``NO_ONE`` (a brand).
        born: Created yet.
        died: Day of death, or ``NO_ONE``.
        cause: ``alive``, ``silence`` or ``deserted``.
        last_post: Day of the last organic post.
        members: Current members, person -> membership, in order of joining (frozen at
            death).
        peak: Most members at once.
        posts: Posts so far (members' and organiser's).
        promotions: Promotions so far.
        invites_sent: Invitations to people outside so far.
        invites_accepted: Of those, accepted.
        ties_formed: Ties formed in encounters in this group.
        organic_yesterday: Organic posts of the previous posting phase.
        promo_yesterday: Promotions of the previous posting phase.
        posters: Memberships that posted today.
        member_posts_today: Members' posts today.
        organiser_posts_today: Organiser's posts today, promotions included.
        readers: Memberships that read the group today (unmuted at posting).
    """

    gid: int
    cohort: str
    driver: str
    created: int
    size0: int
    cap: int
    brand: bool
    circle: int | None
    topic: int
    event_start: int | None
    event_end: int | None
    intensity: float
    org_rate: float
    promo_share: float
    icebreaker_day: int | None
    guides_from: int | None
    guide_strength: float
    organiser: int = NO_ONE
    born: bool = False
    died: int = NO_ONE
    cause: str = "alive"
    last_post: int = 0
    members: dict[int, Membership] = field(default_factory=dict)
    peak: int = 0
    posts: int = 0
    promotions: int = 0
    invites_sent: int = 0
    invites_accepted: int = 0
    ties_formed: int = 0
    organic_yesterday: float = 0.0
    promo_yesterday: float = 0.0
    posters: list[Membership] = field(default_factory=list)
    member_posts_today: int = 0
    organiser_posts_today: int = 0
    readers: list[Membership] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        """Born and not dead."""
        return self.born and self.died == NO_ONE

    def pulse(self, day: int) -> float:
        """Belonging the event adds today (0 outside the event)."""
        if self.event_start is None or self.event_end is None:
            return 0.0
        return self.intensity if self.event_start <= day < self.event_end else 0.0


@dataclass(frozen=True, slots=True)
class Exposure:
    """One exposure to a product today, with its purchase hazard."""

    person: int
    product: int
    channel: str
    referrer: int
    hazard: float


@dataclass(frozen=True, slots=True)
class Purchase:
    """One purchase."""

    day: int
    person: int
    product: int
    price: float
    channel: str
    referrer: int
    reward: float
    satisfied: bool


@dataclass(frozen=True, slots=True)
class Invite:
    """One invitation to someone outside the group."""

    day: int
    group: int
    inviter: int
    invitee: int
    accepted: bool


class ReferenceModel(mesa.Model):
    """The plain reference implementation of :class:`sim.model.GroupModel`.

    Args:
        scenario: The validated scenario (defaults to a small default world with no
            groups).
        rng: Seed or generator; defaults to the scenario's seed.
    """

    def __init__(
        self,
        *,
        scenario: Scenario | None = None,
        rng: int | np.random.Generator | None = None,
    ):
        scenario = scenario if scenario is not None else Scenario()
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.config = scenario
        self.behaviour = scenario.behaviour
        self.day = 0
        self.group_kind = KIND_CODES["group"]
        self.cap = scenario.network.cap
        half_life = scenario.network.ties.half_life_days
        self.half_life = [float(half_life[kind]) for kind in TIE_KINDS]
        self.people: list[Person] = []
        self.ties: dict[tuple[int, int], Tie] = {}  # (a, b) with a < b -> tie
        self._copy_world(build_world(scenario, self.rng))
        self.n = len(self.people)
        self.cohort_names = list(scenario.groups)
        self.groups = self._plan_groups()
        # As the fast model's market, after the groups are planned (heavy buyers, M1).
        usage = (
            rules.usage_rates(self.n, scenario.commerce.usage_cv, self.rng)
            if scenario.commerce.on
            else None
        )
        if usage is not None:
            for person, rate in zip(self.people, usage.tolist(), strict=True):
                person.usage = rate
        self.memberships: list[Membership] = []  # every membership ever made
        self.invites: list[Invite] = []
        self.purchases: list[Purchase] = []
        self._exposures: list[Exposure] = []  # today's exposures to products
        self._offers: list[tuple[Group, Person, Person, bool]] = []  # today's invitations
        self.today: dict[str, float] = {}
        self._loaded: list[Person] = []  # people with a reading load today
        self.datacollector = mesa.DataCollector(
            model_reporters={key: (lambda m, k=key: m.today.get(k, 0)) for key in REPORTERS}
        )

    # ------------------------------------------------------------------ set-up

    def _copy_world(self, world: World) -> None:
        """Turn the arrays of ``build_world`` into people and ties (Python objects)."""
        for index in range(world.n):
            self.people.append(
                Person(
                    self,
                    index,
                    interests=int(world.interests[index]),
                    is_super=bool(world.is_super[index]),
                    budget=float(world.budget[index]),
                    talkativeness=float(world.talkativeness_of(index)),
                )
            )
        store = world.ties
        for eid in store.alive_ids().tolist():
            a, b, kind = int(store.u[eid]), int(store.v[eid]), int(store.kind[eid])
            w, last, peak = float(store.w[eid]), int(store.last[eid]), float(store.peak[eid])
            tie = Tie(a, b, w, last, kind, self.half_life[kind], peak=peak)
            self._attach(tie)

    def _plan_groups(self) -> list[Group]:
        """Lay out every group of every cohort: creation day, size, topic, event, interventions."""
        topics = self.config.population.interests.topics
        ice, guides = self.config.interventions.icebreaker, self.config.interventions.guides
        groups: list[Group] = []
        for name, cohort in self.config.groups.items():
            first, last = cohort.created_range
            lo, hi = cohort.size_range
            event = cohort.resolved_event
            for created in sorted(self.rng.integers(first, last + 1, size=cohort.count).tolist()):
                guided = guides is not None and name in guides.cohorts
                topic = int(self.rng.integers(topics))
                topic = topic if cohort.topic is None else cohort.topic
                groups.append(
                    Group(
                        gid=len(groups),
                        cohort=name,
                        driver=cohort.driver,
                        created=created,
                        size0=int(self.rng.integers(lo, hi + 1)),
                        cap=cohort.cap,
                        brand=cohort.organiser == "brand",
                        circle=None if cohort.circle == "any" else KIND_CODES[cohort.circle],
                        topic=topic,
                        event_start=None if event is None else created + event.start,
                        event_end=None if event is None else created + event.start + event.duration,
                        intensity=0.0 if event is None else event.intensity,
                        org_rate=cohort.content.organiser_posts_per_day,
                        promo_share=cohort.content.promotion_share,
                        icebreaker_day=created + ice.day
                        if ice is not None and name in ice.cohorts
                        else None,
                        guides_from=max(created, guides.from_day) if guided else None,
                        guide_strength=guides.tie_strength if guided else 0.0,
                        last_post=created,
                    )
                )
        return groups

    # ------------------------------------------------------------------ ties

    def _attach(self, tie: Tie) -> None:
        self.people[tie.a].ties[tie.b] = tie
        self.people[tie.b].ties[tie.a] = tie
        self.ties[(tie.a, tie.b)] = tie

    def drop_tie(self, tie: Tie) -> None:
        """Remove a tie from both its ends."""
        del self.people[tie.a].ties[tie.b]
        del self.people[tie.b].ties[tie.a]
        del self.ties[(tie.a, tie.b)]

    def make_tie(self, a: int, b: int, strength: float, kind: int) -> Tie | None:
        """Tie ``a`` and ``b`` today, holding Dunbar's cap (F1, F2).

        A person at the cap makes room by dropping its weakest tie, but only for a new
        tie stronger than that one (:func:`rules.admit_under_cap`); otherwise no tie is
        made. People already tied keep their tie.

        Returns:
            The new tie, or None if none was made.
        """
        if a == b or b in self.people[a].ties:
            return None
        victims = []
        for person in (self.people[a], self.people[b]):
            at_cap = len(person.ties) >= self.cap
            weakest = person.weakest_tie() if at_cap else None
            weakest_strength = weakest.strength(self.day) if weakest is not None else math.inf
            if not rules.admit_under_cap(strength, weakest_strength, at_cap):
                return None
            if weakest is not None:
                victims.append(weakest)
        for tie in victims:
            self.drop_tie(tie)
        tie = Tie(min(a, b), max(a, b), strength, self.day, kind, self.half_life[kind], self.day)
        self._attach(tie)
        return tie

    def make_ties_together(self, pairs: list[tuple[int, int]], strength: float, kind: int) -> int:
        """Tie a batch of pairs at once, each with ``strength``, holding Dunbar's cap (F1, F2).

        A person's room is the cap less its ties at least as strong as the new ones
        (:func:`rules.room_under_cap`, on the ties before the batch). In batch order, a
        pair not yet tied is tied if both people still have room; then everyone above
        the cap drops its weakest ties today (the first of equals) until back at it.

        Returns:
            The number of ties made.
        """
        room: dict[int, int] = {}
        taken: dict[int, int] = {}
        made: list[tuple[int, int]] = []
        made_set: set[tuple[int, int]] = set()
        for a, b in pairs:
            key = (min(a, b), max(a, b))
            if a == b or key in self.ties or key in made_set:
                continue
            for end in key:
                if end not in room:
                    now = strengths(list(self.people[end].ties.values()), self.day)
                    room[end] = int(rules.room_under_cap(now, strength, self.cap))
            if all(taken.get(end, 0) < room[end] for end in key):
                made.append(key)
                made_set.add(key)
                for end in key:
                    taken[end] = taken.get(end, 0) + 1
        doomed: dict[tuple[int, int], Tie] = {}
        for end, count in taken.items():
            ties = list(self.people[end].ties.values())
            surplus = len(ties) + count - self.cap
            if surplus > 0:
                weakest = np.argsort(strengths(ties, self.day), kind="stable")[:surplus]
                doomed.update(((ties[i].a, ties[i].b), ties[i]) for i in weakest.tolist())
        for tie in doomed.values():
            self.drop_tie(tie)
        for key in made:
            self._attach(Tie(*key, strength, self.day, kind, self.half_life[kind], self.day))
        return len(made)

    # ------------------------------------------------------------------ membership

    def join(self, group: Group, person: Person, inviter: int, founder: bool) -> Membership:
        """Make ``person`` a member of ``group`` today."""
        membership = Membership(
            group=group.gid, person=person.index, joined=self.day, inviter=inviter, founder=founder
        )
        membership.ties_on_join = len(person.ties_inside(group))
        group.members[person.index] = membership
        group.peak = max(group.peak, len(group.members))
        person.memberships[group.gid] = membership
        self.memberships.append(membership)
        self.today["joins"] += 1
        return membership

    def leave(self, membership: Membership) -> None:
        """End a membership today."""
        membership.left = self.day
        del self.groups[membership.group].members[membership.person]
        del self.people[membership.person].memberships[membership.group]
        self.today["leaves"] += 1

    def offer(self, group: Group, inviter: Person, invitee: Person, tie: Tie) -> None:
        """``inviter`` invites ``invitee`` into ``group``; the invitee decides (C7, F8).

        Someone already inside is not invited. The chance to accept
        (:func:`rules.accept_probability`) rises with the strength of the tie to the
        inviter and with the number of ties already inside, scaled by the share of the
        invitee's attention still free today. The decision is kept until every member
        has invited (:meth:`settle_offers`): all invitees decide on the same state.
        """
        if invitee.index in group.members:
            return
        b = self.behaviour
        # The inviter is inside and tied to the invitee: its pull is the tie's strength.
        inside = max(len(invitee.ties_inside(group)) - 1, 0)
        free = float(rules.free_attention(invitee.load, invitee.budget))
        p = rules.accept_probability(
            tie.strength(self.day),
            inside,
            free,
            tie_weight=b.accept_tie,
            friends_weight=b.accept_friends,
            friends_scale=b.accept_friends_scale,
        )
        yes = bool(self.rng.random() < p)
        self._offers.append((group, inviter, invitee, yes))

    def settle_offers(self) -> None:
        """Today's invitations, in the order made: those accepted become memberships.

        A person joins a group at most once a day, and a full group takes no one.
        """
        joined: set[tuple[int, int]] = set()
        for group, inviter, invitee, yes in self._offers:
            pair = (group.gid, invitee.index)
            accepted = yes and pair not in joined and len(group.members) < group.cap
            self.invites.append(Invite(self.day, group.gid, inviter.index, invitee.index, accepted))
            group.invites_sent += 1
            self.today["invites"] += 1
            if accepted:
                joined.add(pair)
                group.invites_accepted += 1
                self.today["accepted"] += 1
                self.join(group, invitee, inviter.index, founder=False)
        self._offers = []

    def shuffled(self, people: list[Person]) -> list[Person]:
        """``people`` in a fresh random order (from Mesa's ``random``)."""
        order = list(people)
        self.random.shuffle(order)
        return order

    # ------------------------------------------------------------------ recruitment

    def _recruit(self, group: Group, has_ties: list[int]) -> list[tuple[int, int]]:
        """Choose a new group's organiser and founders, by its driver (sim/phases/schedule.py).

        Returns:
            ``(person, inviter)`` for each founder, the organiser first (if a person).
        """
        if group.driver == "event":
            organiser = NO_ONE
            if not group.brand:
                pool = self._holders(group.topic) or list(range(self.n))
                organiser = pool[int(self.rng.integers(len(pool)))]
            recruits = self._broadcast(group.topic, group.size0 - (organiser >= 0), organiser)
            inviter = NO_ONE
        else:
            organiser = has_ties[int(self.rng.integers(len(has_ties)))]
            topic = group.topic if group.driver == "hybrid" else None
            recruits = self._along_ties(organiser, group.size0 - 1, group.circle, topic)
            inviter = organiser
        group.organiser = organiser
        founders = [(organiser, NO_ONE)] if organiser >= 0 else []
        return founders + [(person, inviter) for person in recruits]

    def _holders(self, topic: int) -> list[int]:
        return [p.index for p in self.people if p.holds(topic)]

    def _sample(self, pool: list[int], k: int) -> list[int]:
        """Up to ``k`` distinct members of ``pool``, uniformly, in random order."""
        k = min(k, len(pool))
        return [pool[i] for i in self.rng.choice(len(pool), size=k, replace=False).tolist()]

    def _broadcast(self, topic: int, size: int, organiser: int) -> list[int]:
        """Event recruitment: ``topic_pull`` of the founders hold the topic, the rest anyone."""
        from_topic = int(self.rng.binomial(size, self.behaviour.topic_pull))
        picks = self._sample([p for p in self._holders(topic) if p != organiser], from_topic)
        taken = {*picks, organiser}
        picks += self._sample([p for p in range(self.n) if p not in taken], size - len(picks))
        return picks

    def _along_ties(
        self, organiser: int, size: int, circle: int | None, topic: int | None
    ) -> list[int]:
        """Relationship recruitment: the organiser's ties of a circle, then their ties.

        Candidates are taken strongest first (for hybrid groups, topic holders first,
        ties broken at random); when the organiser's ties run out, the recruits' ties
        are used in turn (snowball).
        """
        chosen: list[int] = []
        seen, frontier = {organiser}, [organiser]
        while frontier and len(chosen) < size:
            candidates = [(o, t) for p in frontier for o, t in self.people[p].ties.items()]
            if circle is not None and not chosen:
                of_circle = [(o, t) for o, t in candidates if t.kind == circle]
                candidates = of_circle or candidates
            scored = []
            for other, tie in candidates:
                score = tie.strength(self.day) * (1.0 + 1e-3 * self.rng.random())
                if topic is not None and self.people[other].holds(topic):
                    score += 1.0
                scored.append((score, other))
            scored.sort(key=lambda pair: -pair[0])
            frontier = []
            for _, other in scored:
                if other in seen:
                    continue
                seen.add(other)
                chosen.append(other)
                frontier.append(other)
                if len(chosen) == size:
                    break
        return chosen

    # ------------------------------------------------------------------ phases

    def phase_schedule(self) -> None:
        """Phase 1: create today's groups and recruit their founders; fire interventions.

        Event groups recruit by broadcast among people interested in the topic; the
        others along the organiser's ties. An ice-breaker makes every member's interests
        visible to the group at once (C5).
        """
        has_ties = [p.index for p in self.people if p.ties]
        new = [g for g in self.groups if g.created == self.day and not g.born]
        for group in new:
            founders = self._recruit(group, has_ties)
            group.born, group.last_post = True, self.day
            for person, inviter in founders:
                self.join(group, self.people[person], inviter, founder=True)
        for group in new:  # founders joining together know each other on joining
            for membership in group.members.values():
                person = self.people[membership.person]
                membership.ties_on_join = len(person.ties_inside(group))
        push = self.config.interventions.promotion_push
        for group in self.groups:
            pushed = push is not None and group.cohort in push.cohorts
            if pushed and group.alive and group.created + push.day == self.day:
                group.promo_share = push.share  # from today on
        for group in self.groups:
            if group.icebreaker_day == self.day and group.alive:
                for membership in group.members.values():
                    membership.visible = self.people[membership.person].interests

    def phase_attention(self, members: list[Person]) -> None:
        """Phase 2: members value their groups; overloaded people mute the least valued (C17)."""
        for person in self._loaded:
            person.load = 0.0
        for person in members:
            person.attend()
        self._loaded = members

    def phase_posting(self, members: list[Person]) -> None:
        """Phase 3: unmuted members post; organisers post; posts reveal interests (C5, C16).

        The organiser of every living group posts Poisson ``org_rate`` times its
        engagement (:func:`rules.organiser_posts`: 1 for a brand; for a person, its
        belonging up to 1 while it reads the group, 0 once it has muted or left), a share
        of them promotions. Organic posts (all but promotions) keep a group alive and feed
        tomorrow's belonging and reading cost.
        """
        for group in self.groups:
            group.posters, group.member_posts_today, group.readers = [], 0, []
        for person in members:
            for membership in person.memberships.values():
                if not membership.muted:
                    self.groups[membership.group].readers.append(membership)
        for person in members:
            person.post()
        posts = promotions = 0
        for group in self.groups:
            organiser_posts = promos = 0
            if group.alive:
                drawn = rules.organiser_posts(
                    group.org_rate, group.promo_share, self.engagement(group), self.rng
                )
                organiser_posts, promos = (int(x) for x in drawn)
            organic = group.member_posts_today + organiser_posts - promos
            group.organiser_posts_today = organiser_posts
            group.posts += group.member_posts_today + organiser_posts
            group.promotions += promos
            group.organic_yesterday, group.promo_yesterday = float(organic), float(promos)
            if organic > 0 and group.alive:
                group.last_post = self.day
            posts += group.member_posts_today + organiser_posts
            promotions += promos
        self.today["posts"], self.today["promotions"] = posts, promotions

    def engagement(self, group: Group) -> float:
        """How much of the organiser's work gets done today (:func:`rules.organiser_posts`)."""
        if group.brand:
            return 1.0
        membership = group.members.get(group.organiser)
        if membership is None or membership.muted:
            return 0.0
        return membership.value

    def phase_ties(self, members: list[Person]) -> None:
        """Phase 4: co-active members meet; ties strengthen or form (F7); periodic sweep."""
        for person in self.shuffled(members):
            person.meet()
        if self.day > 0 and self.day % self.config.network.ties.sweep_days == 0:
            self.sweep_ties()

    def sweep_ties(self) -> None:
        """Background social life since the last sweep: contact, decay, dropping (C9, F3–F6).

        Each person spreads ``contacts_per_day`` contacts a day over its ties in
        proportion to ``strength ** allocation_exponent`` (:func:`rules.time_allocation`);
        a tie gets the contacts of both its ends. Over the ``sweep_days`` since the last
        sweep it receives a Poisson number of contacts, each closing ``contact_gain`` of
        the gap to its peak (:meth:`Tie.keep_up`). A tie with no contact that has decayed
        below ``floor`` is dropped.
        """
        cfg = self.config.network.ties
        ties = list(self.ties.values())
        strength = strengths(ties, self.day)
        # Each tie twice, once from each end: the share of that end's time it gets.
        ends = np.array([tie.a for tie in ties] + [tie.b for tie in ties], np.int64)
        share = rules.time_allocation(
            np.concatenate([strength, strength]), cfg.allocation_exponent, ends, self.n
        )
        per_day = cfg.contacts_per_day * (share[: len(ties)] + share[len(ties) :])
        contacts = self.rng.poisson(per_day * cfg.sweep_days).tolist()
        for tie, now, k in zip(ties, strength.tolist(), contacts, strict=True):
            if k > 0:
                tie.keep_up(self.day, cfg.contact_gain, k)
            elif now < cfg.floor:
                self.drop_tie(tie)
        self.move_people()
        self.introduce_ties()
        self.change_interests()

    def change_interests(self) -> None:
        """The period's changes of interests (F10, F11).

        Person after person, in id order, gives up one of its topics with the chance of
        :func:`rules.interest_changers`; then, for each changer in id order, the new
        topic is one of a tie's (chosen in proportion to strength today) that it lacks,
        with the chance of :func:`rules.interest_from_tie`, else (or if that tie holds
        nothing new) one it lacks at random; a held topic other than the new one is
        given up at random.
        """
        cfg = self.config.population.interests
        days = self.config.network.ties.sweep_days
        if cfg.turnover_per_year <= 0 or cfg.per_person >= cfg.topics:
            return
        rate = cfg.turnover_per_year
        changers = [
            person
            for person in self.people
            if len(rules.interest_changers(1, cfg.per_person, rate, days, self.rng))
        ]
        every = (1 << cfg.topics) - 1
        for person in changers:
            lacking = ~person.interests & every
            offered = lacking
            if rules.interest_from_tie([bool(person.ties)], cfg.homophily, self.rng)[0]:
                source = self.people[person.pick_tie().other(person.index)]
                offered = (source.interests & lacking) or lacking
            new = self._random_bit(offered)
            dropped = self._random_bit(person.interests)
            person.interests = (person.interests & ~(1 << dropped)) | (1 << new)
        self.today["interest_changes"] += len(changers)

    def _random_bit(self, mask: int) -> int:
        """One set bit of ``mask``, uniformly (:func:`rules.held_topic`)."""
        return rules.held_topic(mask, self.rng.random(), self.config.population.interests.topics)

    def move_people(self) -> None:
        """The period's movers lose their local ties (F2, F6).

        Person after person, in id order, moves with the chance of :func:`rules.movers`;
        then each tie of a mover (once, even if both ends moved) is kept or lost by
        :func:`rules.survives_move` on its strength today: kin stay, any other tie stays
        with a probability equal to its strength.
        """
        cfg = self.config.network.ties
        if cfg.moves_per_year <= 0:
            return
        moving = [
            person
            for person in self.people
            if len(rules.movers(1, cfg.moves_per_year, cfg.sweep_days, self.rng))
        ]
        touched = {(tie.a, tie.b): tie for person in moving for tie in person.ties.values()}
        kin = KIND_CODES["kin"]
        for tie in touched.values():
            keep = rules.survives_move(tie.strength(self.day), tie.kind == kin, self.rng.random())
            if not keep:
                self.drop_tie(tie)
        self.today["moves"] += len(moving)

    def introduce_ties(self) -> None:
        """New acquaintances outside groups since the last sweep (F1, F2, F6).

        Person after person, in random order, starts the meetings of
        :func:`rules.background_meetings` (drawn for that person alone). A meeting through
        a friend (if the person has ties) goes to a tie chosen in proportion to strength
        today, then to one of that friend's ties chosen likewise, and is lost if that is
        the person itself; any other meeting is with a random person
        (:func:`rules.stranger`). As in the fast model, every meeting of the sweep is
        drawn on the ties as they were before it (a friend met this period is not yet
        a way to meet its friends); the pairs not yet tied then become acquaintance ties
        under the cap, all at once, in the order they were met (:meth:`make_ties_together`).
        """
        cfg = self.config.network.ties
        if cfg.new_acquaintances_per_year <= 0 or self.n < 2:
            return
        kind = KIND_CODES["acquaintance"]
        met: list[tuple[int, int]] = []
        for person in self.shuffled(self.people):
            _, through = rules.background_meetings(
                1, cfg.new_acquaintances_per_year, cfg.sweep_days, cfg.closure_share, self.rng
            )
            for by_friend in through.tolist():
                if by_friend and person.ties:
                    friend = self.people[person.pick_tie().other(person.index)]
                    other = friend.pick_tie().other(friend.index)
                else:
                    other = int(rules.stranger([person.index], self.n, self.rng)[0])
                if other != person.index:
                    met.append((person.index, other))
        made = self.make_ties_together(met, cfg.new_acquaintance_strength, kind)
        self.today["acquaintances_made"] += made

    def phase_invitations(self, members: list[Person]) -> None:
        """Phase 5: active members invite outside ties; invitees accept or not (C3, C7, F8).

        Everyone invites and every invitee decides on the memberships as they were at
        the start of the phase; then the accepted invitations become memberships.
        """
        for person in self.shuffled(members):
            person.invite()
        self.settle_offers()

    def phase_leaving(self, members: list[Person]) -> None:
        """Phase 6: guides greet newcomers (C15); members leave (C4)."""
        for group in self.groups:
            if group.alive and group.guides_from is not None and group.guides_from <= self.day:
                self.greet(group)
        for person in members:
            person.consider_leaving()

    def greet(self, group: Group) -> None:
        """Today's newcomers are greeted by a guide and get a tie to it (C15).

        The guide is the longest-standing super user among the veterans (founders and
        members who joined before today), else the longest-standing veteran.
        """
        veterans = [m for m in group.members.values() if m.joined < self.day or m.founder]
        newcomers = [
            m
            for m in group.members.values()
            if m.joined == self.day and not m.founder and not m.guided
        ]
        if not veterans or not newcomers:
            return
        supers = [m for m in veterans if self.people[m.person].is_super]
        guide = (supers or veterans)[0]
        for newcomer in newcomers:
            if newcomer.person not in self.people[guide.person].ties:
                self.make_tie(guide.person, newcomer.person, group.guide_strength, self.group_kind)
            newcomer.guided = True

    def phase_commerce(self) -> None:
        """Phase 7: exposures, purchases, word of mouth, the brand relationship (C8–C18).

        Every exposure to a product has a purchase hazard (:func:`rules.purchase_hazard`:
        need × trust in the source × the conversion trait). People who know the brand buy
        by themselves (organic); a reader of a group sees the brand's promotions posted
        today (one exposure per group, its hazard times the promotions); satisfied recent
        buyers recommend and refer to ties (:meth:`Person.talk`) and may mention the
        product in a group they posted in (:meth:`mention`). Then each person buys each
        product at most once, with the chance :func:`rules.buy_probability` of its summed
        hazard, by the exposure drawn in proportion to its hazard (:meth:`buy`); last,
        everyone's brand relationship is updated (:func:`rules.brand_relationship`).
        """
        for name in CHANNELS:
            self.today[f"purchases_{name}"] = 0
        c = self.config.commerce
        if not c.on:
            return
        self.today.update(purchases=0, revenue=0.0, rewards=0.0, buyers_new=0, shares=0)
        self._exposures = []
        horizon = TALK_HALF_LIVES * c.talk_half_life
        for person in self.people:
            person.buy_by_itself()
        for group in self.groups:
            if group.promo_yesterday > 0:  # today's promotions (set by posting)
                for membership in group.readers:
                    reader = self.people[membership.person]
                    belief = float(rules.trust(reader.relationship, c.trust_baseline))
                    for product in range(len(c.products)):
                        hazard = rules.purchase_hazard(
                            c.conversion * group.promo_yesterday,
                            reader.need(product),
                            belief,
                            reader.convert(),
                        )
                        self.expose(reader, product, "promotion", NO_ONE, hazard)
        for person in self.people:
            person.talk(horizon)
        for group in self.groups:
            self.mention(group, horizon)
        good, bad = self.buy()
        read_brand = set()
        for group in self.groups:
            if group.brand and group.alive and group.organiser_posts_today > group.promo_yesterday:
                read_brand.update(m.person for m in group.readers)
        brand = c.brand
        for person in self.people:
            read = person.index in read_brand
            pleased, let_down = person.index in good, person.index in bad
            if person.relationship == 0.0 and not (read or pleased or let_down):
                continue  # nothing to decay and nothing happened: it stays 0
            person.relationship = float(
                rules.brand_relationship(
                    person.relationship,
                    read,
                    pleased,
                    let_down,
                    1.0,
                    half_life=brand.half_life,
                    contact_gain=brand.contact_gain,
                    experience_gain=brand.experience_gain,
                    disappointment=brand.disappointment,
                )
            )

    def referral_uplift(self) -> float:
        """The factor on referral invitations today: the reward's uplift while it runs."""
        reward = self.config.interventions.referral_reward
        return reward.uplift if reward is not None and self.day >= reward.from_day else 1.0

    def expose(self, person: Person, product: int, channel: str, referrer: int, hazard) -> None:
        """Add one exposure of ``person`` to ``product`` today (none if its hazard is 0)."""
        if hazard > 0:
            self._exposures.append(
                Exposure(person.index, product, channel, referrer, float(hazard))
            )

    def recommend(self, listener: Person, speaker: Person, channel: str, strength: float) -> None:
        """``speaker`` tells ``listener`` of its product; trust comes from their tie's strength."""
        c = self.config.commerce
        product = speaker.talks_about
        hazard = rules.purchase_hazard(
            c.conversion,
            listener.need(product),
            float(rules.trust(strength, c.trust_baseline)),
            listener.convert(),
        )
        self.expose(listener, product, channel, speaker.index, hazard)

    def mention(self, group: Group, horizon: float) -> None:
        """A satisfied recent buyer who posted in ``group`` today may mention its product.

        Each such poster mentions it with chance ``mention_share``; one mention per group
        and day at most (one of them at random). Every other reader of the group hears it,
        trusting it as much as its tie to the buyer (none: the baseline).
        """
        c = self.config.commerce
        said = [
            m
            for m in group.posters
            if self.people[m.person].talks(self.day, horizon)
            and self.rng.random() < c.mention_share
        ]
        if not said:
            return
        speaker = self.people[said[int(self.rng.integers(len(said)))].person]
        self.today["shares"] += 1
        for membership in group.readers:
            if membership.person == speaker.index:
                continue
            listener = self.people[membership.person]
            tie = listener.ties.get(speaker.index)
            strength = tie.strength(self.day) if tie is not None else 0.0
            self.recommend(listener, speaker, "recommendation", strength)

    def buy(self) -> tuple[set[int], set[int]]:
        """Today's purchases: at most one per person and product, from its exposures.

        The chance to buy is :func:`rules.buy_probability` of the summed hazard; the
        exposure that led to it is drawn in proportion to its hazard
        (:func:`rules.pick_in_proportion`); the experience is good with the product's
        ``quality``. A referral pays the reward while one runs.

        Returns:
            The people with a good experience today, and those with a bad one.
        """
        c = self.config.commerce
        prize = self.config.interventions.referral_reward
        by_key: dict[tuple[int, int], list[Exposure]] = {}
        for exposure in self._exposures:
            by_key.setdefault((exposure.person, exposure.product), []).append(exposure)
        good: set[int] = set()
        bad: set[int] = set()
        new: set[int] = set()
        for (index, product), exposures in sorted(by_key.items()):
            hazards = [e.hazard for e in exposures]
            if not self.rng.random() < rules.buy_probability(sum(hazards)):
                continue
            which = rules.pick_in_proportion(
                np.zeros(len(hazards)), hazards, np.array([self.rng.random()])
            )
            chosen = exposures[int(which[0])]
            spec, person = c.products[product], self.people[index]
            satisfied = bool(self.rng.random() < spec.quality)
            reward = 0.0
            if chosen.channel == "referral" and prize is not None and self.day >= prize.from_day:
                reward = prize.amount
            self.purchases.append(
                Purchase(
                    self.day,
                    index,
                    product,
                    spec.price,
                    chosen.channel,
                    chosen.referrer,
                    reward,
                    satisfied,
                )
            )
            if chosen.channel in ("recommendation", "referral") and chosen.referrer in person.ties:
                tie = person.ties[chosen.referrer]
                person.relationship = float(
                    rules.introduced_relationship(person.relationship, tie.strength(self.day))
                )
            person.last_bought[product] = self.day
            person.satisfied[product] = satisfied
            if satisfied:  # products in increasing order: the highest-numbered one is told
                person.last_good, person.talks_about = self.day, product
                good.add(index)
            else:
                bad.add(index)
            if person.first_bought == NO_ONE:
                person.first_bought = self.day
                new.add(index)
            self.today["purchases"] += 1
            self.today[f"purchases_{chosen.channel}"] += 1
            self.today["revenue"] += spec.price
            self.today["rewards"] += reward
        self.today["buyers_new"] = len(new)
        return good, bad

    def phase_death(self) -> None:
        """Phase 8: silence or desertion kills a group; it stays in the record.

        A group (not created today) dies of silence after ``silence_days`` without an
        organic post, else of desertion when fewer than 2 members have it unmuted. Its
        members stop seeing it; its member list is kept as it was at death.
        """
        deaths = 0
        for group in self.groups:
            if not group.alive or group.created >= self.day:
                continue
            dying, silent = rules.dies(
                rules.silent_for(group.last_post, self.day),
                sum(not m.muted for m in group.members.values()),
                silence_days=self.behaviour.silence_days,
            )
            if dying:
                group.died = self.day
                group.cause = "silence" if silent else "deserted"
                for membership in group.members.values():
                    del self.people[membership.person].memberships[group.gid]
                deaths += 1
        self.today["deaths"] = deaths

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """Advance one day: phases 1–8 in order, each person in random order, then record."""
        self.today = dict.fromkeys(
            (
                "joins",
                "leaves",
                "invites",
                "accepted",
                "ties_formed",
                "acquaintances_made",
                "moves",
                "interest_changes",
            ),
            0,
        )
        self.phase_schedule()
        # The people present today: members of a living group after the schedule phase.
        members = self.shuffled([person for person in self.people if person.memberships])
        self.phase_attention(members)
        self.phase_posting(members)
        self.phase_ties(members)
        self.phase_invitations(members)
        self.phase_leaving(members)
        self.phase_commerce()
        self.phase_death()
        self._record()
        self.day += 1
        all_done = all(g.born for g in self.groups) and not any(g.alive for g in self.groups)
        if self.day >= self.config.days or (self.groups and all_done):
            self.running = False

    def _record(self) -> None:
        current = [m for g in self.groups if g.alive for m in g.members.values()]
        self.today.update(
            groups_alive=sum(g.alive for g in self.groups),
            members=len(current),
            muted=sum(m.muted for m in current),
            active=sum(m.posts > 0 for m in current),
            ties=len(self.ties),
        )
        self.datacollector.collect(self)

    def run(self) -> None:
        """Step until the horizon or until every group is dead."""
        while self.running:
            self.step()


def reference_tables(model: ReferenceModel) -> dict[str, pd.DataFrame]:
    """The reference model's record as the tables of :func:`sim.runner.model_tables`.

    ``groups`` has the same columns (less ``internal_strength``) plus ``ties_formed``. With
    products, ``purchases`` has the columns of :class:`sim.market.Purchases` (``channel``
    as its code in :data:`sim.market.CHANNELS`) and ``brand`` each person's brand
    relationship at the end and the day of its first purchase (``NO_ONE`` if none).
    """
    horizon = model.day
    born = [g for g in model.groups if g.born]
    groups = pd.DataFrame(
        {
            "group": [g.gid for g in born],
            "cohort": [g.cohort for g in born],
            "driver": [g.driver for g in born],
            "created": [g.created for g in born],
            "died": [g.died for g in born],
            "censored": [g.died == NO_ONE for g in born],
            "lifetime": [(horizon if g.died == NO_ONE else g.died) - g.created for g in born],
            "cause": [g.cause for g in born],
            "initial": [g.size0 for g in born],
            "peak": [g.peak for g in born],
            "final": [len(g.members) for g in born],
            "posts": [g.posts for g in born],
            "promotions": [g.promotions for g in born],
            "invites_sent": [g.invites_sent for g in born],
            "invites_accepted": [g.invites_accepted for g in born],
            "ties_formed": [g.ties_formed for g in born],
            "organiser": [g.organiser for g in born],
            "topic": [g.topic for g in born],
        }
    )
    columns = ("group", "person", "joined", "left", "inviter", "founder", "muted")
    memberships = pd.DataFrame(
        {name: [getattr(m, name) for m in model.memberships] for name in columns}
        | {
            "ties_on_join": [m.ties_on_join for m in model.memberships],
            "posts": [m.posts for m in model.memberships],
            "guided": [m.guided for m in model.memberships],
        }
    )
    invites = pd.DataFrame(
        {
            name: [getattr(i, name) for i in model.invites]
            for name in ("day", "group", "inviter", "invitee", "accepted")
        }
    )
    series = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    series.insert(0, "day", np.arange(len(series)))
    tables = {
        "timeseries": series,
        "groups": groups,
        "memberships": memberships,
        "invites": invites,
    }
    if model.config.commerce.on:
        columns = (
            "day",
            "person",
            "product",
            "price",
            "channel",
            "referrer",
            "reward",
            "satisfied",
        )
        purchases = pd.DataFrame(
            {name: [getattr(p, name) for p in model.purchases] for name in columns}
        )
        purchases["channel"] = [CHANNEL_CODES[p.channel] for p in model.purchases]
        tables["purchases"] = purchases
        tables["brand"] = pd.DataFrame(
            {
                "person": [p.index for p in model.people],
                "relationship": [p.relationship for p in model.people],
                "first_bought": [p.first_bought for p in model.people],
            }
        )
    return tables
