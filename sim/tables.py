"""Reading back the Parquet tables that groupsim writes.

Every table is read through :func:`read_parquet`, which hands pyarrow the file's path.
``pandas.read_parquet`` opens the file itself and hands pyarrow a Python file object;
after such a read pyarrow's thread pool may be torn down while one of its threads still
runs, and the interpreter then aborts as it exits (status 134, "terminate called without
an active exception"), once in about ten processes here, after all the work is done
(apache/arrow issue 50482 describes the same teardown). A command that wrote its results
would still report a failure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq


def read_parquet(path: str | Path) -> pd.DataFrame:
    """The Parquet table at ``path`` as a DataFrame, read by path."""
    return pq.read_table(Path(path)).to_pandas()
