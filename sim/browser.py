"""Serve the browser page and find a headless browser to open it in.

Shared by the browser test (``tests/test_app.py``) and the docs' screenshots
(``docs/screenshots.py``): both start ``groupsim viz`` the way a user does, on a free
port, and open the page in the machine's Chromium through playwright, which downloads
nothing.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # these machines run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Offline machines: nothing may reach out for updates or sync.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags for a headless Chromium that needs no display and makes no request of its own."""

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The path of the machine's Chromium, or ``None`` if there is none."""
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A local port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served_page(scenario: str | Path, log: Path, seconds: float = 180) -> Iterator[str]:
    """Run ``groupsim viz scenario`` on a free port until the block ends.

    Args:
        scenario: The scenario file the page opens with.
        log: File that receives the server's output.
        seconds: How long the page may take to answer.

    Yields:
        The page's URL, once it answers.

    Raises:
        RuntimeError: The server stopped or did not answer in time (with the end of its
            output).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "viz", str(scenario), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that the whole server stops at the end
        )
    try:
        deadline = time.monotonic() + seconds
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"the page did not start at {url}:\n{tail}")
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False
