"""Reading back Parquet tables: by path, everywhere (``sim.tables``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.tables import read_parquet

ROOT = Path(__file__).resolve().parents[1]
PANDAS_READER = re.compile(r"\b(pd|pandas)\.read_parquet\(")


def test_read_parquet_gives_back_the_table_written(tmp_path):
    frame = pd.DataFrame(
        {
            "group": np.arange(5, dtype=np.int32),
            "share": np.linspace(0.0, 1.0, 5),
            "cohort": ["a", "b", "a", "c", "b"],
        }
    )
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "t.parquet"), frame, check_exact=True)


def test_no_code_reads_parquet_through_a_pandas_file_handle():
    """pandas' reader hands pyarrow a file object, after which the process may abort at exit."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("sim", "tests", "benchmarks")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PANDAS_READER.search(line) and path != Path(__file__).resolve()
    ]
    assert offenders == []
