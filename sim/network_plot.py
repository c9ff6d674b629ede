"""The network view of one group: members, their ties inside, and who invited whom."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from sim.groups import NO_ONE
from sim.simulation import Simulation


def _spring_layout(nodes: np.ndarray, u, v, weight, previous: dict) -> dict:
    """Positions of ``nodes``: a spring layout started from where they were drawn before."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes.tolist())
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), weight.tolist(), strict=True))
    known = {n: previous[n] for n in graph if n in previous}
    start = known if len(known) == len(graph) else None
    if known and start is None:  # newcomers start near the centre of the others
        centre = np.mean(list(known.values()), axis=0)
        rng = np.random.default_rng(len(graph))
        start = {n: known.get(n, centre + rng.normal(0, 0.05, 2)) for n in graph}
    iterations = 15 if start is not None else 60
    return nx.spring_layout(graph, pos=start, iterations=iterations, seed=7, weight="weight")


def draw_group_network(
    fig: plt.Figure, ax: Axes, network: dict, previous: dict, colour: str, title: str
) -> None:
    """One group: members as dots, ties inside coloured by strength, invitations as arrows.

    Muted members are drawn faded. ``previous`` (person to position) is read and updated,
    so that drawing the group again the next day moves its members a little.

    Args:
        fig: The figure (for the colour bar).
        ax: The axes drawn on.
        network: As :func:`sim.app.group_network` returns it.
        previous: Positions from the last drawing; updated in place.
        colour: The colour of the group's cohort.
        title: The figure's title (members, muted and ties are added to it).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    persons, muted = network["persons"], network["muted"]
    strength = network["strength"]
    pos = _spring_layout(persons, network["u"], network["v"], strength, previous)
    previous.clear()
    previous.update(pos)
    xy = np.array([pos[p] for p in persons.tolist()]).reshape(-1, 2)
    norm = Normalize(0, 1)
    cmap = plt.get_cmap("viridis_r")
    order = np.argsort(strength)  # strong ties drawn last, on top
    ends = zip(network["u"][order].tolist(), network["v"][order].tolist(), strict=True)
    segments = [[pos[a], pos[b]] for a, b in ends]
    lines = LineCollection(segments, cmap=cmap, norm=norm, linewidths=0.6 + 1.6 * strength[order])
    lines.set_array(strength[order])
    ax.add_collection(lines)
    size = float(np.clip(2500 / max(len(persons), 1), 6, 60))
    ax.scatter(*xy[~muted].T, s=size, color=colour, edgecolors="black", linewidths=0.4, zorder=3)
    ax.scatter(*xy[muted].T, s=size, color="lightgray", alpha=0.45, linewidths=0, zorder=3)
    for a, b in zip(network["inviter"].tolist(), network["invitee"].tolist(), strict=True):
        ax.annotate(
            "",
            xy=pos[b],
            xytext=pos[a],
            arrowprops={"arrowstyle": "-|>", "color": "crimson", "lw": 0.7, "shrinkB": 3},
            zorder=2,
        )
    fig.colorbar(lines, ax=ax, shrink=0.8, pad=0.01, label="tie strength")
    handles = [
        Line2D([], [], ls="", marker="o", color=colour, mec="black", label="member"),
        Line2D([], [], ls="", marker="o", color="lightgray", label="muted (faded)"),
        Line2D([], [], color="crimson", marker=">", ms=4, lw=0.8, label="invited (arrow)"),
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=3, fontsize=7, frameon=False
    )
    ax.set_title(
        f"{title}: {len(persons)} members, {int(muted.sum())} muted, {len(strength)} ties inside",
        fontsize=9,
    )
    ax.set_axis_off()
    if len(xy):
        ax.update_datalim(xy)
        ax.autoscale_view()


def living_groups(model: Simulation) -> np.ndarray:
    """Ids of the living groups, largest first (of equal size, the older first)."""
    alive = np.flatnonzero(model.groups.alive)
    return alive[np.argsort(-model.groups.members[alive], kind="stable")]


def group_network(model: Simulation, group: int) -> dict[str, np.ndarray]:
    """The current members of ``group``, the ties among them and who invited whom.

    Returns:
        ``persons`` and ``muted`` per member; ``u``, ``v`` and ``strength`` per tie inside
        the group (each tie once); ``inviter`` and ``invitee`` per member invited by a
        member who is still in the group.
    """
    m = model.memberships
    rows = model.active_memberships()
    rows = rows[m.group[rows] == group]
    persons = m.person[rows].astype(np.int64)
    ties = model.world.ties
    owner, other, eid = ties.neighbours(persons)
    inside = np.isin(other, persons) & (persons[owner] < other)  # each tie once
    inviter = m.inviter[rows]
    invited = (inviter != NO_ONE) & np.isin(inviter, persons)
    return {
        "persons": persons,
        "muted": m.muted[rows].astype(bool),
        "u": persons[owner[inside]],
        "v": other[inside].astype(np.int64),
        "strength": ties.strength(eid[inside], model.day).astype(np.float64),
        "inviter": inviter[invited].astype(np.int64),
        "invitee": persons[invited],
    }
