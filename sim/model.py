"""The groupsim Mesa model: people, ties and chat groups, one step per day.

The daily step runs these phases, in this order, each as array operations over every
membership at once (docs/ODD.md, "Process overview and scheduling"), one module of
``sim/phases/`` each:

1. schedule      groups are created and recruit; events start and end; interventions fire
2. attention     members value their groups; overloaded people mute the least valued
3. posting       unmuted members post; organisers post; posts reveal interests
4. ties          co-active members meet, strengthen or form ties; periodic sweep of
                 background contact, decay and dropping
5. invitations   active members invite outside ties; invitees accept or not (fission)
6. leaving       guides greet newcomers; members leave with a hazard falling with belonging
7. commerce      (with products) exposures, purchases, word of mouth, the brand relationship
8. death         groups silent for ``silence_days`` or with fewer than 2 unmuted members die
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import mesa
import numpy as np

from sim.agents import Person
from sim.config import TIE_KINDS, Scenario
from sim.groups import NO_ONE, Invites, Memberships, plan_groups
from sim.market import CHANNELS, Market
from sim.memory import keep_memory_while_alive, without_huge_pages
from sim.phases import PHASES, Today
from sim.roster import Roster
from sim.world import World, build_world

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
    "acquaintances_made",
    "moves",
    "interest_changes",
    "deaths",
    "purchases",
    "purchases_organic",
    "purchases_promotion",
    "purchases_recommendation",
    "purchases_referral",
    "buyers_new",
    "revenue",
    "rewards",
    "shares",
)
"""The daily counts the DataCollector records (one row per day)."""


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
        self.day = 0
        self.phase_seconds: dict[str, float] = defaultdict(float)
        started = time.perf_counter()
        with without_huge_pages():
            self.world: World = build_world(scenario, self.rng)
        self.phase_seconds["build"] = time.perf_counter() - started
        keep_memory_while_alive(self)  # the sweeps reuse the memory of the last one
        self.n = self.world.n
        self._person_counts: dict[str, np.ndarray] | None = None  # reset every day
        if agent_reporters or (self.n <= AGENTS_UP_TO if agents is None else agents):
            self.build_agents()
        self.cohort_names = list(scenario.groups)
        self.groups = plan_groups(scenario, self.rng)
        planned = int(self.groups.size0.sum())
        self.roster = Roster(self.groups, self.world.ties, capacity=max(1024, planned * 2))
        self.invites = Invites(capacity=4096)
        self.market = Market(self.n, scenario.commerce, self.rng) if scenario.commerce.on else None
        self.topic_holders = self.world.holders_of_topics(scenario.population.interests.topics)
        self.today: dict[str, int] = {}
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

        Computed once a day (after the day's phases) for every person, so that reading
        one ``Person`` at a time (as the DataCollector's agent reporters do) does not scan
        the memberships each time.
        """
        if self._person_counts is None:
            m = self.memberships
            active = self.active_memberships()
            person = m.person[active]
            self._person_counts = {
                "groups": np.bincount(person, minlength=self.n),
                "posts": np.bincount(m.view("person"), m.view("posts"), minlength=self.n),
                "muted": np.bincount(person[m.muted[active]], minlength=self.n),
            }
        return self._person_counts

    @property
    def memberships(self) -> Memberships:
        """The membership table (owned by the roster)."""
        return self.roster.table

    def active_memberships(self) -> np.ndarray:
        """Rows of memberships that are current: not left, in a living group."""
        return self.roster.current()

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """Advance one day: the phases in order, each timed, then record the day."""
        clock = time.perf_counter
        joins_before = self.memberships.size
        today = Today(self.day)
        self.today = today.counts
        for name, phase in PHASES:
            started = clock()
            phase(self, today)
            self.phase_seconds[name] += clock() - started
        self._record(joins=int(self.memberships.size - joins_before))
        self.day += 1
        all_done = bool(self.groups.born.all()) and not self.groups.alive.any()
        if self.day >= self.config.days or (self.groups.n > 0 and all_done):
            self.running = False

    def _record(self, joins: int) -> None:
        m = self.memberships
        active = self.active_memberships()
        self.today.update(
            groups_alive=int(self.groups.alive.sum()),
            members=len(active),
            muted=int(m.muted[active].sum()),
            active=int((m.posts[active] > 0).sum()),
            joins=joins,
            ties=self.world.ties.n_ties,
        )
        self._person_counts = None
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
        """Raise AssertionError if an invariant of docs/ODD.md ("State variables") is broken."""
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
        if self.market is not None:
            self.market.check(self.day)
            self._check_sales_add_up()

    def _check_sales_add_up(self) -> None:
        """The day just recorded: purchases by channel sum to the total; money adds up."""
        t, p = self.today, self.market.purchases
        if not t:
            return
        by_channel = sum(t[f"purchases_{name}"] for name in CHANNELS)
        assert by_channel == t["purchases"], "purchases by channel do not sum to the total"
        day = p.view("day") == self.day - 1
        assert int(day.sum()) == t["purchases"], "the day's purchases differ from its record"
        assert np.isclose(p.view("price")[day].sum(), t["revenue"]), "revenue != prices paid"
        assert np.isclose(p.view("reward")[day].sum(), t["rewards"]), "rewards do not add up"


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
