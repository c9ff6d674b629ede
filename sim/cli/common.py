"""What every ``groupsim`` command shares: the Typer app, the consoles, errors, tables."""

from __future__ import annotations

import sys
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.scenario import ScenarioError

app = typer.Typer(
    name="groupsim",
    help="Agent-based simulator of social spread in chat groups and communities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Redirected output is not cut to 80 columns: tables stay readable in logs and files.
out_console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

SHORT_HEADERS = {
    "median lifetime (days)": "median\nlifetime\n(days)",
    "95% CI low": "95% CI\nlow",
    "95% CI high": "95% CI\nhigh",
    "peak members": "peak\nmembers",
    "final members": "final\nmembers",
    "posts per member-day": "posts per\nmember-day",
    "accepted invites per member": "accepted\ninvites per\nmember",
    "muted share": "muted\nshare",
    "alive at end": "alive\nat end",
    "share alive": "share\nalive",
    "median lifetime": "median\nlifetime\n[95% CI]",
    "RMST (days)": "RMST\n(days)",
}

Workers = Annotated[
    int, typer.Option(min=1, help="Local worker processes (1: run in this process).")
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786."),
]
DaskLocal = Annotated[
    int | None,
    typer.Option("--dask-local", min=1, help="Start a local Dask cluster with N workers."),
]
Resume = Annotated[
    bool, typer.Option("--resume", help="Keep stored runs; run only the missing ones.")
]
Fresh = Annotated[
    bool, typer.Option("--fresh", help="Delete the stored runs first and start over.")
]
"""Options of the commands that run many scenarios (sweep, compare): where and how."""

Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: --set population.size=5000 (repeatable)."),
]


def error(text: object) -> None:
    """Print an error message on stderr (its text is not read as rich markup)."""
    # Messages quote the input, which may hold brackets.
    err_console.print(f"[bold red]error:[/] {escape(str(text))}", highlight=False, soft_wrap=True)


def fail(problem: ScenarioError | str) -> None:
    """Print a bad-input error as one message and exit with status 2."""
    error(problem)
    raise typer.Exit(2)


def number(value: object) -> str:
    """A number as a table shows it: three significant digits, thousands grouped, ∞."""
    if isinstance(value, float):
        if np.isinf(value):
            return "∞"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, list):
        return " / ".join(number(v) for v in value)
    return str(value)


SURVIVAL_COLUMNS = ("cohort", "groups", "share alive", "median lifetime", "RMST (days)")
ACTIVITY_COLUMNS = (
    "cohort",
    "peak members",
    "final members",
    "posts per member-day",
    "accepted invites per member",
    "muted share",
)


def summary_tables(summary, name: str) -> list[Table]:
    """The run summary as two tables narrow enough for an 80-column terminal.

    Survival (share alive, median lifetime with its 95% CI, restricted mean lifetime) and
    size and activity; every column is in the run's ``summary.md``.
    """
    frame = summary.copy()
    frame["median lifetime"] = [
        f"{number(m)} [{number(lo)}, {number(hi)}]"
        for m, lo, hi in zip(
            frame["median lifetime (days)"], frame["95% CI low"], frame["95% CI high"], strict=True
        )
    ]
    tau = sorted(set(frame["RMST up to (days)"]))
    horizon = f"RMST up to {tau[0]} days" if len(tau) == 1 else "RMST up to each cohort's follow-up"
    return [
        rich_table(
            frame[list(SURVIVAL_COLUMNS)],
            f"{name}: survival of groups by cohort",
            caption=f"median lifetime in days [95% CI]; {horizon}",
        ),
        rich_table(frame[list(ACTIVITY_COLUMNS)], f"{name}: size and activity by cohort"),
    ]


def commerce_tables(commerce: dict, name: str, brand_in_top15: float) -> list[Table]:
    """Sales by product and customer value, each narrow enough for 80 columns."""
    sales = commerce["sales"]
    return [
        rich_table(
            sales[["product", "purchases", "sales", "buyers", "repurchase rate"]],
            f"{name}: sales by product",
        ),
        rich_table(
            sales[
                ["product", "word of mouth", "of which referral", "top 10% share", "top 20% share"]
            ],
            f"{name}: word of mouth and concentration",
            caption="shares of purchases; top shares: of sales, by the top buyers",
        ),
        rich_table(
            commerce["customer value"],
            f"{name}: customer value over buyers",
            caption=f"buyers with the brand inside their 15 closest: {number(brand_in_top15)}",
        ),
    ]


def rich_table(frame, title: str, caption: str | None = None) -> Table:
    """A DataFrame as a rich table, with an optional line under it."""
    # Names such as rmst[plain] must not be read as rich markup.
    table = Table(
        title=escape(title),
        title_justify="left",
        caption=escape(caption) if caption else None,
        caption_justify="left",
    )
    for column in frame.columns:
        header = SHORT_HEADERS.get(str(column), str(column))
        justify = "left" if frame[column].dtype == object else "right"
        table.add_column(escape(header), justify=justify)
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(number(v)) for v in row))
    return table
