"""Compare the Parquet tables of two sets of run folders, table by table.

Usage: ``python benchmarks/compare_tables.py BEFORE AFTER``, each a ``--out`` folder of
``groupsim run`` holding one folder per scenario with one run in it. Prints one Markdown row per
scenario and table: equal (``DataFrame.equals``) or where the first difference is.
Exit status 1 if any table differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.tables import read_parquet


def main(before: Path, after: Path) -> int:
    differ = 0
    print("| scenario | table | rows | same |")
    print("|---|---|---|---|")
    for scenario in sorted(p for p in before.iterdir() if p.is_dir()):
        (run,) = (p for p in scenario.iterdir() if p.is_dir())
        found = [p for p in (after / scenario.name).glob("*") if p.is_dir()]
        for table in sorted(run.glob("*.parquet")):
            old = read_parquet(table)
            other = found[0] / table.name if len(found) == 1 else None
            new = read_parquet(other) if other is not None and other.exists() else None
            same = new is not None and old.equals(new)
            differ += not same
            mark = "yes" if same else "**no**"
            print(f"| {scenario.name} | {table.stem} | {len(old):,} | {mark} |")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
