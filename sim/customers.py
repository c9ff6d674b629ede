"""Sales and customer value of a run: the commerce tables and their measures (§7.18).

``purchases`` has one row per purchase; ``customers`` one row per person who bought or
has a relationship with the brand, with the three dimensions of customer lifetime value
(C18): retention (days from first to last purchase), spend, and referred reach (buyers
whose first purchase came through their word of mouth). Everything here takes and
returns data; nothing prints or draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.groups import NO_ONE
from sim.market import CHANNELS, Market
from sim.world.ties import TieStore

WORD_OF_MOUTH = ("recommendation", "referral")
"""The channels through which a buyer was brought by someone who bought before."""

PROSPECT = 0.01
"""A person with at least this relationship with the brand is listed among customers."""


def brand_ranks(relationship: np.ndarray, ties: TieStore, day: int) -> np.ndarray:
    """How many of each person's ties are stronger than its relationship with the brand.

    0 means the brand is closer than anyone; a rank below 15 puts the brand inside the
    intimate 15 (C10). Measured on ``day``, never set.
    """
    ids = ties.alive_ids()
    strength = ties.strength(ids, day)
    u, v = ties.u[ids].astype(np.int64), ties.v[ids].astype(np.int64)
    n = len(relationship)
    above_u = np.bincount(u, strength > relationship[u], minlength=n)
    above_v = np.bincount(v, strength > relationship[v], minlength=n)
    return (above_u + above_v).astype(np.int64)


def purchases_table(market: Market) -> pd.DataFrame:
    """Every purchase, with the product's name and the channel as text."""
    p = market.purchases
    names = np.array([product.name for product in market.products], dtype=object)
    return pd.DataFrame(
        {
            "day": p.view("day"),
            "person": p.view("person"),
            "product": names[p.view("product").astype(np.int64)],
            "price": p.view("price"),
            "channel": np.array(CHANNELS, dtype=object)[p.view("channel").astype(np.int64)],
            "referrer": p.view("referrer"),
            "reward": p.view("reward"),
            "satisfied": p.view("satisfied"),
        }
    )


def customers_table(
    purchases: pd.DataFrame,
    relationship: np.ndarray,
    ranks: np.ndarray,
    is_super: np.ndarray,
    intimate: int,
) -> pd.DataFrame:
    """One row per buyer or prospect: the three dimensions of customer value and the brand.

    Args:
        purchases: The purchases table.
        relationship: Each person's relationship with the brand at the end.
        ranks: Each person's brand rank at the end (:func:`brand_ranks`).
        is_super: Super-user flag per person.
        intimate: The size of the intimate layer (15): ranks below it are inside.
    """
    people = np.union1d(
        purchases["person"].to_numpy(np.int64), np.flatnonzero(relationship >= PROSPECT)
    )
    by_buyer = purchases.groupby("person").agg(
        first=("day", "min"), last=("day", "max"), purchases=("day", "size"), spend=("price", "sum")
    )
    ordered = purchases.sort_values(["day", "person"], kind="stable")
    firsts = ordered.drop_duplicates("person")
    acquired = firsts.set_index("person")["channel"]
    brought = firsts[firsts["referrer"] != NO_ONE].groupby("referrer").size()
    referred = purchases[purchases["referrer"] != NO_ONE]
    frame = pd.DataFrame({"person": people}).join(by_buyer, on="person")
    frame["purchases"] = frame["purchases"].fillna(0).astype(np.int64)
    frame["spend"] = frame["spend"].fillna(0.0)
    frame["first"] = frame["first"].fillna(NO_ONE).astype(np.int64)
    frame["last"] = frame["last"].fillna(NO_ONE).astype(np.int64)
    frame["retention"] = np.where(frame["purchases"] > 0, frame["last"] - frame["first"], 0)
    frame["referred_buyers"] = frame["person"].map(brought).fillna(0).astype(np.int64)
    frame["referred_purchases"] = (
        frame["person"].map(referred.groupby("referrer").size()).fillna(0).astype(np.int64)
    )
    frame["referred_spend"] = (
        frame["person"].map(referred.groupby("referrer")["price"].sum()).fillna(0.0)
    )
    frame["acquired_by"] = frame["person"].map(acquired).fillna("")
    frame["super_user"] = is_super[people]
    frame["relationship"] = relationship[people]
    frame["brand_rank"] = ranks[people]
    frame["brand_in_top15"] = ranks[people] < intimate
    return frame


def top_share(spend: np.ndarray, share: float) -> float:
    """Share of sales made by the top ``share`` of buyers (by spend); NaN without buyers."""
    spend = np.sort(np.asarray(spend, np.float64)[np.asarray(spend) > 0])[::-1]
    if len(spend) == 0 or spend.sum() == 0:
        return float("nan")
    k = max(1, int(np.ceil(share * len(spend))))
    return float(spend[:k].sum() / spend.sum())


def lorenz(spend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of sales over buyers: cumulative share of buyers and of sales."""
    spend = np.sort(np.asarray(spend, np.float64)[np.asarray(spend) > 0])
    if len(spend) == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    buyers = np.arange(len(spend) + 1) / len(spend)
    sales = np.r_[0.0, np.cumsum(spend)] / spend.sum()
    return buyers, sales


def daily_sales(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Purchases per day by channel, and the share that came by word of mouth."""
    columns = [f"purchases_{c}" for c in CHANNELS]
    frame = timeseries[["day", *columns]].rename(columns={f"purchases_{c}": c for c in CHANNELS})
    total = frame[list(CHANNELS)].sum(axis=1)
    frame["word_of_mouth_share"] = frame[list(WORD_OF_MOUTH)].sum(axis=1) / total.where(total > 0)
    return frame


def word_of_mouth_share(purchases: pd.DataFrame, first: int = 0, last: int | None = None) -> float:
    """Share of purchases from ``first`` to ``last`` (days, inclusive) by word of mouth."""
    days = purchases["day"]
    part = purchases[(days >= first) & ((days <= last) if last is not None else True)]
    if len(part) == 0:
        return float("nan")
    return float(part["channel"].isin(WORD_OF_MOUTH).mean())


def commerce_summary(purchases: pd.DataFrame) -> pd.DataFrame:
    """The run's sales in one row per product and one for all (what ``groupsim run`` shows)."""
    rows = []
    parts = list(purchases.groupby("product", sort=True))
    if len(parts) != 1:  # one product's row is the total already
        parts = [("all", purchases), *parts]
    for product, part in parts:
        spend = part.groupby("person")["price"].sum().to_numpy()
        counts = part.groupby("person").size()
        rows.append(
            {
                "product": product,
                "purchases": len(part),
                "sales": float(part["price"].sum()),
                "buyers": int(part["person"].nunique()),
                "repurchase rate": float((counts >= 2).mean()) if len(counts) else float("nan"),
                "word of mouth": word_of_mouth_share(part),
                "of which referral": float((part["channel"] == "referral").mean())
                if len(part)
                else float("nan"),
                "top 10% share": top_share(spend, 0.10),
                "top 20% share": top_share(spend, 0.20),
            }
        )
    return pd.DataFrame(rows)


CLV_DIMENSIONS = {
    "retention (days)": "retention",
    "spend": "spend",
    "referred buyers": "referred_buyers",
}
"""The three dimensions of customer lifetime value (C18) and their columns."""


def customer_value(customers: pd.DataFrame) -> pd.DataFrame:
    """The three dimensions of customer value over buyers: mean, quantiles and maximum."""
    buyers = customers[customers["purchases"] > 0]
    rows = []
    for label, column in CLV_DIMENSIONS.items():
        values = buyers[column].to_numpy(np.float64)
        if len(values) == 0:
            values = np.array([np.nan])
        rows.append(
            {
                "dimension": label,
                "mean": float(np.mean(values)),
                "median": float(np.median(values)),
                "90th percentile": float(np.quantile(values, 0.9)),
                "max": float(np.max(values)),
            }
        )
    return pd.DataFrame(rows)


def brand_in_top15_share(customers: pd.DataFrame) -> float:
    """Share of buyers whose relationship with the brand ranks inside their 15 closest."""
    bought = customers[customers["purchases"] > 0]
    return float(bought["brand_in_top15"].mean()) if len(bought) else float("nan")
