"""The browser page (`groupsim app`, sim/app.py): served for real, driven in Chromium.

The server is started the way a user starts it, with ``groupsim app <folder>``; the page
is opened in the machine's headless Chromium (playwright drives it; it downloads
nothing). The model behind the page is checked against the one ``groupsim run`` runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sim.model import GroupModel
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000


def groupsim(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, **kwargs
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "no Chromium on this machine: `bash .ci/setup --dev` installs Debian's package "
        "when run as root; otherwise install chromium yourself"
    )


# ----------------------------------------------------------------- without a browser


def test_page_model_is_the_model_of_groupsim_run():
    from sim.app import ScenarioModel

    page = ScenarioModel("fission", people=2000, seed=5)
    path = ROOT / "scenarios" / "fission.yaml"
    plain = GroupModel(scenario=load_scenario(path, ["population.size=2000", "seed=5"]), rng=5)
    for _ in range(12):
        page.step()
        plain.step()
    ours = page.datacollector.get_model_vars_dataframe()
    theirs = plain.datacollector.get_model_vars_dataframe()
    assert ours.equals(theirs) and ours["members"].iloc[-1] > 0
    assert page.config.name == "fission" and page.n == 2000


def test_page_model_refuses_a_seed_that_is_not_a_number():
    from sim.app import ScenarioModel

    with pytest.raises(ValueError, match="the seed must be a whole number, not 'abc'"):
        ScenarioModel("baseline", people=2000, seed="abc")


def test_app_command_refuses_bad_folders_before_serving(tmp_path):
    missing = groupsim("app", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = groupsim("app", str(tmp_path))
    assert empty.returncode == 2 and "no *.yaml scenario files" in empty.stderr
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    (tmp_path / "broken.yaml").write_text("name: broken\ndays: 30\npopulation:\n  sise: 10\n")
    broken = groupsim("app", str(tmp_path / "baseline.yaml"), "--port", str(free_port()))
    assert broken.returncode == 2
    assert "broken.yaml" in broken.stderr and ":4" in broken.stderr and "sise" in broken.stderr
    assert "Traceback" not in broken.stderr


# ----------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenarios")
    for name in ("baseline", "fission"):
        shutil.copy(ROOT / "scenarios" / f"{name}.yaml", folder / f"{name}.yaml")
    port = free_port()
    log = folder.parent / "server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "app", str(folder), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that the whole server stops at the end
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGTERM)
            pytest.fail(f"the app did not start:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    yield url, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        yield chrome
        chrome.close()


@pytest.fixture
def page(server, browser):
    url, _ = server
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.set_default_timeout(WAIT_MS)
    tab.goto(url)
    tab.get_by_text("Time: 0.0").wait_for()
    yield tab
    tab.close()


def plot_sources(tab) -> list[str]:
    return [img.get_attribute("src") for img in tab.locator("img").all()]


def test_page_steps_the_model_and_redraws(page):
    page.get_by_text("baseline, day 0 of 180").wait_for()
    # Before the first day no group exists: the table, members and survival say so.
    assert page.get_by_text("No group has been created yet.").count() == 3
    before = plot_sources(page)
    assert len(before) == 3  # the DataCollector series, drawn by Mesa's plot component
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Time: 1.0").wait_for()
    page.get_by_text("baseline, day 1 of 180").wait_for()
    # Groups created on day 0 appear in the cohort table, and in two more plots.
    page.get_by_role("cell", name="lecture").wait_for()
    page.locator("img").nth(4).wait_for()
    assert page.get_by_text("No group has been created yet.").count() == 0
    # Play runs the model on its own until paused.
    page.get_by_role("button", name="▶").click()
    page.get_by_text("Time: 5.0").wait_for()
    page.get_by_role("button", name="❚❚").click()
    assert plot_sources(page) != before


def test_reset_builds_the_chosen_scenario(page):
    page.get_by_text("baseline, day 0 of 180").wait_for()
    page.locator(".v-select").first.click()
    page.get_by_role("option", name="fission").click()
    page.get_by_role("button", name="Reset").click()
    fission = load_scenario(ROOT / "scenarios" / "fission.yaml")
    page.get_by_text(f"fission, day 0 of {fission.days}").wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(f"fission, day 1 of {fission.days}").wait_for()
    cohort = next(iter(fission.groups))
    page.get_by_role("cell", name=cohort, exact=True).wait_for()


def test_server_needed_nothing_from_the_network(server, page):
    _, log = server
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Time: 1.0").wait_for()
    text = log.read_text()
    assert "groupsim app: http://127.0.0.1:" in text
    assert "Could not load URL" not in text  # every front-end file came from the package
    assert "Traceback" not in text


def test_each_tab_has_its_own_model(page, browser, server):
    other = browser.new_page()
    other.set_default_timeout(WAIT_MS)
    other.goto(server[0])
    other.get_by_text("Time: 0.0").wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Time: 1.0").wait_for()
    other.get_by_role("button", name="Step").click()
    other.get_by_text("Time: 1.0").wait_for()  # not 2.0: the first tab's step is not its
    other.close()
