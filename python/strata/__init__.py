"""Strata: a feature store and training-data engine for recommendation, search and ads models.

This package is the Python face of the embedded store. Data crosses into and out of the
native library through the Arrow C stream interface: no row passes through Python objects.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional, Union

import pyarrow as pa

from . import _strata

__all__ = ["training_set"]

# Parquet row groups of training sets: what the loader shards and shuffles by.
TRAINING_ROW_GROUP_ROWS = 64 * 1024


def _as_stream_source(spine):
    """A path (str) or an object exporting an Arrow C stream capsule."""
    if isinstance(spine, (str, os.PathLike)):
        return os.fspath(spine)
    if hasattr(spine, "__arrow_c_stream__"):
        return spine.__arrow_c_stream__()
    try:
        import pandas as pd  # optional
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(spine, pd.DataFrame):
        return pa.Table.from_pandas(spine, preserve_index=False).__arrow_c_stream__()
    raise TypeError(
        f"spine must be a path, a pyarrow Table/RecordBatchReader or a pandas DataFrame, not {type(spine).__name__}"
    )


class _Stream:
    """Hands a capsule to pyarrow through the __arrow_c_stream__ protocol."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self._capsule


def training_set(
    repo: Union[str, os.PathLike],
    spine,
    features: Union[str, Iterable[str]],
    *,
    out: Optional[Union[str, os.PathLike]] = None,
    timestamp_column: str = "ts",
    memory_limit: Union[str, int] = "4GB",
    threads: int = 0,
    snapshot: Union[str, int, None] = None,
) -> Optional[pa.Table]:
    """Builds a point-in-time-correct training set (rule 7 of the design).

    For every spine row, each requested feature as it was at the row's time. `spine` is a
    pyarrow Table or RecordBatchReader, a pandas DataFrame, or a path (.parquet, .csv,
    .jsonl). `features` are refs like "group:feature", "group:*" or "group:feature@N".
    Returns a pyarrow Table, or writes Parquet to `out` (row groups of 64Ki rows) and
    returns None.
    """
    refs = [f.strip() for f in features.split(",")] if isinstance(features, str) else list(features)
    capsule = _strata.training_set(
        os.fspath(repo),
        _as_stream_source(spine),
        refs,
        timestamp_column=timestamp_column,
        memory_limit=str(memory_limit),
        threads=threads,
        snapshot="" if snapshot is None else str(snapshot),
    )
    reader = pa.RecordBatchReader.from_stream(_Stream(capsule))
    if out is None:
        return reader.read_all()
    import pyarrow.parquet as pq

    with pq.ParquetWriter(os.fspath(out), reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=TRAINING_ROW_GROUP_ROWS)
    return None
