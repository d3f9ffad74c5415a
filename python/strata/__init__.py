"""Strata: a feature store and training-data engine for recommendation, search and ads models.

This package is the Python face of the embedded store (`strata.open`). Data crosses into and
out of the native library through the Arrow C data and stream interfaces: no row passes
through Python objects, and the GIL is released while native code works. The PyTorch loader
is in `strata.torch` (the only part that needs torch).
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Iterable, List, Optional, Sequence, Union

import pyarrow as pa

from . import _strata
from . import errors
from .errors import *  # noqa: F401,F403 - the exception classes, listed in errors.__all__
from ._args import refs as _refs
from .client import RemoteStore, connect
from .datagen import gen_recsys

__all__ = ["open", "apply", "connect", "Store", "RemoteStore", "training_set", "gen_recsys", *errors.__all__]

# Parquet row groups of training sets: what the loader shards and shuffles by.
TRAINING_ROW_GROUP_ROWS = 64 * 1024

PathLike = Union[str, "os.PathLike[str]"]


def _stream_capsule(data, what: str):
    """An Arrow C stream capsule for a pyarrow Table/RecordBatch/RecordBatchReader, a pandas
    DataFrame or anything with __arrow_c_stream__."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if hasattr(data, "__arrow_c_stream__"):
        return data.__arrow_c_stream__()
    try:
        import pandas as pd  # optional
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False).__arrow_c_stream__()
    raise TypeError(
        f"{what} must be a path, a pyarrow Table/RecordBatchReader or a pandas DataFrame, not {type(data).__name__}"
    )


def _path_or_stream(data, what: str):
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return _stream_capsule(data, what)


def _time_text(t) -> Optional[str]:
    """A time as the native side parses it: ISO-8601 text or epoch microseconds."""
    if t is None:
        return None
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return str(int(t.timestamp() * 1_000_000))
    if isinstance(t, (int,)) and not isinstance(t, bool):
        return str(t)
    if isinstance(t, str):
        return t
    if hasattr(t, "to_pydatetime"):  # pandas Timestamp
        return _time_text(t.to_pydatetime())
    raise TypeError(f"a time must be a datetime, epoch microseconds (int) or ISO-8601 text, not {type(t).__name__}")


def _key_capsules(keys):
    if isinstance(keys, (str, int)):
        keys = [keys]
    array = keys if isinstance(keys, (pa.Array, pa.ChunkedArray)) else pa.array(list(keys) if not hasattr(keys, "__array__") else keys)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.__arrow_c_array__()




class _Stream:
    """Hands a capsule to pyarrow through the __arrow_c_stream__ protocol."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self._capsule


def _reader(capsule) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_stream(_Stream(capsule))


# Field metadata giving an embedding's dimension where it is written to Parquet as list<float>
# (as the C++ writers do, src/strata/core/parquet_vectors.h): the pyarrow Strata is built
# against cannot read back null fixed-size lists from Parquet (apache/arrow#35692).
VECTOR_DIM_METADATA_KEY = b"strata.vector_dim"


def _parquet_vector_schema(schema: pa.Schema) -> pa.Schema:
    fields = []
    for f in schema:
        if pa.types.is_fixed_size_list(f.type) and pa.types.is_float32(f.type.value_type):
            meta = dict(f.metadata or {})
            meta[VECTOR_DIM_METADATA_KEY] = str(f.type.list_size).encode()
            f = pa.field(f.name, pa.list_(f.type.value_field), f.nullable, meta)
        fields.append(f)
    return pa.schema(fields, schema.metadata)


def _write_parquet(reader: pa.RecordBatchReader, out: PathLike) -> None:
    import pyarrow.parquet as pq

    schema = _parquet_vector_schema(reader.schema)
    with pq.ParquetWriter(os.fspath(out), schema, compression="zstd") as writer:
        for batch in reader:
            if schema != reader.schema:
                batch = pa.RecordBatch.from_arrays(
                    [c.cast(f.type) if c.type != f.type else c for c, f in zip(batch.columns, schema)], schema=schema
                )
            writer.write_batch(batch, row_group_size=TRAINING_ROW_GROUP_ROWS)


class Store:
    """An embedded feature repository: strata.yaml, the online store (RocksDB) and the
    offline Iceberg tables in one directory. Open it with `strata.open(repo)`.

    A store opened for writing holds the online store's lock: one writer process at a time
    (as with `strata ingest`). Open with `read_only=True` to read beside a writer.
    """

    def __init__(self, native: "_strata.Store"):
        self._native = native

    @property
    def path(self) -> str:
        """The repository directory."""
        return self._native.dir

    def groups(self) -> List[str]:
        """The feature groups of the registered definitions."""
        return list(self._native.groups())

    def apply(self, dry_run: bool = False) -> List[str]:
        """Validates strata.yaml and registers it (or evolves the registered schema). Returns the
        plan, one line per change (empty when nothing changes). An incompatible change raises
        IncompatibleChangeError and changes nothing."""
        return list(self._native.apply(dry_run))

    def ingest(self, group: str, data, *, commit_rows: int = 0, batch_rows: int = 65536) -> dict:
        """Writes rows of `group` to the online and offline stores, with the same rules as
        `strata ingest`. `data` is a pyarrow Table/RecordBatch/RecordBatchReader, a pandas
        DataFrame, or a path (or list of paths) to .parquet, .csv or .jsonl files (files resume
        where an interrupted ingest stopped). Rejected rows go to the dead-letter file named in
        the summary; returns a summary dict (accepted, rejected, rejected_path, ...)."""
        if isinstance(data, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in data):
            source = [os.fspath(p) for p in data]
        elif isinstance(data, (str, os.PathLike)):
            source = [os.fspath(data)]
        else:
            source = _stream_capsule(data, "data")
        return dict(self._native.ingest(group, source, commit_rows, batch_rows))

    def get_online(
        self,
        group: str,
        keys,
        features: Optional[Union[str, Sequence[str]]] = None,
        as_of=None,
        *,
        limit: int = 0,
    ) -> pa.Table:
        """Latest features of `keys` from the online store, as of `as_of` (default now), in one
        batched lookup: a Table with the key column then one column per feature (null where a
        key has no value or it expired). Sequence groups give lists, newest first (`limit`:
        at most that many events)."""
        names = [] if features is None else _refs(features)
        schema, array = _key_capsules(keys)
        return _reader(self._native.get_online(group, schema, array, names, _time_text(as_of), limit)).read_all()

    def training_set(
        self,
        spine,
        features: Union[str, Iterable[str]],
        *,
        out: Optional[PathLike] = None,
        timestamp_column: str = "ts",
        memory_limit: Union[str, int] = "4GB",
        threads: int = 0,
        snapshot: Union[str, int, None] = None,
    ) -> Optional[pa.Table]:
        """A point-in-time-correct training set: for every spine row, each feature as it was at
        the row's time (rule 7 of the design). `spine` is a pyarrow Table/RecordBatchReader, a
        pandas DataFrame or a path (.parquet, .csv, .jsonl); `features` are refs like
        "group:feature", "group:*" or "group:feature@N". Returns a Table, or writes Parquet to
        `out` (row groups of 64Ki rows, what strata.torch shards by) and returns None."""
        capsule = self._native.training_set(
            _path_or_stream(spine, "spine"),
            _refs(features),
            timestamp_column=timestamp_column,
            memory_limit=str(memory_limit),
            threads=threads,
            snapshot="" if snapshot is None else str(snapshot),
        )
        reader = _reader(capsule)
        if out is None:
            return reader.read_all()
        _write_parquet(reader, out)
        return None

    def scan(
        self,
        group: str,
        *,
        snapshot: Optional[int] = None,
        as_of_time=None,
        keys=None,
    ) -> pa.RecordBatchReader:
        """The group's offline (Iceberg) table: every ingested row with its event time and
        write_seq, at the current snapshot, at `snapshot`, or as the table was at `as_of_time`;
        `keys` keeps only those entities. A stream of record batches (`.read_all()` for a Table)."""
        if snapshot is not None and as_of_time is not None:
            raise InvalidArgumentError("give snapshot or as_of_time, not both")
        key_schema = key_array = None
        if keys is not None:
            key_schema, key_array = _key_capsules(keys)
        return _reader(self._native.scan(group, snapshot, _time_text(as_of_time), key_schema, key_array))

    def snapshots(self, group: str) -> List[dict]:
        """The group's offline snapshots (id, parent_id, timestamp_ms, summary), oldest first."""
        return list(self._native.snapshots(group))

    def close(self) -> None:
        """Releases the stores (and the writer's lock). The Store cannot be used afterwards."""
        self._native.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"strata.Store({self.path!r}{', read_only=True' if self._native.read_only else ''})"


def open(repo: PathLike = ".", *, read_only: bool = False) -> Store:  # noqa: A001 - the natural name
    """Opens the feature repository at `repo` (a directory with strata.yaml that `strata apply`
    or Store.apply() registered). Raises FailedPreconditionError if it was never applied."""
    return Store(_strata.Store(os.fspath(repo), read_only))


def apply(repo: PathLike = ".", *, dry_run: bool = False) -> List[str]:
    """Validates the repository's strata.yaml and registers it (the first time: creates the
    stores), like `strata apply`. Returns the plan, one line per change."""
    return list(_strata.apply(os.fspath(repo), dry_run))


def training_set(
    repo: PathLike,
    spine,
    features: Union[str, Iterable[str]],
    *,
    out: Optional[PathLike] = None,
    timestamp_column: str = "ts",
    memory_limit: Union[str, int] = "4GB",
    threads: int = 0,
    snapshot: Union[str, int, None] = None,
) -> Optional[pa.Table]:
    """Store.training_set on the repository at `repo`, opened read-only for the call."""
    with open(repo, read_only=True) as store:
        return store.training_set(
            spine,
            features,
            out=out,
            timestamp_column=timestamp_column,
            memory_limit=memory_limit,
            threads=threads,
            snapshot=snapshot,
        )
