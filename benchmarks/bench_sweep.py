"""Benchmark a 40-run sweep on each executor: wall time, speed-up, identical tables.

Each executor runs the whole sweep in a fresh ``groupsim sweep --fresh`` process, so
the times include starting workers (process pool or Dask cluster) and assembling the
results, as a user would see them. After all runs the ``runs.parquet`` of every executor
is compared byte for byte with the first.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_sweep.py
    .venv/bin/python benchmarks/bench_sweep.py --experiment experiments/super_user_share.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_markdown, markdown_table, uptime_line

EXECUTORS = {
    "1 process": [],
    "2 local processes": ["--workers", "2"],
    "local Dask cluster, 2 workers": ["--dask-local", "2"],
}


def main() -> None:
    """Run the sweep on every executor and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--experiment", default=str(ROOT / "experiments" / "group_size_survival.yaml")
    )
    parser.add_argument(
        "--executors",
        nargs="+",
        choices=list(EXECUTORS),
        default=list(EXECUTORS),
        help="Executors to time (the first is the baseline of the speed-up).",
    )
    parser.add_argument("--json", type=Path, help="Also write the raw numbers here.")
    args = parser.parse_args()
    groupsim = Path(sys.executable).parent / "groupsim"
    name = Path(args.experiment).stem
    print(f"# Sweep benchmark: {name}\n")
    print(machine_markdown())
    rows, raw = [], {}
    baseline = None
    reference_digest = None
    with tempfile.TemporaryDirectory() as tmp:
        for label in args.executors:
            flags = EXECUTORS[label]
            out = Path(tmp) / label.replace(" ", "_").replace(",", "")
            started = time.perf_counter()
            done = subprocess.run(
                [groupsim, "sweep", args.experiment, "--fresh", "--out", out, *flags],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"{label} failed:\n{done.stderr[-2000:]}")
            folder = out / name
            digest = hashlib.sha256((folder / "runs.parquet").read_bytes()).hexdigest()
            reference_digest = reference_digest or digest
            manifest = json.loads((folder / "manifest.json").read_text())
            baseline = baseline or seconds
            rows.append(
                [
                    label,
                    manifest["runs"],
                    f"{seconds:.1f} s",
                    f"{manifest['run_seconds_total']:.1f} s",
                    f"{baseline / seconds:.2f}×",
                    "yes" if digest == reference_digest else "**no**",
                ]
            )
            raw[label] = {"seconds": seconds, "runs": manifest["runs"], "digest": digest}
    print(
        "\n"
        + markdown_table(
            [
                "executor",
                "runs",
                "wall time",
                "sum of run times",
                "speed-up",
                "runs.parquet identical",
            ],
            rows,
        )
    )
    print("\n" + uptime_line("after"))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
