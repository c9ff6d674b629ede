"""Screenshots of the browser page for the docs: docs/img/viz_day0.png and viz_day60.png.

Not a test: run it by hand after changing the page, from the repository root::

    python docs/screenshots.py [SCENARIO.yaml]

It serves ``groupsim viz`` on a free port, opens the page in the machine's Chromium
(through playwright, which downloads nothing), takes a picture at day 0, steps the
model 60 days and takes another.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from sim.browser import CHROMIUM_FLAGS, find_chromium, served_page

ROOT = Path(__file__).resolve().parent.parent
DAYS = 60


def step_to(tab, day: int) -> None:
    """Step the page's model to ``day`` with the render-interval slider and Step."""
    interval = tab.get_by_role("slider").nth(1)  # Mesa's "Render Interval (steps)": 1, 3, 5…
    done = 0
    while done < day:
        jump = min(day - done, 59)
        jump -= 1 - jump % 2  # an odd number of days: the slider's values
        interval.focus()
        tab.keyboard.press("Home")
        for _ in range(jump // 2):
            tab.keyboard.press("ArrowRight")
        tab.get_by_role("button", name="Step").click()
        done += jump
        tab.get_by_text(f"Time: {done}.0").wait_for()


def main(scenario: str = "scenarios/baseline.yaml") -> None:
    """Take the two screenshots of ``scenario``."""
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium on this machine: `bash .ci/setup --dev` installs it")
    log = Path(tempfile.mkdtemp()) / "server.log"
    with served_page(Path(scenario).resolve(), log) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        tab = browser.new_page(viewport={"width": 1500, "height": 2050})
        tab.set_default_timeout(120_000)
        tab.goto(url)
        tab.get_by_text("Time: 0.0").wait_for()
        tab.wait_for_timeout(1500)
        tab.screenshot(path=out / "viz_day0.png", full_page=False)
        step_to(tab, DAYS)
        tab.wait_for_timeout(3000)  # the figures are drawn after the step counter
        tab.screenshot(path=out / "viz_day60.png", full_page=False)
        browser.close()
    print(f"wrote {out / 'viz_day0.png'} and {out / 'viz_day60.png'}")


if __name__ == "__main__":
    main(*sys.argv[1:])
