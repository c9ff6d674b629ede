"""The finished runs of a sweep on disk: one JSON record per run, written atomically.

A record is written to a temporary file in the same folder and renamed into place, so a
record either exists whole or not at all, whenever the process is killed. Records are
named by run id (seed and digest of the resolved scenario), so a record can only ever be
reused for exactly the run that produced it, and each records the digest of the code
that ran it (:func:`sim.runner.code_digest`): a record made by other code is run again.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write a file through a temporary file in its folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}"
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a full disk must not keep half a file
        raise


_FIELDS = {"run_id": str, "metrics": dict, "days_run": int, "lifetimes": dict}
_LIFETIMES = ("cohort", "lifetime", "censored")


def _record_problem(record: Any, run_id: str) -> str | None:
    """What makes a parsed record unusable, if anything."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for name, kind in _FIELDS.items():
        if not isinstance(record.get(name), kind):
            return f"field '{name}' missing or not a {kind.__name__}"
    if record["run_id"] != run_id:
        return f"it records run {record['run_id']!r}"
    if not isinstance(record.get("seconds"), int | float):
        return "field 'seconds' missing or not a number"
    lifetimes = record["lifetimes"]
    columns = [lifetimes.get(name) for name in _LIFETIMES]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        return f"field 'lifetimes' needs lists {', '.join(_LIFETIMES)} of one length"
    if not all(isinstance(v, int | float) or v is None for v in record["metrics"].values()):
        return "a metric is not a number"
    return None


class RunStore:
    """The ``runs/`` folder of a sweep.

    Args:
        folder: The sweep's results folder; records go to ``folder/runs``.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder) / "runs"

    def path(self, run_id: str) -> Path:
        """Where a run's record lives."""
        return self.folder / f"{run_id}.json"

    def done(self) -> set[str]:
        """Ids of the runs whose records are complete."""
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.json") if not p.name.startswith(".")}

    def write(self, record: dict[str, Any]) -> None:
        """Store one run's record atomically."""
        atomic_write(self.path(record["run_id"]), json.dumps(record, sort_keys=True))

    def read(self, run_id: str) -> dict[str, Any]:
        """A stored record."""
        return json.loads(self.path(run_id).read_text(encoding="utf-8"))

    def check(
        self, ids: set[str], metrics: list[str], code: str | None = None
    ) -> tuple[set[str], list[str]]:
        """Which stored records of ``ids`` can be reused, and what is wrong with the rest.

        A record that cannot be read, or lacks a field, is set aside as
        ``<run-id>.json.corrupt`` (kept for inspection, never read again); one that
        lacks a metric asked for now (the experiment gained a metric), records a
        failed run, or was made by other code than ``code`` is kept until its run is
        done again.

        Args:
            ids: The run ids of the experiment as it is now.
            metrics: The metrics it records.
            code: The digest of the code running now (:func:`sim.runner.code_digest`);
                None reuses records whatever code made them.

        Returns:
            The ids whose records can be used as they are, and one note per kind of
            problem, naming the files.
        """
        usable: set[str] = set()
        notes: list[str] = []
        lacking: dict[str, int] = {}
        failed = 0
        other_code = 0
        for run_id in sorted(self.done() & ids):
            path = self.path(run_id)
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                problem = _record_problem(record, run_id)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is not None:
                aside = path.with_name(path.name + ".corrupt")
                os.replace(path, aside)
                notes.append(
                    f"{path}: not a complete run record ({problem}); set aside as "
                    f"{aside.name}, to be run again"
                )
            elif code is not None and record.get("code") != code:
                other_code += 1
            elif record.get("error"):
                failed += 1
            elif missing := [m for m in metrics if m not in record["metrics"]]:
                key = ", ".join(missing)
                lacking[key] = lacking.get(key, 0) + 1
            else:
                usable.add(run_id)
        notes += [
            f"{count} stored run(s) lack the metric(s) {names}, added to the experiment "
            "since they ran: run again"
            for names, count in lacking.items()
        ]
        if other_code:
            notes.append(
                f"{other_code} stored run(s) were made by another version of groupsim's "
                "code (or of NumPy): run again, so that no table mixes two versions"
            )
        if failed:
            notes.append(f"{failed} stored run(s) had failed: run again")
        stale = self.done() - ids
        if stale:
            notes.append(
                f"{len(stale)} stored run(s) in {self.folder} are not runs of the experiment "
                "as it is now (it was edited since they ran): kept there, left out of the "
                "tables"
            )
        return usable, notes

    def clear_partial(self) -> int:
        """Remove temporary files left by a killed sweep; return how many."""
        if not self.folder.is_dir():
            return 0
        partial = list(self.folder.glob(".*.tmp-*"))
        for path in partial:
            path.unlink(missing_ok=True)
        return len(partial)

    def clear(self) -> None:
        """Remove every record and the sweep's own leftovers (a fresh start).

        Only files a sweep writes are removed: anything else in the folder is kept.
        """
        if self.folder.is_dir():
            for pattern in ("*.json", ".*.tmp-*", "*.json.corrupt"):
                for path in self.folder.glob(pattern):
                    if path.is_file() and not path.is_symlink():
                        path.unlink()


def made_by_other_code(record: dict[str, Any], code: str) -> str | None:
    """Why a run just finished must not be stored, if its record names other code.

    A cluster whose workers run another version of groupsim (or of NumPy) than the
    process that collects their runs would mix two models in one table.
    """
    made_by = record.get("code")
    if made_by == code:
        return None
    return (
        f"run {record.get('run_id')} was made by another version of groupsim's code "
        f"(digest {made_by}; this process has {code}): install the same version of "
        "groupsim and NumPy on every worker; the runs stored until then are whole"
    )


class StoredRunsError(ValueError):
    """Runs are stored already, and neither resuming nor starting afresh was asked for."""


def reusable_runs(
    store: RunStore,
    wanted: set[str],
    metrics: list[str],
    *,
    resume: bool,
    fresh: bool,
    code: str | None = None,
) -> tuple[set[str], list[str]]:
    """The stored runs that can be used as they are, after ``fresh`` or ``resume``.

    Args:
        store: Where the runs are stored.
        wanted: The run ids planned now.
        metrics: The metrics the runs must have recorded.
        resume: Keep what is stored and usable (see :meth:`RunStore.check`).
        fresh: Delete every stored run first.
        code: The digest of the code running now; with ``resume``, runs made by other
            code are run again.

    Returns:
        The usable run ids and the notes of :meth:`RunStore.check`.

    Raises:
        StoredRunsError: Runs are stored and neither ``resume`` nor ``fresh`` is set.
    """
    stored = store.done()
    if stored and fresh:
        store.clear()
        return set(), []
    if stored and not resume:
        raise StoredRunsError(
            f"{store.folder.parent}: {len(stored)} finished run(s) are stored already "
            f"({len(stored & wanted)} of these {len(wanted)}); use --resume to run only the "
            "missing ones, or --fresh to delete them and start over"
        )
    if resume:
        return store.check(wanted, metrics, code)
    return stored, []


def stored_value(value: float | None) -> float:
    """A metric value as a run record stores it; a failed run's missing one is nan."""
    return math.nan if value is None else float(value)
