"""The browser page (`groupsim viz`, sim/app.py): served for real, driven in Chromium.

The server is started the way a user starts it, with ``groupsim viz <file>``; the page
is opened in the machine's headless Chromium (playwright drives it; it downloads
nothing). The model behind the page is checked against the one ``groupsim run`` runs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.browser import CHROMIUM_FLAGS, find_chromium, free_port, served_page
from sim.config.behaviour import Behaviour
from sim.model import GroupModel
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
WAIT_MS = 60_000


def groupsim(*args: str):
    """The command line, in this process."""
    from sim.cli import app

    return CliRunner().invoke(app, list(map(str, args)))


def chromium() -> str:
    found = find_chromium()
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
    # The page's series by cohort add up to the pooled ones of the DataCollector.
    days = page.by_cohort.frame().groupby("day")[["posts", "members", "groups_alive"]].sum()
    assert days["posts"].tolist() == theirs["posts"].tolist()
    assert days["members"].tolist() == theirs["members"].tolist()
    assert days["groups_alive"].tolist() == theirs["groups_alive"].tolist()


def test_a_moved_slider_overrides_the_file_and_one_left_alone_does_not():
    from sim.app import ScenarioModel, slider_defaults

    start = slider_defaults()  # baseline's values: the page opens with baseline here
    assert start["invite_rate"] == 0.04
    left = ScenarioModel("fission", people=2000, invite_rate=start["invite_rate"])
    assert left.config.behaviour.invite_rate == 0.08  # fission's own value
    moved = ScenarioModel("fission", people=2000, invite_rate=0.1, silence_days=3)
    assert moved.config.behaviour.invite_rate == 0.1 and moved.config.behaviour.silence_days == 3
    with pytest.raises(TypeError, match="not a slider of the page: tie_saturation"):
        ScenarioModel("fission", people=2000, tie_saturation=1.0)


def test_page_model_refuses_a_seed_that_is_not_a_number():
    from sim.app import ScenarioModel

    with pytest.raises(ValueError, match="the seed must be a whole number, not 'abc'"):
        ScenarioModel("baseline", people=2000, seed="abc")


def test_network_of_a_group_holds_its_members_ties_and_invitations():
    from sim.app import ScenarioModel
    from sim.network_plot import group_network, living_groups

    model = ScenarioModel("fission", people=2000, seed=3)
    for _ in range(15):
        model.step()
    group = int(living_groups(model)[0])
    assert model.groups.members[group] == model.groups.members[model.groups.alive].max()
    net = group_network(model, group)
    members = set(net["persons"].tolist())
    assert len(members) == model.groups.members[group] == len(net["muted"])
    assert set(net["u"].tolist()) | set(net["v"].tolist()) <= members
    pairs = set(zip(net["u"].tolist(), net["v"].tolist(), strict=True))
    assert len(pairs) == len(net["u"]) > 0 and all(a < b for a, b in pairs)  # each tie once
    found = model.world.ties.find(net["u"], net["v"])
    assert (found >= 0).all() and np.all((net["strength"] > 0) & (net["strength"] <= 1))
    assert len(net["inviter"]) > 0 and set(net["inviter"].tolist()) <= members


def test_every_slider_starts_at_the_default_the_model_runs():
    from sim.app import SLIDERS

    defaults = Behaviour()
    for name, (_, low, high, step) in SLIDERS.items():
        value = getattr(defaults, name)
        steps = (value - low) / step
        assert low <= value <= high, name
        assert abs(steps - round(steps)) < 1e-6, f"{name}: {value} is not on the steps of {step}"


def test_viz_command_refuses_bad_folders_before_serving(tmp_path):
    missing = groupsim("viz", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    empty = groupsim("viz", tmp_path)
    assert empty.exit_code == 2 and "no *.yaml scenario files" in empty.output
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    (tmp_path / "broken.yaml").write_text("name: broken\ndays: 30\npopulation:\n  sise: 10\n")
    broken = groupsim("viz", tmp_path / "baseline.yaml", "--port", str(free_port()))
    assert broken.exit_code == 2
    assert "broken.yaml" in broken.output and ":4" in broken.output and "sise" in broken.output
    assert broken.exception is None or isinstance(broken.exception, SystemExit)
    assert groupsim("app", tmp_path / "nowhere").exit_code == 2  # the former name


def test_a_page_that_cannot_start_is_reported_with_the_server_s_words(tmp_path):
    log = tmp_path / "server.log"
    with (
        pytest.raises(RuntimeError, match="no such file or folder"),
        served_page(tmp_path / "nowhere.yaml", log, seconds=60),
    ):
        pass


# ----------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenarios")
    for name in ("baseline", "fission"):
        shutil.copy(ROOT / "scenarios" / f"{name}.yaml", folder / f"{name}.yaml")
    log = folder.parent / "server.log"
    # Fission, given as a file, opens on the page (baseline is offered too).
    try:
        with served_page(folder / "fission.yaml", log) as url:
            yield url, log
    except RuntimeError as failed:
        pytest.fail(str(failed))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=chromium(), args=list(CHROMIUM_FLAGS))
        yield chrome
        chrome.close()


@pytest.fixture
def page(server, browser):
    url, _ = server
    tab = browser.new_page(viewport={"width": 1500, "height": 2000})
    tab.set_default_timeout(WAIT_MS)
    tab.goto(url)
    tab.get_by_text("Time: 0.0").wait_for()
    yield tab
    tab.close()


def step(tab, day: int) -> None:
    tab.get_by_role("button", name="Step").click()
    tab.get_by_text(f"Time: {day}.0").wait_for()


def network_picture(tab) -> str:
    picture = tab.locator(".groupsim-network img")
    picture.wait_for()
    return picture.get_attribute("src")


def test_page_steps_the_model_and_redraws(page):
    fission = load_scenario(ROOT / "scenarios" / "fission.yaml")
    page.get_by_text(f"fission, day 0 of {fission.days}").wait_for()
    assert page.get_by_text("Page 0").is_hidden()  # Mesa's tab label of the only page
    # Before the first day nothing has been recorded: each panel says so.
    assert page.get_by_text("step the model to see its first day.").count() == 5
    assert page.get_by_text("no group has been created yet.").count() == 3
    assert page.get_by_text("The network of one group: no group is alive.").is_visible()
    step(page, 1)
    page.get_by_text(f"fission, day 1 of {fission.days}").wait_for()
    cohort = next(iter(fission.groups))
    page.get_by_role("cell", name=cohort, exact=True).first.wait_for()
    page.get_by_text("Groups: ").wait_for()
    first = network_picture(page)
    figures = [img.get_attribute("src") for img in page.locator("img").all()]
    assert len(figures) == 7  # five series by cohort, the network and the survival
    assert page.get_by_text("step the model to see its first day.").count() == 0
    for day in range(2, 5):
        step(page, day)
    page.get_by_text(f"fission, day 4 of {fission.days}").wait_for()
    page.wait_for_function(
        "src => document.querySelector('.groupsim-network img').src !== src", arg=first
    )
    # Play runs the model on its own until paused.
    page.get_by_role("button", name="▶").click()
    page.get_by_text("Time: 6.0").wait_for()
    page.get_by_role("button", name="❚❚").click()
    assert [img.get_attribute("src") for img in page.locator("img").all()] != figures


def test_a_slider_change_reaches_the_model(page):
    from sim.app import SLIDERS

    default = Behaviour().post_rate
    moved = round(default + 5 * SLIDERS["post_rate"][3], 6)
    settings = page.get_by_text("settings: ")
    assert f"post_rate {default:g}" in settings.inner_text()
    assert "invite_rate 0.08" in settings.inner_text()  # fission's, the file given
    post_rate = page.locator(".v-input", has_text="Post rate")
    label = post_rate.locator(".v-slider__thumb-label")
    assert label.is_visible() and label.inner_text() == f"{default:g}"  # shown, not on drag only
    post_rate.get_by_role("slider").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)  # each value reaches the server before the next
    assert label.inner_text() == f"{moved:g}"
    assert f"post_rate {default:g}" in settings.inner_text()  # the model changes on Reset only
    # Another scenario: the moved slider applies to it, the others leave it its own.
    page.locator(".v-select", has_text="Scenario").click()
    page.get_by_role("option", name="baseline").click()
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("baseline, day 0 of 180").wait_for()
    text = page.get_by_text("settings: ").inner_text()
    assert f"post_rate {moved:g} " in text and "invite_rate 0.04" in text
    step(page, 1)
    # Baseline's cohorts, not fission's: some of its 160 groups, created over its first
    # month, exist by day 1 (which cohorts depends on the seed).
    page.get_by_role("cell", name=re.compile(r"^(lecture|family|friends)$")).first.wait_for()
    assert page.get_by_role("cell", name="core", exact=True).count() == 0


def test_server_needed_nothing_from_the_network(server, page):
    _, log = server
    step(page, 1)
    text = log.read_text()
    assert "groupsim viz: http://127.0.0.1:" in text
    assert "Could not load URL" not in text  # every front-end file came from the package
    assert "Traceback" not in text


def test_each_tab_has_its_own_model(page, browser, server):
    other = browser.new_page()
    other.set_default_timeout(WAIT_MS)
    other.goto(server[0])
    other.get_by_text("Time: 0.0").wait_for()
    step(page, 1)
    step(other, 1)  # not 2: the first tab's step is not its
    other.close()
