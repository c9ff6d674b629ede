"""The finished runs of a sweep on disk: one JSON record per run, written atomically.

A record is written to a temporary file in the same folder and renamed into place, so a
record either exists whole or not at all, whenever the process is killed. Records are
named by run id (seed and digest of the resolved scenario), so a record can only ever be
reused for exactly the run that produced it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write a file through a temporary file in its folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}"
    data = text.encode("utf-8") if isinstance(text, str) else text
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


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
