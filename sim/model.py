"""The groupsim Mesa model: people, ties and chat groups, one step per day.

The daily step runs these phases, in this order, each as array operations over every
membership at once (DESIGN §2; docs/ODD.md, "Process overview and scheduling"):

1. schedule      groups are created and recruit; events start and end; interventions fire
2. attention     members value their groups; overloaded people mute the least valued
3. posting       unmuted members post; organisers post; posts reveal interests
4. ties          co-active members meet, strengthen or form ties; periodic sweep of
                 background contact, decay and dropping
5. invitations   active members invite outside ties; invitees accept or not (fission)
6. leaving       guides greet newcomers; members leave with a hazard falling with belonging
7. commerce      (reserved: purchases and referrals, for scenarios with a product)
8. death         groups silent for ``silence_days`` or with fewer than 2 unmuted members die
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import mesa
import numba
import numpy as np

from sim import kernels, rules
from sim.agents import Person
from sim.arrays import rank_in_runs, run_starts
from sim.config import TIE_KINDS, Scenario
from sim.groups import CAUSES, DRIVERS, NO_ONE, Groups, Invites, Memberships
from sim.recruitment import along_ties, broadcast
from sim.world import KIND_CODES, World, build_world
from sim.world.population import bits

GROUP_KIND = KIND_CODES["group"]
DAILY_SERIES = (
    "groups_alive",
    "members",
    "active",
    "muted",
    "posts",
    "promotions",
    "joins",
    "leaves",
    "invites",
    "accepted",
    "ties",
    "ties_formed",
    "deaths",
)
"""The daily counts the DataCollector records (one row per day)."""
PHASES = ("schedule", "attention", "posting", "ties", "invitations", "leaving", "commerce", "death")


AGENTS_UP_TO = 20_000
"""Worlds of up to this many people get their ``Person`` agents unless told otherwise."""
PERSON_REPORTERS = {"groups": "n_groups", "posts": "posts", "muted": "muted_groups"}
"""What the DataCollector records of every ``Person`` when asked to (``agent_reporters``)."""


class GroupModel(mesa.Model):
    """Chat groups that grow by fission and die by silence.

    Following Mesa's conventions, ``rng`` seeds the model and every draw comes from it:
    ``rng=None`` gives a new, unseeded replicate each time (so that
    ``mesa.batch_run(GroupModel, ..., rng=[None] * 5)`` gives five different replicates),
    while ``groupsim run`` passes the scenario's ``seed``, so that a run is reproducible.

    Args:
        scenario: The validated scenario, or the path of a scenario file (defaults to a
            small world with no groups).
        rng: Seed or generator; ``None`` for an unseeded replicate.
        agents: Create a Mesa ``Person`` agent for every person; by default only for
            worlds of up to ``AGENTS_UP_TO`` people (they cost about 7 µs each to build
            and nothing while the model steps). :meth:`build_agents` adds them later.
        agent_reporters: Record, every day, each person's number of groups, posts and
            muted groups in the DataCollector (builds the agents).
        **behaviour: Fields of the scenario's ``behaviour`` section, as flat keyword
            arguments (e.g. ``post_rate=0.2``), for ``batch_run`` and the browser page.

    Raises:
        TypeError: A keyword argument that is not a behaviour setting.
        pydantic.ValidationError: A behaviour setting outside its allowed range.
    """

    def __init__(
        self,
        *,
        scenario: Scenario | str | Path | None = None,
        rng: int | np.random.Generator | None = None,
        agents: bool | None = None,
        agent_reporters: bool = False,
        **behaviour: float,
    ):
        scenario = _with_behaviour(_as_scenario(scenario), behaviour)
        super().__init__(rng=rng)
        self.config = scenario
        self.behaviour = scenario.behaviour
        self.day = 0
        self.phase_seconds: dict[str, float] = defaultdict(float)
        started = time.perf_counter()
        self.world: World = build_world(scenario, self.rng)
        self.phase_seconds["build"] = time.perf_counter() - started
        self.n = self.world.n
        self._person_day = -1
        if agent_reporters or (self.n <= AGENTS_UP_TO if agents is None else agents):
            self.build_agents()
        self.cohort_names = list(scenario.groups)
        self.groups = self._plan_groups()
        self.memberships = Memberships(capacity=max(1024, int(self._planned_members() * 2)))
        self.invites = Invites(capacity=4096)
        self._holders = self._topic_holders()
        self._load = np.zeros(self.n, np.float32)  # attention spent reading today (phase 2)
        self._active = np.zeros(0, np.int64)
        self._index_rows = np.zeros(0, np.int64)
        self._dirty = True
        self.today: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={key: (lambda m, k=key: m.today.get(k, 0)) for key in DAILY_SERIES},
            agent_reporters=PERSON_REPORTERS if agent_reporters else None,
        )

    def build_agents(self) -> None:
        """Create the ``Person`` agents, one per person, if they do not exist yet."""
        if len(self.agents) == 0:
            for index in range(self.n):
                Person(self, index)

    def person_counts(self) -> dict[str, np.ndarray]:
        """Per person today: groups it is in, posts it has made in them, groups muted.

        Computed once a day for every person, so that reading one ``Person`` at a time (as
        the DataCollector's agent reporters do) does not scan the memberships each time.
        """
        if self._person_day != self.day or self._dirty:
            m = self.memberships
            active = self.active_memberships()
            person = m.person[active]
            self._person_counts = {
                "groups": np.bincount(person, minlength=self.n),
                "posts": np.bincount(m.view("person"), m.view("posts"), minlength=self.n),
                "muted": np.bincount(person[m.muted[active]], minlength=self.n),
            }
            self._person_day = self.day
        return self._person_counts

    # ------------------------------------------------------------------ set-up

    def _plan_groups(self) -> Groups:
        """Lay out every group of every cohort: creation day, size, organiser, event."""
        cohorts = self.config.groups
        total = sum(c.count for c in cohorts.values())
        g = Groups(total)
        topics = self.config.population.interests.topics
        start = 0
        for index, (name, cohort) in enumerate(cohorts.items()):
            rows = slice(start, start + cohort.count)
            k = cohort.count
            g.cohort[rows] = index
            g.driver[rows] = DRIVERS.index(cohort.driver)
            first, last = cohort.created_range
            g.created[rows] = np.sort(self.rng.integers(first, last + 1, size=k))
            lo, hi = cohort.size_range
            g.size0[rows] = self.rng.integers(lo, hi + 1, size=k)
            g.cap[rows] = cohort.cap
            g.brand[rows] = cohort.organiser == "brand"
            g.circle[rows] = -1 if cohort.circle == "any" else KIND_CODES[cohort.circle]
            g.topic[rows] = self.rng.integers(0, topics, size=k)
            event = cohort.resolved_event
            if event is not None:
                g.event_start[rows] = g.created[rows] + event.start
                g.event_end[rows] = g.created[rows] + event.start + event.duration
                g.intensity[rows] = event.intensity
            g.org_rate[rows] = cohort.content.organiser_posts_per_day
            g.promo_share[rows] = cohort.content.promotion_share
            ice = self.config.interventions.icebreaker
            if ice is not None and name in ice.cohorts:
                g.icebreaker_day[rows] = g.created[rows] + ice.day
            guides = self.config.interventions.guides
            if guides is not None and name in guides.cohorts:
                g.guides_from[rows] = np.maximum(g.created[rows], guides.from_day)
                g.guide_strength[rows] = guides.tie_strength
            start += k
        g.last_post[:] = g.created
        return g

    def _planned_members(self) -> int:
        return int(self.groups.size0.sum())

    def _topic_holders(self) -> list[np.ndarray]:
        topics = self.config.population.interests.topics
        interests = self.world.interests
        return [
            np.flatnonzero((interests >> np.uint64(t)) & np.uint64(1)).astype(np.int64)
            for t in range(topics)
        ]

    # ------------------------------------------------------------------ membership index

    def active_memberships(self) -> np.ndarray:
        """Rows of memberships that are current: not left, in a living group."""
        if self._dirty:
            m, g = self.memberships, self.groups
            # One pass over the rows, no sort: the current rows, and the same rows grouped
            # by group (for the kernels that mark a group's members).
            self._active, self._index_rows, self._index_persons, self._group_start = (
                kernels.current_memberships(
                    m.view("left"), m.view("group"), m.view("person"), g.alive, NO_ONE, g.n
                )
            )
            self._dirty = False
        return self._active

    def membership_of(self, persons: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Row of each person's current membership in each group, or -1."""
        self.active_memberships()
        groups = np.asarray(groups, np.int64)
        out = np.full(len(groups), -1, np.int64)
        kernels.membership_rows(
            np.asarray(persons, np.int64),
            groups,
            np.argsort(groups, kind="stable"),
            self._index_persons,
            self._index_rows,
            self._group_start,
            self.world.ties.person_scratch,
            out,
        )
        return out

    def _ties_inside(self, persons: np.ndarray, groups: np.ndarray):
        """Ties of each (person, group) pair to current members of that group.

        Returns:
            ``(strength_sum, count, pair_row, member_row, strength)``: per pair the summed
            strength and number of ties inside, and, per tie found, the pair it belongs
            to, the co-member's membership row and the tie's strength.
        """
        ties = self.world.ties
        self.active_memberships()
        persons = np.asarray(persons, np.int64)
        groups = np.asarray(groups, np.int64)
        # Group by group: mark the group's members, then scan each person's row for them.
        count, total, row, member, _, strength = kernels.ties_to_comembers(
            persons,
            groups,
            np.argsort(groups, kind="stable"),
            ties.adj,
            ties.nbr,
            ties.deg,
            self._index_persons,
            self._index_rows,
            self._group_start,
            ties.person_scratch,
            self.day,
            ties.w,
            ties.last,
            ties.kind,
            ties.half_life,
            ties.decay_table(self.day),
        )
        return total.astype(np.float32), count.astype(np.int32), row, member, strength

    def _join(
        self, groups: np.ndarray, persons: np.ndarray, inviters: np.ndarray, founder: bool = False
    ) -> np.ndarray:
        """Add members (pairs must be new and distinct); update ties-inside both ways."""
        if len(persons) == 0:
            return np.zeros(0, np.int64)
        m, g = self.memberships, self.groups
        rows = m.append(
            group=groups,
            person=persons,
            joined=np.full(len(persons), self.day),
            inviter=inviters,
            founder=np.full(len(persons), founder),
        )
        np.add.at(g.members, groups, 1)
        g.peak[:] = np.maximum(g.peak, g.members)
        self._dirty = True
        # One query once the newcomers are in: their ties to everyone inside, newcomers
        # joining together included.
        total, count, _, member, strength = self._ties_inside(persons, groups)
        m.tie_in[rows] = total
        m.ties_in[rows] = count
        m.ties_on_join[rows] = count
        # Earlier members gain the newcomers' ties (new rows come after every earlier one).
        earlier = member < rows[0]
        np.add.at(m.tie_in, member[earlier], strength[earlier])
        np.add.at(m.ties_in, member[earlier], 1)
        return rows

    def _leave(self, rows: np.ndarray) -> None:
        """End memberships; co-members lose the leavers' ties."""
        if len(rows) == 0:
            return
        m = self.memberships
        m.left[rows] = self.day
        np.add.at(self.groups.members, m.group[rows], -1)
        self._dirty = True
        _, _, _, member, strength = self._ties_inside(m.person[rows], m.group[rows])
        np.add.at(m.tie_in, member, -strength)
        np.add.at(m.ties_in, member, -1)
        np.maximum(m.tie_in, 0.0, out=m.tie_in)

    def _refresh_ties_inside(self) -> None:
        """Recompute ties-inside of every current membership from today's strengths."""
        self.active_memberships()
        m, ties = self.memberships, self.world.ties
        total = np.zeros(m.size, np.float64)
        count = np.zeros(m.size, np.int64)
        # Group by group in one pass (in parallel): no per-tie lists, strengths from the
        # decay table.
        kernels.ties_inside_all(
            self.day,
            self._index_persons,
            self._index_rows,
            self._group_start,
            ties.adj,
            ties.nbr,
            ties.deg,
            ties.w,
            ties.last,
            ties.kind,
            ties.half_life,
            ties.decay_table(self.day),
            numba.config.NUMBA_NUM_THREADS,
            total,
            count,
        )
        active = self._active
        m.tie_in[active] = total[active]
        m.ties_in[active] = count[active]

    # ------------------------------------------------------------------ phases

    def _phase_schedule(self) -> None:
        """Phase 1: create today's groups and recruit; fire interventions."""
        g = self.groups
        new = np.flatnonzero((g.created == self.day) & ~g.born)
        if len(new):
            has_ties = np.flatnonzero(self.world.ties.deg > 0)
            recruited = [self._recruit(gid, has_ties) for gid in new.tolist()]
            g.born[new] = True
            g.last_post[new] = self.day
            self._dirty = True
            # One join for all of today's founders: the membership index is rebuilt once.
            self._join(
                np.concatenate(
                    [
                        np.full(len(p), gid, np.int32)
                        for gid, (p, _) in zip(new.tolist(), recruited, strict=True)
                    ]
                ),
                np.concatenate([p for p, _ in recruited]),
                np.concatenate([i for _, i in recruited]),
                founder=True,
            )
        fire = np.flatnonzero((g.icebreaker_day == self.day) & g.alive)
        if len(fire):
            active = self.active_memberships()
            m = self.memberships
            rows = active[np.isin(m.group[active], fire)]
            m.visible[rows] = self.world.interests[m.person[rows]]

    def _recruit(self, gid: int, has_ties: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choose a new group's organiser and founding members, by its driver.

        Returns:
            The founders (organiser first, if a person) and who brought each one in.
        """
        g, world = self.groups, self.world
        size, topic = int(g.size0[gid]), int(g.topic[gid])
        driver = DRIVERS[g.driver[gid]]
        if driver == "event":
            organiser = -1
            if not g.brand[gid]:
                pool = self._holders[topic] if len(self._holders[topic]) else np.arange(self.n)
                organiser = int(pool[self.rng.integers(len(pool))])
            recruits = broadcast(
                world, self._holders[topic], size - (organiser >= 0), organiser, self.rng
            )
            inviter = NO_ONE
        else:
            organiser = int(has_ties[self.rng.integers(len(has_ties))])
            hybrid_topic = topic if driver == "hybrid" else None
            recruits = along_ties(
                world, organiser, size - 1, int(g.circle[gid]), hybrid_topic, self.day, self.rng
            )
            inviter = organiser
        g.organiser[gid] = organiser
        people = ([organiser] if organiser >= 0 else []) + recruits
        inviters = [NO_ONE] * (organiser >= 0) + [inviter] * len(recruits)
        return np.array(people, np.int64), np.array(inviters, np.int64)

    def _phase_attention(self, active: np.ndarray) -> None:
        """Phase 2: belonging, reading cost and muting (C17)."""
        m, g, b = self.memberships, self.groups, self.behaviour
        group, person = m.group[active], m.person[active]
        pulse = g.pulse(self.day)[group]
        holds = (self.world.interests[person] >> g.topic[group].astype(np.uint64)) & np.uint64(1)
        others = np.maximum(g.members[group] - 1, 1)
        known_share = np.minimum(m.ties_in[active] / others, 1.0)
        organic = g.organic_yesterday[group]
        value = rules.belonging(
            m.tie_in[active],
            holds,
            pulse,
            organic * known_share,
            g.promo_yesterday[group],
            tie_weight=b.tie_belonging,
            tie_saturation=b.tie_saturation,
            topic_weight=b.topic_belonging,
            content_weight=b.content_belonging,
            promotion_cost=b.promotion_cost,
        )
        m.value[active] = value
        cost = rules.reading_cost(
            organic * (1.0 - known_share) + g.promo_yesterday[group],
            membership_cost=b.membership_cost,
            overload_cost=b.overload_cost,
            overload_posts=b.overload_posts,
        )
        muted = m.muted[active]
        looks_again = muted & ((self.rng.random(len(active)) < b.unmute_rate) | (pulse > 0))
        deciding = ~muted | looks_again
        # The rule of rules.mute_overloaded, compiled: no sort over everyone deciding.
        decision = kernels.mute_overloaded(
            person[deciding],
            value[deciding],
            cost[deciding],
            self.world.budget[person[deciding]],
            self.world.ties.person_scratch,
        )
        m.muted[active[deciding]] = decision
        reading = ~m.muted[active]
        self._load = np.bincount(person[reading], cost[reading], minlength=self.n).astype(
            np.float32
        )

    def _phase_posting(self, active: np.ndarray) -> np.ndarray:
        """Phase 3: members and organisers post; posting reveals interests (C5).

        Returns:
            Rows of the memberships that posted today.
        """
        m, g, b = self.memberships, self.groups, self.behaviour
        reading = active[~m.muted[active]]
        person = m.person[reading]
        role = np.where(self.world.is_super[person], self.config.population.super_users.post, 1.0)
        posts = self.rng.poisson(rules.post_rate(m.value[reading], role, base_rate=b.post_rate))
        posted = reading[posts > 0]
        m.posts[reading] += posts.astype(np.int32)
        member_posts = np.bincount(m.group[reading], posts, minlength=g.n).astype(np.int64)

        alive = g.alive
        organiser_posts = np.where(alive, self.rng.poisson(g.org_rate), 0)
        promos = self.rng.binomial(organiser_posts, g.promo_share)
        organic = member_posts + organiser_posts - promos
        g.posts += member_posts + organiser_posts
        g.promotions += promos
        g.organic_yesterday = organic.astype(np.float32)
        g.promo_yesterday = promos.astype(np.float32)
        # A brand's organic posts keep a group alive too; its promotions do not.
        g.last_post[(organic > 0) & alive] = self.day

        reveal = posted[self.rng.random(len(posted)) < b.reveal_rate]
        if len(reveal):
            interests = self.world.interests[m.person[reveal]]
            topics = self.config.population.interests.topics
            held = (interests[:, None] >> np.arange(topics, dtype=np.uint64)[None, :]) & np.uint64(
                1
            )
            keys = np.where(held.astype(bool), self.rng.random(held.shape), 2.0)
            m.visible[reveal] |= bits(np.argmin(keys, axis=1))
        self.today["posts"] = int(member_posts.sum() + organiser_posts.sum())
        self.today["promotions"] = int(promos.sum())
        return posted

    def _phase_ties(self, posted: np.ndarray) -> None:
        """Phase 4: co-active members meet; ties strengthen or form (F7); sweep."""
        m, b, ties = self.memberships, self.behaviour, self.world.ties
        cfg = self.config.network.ties
        formed = 0
        if len(posted) > 1 and b.encounters > 0:
            order = posted[np.argsort(m.group[posted], kind="stable")]
            group = m.group[order]
            start = run_starts(group)
            end = np.searchsorted(group, group, side="right")
            span = end - start
            can = np.flatnonzero(span > 1)
            if len(can):
                me = np.repeat(can, b.encounters)
                offset = (self.rng.random(len(me)) * (span[me] - 1)).astype(np.int64)
                partner = start[me] + offset
                partner = np.where(partner >= me, partner + 1, partner)  # skip oneself
                a_row, b_row = order[me], order[partner]
                pa, pb = m.person[a_row], m.person[b_row]
                eid = ties.find(pa, pb)
                known = eid >= 0
                ties.contact(eid[known], self.day, cfg.strengthen)
                stranger = np.flatnonzero(~known)
                if len(stranger):
                    ia, ib = self.world.interests[pa[stranger]], self.world.interests[pb[stranger]]
                    va, vb = m.visible[a_row[stranger]], m.visible[b_row[stranger]]
                    shared = np.bitwise_count((ia & vb) | (ib & va))
                    p = rules.formation_probability(
                        shared, cfg.formation_base, cfg.formation_per_interest
                    )
                    make = stranger[self.rng.random(len(stranger)) < p]
                    new = ties.add(pa[make], pb[make], cfg.new_tie_strength, GROUP_KIND, self.day)
                    formed = len(new)
                    if formed:
                        # Credit the group where they met with each new tie once, both ways
                        # (a pair may have met more than once today).
                        lo = np.minimum(pa[make], pb[make])
                        hi = np.maximum(pa[make], pb[make])
                        once = np.zeros(len(make), bool)
                        once[np.unique(lo * self.n + hi, return_index=True)[1]] = True
                        once &= ties.find(lo, hi) >= 0
                        for rows in (a_row[make][once], b_row[make][once]):
                            np.add.at(m.tie_in, rows, cfg.new_tie_strength)
                            np.add.at(m.ties_in, rows, 1)
        if self.day > 0 and self.day % cfg.sweep_days == 0:
            self._sweep_ties()
        elif self.day > 0 and self.day % cfg.recount_days == 0:
            self._refresh_ties_inside()
        self.today["ties_formed"] = formed

    def _sweep_ties(self) -> None:
        """Background social life since the last sweep: contact, decay, dropping (C9, F3–F6).

        Each tie receives a Poisson number of contacts over the sweep period, at the rate
        its ends give it; a contacted tie is strengthened once per contact, the others keep
        decaying and are dropped once below the floor.
        """
        cfg = self.config.network.ties
        self.world.ties.sweep(
            self.day,
            self.rng,
            days=cfg.sweep_days,
            exponent=cfg.allocation_exponent,
            contacts_per_day=cfg.contacts_per_day,
            gain=cfg.contact_gain,
            floor=cfg.floor,
        )
        self._refresh_ties_inside()

    def _phase_invitations(self, posted: np.ndarray) -> None:
        """Phase 5: active members invite outside ties; invitees accept or not (C3, C7, F8)."""
        m, g, b, ties = self.memberships, self.groups, self.behaviour, self.world.ties
        self.today["invites"] = self.today["accepted"] = 0
        if len(posted) == 0:
            return
        person = m.person[posted]
        role = np.where(self.world.is_super[person], self.config.population.super_users.invite, 1.0)
        count = self.rng.poisson(rules.invite_rate(m.value[posted], role, base_rate=b.invite_rate))
        count = np.where(ties.deg[person] > 0, count, 0)
        senders = np.repeat(posted, count)
        if len(senders) == 0:
            return
        inviter = m.person[senders]
        group = m.group[senders].astype(np.int64)
        # Each invitation goes to one tie of the inviter, chosen in proportion to strength.
        invitee, _, strength = ties.pick_by_strength(inviter, self.day, self.rng)
        outside = self.membership_of(invitee, group) < 0
        inviter, invitee, group, strength = (
            inviter[outside],
            invitee[outside],
            group[outside],
            strength[outside],
        )
        if len(invitee) == 0:
            return
        _, inside, *_ = self._ties_inside(invitee, group)
        free = 1.0 - self._load[invitee] / np.maximum(self.world.budget[invitee], 1e-9)
        p = rules.accept_probability(
            strength,
            inside,
            free,
            tie_weight=b.accept_tie,
            friends_weight=b.accept_friends,
            friends_scale=b.accept_friends_scale,
        )
        accept = self.rng.random(len(invitee)) < p
        # One join per (group, invitee), and never past the group's cap.
        key = group * self.n + invitee
        # Of several acceptances of the same group today, the first counts.
        acc = np.flatnonzero(accept)
        first = np.zeros(len(key), bool)
        first[acc[np.unique(key[acc], return_index=True)[1]]] = True
        accept &= first
        rank = np.zeros(len(key), np.int64)
        acc = np.flatnonzero(accept)
        if len(acc):
            order = acc[np.argsort(group[acc], kind="stable")]
            gs = group[order]
            rank[order] = rank_in_runs(gs)
            accept[acc] &= (g.members[group[acc]] + rank[acc]) < g.cap[group[acc]]
        self.invites.append(
            day=np.full(len(invitee), self.day),
            group=group,
            inviter=inviter,
            invitee=invitee,
            accepted=accept,
        )
        np.add.at(g.invites_sent, group, 1)
        np.add.at(g.invites_accepted, group[accept], 1)
        self._join(group[accept].astype(np.int32), invitee[accept], inviter[accept])
        self.today["invites"] = len(invitee)
        self.today["accepted"] = int(accept.sum())

    def _phase_leaving(self, present: np.ndarray) -> None:
        """Phase 6: guides greet newcomers (C15); members leave (C4)."""
        m, g, b = self.memberships, self.groups, self.behaviour
        active = self.active_memberships()
        newcomers = active[(m.joined[active] == self.day) & ~m.guided[active] & ~m.founder[active]]
        guided_groups = (g.guides_from >= 0) & (g.guides_from <= self.day)
        newcomers = newcomers[guided_groups[m.group[newcomers]]]
        if len(newcomers):
            self._greet(newcomers, active)
        leave = rules.leave_probability(
            m.value[present], max_rate=b.leave_rate, scale=b.leave_belonging_scale
        )
        leavers = present[self.rng.random(len(present)) < leave]
        # The organiser of a group does not walk out of it.
        leavers = leavers[m.person[leavers] != g.organiser[m.group[leavers]]]
        self._leave(leavers)
        self.today["leaves"] = len(leavers)

    def _greet(self, newcomers: np.ndarray, active: np.ndarray) -> None:
        """A guide of the group (a super user member if any, else a veteran) ties to a newcomer."""
        m, g = self.memberships, self.groups
        ties = self.world.ties
        # Founders and earlier joiners can guide; today's other newcomers cannot.
        veteran = active[(m.joined[active] < self.day) | m.founder[active]]
        if len(veteran) == 0:
            return
        sup = self.world.is_super[m.person[veteran]]
        # Super users first: sort veterans by group, super users ahead.
        order = np.lexsort((~sup, m.group[veteran]))
        veteran = veteran[order]
        vg = m.group[veteran]
        first = np.searchsorted(vg, m.group[newcomers], side="left")
        has = (first < len(vg)) & (vg[np.minimum(first, len(vg) - 1)] == m.group[newcomers])
        newcomers, guide = newcomers[has], veteran[first[has]]
        pa, pb = m.person[guide], m.person[newcomers]
        existing = ties.find(pa, pb)
        strength = g.guide_strength[m.group[newcomers]]
        ties.add(pa[existing < 0], pb[existing < 0], strength[existing < 0], GROUP_KIND, self.day)
        made = (existing < 0) & (ties.find(pa, pb) >= 0)
        np.add.at(m.tie_in, guide[made], strength[made])
        np.add.at(m.ties_in, guide[made], 1)
        m.tie_in[newcomers[made]] += strength[made]
        m.ties_in[newcomers[made]] += 1
        m.guided[newcomers] = True

    def _phase_commerce(self) -> None:
        """Phase 7: reserved for purchases and referrals (scenarios with a product)."""

    def _phase_death(self) -> None:
        """Phase 8: silence or desertion kills a group; it stays in the record."""
        g, m = self.groups, self.memberships
        alive = np.flatnonzero(g.alive & (g.created < self.day))
        silent = rules.silent_for(g.last_post[alive], self.day) >= self.behaviour.silence_days
        active = self.active_memberships()
        unmuted = np.bincount(m.group[active[~m.muted[active]]], minlength=g.n)
        deserted = unmuted[alive] < 2
        cause = np.where(silent, CAUSES.index("silence"), CAUSES.index("deserted"))
        dying = silent | deserted
        g.died[alive[dying]] = self.day
        g.cause[alive[dying]] = cause[dying]
        if dying.any():
            self._dirty = True
        self.today["deaths"] = int(dying.sum())

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """Advance one day: phases 1–8 in order, then record the day."""
        clock = time.perf_counter
        self.today = {"joins_before": int(self.memberships.size)}
        t0 = clock()
        self._phase_schedule()
        t1 = clock()
        present = self.active_memberships().copy()
        self._phase_attention(present)
        t2 = clock()
        posted = self._phase_posting(present)
        t3 = clock()
        self._phase_ties(posted)
        t4 = clock()
        self._phase_invitations(posted)
        t5 = clock()
        self._phase_leaving(present)
        t6 = clock()
        self._phase_commerce()
        t7 = clock()
        self._phase_death()
        t8 = clock()
        for name, a, b in zip(
            PHASES, (t0, t1, t2, t3, t4, t5, t6, t7), (t1, t2, t3, t4, t5, t6, t7, t8), strict=True
        ):
            self.phase_seconds[name] += b - a
        self._record()
        self.day += 1
        all_done = bool(self.groups.born.all()) and not self.groups.alive.any()
        if self.day >= self.config.days or (self.groups.n > 0 and all_done):
            self.running = False

    def _record(self) -> None:
        m = self.memberships
        active = self.active_memberships()
        self.today.update(
            groups_alive=int(self.groups.alive.sum()),
            members=len(active),
            muted=int(m.muted[active].sum()),
            active=int((m.posts[active] > 0).sum()),
            joins=int(m.size - self.today.pop("joins_before")),
            ties=self.world.ties.n_ties,
        )
        self.datacollector.collect(self)

    def run(self, progress=None) -> None:
        """Step until the horizon or until every group is dead.

        Args:
            progress: Optional callable taking the day just finished.
        """
        while self.running:
            self.step()
            if progress is not None:
                progress(self.day)

    # ------------------------------------------------------------------ checks

    def check_invariants(self) -> None:
        """Raise AssertionError if an invariant of DESIGN §2 is broken (for tests)."""
        self.world.ties.check()
        m, g = self.memberships, self.groups
        active = self.active_memberships()
        keys = m.group[active].astype(np.int64) * self.n + m.person[active]
        assert len(np.unique(keys)) == len(keys), "a person is twice in a group"
        current = m.view("left") == NO_ONE
        members = np.bincount(m.view("group")[current], minlength=g.n)
        assert np.array_equal(members, g.members), "joined - left != members"
        joined = np.bincount(m.view("group"), minlength=g.n)
        left = np.bincount(m.view("group")[~current], minlength=g.n)
        assert np.array_equal(joined - left, g.members), "joined - left != members"
        dead = g.died != NO_ONE
        after = m.view("joined") > g.died[m.view("group")]
        assert not np.any(after & dead[m.view("group")]), "a dead group got a join"
        inv = self.invites
        late = inv.view("day") > np.where(dead, g.died, np.iinfo(np.int32).max)[inv.view("group")]
        assert not late.any(), "a dead group got an invite"
        acc = inv.view("accepted")
        by_invite = np.bincount(m.view("group")[~m.view("founder")], minlength=g.n)
        accepted = np.bincount(inv.view("group")[acc], minlength=g.n)
        assert np.array_equal(accepted, by_invite), "accepted invites != joins by invite"
        assert np.all(g.members <= g.cap), "a group is over its cap"


def _as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    if scenario is None:
        return Scenario()
    if isinstance(scenario, str | Path):
        from sim.scenario import load_scenario  # the YAML reader only when given a file

        return load_scenario(scenario)
    return scenario


def _with_behaviour(scenario: Scenario, settings: dict[str, float]) -> Scenario:
    """The scenario with some ``behaviour`` fields replaced (validated as in a file)."""
    if not settings:
        return scenario
    fields = type(scenario.behaviour).model_fields
    unknown = sorted(set(settings) - set(fields))
    if unknown:
        raise TypeError(
            f"GroupModel() got unknown keyword argument(s) {', '.join(unknown)}; the behaviour "
            f"settings are: {', '.join(fields)}"
        )
    behaviour = type(scenario.behaviour).model_validate(
        {**scenario.behaviour.model_dump(), **settings}
    )
    return scenario.model_copy(update={"behaviour": behaviour})


__all__ = ["DAILY_SERIES", "PHASES", "TIE_KINDS", "GroupModel"]
