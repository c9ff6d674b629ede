"""Commerce metrics of the registry: sales, buyers, word of mouth, customer value (§7.18).

They read a run's ``purchases`` and ``customers`` tables and are NaN for a run without
products. They describe the whole market, so none can be restricted to a cohort.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.customers import WORD_OF_MOUTH, brand_in_top15_share, top_share, word_of_mouth_share
from sim.sweep.registry import NON_NEGATIVE, SHARE, RunData, register_metric


def _purchases(run: RunData) -> pd.DataFrame | None:
    return run.tables.get("purchases")


def _customers(run: RunData) -> pd.DataFrame | None:
    return run.tables.get("customers")


def commerce_metric(name: str, unit: str, bounds=NON_NEGATIVE):
    """Register a market-wide commerce metric (no cohort restriction)."""
    return register_metric(name, unit=unit, per_cohort=False, family="commerce", bounds=bounds)


@commerce_metric("sales", "currency")
def sales(run: RunData) -> float:
    """Money spent on all products over the run."""
    p = _purchases(run)
    return math.nan if p is None else float(p["price"].sum())


@commerce_metric("purchases", "purchases")
def purchases(run: RunData) -> float:
    """Purchases over the run."""
    p = _purchases(run)
    return math.nan if p is None else float(len(p))


@commerce_metric("buyers", "people")
def buyers(run: RunData) -> float:
    """People who bought at least once."""
    p = _purchases(run)
    return math.nan if p is None else float(p["person"].nunique())


@commerce_metric("repurchase_rate", "share", SHARE)
def repurchase_rate(run: RunData) -> float:
    """Share of buyers who bought a product at least twice."""
    p = _purchases(run)
    if p is None or len(p) == 0:
        return math.nan
    return float((p.groupby(["person", "product"]).size().groupby("person").max() >= 2).mean())


@commerce_metric("word_of_mouth_share", "share", SHARE)
def word_of_mouth(run: RunData) -> float:
    """Share of purchases brought by someone who bought before (recommendation or referral)."""
    p = _purchases(run)
    return math.nan if p is None else word_of_mouth_share(p)


@commerce_metric("referral_share", "share", SHARE)
def referral_share(run: RunData) -> float:
    """Share of purchases that came through a referral invitation."""
    p = _purchases(run)
    if p is None or len(p) == 0:
        return math.nan
    return float((p["channel"] == "referral").mean())


@commerce_metric("word_of_mouth_trend", "share", (-1.0, 1.0))
def word_of_mouth_trend(run: RunData) -> float:
    """Word-of-mouth share of purchases in the last third of the run minus the first (C14)."""
    p = _purchases(run)
    if p is None:
        return math.nan
    third = run.horizon // 3
    early = word_of_mouth_share(p, 0, third - 1)
    late = word_of_mouth_share(p, run.horizon - third, run.horizon - 1)
    return late - early


@commerce_metric("new_buyers_by_word_of_mouth", "share", SHARE)
def new_buyers_by_word_of_mouth(run: RunData) -> float:
    """Share of buyers whose first purchase came by word of mouth (C14)."""
    c = _customers(run)
    if c is None:
        return math.nan
    bought = c[c["purchases"] > 0]
    return float(bought["acquired_by"].isin(WORD_OF_MOUTH).mean()) if len(bought) else math.nan


@commerce_metric("top10_sales_share", "share", SHARE)
def top10_sales_share(run: RunData) -> float:
    """Share of sales made by the top 10% of buyers (C13)."""
    c = _customers(run)
    return math.nan if c is None else top_share(c["spend"].to_numpy(), 0.10)


@commerce_metric("top20_sales_share", "share", SHARE)
def top20_sales_share(run: RunData) -> float:
    """Share of sales made by the top 20% of buyers (the "80/20" Pareto share)."""
    c = _customers(run)
    return math.nan if c is None else top_share(c["spend"].to_numpy(), 0.20)


@commerce_metric("super_user_sales_share", "share", SHARE)
def super_user_sales_share(run: RunData) -> float:
    """Share of sales bought by super users themselves (C12, C13)."""
    c = _customers(run)
    if c is None or c["spend"].sum() == 0:
        return math.nan
    return float(c.loc[c["super_user"], "spend"].sum() / c["spend"].sum())


@commerce_metric("brand_in_top15", "share", SHARE)
def brand_in_top15(run: RunData) -> float:
    """Share of buyers whose relationship with the brand ranks inside their 15 closest (C10)."""
    c = _customers(run)
    return math.nan if c is None else brand_in_top15_share(c)


@commerce_metric("top15_purchase_lift", "purchases per person", None)
def top15_purchase_lift(run: RunData) -> float:
    """Purchases per person with the brand inside its 15 closest, minus per other (C10).

    Over buyers and prospects (everyone with a relationship with the brand).
    """
    c = _customers(run)
    if c is None:
        return math.nan
    inside, outside = c[c["brand_in_top15"]], c[~c["brand_in_top15"]]
    if len(inside) == 0 or len(outside) == 0:
        return math.nan
    return float(inside["purchases"].mean() - outside["purchases"].mean())


@commerce_metric("conversion_per_share", "purchases per share")
def conversion_per_share(run: RunData) -> float:
    """Purchases by word of mouth per recommendation, mention or referral sent (C11)."""
    p = _purchases(run)
    if p is None:
        return math.nan
    shares = float(run.timeseries["shares"].sum()) if "shares" in run.timeseries else 0.0
    if shares == 0:
        return math.nan
    return float(p["channel"].isin(WORD_OF_MOUTH).sum() / shares)


@commerce_metric("referred_reach", "buyers per buyer")
def referred_reach(run: RunData) -> float:
    """Mean number of new buyers each buyer brought by word of mouth (C14, C18)."""
    c = _customers(run)
    if c is None:
        return math.nan
    bought = c[c["purchases"] > 0]
    return float(bought["referred_buyers"].mean()) if len(bought) else math.nan


@commerce_metric("most_referred", "buyers")
def most_referred(run: RunData) -> float:
    """Most new buyers brought by one buyer ("one mother brings 20 mothers", C14)."""
    c = _customers(run)
    return math.nan if c is None or len(c) == 0 else float(c["referred_buyers"].max())


@commerce_metric("spend_per_buyer", "currency")
def spend_per_buyer(run: RunData) -> float:
    """Mean spend of a buyer (C18)."""
    c = _customers(run)
    if c is None:
        return math.nan
    bought = c[c["purchases"] > 0]
    return float(bought["spend"].mean()) if len(bought) else math.nan


def _spend_quantile(run: RunData, q: float) -> float:
    c = _customers(run)
    if c is None:
        return math.nan
    spend = c.loc[c["purchases"] > 0, "spend"].to_numpy(np.float64)
    return float(np.quantile(spend, q)) if len(spend) else math.nan


@commerce_metric("spend_median", "currency")
def spend_median(run: RunData) -> float:
    """Median spend of a buyer over the run (C18)."""
    return _spend_quantile(run, 0.5)


@commerce_metric("spend_p90", "currency")
def spend_p90(run: RunData) -> float:
    """90th percentile of a buyer's spend over the run (C18)."""
    return _spend_quantile(run, 0.9)


@commerce_metric("retention_per_buyer", "days")
def retention_per_buyer(run: RunData) -> float:
    """Mean days from a buyer's first purchase to its last (C18)."""
    c = _customers(run)
    if c is None:
        return math.nan
    bought = c[c["purchases"] > 0]
    return float(bought["retention"].mean()) if len(bought) else math.nan


LOYALTY_WINDOW = 90
"""Days after a first purchase in which buying again counts as staying (M2)."""


@commerce_metric("referred_repeat_gain", "share", (-1.0, 1.0))
def referred_repeat_gain(run: RunData) -> float:
    """Share buying again within 90 days: buyers brought by word of mouth minus the others.

    Over buyers whose first purchase left 90 days of follow-up, so that buyers who came
    late are not counted as lost. Referred customers are more loyal in published data
    (Schmitt, Skiera & Van den Bulte 2011); the model's figure is an outcome, never set.
    """
    p, c = _purchases(run), _customers(run)
    if p is None or c is None:
        return math.nan
    bought = c[(c["purchases"] > 0) & (c["first"] <= run.horizon - 1 - LOYALTY_WINDOW)]
    if len(bought) == 0:
        return math.nan
    again = p.merge(bought[["person", "first"]], on="person")
    again = again[
        (again["day"] > again["first"]) & (again["day"] <= again["first"] + LOYALTY_WINDOW)
    ]
    stayed = bought["person"].isin(again["person"]).to_numpy()
    referred = bought["acquired_by"].isin(WORD_OF_MOUTH).to_numpy()
    if referred.all() or not referred.any():
        return math.nan
    return float(stayed[referred].mean() - stayed[~referred].mean())
