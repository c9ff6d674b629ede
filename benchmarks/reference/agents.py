"""People, their ties and their memberships, as plain Python objects.

A :class:`Person` is a Mesa agent that owns its ties (a dict from the other person to a
shared :class:`Tie`) and its current memberships (a dict from group id to a
:class:`Membership`). Each phase of the day that people act in has one method here, which
loops over the person's memberships and ties one at a time and calls the rules of
:mod:`sim.rules` on scalars. The model (:mod:`benchmarks.reference.model`) calls these
methods for every member, in random order, phase after phase.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import rules
from sim.groups import NO_ONE

if TYPE_CHECKING:
    from benchmarks.reference.model import Group, ReferenceModel


@dataclass(eq=False, slots=True)
class Tie:
    """An undirected tie between people ``a < b``, one object shared by both ends.

    Attributes:
        a: The end with the smaller id.
        b: The other end.
        w: Strength on day ``last``.
        last: Day of the last contact; decay runs from there (F5, F6).
        kind: Kind code (index into ``sim.config.TIE_KINDS``).
        half_life: Half-life of the tie's kind, in days.
        created: Day the tie was made (0 for the ties of the initial world).
        peak: The highest strength the tie has had: what contact outside groups restores
            it to at most (``None`` on creation: its strength then).
    """

    a: int
    b: int
    w: float
    last: int
    kind: int
    half_life: float
    created: int = 0
    peak: float | None = None

    def __post_init__(self) -> None:
        if self.peak is None:
            self.peak = self.w

    def strength(self, day: int) -> float:
        """Strength on ``day``: ``w`` decayed since the last contact (:func:`rules.decay`)."""
        return float(rules.decay(self.w, day - self.last, self.half_life))

    def contact(self, day: int, gain: float, contacts: int = 1) -> None:
        """Record ``contacts`` contacts in a group on ``day``: decay, then strengthen.

        Shared activity builds closeness towards 1, and the peak rises with it.
        """
        now = float(rules.strengthen(self.strength(day), gain, contacts))
        self.w = min(max(now, 1e-6), 1.0)
        self.last = day
        self.peak = max(self.peak, self.w)

    def keep_up(self, day: int, gain: float, contacts: int) -> None:
        """Record ``contacts`` contacts outside groups: restore towards the peak."""
        self.w = float(rules.strengthen(self.strength(day), gain, contacts, self.peak))
        self.last = day

    def other(self, person: int) -> int:
        """The end that is not ``person``."""
        return self.b if person == self.a else self.a


def strengths(ties: Sequence[Tie], day: int) -> np.ndarray:
    """Strength on ``day`` of each tie: :meth:`Tie.strength`, in one call of the rule.

    The same :func:`rules.decay`, given arrays: calling it once per tie would spend most
    of the reference model's time in NumPy's per-call overhead.
    """
    if not ties:
        return np.zeros(0)
    w = np.array([tie.w for tie in ties], np.float64)
    age = np.array([day - tie.last for tie in ties], np.float64)
    half_life = np.array([tie.half_life for tie in ties], np.float64)
    return rules.decay(w, age, half_life)


@dataclass(eq=False, slots=True)
class Membership:
    """One person's membership of one group, from joining to leaving.

    Attributes:
        group: Group id.
        person: Person id.
        joined: Day joined.
        inviter: Who brought the person in (``NO_ONE`` for organisers and broadcast).
        founder: Recruited when the group was created.
        left: Day left, or ``NO_ONE``.
        muted: Whether the member has muted the group.
        visible: Interests (bit mask) the member has shown in this group.
        posts: Posts so far.
        posts_today: Posts today.
        value: Belonging, as of today's attention phase.
        cost: Reading cost, as of today's attention phase.
        tie_in: Summed strength of ties to co-members, as of today's attention phase.
        ties_in: Number of ties to co-members, as of today's attention phase.
        ties_on_join: Number of ties to co-members on joining.
        guided: Greeted by a guide.
    """

    group: int
    person: int
    joined: int
    inviter: int
    founder: bool
    left: int = NO_ONE
    muted: bool = False
    visible: int = 0
    posts: int = 0
    posts_today: int = 0
    value: float = 0.0
    cost: float = 0.0
    tie_in: float = 0.0
    ties_in: int = 0
    ties_on_join: int = 0
    guided: bool = False


class Person(mesa.Agent):
    """One person: interests, role, attention budget, ties and memberships.

    Args:
        model: The reference model.
        index: The person's id (its row in the world built by ``build_world``).
        interests: Topic bit mask.
        is_super: Whether the person is a super user (C12).
        budget: Daily attention budget.
        talkativeness: Multiplier of the post rate (F13).
    """

    model: ReferenceModel

    def __init__(
        self,
        model: ReferenceModel,
        index: int,
        interests: int,
        is_super: bool,
        budget: float,
        talkativeness: float = 1.0,
    ):
        super().__init__(model)
        self.index = index
        self.interests = interests
        self.is_super = is_super
        self.budget = budget
        self.talkativeness = talkativeness
        self.ties: dict[int, Tie] = {}  # the other person -> the tie
        self.memberships: dict[int, Membership] = {}  # group id -> current membership
        self.load = 0.0  # attention spent today on unmuted memberships
        # Commerce (phase 7): the brand relationship and what the person has bought.
        products = len(model.config.commerce.products)
        self.relationship = model.config.commerce.brand.initial_relationship
        self.last_bought = [NO_ONE] * products  # day of the latest purchase of each
        self.satisfied = [False] * products  # whether that purchase was a good experience
        self.last_good = NO_ONE  # day of the latest good experience of any product
        self.talks_about = 0  # the product of that good experience
        self.first_bought = NO_ONE  # day of the first purchase
        self.usage = 1.0  # how fast it uses up what it buys (rules.usage_rates)

    # ------------------------------------------------------------------ helpers

    def holds(self, topic: int) -> bool:
        """Whether this person holds ``topic``."""
        return bool(self.interests >> topic & 1)

    def ties_inside(self, group: Group) -> list[Tie]:
        """This person's ties to the current members of ``group``."""
        return [self.ties[other] for other in self.ties.keys() & group.members.keys()]

    def weakest_tie(self) -> Tie:
        """The tie that is weakest today (the first of equals)."""
        ties = list(self.ties.values())
        return ties[int(np.argmin(strengths(ties, self.model.day)))]

    def pick_tie(self) -> Tie:
        """One of this person's ties, chosen with probability proportional to strength today."""
        ties = list(self.ties.values())
        cumulative = np.cumsum(strengths(ties, self.model.day)).tolist()
        target = self.model.rng.random() * cumulative[-1]
        return ties[min(bisect.bisect_right(cumulative, target), len(ties) - 1)]

    def need(self, product: int) -> float:
        """Today's need for ``product`` (:func:`rules.need`)."""
        spec, day = self.model.config.commerce.products[product], self.model.day
        last = self.last_bought[product]
        repurchase = self.usage * rules.role_multiplier(
            self.is_super, self.model.config.population.super_users.repurchase
        )
        return float(
            rules.need(
                self.holds(spec.topic),
                last != NO_ONE,
                self.satisfied[product],
                day - last,
                appeal=spec.appeal,
                off_topic_appeal=spec.off_topic_appeal,
                cycle=spec.cycle,
                repurchase=repurchase,
            )
        )

    def convert(self) -> float:
        """The person's conversion trait (super users convert more, C12)."""
        return float(
            rules.role_multiplier(self.is_super, self.model.config.population.super_users.convert)
        )

    def talks(self, day: int, horizon: float) -> bool:
        """Whether a good experience before ``day`` is recent enough to talk about."""
        return self.last_good != NO_ONE and self.last_good < day and day - self.last_good <= horizon

    def posted_memberships(self) -> list[Membership]:
        """Current memberships in which this person posted today."""
        return [m for m in self.memberships.values() if m.posts_today > 0]

    # ------------------------------------------------------------------ phases

    def attend(self) -> None:
        """Phase 2: value each group, count its reading cost, mute what does not fit (C17).

        Belonging (:func:`rules.belonging`) comes from the ties to co-members (their
        strength today, over the number of co-members), the group's topic, the event
        pulse and yesterday's organic posts by people one knows; the reading cost
        (:func:`rules.reading_cost`) from yesterday's posts by strangers and promotions.
        A muted member looks again with chance ``unmute_rate`` (always during an event).
        Everyone deciding keeps groups in order of value per unit of cost while the
        budget lasts and mutes the rest, and mutes any group worth less than it costs.
        """
        model, b = self.model, self.model.behaviour
        deciding: list[Membership] = []
        for membership in self.memberships.values():
            group = model.groups[membership.group]
            pulse = group.pulse(model.day)
            inside = self.ties_inside(group)
            strength, count = float(strengths(inside, model.day).sum()), len(inside)
            membership.tie_in, membership.ties_in = strength, count
            known_share = min(count / max(len(group.members) - 1, 1), 1.0)
            organic, promotions = group.organic_yesterday, group.promo_yesterday
            membership.value = float(
                rules.belonging(
                    strength,
                    len(group.members) - 1,
                    self.holds(group.topic),
                    pulse,
                    organic * known_share,
                    promotions,
                    tie_weight=b.tie_belonging,
                    tie_saturation=b.tie_saturation,
                    topic_weight=b.topic_belonging,
                    content_weight=b.content_belonging,
                    promotion_cost=b.promotion_cost,
                )
            )
            membership.cost = float(
                rules.reading_cost(
                    organic * (1.0 - known_share) + promotions,
                    membership_cost=b.membership_cost,
                    overload_cost=b.overload_cost,
                    overload_posts=b.overload_posts,
                )
            )
            if not membership.muted:
                deciding.append(membership)
            elif rules.looks_again(np.array([True]), pulse, b.unmute_rate, model.rng)[0]:
                deciding.append(membership)  # a muted member looks again
        # Best value per unit of cost first (join order among equals), while budget lasts.
        deciding.sort(key=lambda m: -m.value / max(m.cost, 1e-12))
        spent = 0.0
        for membership in deciding:
            spent += membership.cost
            membership.muted = spent > self.budget or membership.value < membership.cost
        self.load = sum(m.cost for m in self.memberships.values() if not m.muted)

    def post(self) -> None:
        """Phase 3: post in each unmuted group (C12); a post may reveal an interest (C5).

        Posts are Poisson with mean :func:`rules.post_rate`: from belonging and the
        person's talkativeness, fewer the more co-members are strangers, and answering
        yesterday's posts. With chance ``reveal_rate``
        a member who posted shows one of its interests, chosen at random, to the group.
        """
        model, b = self.model, self.model.behaviour
        role = float(rules.role_multiplier(self.is_super, model.config.population.super_users.post))
        for membership in self.memberships.values():
            membership.posts_today = 0
            if membership.muted:
                continue
            group = model.groups[membership.group]
            strangers = max(len(group.members) - 1 - membership.ties_in, 0)
            rate = float(
                rules.post_rate(
                    membership.value,
                    role,
                    self.talkativeness,
                    strangers,
                    group.organic_yesterday,
                    base_rate=b.post_rate,
                    crowd_scale=b.crowd_scale,
                    initiative=b.initiative,
                    reply_posts=b.reply_posts,
                )
            )
            posts = int(model.rng.poisson(rate))
            if posts == 0:
                continue
            membership.posts += posts
            membership.posts_today = posts
            group.member_posts_today += posts
            group.posters.append(membership)
            if model.rng.random() < b.reveal_rate:
                topics = model.config.population.interests.topics
                topic = rules.held_topic(self.interests, model.rng.random(), topics)
                membership.visible |= 1 << topic

    def meet(self) -> None:
        """Phase 4: talk with co-members who also posted today; ties strengthen or form (F7).

        In each group it posted in, the person has ``encounters`` encounters, each with a
        co-poster chosen at random. A tie between them gains ``strengthen``; strangers
        form a tie with :func:`rules.formation_probability` of the interests each holds
        that the other has shown in the group, if Dunbar's cap lets them.
        """
        model = self.model
        b, cfg = model.behaviour, model.config.network.ties
        for membership in self.posted_memberships():
            group = model.groups[membership.group]
            others = [m for m in group.posters if m is not membership]
            if not others:
                continue
            for _ in range(b.encounters):
                partner = others[int(model.rng.integers(len(others)))]
                tie = self.ties.get(partner.person)
                if tie is not None:
                    tie.contact(model.day, cfg.strengthen)
                    continue
                them = model.people[partner.person]
                held = self.interests & them.interests
                shared = held & (partner.visible | membership.visible)
                p = rules.formation_probability(
                    shared.bit_count(), cfg.formation_base, cfg.formation_per_interest
                )
                if model.rng.random() < p:
                    made = model.make_tie(
                        self.index, them.index, cfg.new_tie_strength, model.group_kind
                    )
                    if made is not None:
                        group.ties_formed += 1
                        model.today["ties_formed"] += 1

    def invite(self) -> None:
        """Phase 5: in each group it posted in, invite ties from outside (C3, C12).

        The number of invitations is Poisson with mean :func:`rules.invite_rate`
        (fading with the person's tenure in the group); each
        goes to one of the person's ties, chosen in proportion to strength. The invitee
        decides (:meth:`ReferenceModel.offer`) and joins at the end of the phase.
        """
        model, b = self.model, self.model.behaviour
        role = float(
            rules.role_multiplier(self.is_super, model.config.population.super_users.invite)
        )
        for membership in self.posted_memberships():
            if not self.ties:
                return
            rate = float(
                rules.invite_rate(
                    membership.value,
                    role,
                    model.day - membership.joined,
                    base_rate=b.invite_rate,
                    half_life=b.invite_half_life,
                )
            )
            for _ in range(int(model.rng.poisson(rate))):
                tie = self.pick_tie()
                group = model.groups[membership.group]
                model.offer(group, self, model.people[tie.other(self.index)], tie)

    def consider_leaving(self) -> None:
        """Phase 6: leave each group with a hazard that falls with its net value (C4, F18).

        The net value (:func:`rules.net_value`) is belonging less the reading cost if the
        member reads the group, or less the fixed membership cost if it has muted it.
        Members who joined today by invitation are not yet at risk; organisers may leave
        like anyone (F14).
        """
        model, b = self.model, self.model.behaviour
        for membership in list(self.memberships.values()):
            if membership.joined == model.day and not membership.founder:
                continue
            net = rules.net_value(
                membership.value, membership.cost, not membership.muted, b.membership_cost
            )
            hazard = rules.leave_probability(
                net, max_rate=b.leave_rate, scale=b.leave_belonging_scale
            )
            if model.rng.random() < hazard:
                model.leave(membership)

    def buy_by_itself(self) -> None:
        """Phase 7: someone who knows the brand may buy without any exposure (organic).

        The hazard is ``organic_rate`` times need, the brand relationship and the
        conversion trait, for each product.
        """
        model = self.model
        if self.relationship <= 1e-6:
            return
        c = model.config.commerce
        for product in range(len(c.products)):
            hazard = rules.purchase_hazard(
                c.organic_rate, self.need(product), self.relationship, self.convert()
            )
            model.expose(self, product, "organic", NO_ONE, hazard)

    def talk(self, horizon: float) -> None:
        """Phase 7: a satisfied recent buyer recommends and refers to its ties (word of mouth).

        For each of the two channels the number sent today is Poisson with mean
        :func:`rules.talk_rate` (falling with the days since the good experience); each
        goes to a tie chosen in proportion to strength, who trusts it by that strength.
        """
        model = self.model
        day = model.day
        if not self.ties or not self.talks(day, horizon):
            return
        c, sup = model.config.commerce, model.config.population.super_users
        since = day - self.last_good
        for channel, rate, trait in (
            ("recommendation", c.recommend_rate, sup.recommend),
            ("referral", c.refer_rate * model.referral_uplift(), sup.refer),
        ):
            per_day = float(
                rules.talk_rate(
                    rate, rules.role_multiplier(self.is_super, trait), since, c.talk_half_life
                )
            )
            for _ in range(int(model.rng.poisson(per_day))):
                model.today["shares"] += 1
                tie = self.pick_tie()
                other = model.people[tie.other(self.index)]
                model.recommend(other, self, channel, tie.strength(day))
