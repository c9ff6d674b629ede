"""Commerce (phase 7): its rules, its invariants every day, its outputs and its errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import customers, rules
from sim.config import Scenario
from sim.groups import NO_ONE
from sim.market import CHANNELS
from sim.model import GroupModel
from sim.runner import run
from sim.tables import read_parquet
from sim.world.ties import TieStore

PRODUCT = {"name": "kit", "price": 20.0, "topic": 3, "appeal": 0.6, "cycle": 20}


def selling(people: int = 1500, days: int = 60, **sections) -> Scenario:
    """A small world with a brand's clubs about the product's topic and friend groups."""
    data = {
        "seed": 5,
        "days": days,
        "population": {"size": people},
        "groups": {
            "club": {
                "driver": "event",
                "organiser": "brand",
                "count": 6,
                "size": 60,
                "topic": 3,
                "created": [0, 10],
                "content": {"organiser_posts_per_day": 1.0, "promotion_share": 0.3},
            },
            "friends": {"driver": "relationship", "count": 40, "size": [5, 12], "created": [0, 20]},
        },
        "commerce": {"products": [PRODUCT]},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return Scenario.model_validate(data)


def run_model(scenario: Scenario, check: bool = False, seed: int = 1) -> GroupModel:
    model = GroupModel(scenario=scenario, rng=seed)
    while model.running:
        model.step()
        if check:
            model.check_invariants()
    return model


# --------------------------------------------------------------------------- rules


def test_need_follows_interest_then_the_cycle():
    common = {"appeal": 0.5, "off_topic_appeal": 0.1, "cycle": 10}
    never = rules.need(np.array([True, False]), False, False, 0, **common)
    assert np.allclose(never, [0.5, 0.1])
    days = np.array([0, 5, 10, 20])
    good = rules.need(True, True, True, days, **common)
    assert np.allclose(good, [0.0, 0.5, 1.0, 1.0])
    bad = rules.need(True, True, False, days, **common)
    assert np.allclose(bad, [0.0, 0.25, 0.5, 0.5])
    fast = rules.need(True, True, True, days, repurchase=2.0, **common)
    assert np.allclose(fast, [0.0, 1.0, 1.0, 1.0])


def test_trust_rises_with_strength_from_the_baseline():
    t = rules.trust(np.array([0.0, 0.5, 1.0]), 0.1)
    assert np.allclose(t, [0.1, 0.55, 1.0])
    h = rules.purchase_hazard(0.3, 0.5, t, 2.0)
    assert np.allclose(h, 0.3 * 0.5 * t * 2.0)
    assert np.allclose(rules.buy_probability([0.0, np.log(2)]), [0.0, 0.5])


def test_talk_fades_with_time_since_the_purchase():
    rate = rules.talk_rate(0.4, np.array([1.0, 3.0]), np.array([0, 7]), 7.0)
    assert np.allclose(rate, [0.4, 0.6])


def test_brand_relationship_decays_grows_and_stays_in_bounds():
    r = np.array([0.5, 0.5, 0.5, 0.5])
    seen = np.array([False, True, False, False])
    good = np.array([False, False, True, False])
    bad = np.array([False, False, False, True])
    out = rules.brand_relationship(
        r,
        seen,
        good,
        bad,
        10.0,
        half_life=10.0,
        contact_gain=0.1,
        experience_gain=0.5,
        disappointment=0.5,
    )
    assert np.allclose(out, [0.25, 0.25 + 0.075, 0.25 + 0.375, 0.125])
    assert np.all((out >= 0) & (out <= 1))


def test_a_word_of_mouth_buyer_knows_the_brand_as_well_as_its_tie_to_the_teller():
    assert list(rules.introduced_relationship([0.0, 0.6, 0.2], [0.4, 0.3, 0.0])) == [0.4, 0.6, 0.2]


def test_word_of_mouth_buyers_start_from_their_tie_to_the_one_who_told_them():
    """After the day's update, each such buyer is at least where its tie put it."""
    model = GroupModel(scenario=selling(days=150), rng=3)
    market, brand = model.market, model.config.commerce.brand
    checked = raised = 0
    while model.running:
        before = market.relationship.copy()
        seen = market.purchases.size
        model.step()
        p = market.purchases
        person, referrer = p.view("person")[seen:], p.view("referrer")[seen:]
        good = p.view("satisfied")[seen:]
        told = referrer != NO_ONE
        eid = model.world.ties.find(person[told], referrer[told])
        tied = eid >= 0
        strength = model.world.ties.strength(eid[tied], model.day - 1)
        buyer, good = person[told][tied], good[told][tied]
        floor = rules.brand_relationship(
            np.maximum(before[buyer], strength),
            False,
            good,
            ~good,
            1.0,
            half_life=brand.half_life,
            contact_gain=brand.contact_gain,
            experience_gain=brand.experience_gain,
            disappointment=brand.disappointment,
        )
        assert np.all(market.relationship[buyer] >= floor - 1e-12)
        checked += len(buyer)
        raised += int((strength > before[buyer]).sum())
    assert checked >= 10 and raised >= 5  # the raise was exercised, not only the floor


def test_the_exposure_behind_a_purchase_is_drawn_in_proportion_to_its_hazard():
    rng = np.random.default_rng(3)
    keys = np.repeat(np.arange(20_000), 3)
    weights = np.tile([1.0, 2.0, 7.0], 20_000)
    chosen = rules.pick_in_proportion(keys, weights, rng.random(20_000))
    assert np.array_equal(chosen // 3, np.arange(20_000))
    share = np.bincount(chosen % 3, minlength=3) / 20_000
    assert np.allclose(share, [0.1, 0.2, 0.7], atol=0.015)
    assert len(rules.pick_in_proportion(np.zeros(0, int), np.zeros(0), np.zeros(0))) == 0


# --------------------------------------------------------------------------- the day


def test_every_commerce_invariant_holds_every_day():
    scenario = selling(
        # Buyers refer twenty times as often as by default, so that referral purchases
        # and their rewards are there to check in a small world.
        commerce={"refer_rate": 1.0},
        interventions={
            "referral_reward": {"from_day": 10, "amount": 4.0, "uplift": 3.0},
            "promotion_push": {"cohorts": ["club"], "day": 20, "share": 0.9},
        },
    )
    # Clubs are created until day 55, so that some never reach their 20th day.
    club = scenario.groups["club"].model_copy(update={"created": (0, 55)})
    scenario = scenario.model_copy(update={"groups": {**scenario.groups, "club": club}})
    model = run_model(scenario, check=True)
    series = model.datacollector.get_model_vars_dataframe()
    total = series[[f"purchases_{c}" for c in CHANNELS]].sum(axis=1)
    assert np.array_equal(total.to_numpy(), series["purchases"].to_numpy())
    p = model.market.purchases
    assert series["purchases"].sum() == p.size > 50
    assert np.isclose(series["revenue"].sum(), p.view("price").sum())
    referral = p.view("channel") == CHANNELS.index("referral")
    assert referral.any(), "no referral purchase to check the reward with"
    paid = p.view("reward") > 0
    assert np.array_equal(paid, referral & (p.view("day") >= 10))
    # The push took effect on the 20th day of each club still alive then, if that day
    # came before the end.
    g = model.groups
    club = g.cohort == 0
    day_20 = g.created + 20
    alive_then = (day_20 < scenario.days) & ((g.died == NO_ONE) | (g.died >= day_20))
    assert (club & alive_then).any() and (club & ~alive_then).any()
    assert np.all(g.promo_share[club & alive_then] == np.float32(0.9))
    assert np.all(g.promo_share[club & ~alive_then] == np.float32(0.3))


def test_a_run_without_products_has_no_market_and_no_purchases():
    scenario = Scenario.model_validate(
        {
            "days": 20,
            "population": {"size": 500},
            "groups": {"f": {"driver": "relationship", "count": 5, "size": 5}},
        }
    )
    model = run_model(scenario)
    assert model.market is None
    assert model.datacollector.get_model_vars_dataframe()["purchases"].sum() == 0


def test_the_same_seed_gives_the_same_purchases():
    a = run_model(selling(days=40)).market.purchases
    b = run_model(selling(days=40)).market.purchases
    c = run_model(selling(days=40), seed=2).market.purchases
    for name in ("day", "person", "channel", "referrer", "satisfied"):
        assert np.array_equal(a.view(name), b.view(name))
    assert not np.array_equal(a.view("person"), c.view("person"))


def sales_over(scenario: Scenario, seeds: range) -> np.ndarray:
    return np.array([run_model(scenario, seed=s).market.purchases.size for s in seeds])


def test_conversion_and_word_of_mouth_move_sales_the_way_they_should():
    seeds = range(3)
    base = sales_over(selling(days=40), seeds)
    more = sales_over(selling(days=40, commerce={"conversion": 1.2}), seeds)
    assert more.mean() > 1.3 * base.mean()

    def referrals(scenario):
        return sum(
            int((run_model(scenario, seed=s).market.purchases.view("channel") == 3).sum())
            for s in seeds
        )

    # Referral purchases are rare at the default refer rate; ten times it gives counts
    # large enough to compare in a small world.
    often = {"refer_rate": 0.5}
    none = referrals(selling(days=40, commerce={"refer_rate": 0.0}))
    plain = referrals(selling(days=40, commerce=often))
    rewarded = referrals(
        selling(
            days=40,
            commerce=often,
            interventions={"referral_reward": {"uplift": 5.0, "amount": 1.0}},
        )
    )
    assert none == 0 and plain > 0 and rewarded > 2 * plain


def test_a_platform_cap_bounds_every_degree():
    scenario = selling(days=10, network={"platform_cap": 20})
    model = run_model(scenario)
    assert model.world.ties.cap == 20
    assert model.world.ties.deg.max() <= 20
    model.world.ties.check()


# --------------------------------------------------------------------------- measures


def test_brand_rank_counts_the_ties_stronger_than_the_brand():
    store = TieStore(4, 10, np.full(5, 1e9))
    store.add_unchecked(
        np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.9, 0.5, 0.1], np.float32), 0, day=0
    )
    ranks = customers.brand_ranks(np.array([0.6, 0.95, 0.2, 0.05]), store, 0)
    assert ranks.tolist() == [1, 0, 1, 1]


def test_top_shares_lorenz_and_customer_value_on_known_purchases():
    spend = np.array([100.0] + [10.0] * 9)
    assert customers.top_share(spend, 0.1) == pytest.approx(100 / 190)
    x, y = customers.lorenz(spend)
    assert x[0] == y[0] == 0 and x[-1] == y[-1] == 1 and np.all(np.diff(y) >= 0)
    purchases = pd.DataFrame(
        {
            "day": [0, 5, 6, 7, 9],
            "person": [1, 1, 2, 3, 2],
            "product": ["kit"] * 5,
            "price": [10.0] * 5,
            "channel": ["promotion", "organic", "referral", "recommendation", "organic"],
            "referrer": [NO_ONE, NO_ONE, 1, 1, NO_ONE],
            "reward": [0.0] * 5,
            "satisfied": [True] * 5,
        }
    )
    relationship = np.array([0.0, 0.5, 0.2, 0.0, 0.3])
    table = customers.customers_table(
        purchases, relationship, np.array([0, 3, 20, 0, 16]), np.zeros(5, bool), 15
    ).set_index("person")
    assert table.loc[1, "referred_buyers"] == 2 and table.loc[1, "retention"] == 5
    assert table.loc[2, "spend"] == 20 and table.loc[2, "acquired_by"] == "referral"
    assert table.loc[4, "purchases"] == 0  # a prospect: a relationship, no purchase
    assert table["brand_in_top15"].tolist() == [True, False, True, False]


def test_a_run_writes_purchases_customers_tables_and_figures(tmp_path):
    result = run(selling(days=40), out=tmp_path)
    folder = result.out_dir
    for name in (
        "purchases.parquet",
        "customers.parquet",
        "figures/sales.png",
        "figures/customers.png",
    ):
        assert (folder / name).is_file(), name
    stored = read_parquet(folder / "purchases.parquet")
    assert len(stored) == len(result.purchases) > 0
    assert set(stored["channel"]) <= set(CHANNELS)
    assert "## Sales by product" in (folder / "summary.md").read_text()
    assert result.commerce["sales"]["purchases"].iloc[0] == len(stored)


def test_a_product_with_an_unknown_topic_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "days: 10\npopulation: {size: 200}\ncommerce:\n  products:\n"
        "    - {name: kit, price: 5, topic: 50}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "bad.yaml:5" in done.stderr and "topic 50 does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_person_agent_shows_its_purchases_and_brand_relationship():
    model = run_model(selling(days=30))
    buyer = int(model.market.purchases.view("person")[0])
    person = next(a for a in model.agents if a.index == buyer)
    assert person.purchases == int((model.market.purchases.view("person") == buyer).sum()) >= 1
    assert person.brand_relationship == pytest.approx(model.market.relationship[buyer])
    person.brand_relationship = 2.0
    assert model.market.relationship[buyer] == 1.0


def test_the_commerce_metrics_read_the_run_and_are_nan_without_products():
    from sim.sweep import METRICS, RunData

    result = run(selling(days=40), out=None)
    data = RunData(result.tables, 40)
    purchases, buyers = result.purchases, result.customers
    assert METRICS["sales"].function(data) == pytest.approx(purchases["price"].sum())
    assert METRICS["buyers"].function(data) == purchases["person"].nunique()
    shares = METRICS["word_of_mouth_share"].function(data)
    expected = purchases["channel"].isin(["recommendation", "referral"]).mean()
    assert shares == pytest.approx(expected)
    spend = buyers.loc[buyers["purchases"] > 0, "spend"]
    assert METRICS["spend_median"].function(data) == pytest.approx(spend.median())
    assert (
        0
        <= METRICS["top10_sales_share"].function(data)
        <= METRICS["top20_sales_share"].function(data)
        <= 1
    )
    plain = RunData(
        {k: v for k, v in result.tables.items() if k not in ("purchases", "customers")}, 40
    )
    commerce = [m for m in METRICS.values() if m.family == "commerce"]
    assert len(commerce) >= 15
    assert all(np.isnan(m.function(plain)) for m in commerce)


def test_histograms_of_whole_prices_put_each_value_mid_bin():
    from sim.sales_plots import histogram_bins

    spend = np.array([30.0, 60, 60, 90, 300, 30])
    edges = histogram_bins(spend)
    assert np.allclose(np.diff(edges), np.diff(edges)[0]) and np.diff(edges)[0] % 30 == 0
    where = np.digitize(spend, edges) - 1
    centres = (edges[where] + edges[where + 1]) / 2
    assert np.abs(spend - centres).max() <= np.diff(edges)[0] / 2 - 1
    assert histogram_bins(np.array([1.5, 2.25, 3.1])) == 30  # not on a lattice: plain bins


# --------------------------------------------------------------------------- heavy buyers


def test_usage_rates_are_gamma_with_mean_one_and_the_given_spread():
    rng = np.random.default_rng(8)
    rates = rules.usage_rates(200_000, 1.5, rng)
    assert abs(rates.mean() - 1.0) < 0.02 and abs(rates.std() / rates.mean() - 1.5) < 0.03
    state = rng.bit_generator.state
    assert rules.usage_rates(1000, 0.0, rng) is None and rng.bit_generator.state == state


def purchases_by_usage(usage_cv: float, seeds: range) -> tuple[list[float], list[float]]:
    """Per run: rank correlation of usage and purchases among buyers; top-20% share."""
    rho, top = [], []
    for seed in seeds:
        model = run_model(selling(days=120, commerce={"usage_cv": usage_cv}), seed=seed)
        person = model.market.purchases.view("person")
        counts = np.bincount(person, minlength=model.n)
        buyers = np.flatnonzero(counts)
        if model.market.usage is not None:
            rho.append(stats.spearmanr(model.market.usage[buyers], counts[buyers]).statistic)
        top.append(customers.top_share(counts[buyers].astype(float), 0.2))
    return rho, top


def test_heavy_users_buy_more_often_and_concentrate_sales():
    """With usage rates that differ, heavy users repurchase more (M1's mechanism)."""
    seeds = range(3)
    rho, spread = purchases_by_usage(1.0, seeds)
    _, alike = purchases_by_usage(0.0, seeds)
    assert min(rho) > 0.1
    assert np.mean(spread) > np.mean(alike) + 0.02
    model = run_model(selling(days=10, commerce={"usage_cv": 0.0}))
    assert model.market.usage is None and model.market.usage_of(3) == 1.0
