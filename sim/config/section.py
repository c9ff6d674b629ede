"""What every part of the scenario configuration shares: tie kinds, value types, sections.

The tie kinds are named here once; the tie store's integer codes, the generators' checks
and the configuration's choices all derive from :data:`TIE_KINDS`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TIE_KINDS = ("kin", "work", "friend", "acquaintance", "group")
"""Kinds of tie, in the order of their integer codes in the tie store."""

KIND_CODES = {kind: code for code, kind in enumerate(TIE_KINDS)}
"""Integer code of each kind of tie, as the tie store keeps it."""

CIRCLE_KINDS = tuple(kind for kind in TIE_KINDS if kind != "group")
"""Kinds of tie the network starts with: every kind but ``group``, which groups make."""

TieKind = Literal[TIE_KINDS]
CircleKind = Literal[CIRCLE_KINDS]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Strength = Annotated[float, Field(gt=0.0, le=1.0)]
# The upper bounds below keep every rate the model draws from (Poisson means, counts of
# posts and invitations) far inside what NumPy can draw and memory can hold, while
# leaving room far beyond any plausible value (each is 10 to 1000 times its default).
Weight = Annotated[float, Field(ge=0.0, le=20.0)]
Multiplier = Annotated[float, Field(gt=0.0, le=20.0)]
Scale = Annotated[float, Field(gt=0.0, le=1e6)]
Day = Annotated[int, Field(ge=0, le=36_500)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]


class Section(BaseModel):
    """Base of every configuration section: strict keys, immutable values."""

    # No inf or nan anywhere: the model computes with every number it is given.
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


CircleSize = Annotated[int, Field(ge=1, le=1000)]
SizeRange = Annotated[tuple[CircleSize, CircleSize], Field(description="[low, high], inclusive")]


def check_pair(value: tuple[float, float], name: str) -> None:
    """Refuse a ``[low, high]`` pair whose first value exceeds its second."""
    if value[0] > value[1]:
        raise ValueError(f"{name}: the first value ({value[0]}) exceeds the second ({value[1]})")
