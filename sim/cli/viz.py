"""``groupsim viz``: the browser page (Mesa's SolaraViz, ``sim/app.py``), served by solara."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import app, err_console, fail
from sim.scenario import ScenarioError, load_scenario

APP_SCENARIOS_VARIABLE = "GROUPSIM_SCENARIOS"
"""How ``groupsim viz`` tells the page (``sim/app.py``) which scenarios to offer."""


def serve(scenarios: Path, port: int, host: str) -> None:
    """Check every scenario the page will offer, then serve the page until stopped."""
    if not scenarios.exists():
        fail(f"{scenarios}: no such file or folder")
    folder = scenarios.parent if scenarios.is_file() else scenarios
    files = sorted(folder.glob("*.yaml"))
    if not files:
        fail(f"{folder}: no *.yaml scenario files")
    for file in files:  # the page offers every one: check them all before serving
        try:
            load_scenario(file)
        except ScenarioError as error:
            fail(error)
    if importlib.util.find_spec("solara") is None:
        fail("the page needs the viz extra: bash .ci/setup --viz (or pip install 'groupsim[viz]')")
    env = {
        **os.environ,
        APP_SCENARIOS_VARIABLE: str(scenarios.resolve()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    page = Path(__file__).resolve().parent.parent / "app.py"
    command = [sys.executable, "-m", "solara", "run", str(page), "--production"]
    err_console.print(f"groupsim viz: http://{host}:{port} (Ctrl+C stops it)", highlight=False)
    try:
        done = subprocess.run([*command, "--host", host, "--port", str(port)], env=env)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(done.returncode)


Scenarios = Annotated[
    Path,
    typer.Argument(
        help="A scenario file, which the page opens with (the other files of its folder "
        "are offered too), or a folder of scenario files."
    ),
]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")]
Host = Annotated[str, typer.Option(help="Address to serve on.")]


@app.command()
def viz(
    scenario: Scenarios = Path("scenarios"), port: Port = 8765, host: Host = "127.0.0.1"
) -> None:
    """Watch a scenario day by day in the browser, and steer it with sliders."""
    serve(scenario, port, host)


@app.command(name="app", hidden=True)
def app_alias(
    scenario: Scenarios = Path("scenarios"), port: Port = 8765, host: Host = "127.0.0.1"
) -> None:
    """The former name of ``groupsim viz``."""
    serve(scenario, port, host)
