"""Shared helpers for the benchmarks: child processes, memory watch, machine, tables.

Each measurement runs in a fresh Python subprocess so that its peak resident memory
(``ru_maxrss``) belongs to that measurement alone. The parent polls the child's resident
memory and kills it past a limit, so that a runaway size cannot exhaust the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "
GIB = 1024**3


# --------------------------------------------------------------------------- child side


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far, in bytes (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def current_rss_bytes() -> int:
    """Current resident memory of this process, in bytes (0 if unknown)."""
    return _proc_status_bytes(os.getpid(), "VmRSS")


def cpu_model() -> str:
    """The processor's model name and whether it has AVX-512 (``/proc/cpuinfo``).

    Machines of one kind can differ in both from one day to the next, and speed with
    them: every result records it.
    """
    name, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    name = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return f"{name}, {'with' if 'avx512f' in flags else 'without'} AVX-512"


def cpu_steal_seconds() -> float | None:
    """CPU time the hypervisor gave to other guests since boot, summed over all cores.

    Read from the ``steal`` column of ``/proc/stat``. On a shared host a run can be slow
    because the cores were lent elsewhere, not because the code got slower; the
    difference of two readings around a run tells the two apart. None where the kernel
    does not report it.
    """
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def source_digest() -> str:
    """A short digest of ``sim/**/*.py`` as it is now (the tree may be edited meanwhile)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "sim").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def emit(result: dict[str, Any]) -> None:
    """Print a child's result as one JSON line the parent can find."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- parent side


@dataclass
class ChildOutcome:
    """What a child run produced.

    Attributes:
        result: The child's JSON result, or None if it failed.
        status: ``"ok"``, ``"killed: memory"``, ``"killed: timeout"`` or ``"failed (rc)"``.
        seconds: Wall time of the whole child, imports included.
        watched_peak: Highest resident memory the parent saw (VmHWM), in bytes.
        stderr: The tail of the child's standard error.
    """

    result: dict[str, Any] | None
    status: str
    seconds: float
    watched_peak: int = 0
    stderr: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _proc_status_bytes(pid: int, key: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` in bytes (0 if unavailable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def run_child(
    script: Path,
    args: Sequence[str],
    *,
    max_rss_gb: float,
    timeout: float | None,
    poll: float = 0.5,
    show_stderr: bool = False,
) -> ChildOutcome:
    """Run ``script`` in a fresh interpreter and collect its JSON result.

    Args:
        script: The benchmark script (re-run with ``args``, normally ``--child ...``).
        args: Arguments for the child.
        max_rss_gb: Kill the child if its resident memory exceeds this many GiB.
        timeout: Kill the child after this many seconds (None: no limit).
        poll: Seconds between memory checks.
        show_stderr: Let the child's standard error through (progress) instead of
            capturing it.

    Returns:
        The outcome; ``result`` is None if the child failed or was killed.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=None if show_stderr else subprocess.PIPE,
        text=True,
    )
    limit = max_rss_gb * GIB
    status, watched = "ok", 0
    while True:
        try:
            out, err = proc.communicate(timeout=poll)
            break
        except subprocess.TimeoutExpired:
            watched = max(watched, _proc_status_bytes(proc.pid, "VmHWM"))
            over_time = timeout is not None and time.perf_counter() - started > timeout
            if watched > limit or over_time:
                status = "killed: memory" if watched > limit else "killed: timeout"
                proc.kill()
                out, err = proc.communicate()
                break
    seconds = time.perf_counter() - started
    result = None
    for line in out.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
    if status == "ok" and (proc.returncode != 0 or result is None):
        status = f"failed (rc {proc.returncode})"
    if status != "ok":
        result = None
    return ChildOutcome(result, status, seconds, watched, (err or "")[-2000:])


def uptime_line(when: str) -> str:
    """A Markdown line with the output of ``uptime`` (load averages), labelled ``when``."""
    return f"- `uptime` {when}: {_command(['uptime']).strip()}"


def _command(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.rstrip()
    except OSError:
        return "unavailable"


def machine_markdown() -> str:
    """The machine and software versions, as Markdown lines (read before measuring)."""
    import numpy

    try:
        from importlib.metadata import version

        mesa_version = version("mesa")
    except Exception:
        mesa_version = "unknown"
    commit = _command(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _command(["git", "-C", str(ROOT), "status", "--porcelain", "--", "sim"])
    lines = [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {platform.machine()} ({cpu_model()}), `nproc` = {_command(['nproc'])}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, mesa {mesa_version}",
        f"- git: {commit}{' with uncommitted changes in sim/' if dirty else ''}; "
        f"sim/ source digest {source_digest()}",
        "- `free -g`:",
        "",
        "```",
        _command(["free", "-g"]),
        "```",
        "",
        uptime_line("before"),
    ]
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table from a header and rows of cells."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_seconds(value: float | None) -> str:
    """Seconds with sensible precision, or a dash."""
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_gib(value: float | None) -> str:
    """Bytes as GiB with two decimals, or a dash."""
    return "–" if value is None else f"{value / GIB:.2f}"


def fmt_count(value: float) -> str:
    """A large count in k/M notation."""
    if value >= 1e6:
        return f"{value / 1e6:.3g}M"
    if value >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def target_verdict(target: tuple[float, float | None] | None, seconds: float, peak: int) -> str:
    """Whether a measurement meets its target ``(seconds, GB or None)``; "–" if it has none."""
    if target is None:
        return "–"
    limit_s, limit_gb = target
    goal = f"< {fmt_seconds(limit_s)} s" + (f", < {limit_gb:g} GB" if limit_gb else "")
    ok = seconds < limit_s and (limit_gb is None or peak < limit_gb * GIB)
    return f"{goal}: {'met' if ok else 'NOT met'}"
