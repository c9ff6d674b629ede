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
}

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


def rich_table(frame, title: str) -> Table:
    """A DataFrame as a rich table."""
    # Names such as rmst[plain] must not be read as rich markup.
    table = Table(title=escape(title), title_justify="left")
    for column in frame.columns:
        header = SHORT_HEADERS.get(str(column), str(column))
        justify = "left" if frame[column].dtype == object else "right"
        table.add_column(escape(header), justify=justify)
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(number(v)) for v in row))
    return table
