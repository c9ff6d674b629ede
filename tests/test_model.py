"""The daily model: invariants, determinism, phase behaviour and table consistency."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, rules, scenario_from_dict
from sim.config import KIND_CODES
from sim.groups import NO_ONE
from sim.model import GroupModel
from sim.phases import Today, attention, leaving, posting
from sim.runner import run

SCENARIOS = sorted(Path(__file__).parent.parent.joinpath("scenarios").glob("*.yaml"))


def small(path: Path, people: int = 1500, days: int = 40):
    """A scenario file shrunk to test size: fewer people, days and groups."""
    full = load_scenario(path)
    overrides = [f"population.size={people}", f"days={days}"]
    for name, cohort in full.groups.items():
        overrides.append(f"groups.{name}.count={max(2, cohort.count // 8)}")
        lo, hi = cohort.size_range
        overrides.append(f"groups.{name}.size=[{min(lo, 60)}, {min(hi, 60)}]")
        first, last = cohort.created_range
        overrides.append(f"groups.{name}.created=[{min(first, 5)}, {min(last, 5)}]")
    return load_scenario(path, overrides)


def seeded(scenario, **kwargs) -> GroupModel:
    """A model seeded from its scenario, as ``groupsim run`` builds it."""
    return GroupModel(scenario=scenario, rng=scenario.seed, agents=False, **kwargs)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_invariants_hold_every_day(path):
    model = seeded(small(path))
    while model.running:
        model.step()
        model.check_invariants()
    assert model.groups.born.all()
    assert model.invites.size > 0 or model.memberships.size > 0


def test_check_invariants_can_fail():
    model = seeded(small(SCENARIOS[0], days=8))
    model.step()
    model.groups.members[0] += 1  # corrupt the members table
    with pytest.raises(AssertionError, match="joined - left"):
        model.check_invariants()


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))
    }


def test_same_seed_same_parquet_bit_for_bit(tmp_path):
    scenario = small(SCENARIOS[0], days=30)
    scenario = scenario.model_copy(
        update={"output": scenario.output.model_copy(update={"figures": False})}
    )
    a = run(scenario, out=tmp_path / "a")
    b = run(scenario, out=tmp_path / "b")
    assert _digest(a.out_dir) == _digest(b.out_dir)
    assert len(_digest(a.out_dir)) == 4


def test_same_parquet_whatever_the_number_of_threads(tmp_path):
    import numba

    scenario = small(SCENARIOS[0], days=60)
    scenario = scenario.model_copy(
        update={"output": scenario.output.model_copy(update={"figures": False})}
    )
    numba.set_num_threads(1)
    try:
        one = run(scenario, out=tmp_path / "one")
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    every = run(scenario, out=tmp_path / "every")
    assert _digest(one.out_dir) == _digest(every.out_dir)


def test_different_seed_different_tables(tmp_path):
    scenario = small(SCENARIOS[0], days=30)
    a = run(scenario, out=None)
    b = run(scenario.model_copy(update={"seed": scenario.seed + 1}), out=None)
    assert not a.memberships.equals(b.memberships)


def test_tables_agree_with_each_other():
    result = run(small(SCENARIOS[0], days=60), out=None)
    groups, members, invites = result.groups, result.memberships, result.invites
    joined = members.groupby("group").size()
    left = members[members["left"] >= 0].groupby("group").size()
    final = groups.set_index("group")["final"]
    assert (joined.sub(left, fill_value=0).reindex(final.index, fill_value=0) == final).all()
    accepted = invites[invites["accepted"]].groupby("group").size()
    by_invite = members[~members["founder"]].groupby("group").size()
    pd.testing.assert_series_equal(
        accepted.reindex(final.index, fill_value=0),
        by_invite.reindex(final.index, fill_value=0),
        check_names=False,
    )
    series = result.timeseries
    assert series["joins"].sum() == len(members)
    assert series["leaves"].sum() == (members["left"] >= 0).sum()
    # Every accepted invite has a matching join on the same day.
    acc = invites[invites["accepted"]]
    pairs = members.merge(
        acc, left_on=["group", "person", "joined"], right_on=["group", "invitee", "day"]
    )
    assert len(pairs) == len(acc)


# --------------------------------------------------------------------------- hand-built worlds


def tiny(
    groups: dict,
    days: int = 10,
    people: int = 300,
    seed: int = 1,
    interventions: dict | None = None,
    **behaviour,
) -> GroupModel:
    """A small world with the given cohorts, interventions and behaviour overrides."""
    spec = {
        "population": {"size": people},
        "days": days,
        "groups": groups,
        "behaviour": behaviour,
        "seed": seed,
        "interventions": interventions or {},
    }
    return seeded(scenario_from_dict(spec))


def test_newcomer_without_ties_has_highest_leave_hazard():
    model = tiny({"g": {"driver": "event", "count": 1, "size": 20}})
    model.step()
    m = model.memberships
    rows = model.active_memberships()[:2]
    person = m.person[rows]
    # One newcomer knows nobody inside, the other has three strong ties inside.
    m.tie_in[rows[0]], m.ties_in[rows[0]] = 0.0, 0
    m.tie_in[rows[1]], m.ties_in[rows[1]] = 2.4, 3
    attention.run(model, Today(model.day))
    hazard = rules.leave_probability(
        m.value[rows],
        max_rate=model.config.behaviour.leave_rate,
        scale=model.config.behaviour.leave_belonging_scale,
    )
    assert person[0] != person[1]
    assert hazard[0] > hazard[1]


def test_muted_member_posts_nothing():
    model = tiny({"g": {"driver": "relationship", "count": 3, "size": 8}}, post_rate=5.0)
    model.step()
    model.world.talk = None  # everyone alike: a quiet member could post less than daily
    m = model.memberships
    active = model.active_memberships()
    m.muted[active] = True
    m.muted[active[0]] = False
    posts_before = m.posts[active].copy()
    today = Today(model.day, present=active)
    posting.run(model, today)
    posted = today.posted
    assert len(posted) == 1  # at 5 posts a day the one unmuted member posts
    assert set(posted.tolist()) <= {int(active[0])}
    assert np.array_equal(m.posts[active[1:]], posts_before[1:])


def test_dead_group_gets_no_posts_joins_or_invites():
    model = tiny(
        {"g": {"driver": "relationship", "count": 2, "size": 8}},
        days=30,
        post_rate=2.0,
        invite_rate=2.0,
    )
    model.step()
    died = model.day - 1
    model.roster.close(np.array([0]), died, np.array([1]))  # kill group 0
    members_before = model.groups.members[0]
    posts_before = model.groups.posts[0]
    while model.running:
        model.step()
    assert model.groups.members[0] == members_before
    assert model.groups.posts[0] == posts_before
    inv = model.invites
    assert not np.any((inv.view("group") == 0) & (inv.view("day") > died))
    assert np.any((inv.view("group") == 1) & (inv.view("day") > died))
    model.check_invariants()


def test_group_dies_after_silence_days_without_posts():
    model = tiny(
        {
            "g": {
                "driver": "event",
                "count": 1,
                "size": 10,
                "event": {"intensity": 0.0},
                "content": {"organiser_posts_per_day": 0.0},
            }
        },
        days=40,
        post_rate=1e-9,
        silence_days=7,
    )
    while model.running:
        model.step()
    assert model.groups.died[0] != NO_ONE
    assert model.groups.died[0] - model.groups.created[0] <= 8


def test_promotions_alone_do_not_keep_a_group_alive():
    model = tiny(
        {
            "g": {
                "driver": "event",
                "count": 1,
                "size": 10,
                "organiser": "brand",
                "event": {"intensity": 0.0},
                "content": {"organiser_posts_per_day": 5.0, "promotion_share": 1.0},
            }
        },
        days=40,
        post_rate=1e-9,
    )
    while model.running:
        model.step()
    assert model.groups.promotions[0] > 0
    assert model.groups.died[0] != NO_ONE


def test_relationship_recruits_along_ties_event_recruits_strangers():
    model = tiny(
        {
            "ev": {"driver": "event", "count": 10, "size": 20},
            "rel": {"driver": "relationship", "count": 10, "size": 20},
        },
        days=2,
        people=3000,
        seed=3,
    )
    model.step()
    m = model.memberships
    knows = pd.Series(m.view("ties_on_join")).groupby(model.groups.cohort[m.view("group")]).mean()
    assert knows[1] > 3 * max(knows[0], 0.1)


def test_icebreaker_makes_interests_visible():
    model = tiny(
        {
            "a": {"driver": "event", "count": 3, "size": 30},
            "b": {"driver": "event", "count": 3, "size": 30},
        },
        days=3,
        people=1000,
        seed=2,
        interventions={"icebreaker": {"cohorts": ["b"], "day": 0}},
    )
    model.step()
    m = model.memberships
    rows = model.active_memberships()
    rows = rows[m.founder[rows]]  # members present when the ice-breaker ran
    cohort = model.groups.cohort[m.group[rows]]
    interests = model.world.interests[m.person[rows]]
    assert np.all(m.visible[rows][cohort == 1] == interests[cohort == 1])
    assert np.mean(m.visible[rows][cohort == 0] == interests[cohort == 0]) < 0.5


def test_guides_tie_newcomers_to_a_member():
    model = tiny(
        {"g": {"driver": "relationship", "count": 10, "size": 8}},
        days=25,
        people=2000,
        seed=4,
        invite_rate=0.5,
        interventions={"guides": {"cohorts": ["g"], "from_day": 0, "tie_strength": 0.3}},
    )
    while model.running:
        model.step()
    m = model.memberships
    late = ~m.view("founder")
    assert late.sum() > 0
    assert m.view("guided")[late].all()
    # A stranger to one of the groups joins: the greeting ties it to one veteran there.
    day, ties, roster = model.day, model.world.ties, model.roster
    group = int(m.group[roster.current()[0]])
    inside = roster.current()[m.group[roster.current()] == group]
    members = m.person[inside]
    stranger = next(
        p
        for p in range(model.n)
        if p not in members and (ties.find(np.full(len(members), p), members) < 0).all()
    )
    row = roster.join(np.array([group]), np.array([stranger]), np.array([NO_ONE]), day)
    leaving.greet(model, row, roster.current(), day)
    tied = ties.find(np.full(len(members), stranger), members)
    assert (tied >= 0).sum() == 1
    eid = tied[tied >= 0]
    assert ties.kind[eid][0] == KIND_CODES["group"]
    assert ties.strength(eid, day)[0] == pytest.approx(0.3)
    assert m.guided[row].all() and m.tie_in[row][0] == pytest.approx(0.3)


def test_persons_are_mesa_agents_reading_arrays():
    model = GroupModel(
        scenario=scenario_from_dict(
            {
                "population": {"size": 200},
                "days": 3,
                "groups": {"g": {"driver": "relationship", "count": 2, "size": 5}},
            }
        )
    )
    assert len(model.agents) == 200
    person = model.agents.select(lambda a: a.index == 7).to_list()[0]
    assert person.degree == int(model.world.ties.deg[7])
    assert len(person.ties()) == person.degree
    person.budget = 3.5
    assert model.world.budget[7] == pytest.approx(3.5)
    model.step()
    founders = set(model.memberships.view("person").tolist())
    member = model.agents.select(lambda a: a.index in founders).to_list()[0]
    assert member.groups


def test_talkative_people_write_more_of_the_posts():
    """Talkativeness (a trait of each person, F13) concentrates posts on fewer members.

    The same town, seed and groups with everyone alike and with a CV of 3: the share of
    posts written by the busiest 5% of memberships must rise clearly, and each person
    agent reports its multiplier.
    """
    shares = []
    for cv in (0.0, 3.0):
        sc = load_scenario(
            Path(__file__).parent.parent / "scenarios" / "baseline.yaml",
            [
                "population.size=3000",
                "days=60",
                "groups.lecture.count=12",
                "groups.family.count=18",
                "groups.friends.count=18",
                f"population.talkativeness.cv={cv}",
            ],
        )
        model = GroupModel(scenario=sc)
        model.run()
        posts = np.sort(model.memberships.view("posts"))[::-1]
        assert posts.sum() > 200
        shares.append(posts[: int(np.ceil(0.05 * len(posts)))].sum() / posts.sum())
        person = model.agents.select(lambda a: a.index == 11).to_list()[0]
        expected = 1.0 if cv == 0 else float(model.world.talk[11])
        assert person.talkativeness == expected
    assert shares[1] > shares[0] + 0.1, shares


def test_runs_under_mesa_batch_run():
    from sim.config import Scenario

    base = Scenario.model_validate(
        {
            "population": {"size": 300},
            "days": 5,
            "groups": {"g": {"driver": "event", "count": 2, "size": 10}},
        }
    )

    class Sized(GroupModel):
        def __init__(self, *, people: int = 300, rng=None):
            scenario = base.model_copy(
                update={"population": base.population.model_copy(update={"size": people})}
            )
            super().__init__(scenario=scenario, agents=False, rng=rng)

    rows = mesa.batch_run(
        Sized,
        parameters={"people": [200, 300]},
        iterations=None,
        rng=[1],
        max_steps=5,
        display_progress=False,
    )
    assert {r["people"] for r in rows} == {200, 300}
    assert all("posts" in r for r in rows)


BATCH_BASE = {
    "population": {"size": 300},
    "days": 6,
    "groups": {"g": {"driver": "event", "count": 3, "size": 12}},
}


def test_batch_run_replicates_differ_and_take_flat_behaviour_settings():
    rows = mesa.batch_run(
        GroupModel,
        # A scenario is given in a list: batch_run would iterate over a bare one's fields.
        parameters={"scenario": [scenario_from_dict(BATCH_BASE)], "post_rate": [0.05, 0.6]},
        rng=[None] * 5,
        max_steps=6,
        display_progress=False,
    )
    table = pd.DataFrame(rows)
    # The results table names the scenario rather than spelling out all its settings.
    assert {str(s) for s in table["scenario"]} == {"scenario"}
    assert repr(table["scenario"].iloc[0]) == "Scenario('scenario')"
    final = table.groupby(["post_rate", "RunId"]).last()
    for rate in (0.05, 0.6):
        replicates = final.loc[rate]
        assert len(replicates) == 5
        # Unseeded replicates differ (5 equal post counts would be a shared seed).
        assert replicates["posts"].nunique() > 1
    assert final.loc[0.6, "posts"].mean() > final.loc[0.05, "posts"].mean()


def test_batch_run_iterations_gives_different_replicates():
    with pytest.warns(Warning, match="iterations"):
        rows = mesa.batch_run(
            GroupModel,
            parameters={"scenario": str(SCENARIOS[0])},
            iterations=5,
            max_steps=6,
            display_progress=False,
        )
    table = pd.DataFrame(rows)
    assert table.groupby("RunId")["posts"].last().nunique() > 1
    # Given as a file, the scenario is a short string in the results table.
    assert set(table["scenario"]) == {str(SCENARIOS[0])}


def test_same_seed_same_run_and_scenario_seed_is_not_used_unasked():
    scenario = scenario_from_dict(BATCH_BASE)
    first, again = (GroupModel(scenario=scenario, rng=7) for _ in range(2))
    first.run()
    again.run()
    assert first.datacollector.get_model_vars_dataframe().equals(
        again.datacollector.get_model_vars_dataframe()
    )
    assert np.array_equal(first.world.budget, again.world.budget)
    unseeded = [GroupModel(scenario=scenario).world.budget for _ in range(2)]
    assert not np.array_equal(*unseeded)


def test_flat_behaviour_settings_are_checked():
    scenario = scenario_from_dict(BATCH_BASE)
    model = GroupModel(scenario=scenario, rng=1, leave_rate=0.25)
    assert model.config.behaviour.leave_rate == 0.25
    assert scenario.behaviour.leave_rate != 0.25  # the given scenario is not changed
    with pytest.raises(TypeError, match=r"post_rat.*behaviour settings are: .*post_rate"):
        GroupModel(scenario=scenario, post_rat=0.2)
    with pytest.raises(ValueError, match="leave_rate"):
        GroupModel(scenario=scenario, leave_rate=2.0)


def test_scenario_file_path_is_accepted():
    model = GroupModel(scenario=SCENARIOS[0], rng=3, agents=False)
    assert model.config == load_scenario(SCENARIOS[0])


def test_person_agents_are_built_when_cheap_or_asked_for():
    scenario = scenario_from_dict(BATCH_BASE)
    assert len(GroupModel(scenario=scenario, rng=1).agents) == 300
    lean = GroupModel(scenario=scenario, rng=1, agents=False)
    assert len(lean.agents) == 0
    lean.build_agents()
    lean.build_agents()
    assert len(lean.agents) == 300


def test_agent_reporters_record_each_persons_groups_posts_and_muting():
    scenario = scenario_from_dict(BATCH_BASE)
    model = GroupModel(scenario=scenario, rng=2, agents=False, agent_reporters=True)
    model.run()
    table = model.datacollector.get_agent_vars_dataframe()
    assert list(table.columns) == ["groups", "posts", "muted"]
    last = table.xs(model.steps, level="Step")
    assert len(last) == 300
    m = model.memberships
    active = model.active_memberships()
    # The reporters read the arrays: every person's counts match the membership table.
    by_person = last.set_index(last.index - 1)  # Mesa's unique_id starts at 1
    assert by_person["groups"].sum() == len(active)
    assert by_person["posts"].sum() == int(m.view("posts").sum()) > 0
    assert by_person["muted"].sum() == int(m.muted[active].sum())
    person = int(m.person[active[0]])
    assert by_person.loc[person, "groups"] == int((m.person[active] == person).sum())


def test_run_folder_is_complete(tmp_path):
    result = run(small(SCENARIOS[0], days=20), out=tmp_path)
    names = {p.relative_to(result.out_dir).as_posix() for p in result.out_dir.rglob("*")}
    for required in (
        "manifest.json",
        "timeseries.parquet",
        "groups.parquet",
        "memberships.parquet",
        "invites.parquet",
        "summary.md",
        "figures/survival.png",
        "figures/members.png",
        "figures/posts.png",
        "figures/cascades.png",
    ):
        assert required in names
    assert not any(n.startswith(".") for n in names)
    assert "| cohort |" in (result.out_dir / "summary.md").read_text()


def test_a_pair_meeting_twice_credits_its_new_tie_once():
    model = tiny(
        {"g": {"driver": "event", "count": 1, "size": 2, "event": {"intensity": 2.0}}},
        days=5,
        people=2000,
        post_rate=50.0,
        encounters=3,
        invite_rate=0.0,
        leave_rate=0.0,
    )
    model.config = model.config.model_copy(
        update={
            "network": model.config.network.model_copy(
                update={
                    "ties": model.config.network.ties.model_copy(update={"formation_base": 1.0})
                }
            )
        }
    )
    model.step()
    m = model.memberships
    rows = model.active_memberships()
    inside = model.roster.ties_inside(m.person[rows], m.group[rows], model.day)
    fresh, count = inside.strength, inside.count
    assert np.array_equal(m.ties_in[rows], count)
    np.testing.assert_allclose(m.tie_in[rows], fresh, rtol=0.05)
    assert count.max() == 1


def busy_model(days: int = 20) -> GroupModel:
    model = seeded(small(SCENARIOS[0], people=3000, days=days))
    for _ in range(days):
        model.step()
    return model


def test_membership_index_and_lookup_match_a_plain_scan():
    model = busy_model()
    m, g = model.memberships, model.groups
    current = {
        (int(m.group[r]), int(m.person[r])): r
        for r in range(m.size)
        if m.left[r] == NO_ONE and g.alive[m.group[r]]
    }
    assert model.active_memberships().tolist() == sorted(current.values())
    rng = np.random.default_rng(0)
    keys = list(current)
    pick = [keys[i] for i in rng.choice(len(keys), 200)]
    groups = np.array([k[0] for k in pick] + rng.integers(0, g.n, 200).tolist())
    persons = np.array([k[1] for k in pick] + rng.integers(0, model.n, 200).tolist())
    expected = [current.get((int(a), int(b)), -1) for a, b in zip(groups, persons, strict=True)]
    assert model.roster.row_of(persons, groups).tolist() == expected


def test_recount_of_ties_inside_matches_the_per_pair_query():
    model = busy_model()
    m = model.memberships
    active = model.active_memberships()
    inside = model.roster.ties_inside(m.person[active], m.group[active], model.day)
    total, count = inside.strength, inside.count
    # Brute force for a few memberships: ties to co-members of the same group.
    ties = model.world.ties
    for i in range(0, len(active), max(1, len(active) // 25)):
        person, group = m.person[active[i]], m.group[active[i]]
        mates = set(m.person[active[m.group[active] == group]].tolist()) - {int(person)}
        _, other, eid = ties.neighbours(np.array([person]))
        inside = np.isin(other, list(mates))
        assert count[i] == inside.sum()
        np.testing.assert_allclose(
            total[i], ties.strength(eid[inside], model.day).astype(np.float64).sum(), rtol=1e-6
        )
    model.roster.recount(model.day)
    assert np.array_equal(m.ties_in[active], count)
    assert np.array_equal(m.tie_in[active], total)
