"""strata.torch: training sets into PyTorch tensors at memory speed.

`TrainingDataset` is an IterableDataset over a training set (Parquet files written by
`strata training-set` / `Store.training_set(out=...)`, a directory of them, or a pyarrow Table).
Reading, decoding, shuffling and batch assembly run in C++ threads with a bounded prefetch
queue; each batch's tensors are handed to torch through DLPack without a copy. Python does
no per-row work.

Batches are dicts:
  "dense"        float32 [B, D]  the `dense` columns in order (nulls -> 0)
  "dense_mask"   uint8 [B, D]    1 where the dense value was present (dense_mask=True)
  <sparse col>   (values int64 [nnz], offsets int64 [B])   for nn.EmbeddingBag(values, offsets)
  <seq col>      (padded [B, N] int64 or float32, lengths int64 [B])  newest first, zero-padded
  <emb col>      float32 [B, D]  fixed-size float lists (nulls -> zeros)
  "label"        float32 [B]
  <extra col>    int64 or float32 [B]  passthrough (ids, times) for evaluation

Sharding: rows are split over (rank, world_size) of torch.distributed (when initialised, or as
given) and over DataLoader workers, by row group: across all ranks and workers each row comes
exactly once per epoch. Shuffling: row-group order per epoch plus a bounded shuffle buffer
(`shuffle_buffer` rows), deterministic for (seed, epoch); call `set_epoch` each epoch.
`state_dict()` / `load_state_dict()` resume mid-epoch without repeating or skipping a row
(per process: with DataLoader workers, use a loader that saves each worker's dataset state,
such as torchdata's StatefulDataLoader).
"""

from __future__ import annotations

import os
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa
import torch
import torch.utils.dlpack
from torch.utils.data import IterableDataset, get_worker_info

from . import _strata
from .errors import InvalidArgumentError

__all__ = ["TrainingDataset"]

_STATE_VERSION = 1


def _as_dict(value, what: str) -> Dict[str, int]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): int(v) for k, v in value.items()}
    out = {}
    for item in value:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise InvalidArgumentError(f"{what} must be a dict {{column: length}} or (column, length) pairs, not {item!r}")
        out[str(item[0])] = int(item[1])
    return out


class TrainingDataset(IterableDataset):
    """Batches of tensors from a training set; see the module documentation.

    source: a Parquet file, a directory of them, a list of files, or a pyarrow Table.
    batch_size: rows per batch (the last batch of a shard may be smaller unless drop_last).
    dense / sparse / sequences / embeddings / label / extra: the columns and their roles;
      sparse is a list of columns (or {column: num_embeddings}); sequences is
      {column: length}; embeddings a list of fixed-size float list columns (or
      {column: D}, which also accepts plain float lists of D values).
    num_embeddings: hash ids into this many buckets (an int for every sparse and sequence id
      column, or {column: buckets}); string ids must be hashed.
    shuffle_buffer: rows mixed together (whole row groups; 0 mixes within each row group).
    threads: C++ threads (0: one per core, divided between DataLoader workers); prefetch:
      batches assembled ahead.
    pin_memory: put each batch in page-locked memory (when CUDA is available) for fast,
      asynchronous copies to the GPU.
    rank / world_size: override torch.distributed's.
    """

    def __init__(
        self,
        source,
        batch_size: int,
        dense: Sequence[str] = (),
        sparse: Union[Sequence[str], Mapping[str, int]] = (),
        sequences: Optional[Union[Mapping[str, int], Sequence[Tuple[str, int]]]] = None,
        label: Optional[str] = None,
        *,
        embeddings: Union[Sequence[str], Mapping[str, int]] = (),
        extra: Sequence[str] = (),
        dense_mask: bool = False,
        num_embeddings: Optional[Union[int, Mapping[str, int]]] = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        shuffle_buffer: int = 1 << 18,
        threads: int = 0,
        prefetch: int = 4,
        pin_memory: bool = False,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
        unit_rows: int = 1 << 16,
    ):
        super().__init__()
        if batch_size <= 0:
            raise InvalidArgumentError(f"batch_size must be positive, not {batch_size}")
        if isinstance(source, (str, os.PathLike)):
            self._source = [os.fspath(source)]
        elif isinstance(source, (list, tuple)):
            self._source = [os.fspath(p) for p in source]
        elif isinstance(source, pa.Table) or hasattr(source, "__arrow_c_stream__"):
            self._source = source if isinstance(source, pa.Table) else pa.table(source)
        else:
            raise TypeError(f"source must be a path, a list of paths or a pyarrow Table, not {type(source).__name__}")
        self.batch_size = int(batch_size)
        self.dense = list(dense)
        self.dense_mask = bool(dense_mask)
        if isinstance(sparse, Mapping):
            sparse_buckets = {str(k): int(v) for k, v in sparse.items()}
            self.sparse = list(sparse_buckets)
        else:
            sparse_buckets = {}
            self.sparse = list(sparse)
        self.sequences = _as_dict(sequences, "sequences")
        # {column: D} for list<float> columns; fixed-size lists carry D in their type.
        self._embedding_dims = (
            {str(k): int(v) for k, v in embeddings.items()} if isinstance(embeddings, Mapping) else {c: 0 for c in embeddings}
        )
        self.embeddings = list(self._embedding_dims)
        self.label = label
        self.extra = list(extra)
        if isinstance(num_embeddings, Mapping):
            buckets = {str(k): int(v) for k, v in num_embeddings.items()}
            default = 0
        else:
            buckets, default = {}, int(num_embeddings or 0)
        self._buckets = {c: sparse_buckets.get(c, buckets.get(c, default)) for c in self.sparse}
        self._seq_buckets = {c: buckets.get(c, default) for c in self.sequences}
        unknown = set(buckets) - set(self.sparse) - set(self.sequences)
        if unknown:
            raise InvalidArgumentError(f"num_embeddings names columns that are not sparse or sequences: {sorted(unknown)}")
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.shuffle_buffer = int(shuffle_buffer)
        self.threads = int(threads)
        self.prefetch = int(prefetch)
        self.pin_memory = bool(pin_memory)
        self.unit_rows = int(unit_rows)
        if (rank is None) != (world_size is None):
            raise InvalidArgumentError("give both rank and world_size, or neither")
        if rank is None and torch.distributed.is_available() and torch.distributed.is_initialized():
            rank, world_size = torch.distributed.get_rank(), torch.distributed.get_world_size()
        self._rank, self._world_size = rank, world_size
        self._epoch = 0
        self._rows_done = 0  # of this process's shard in the current epoch
        self._shard: Optional[Tuple[int, int]] = None
        self._resume: Optional[dict] = None
        # Opening checks every column now, in the caller's process, not in a worker later.
        self._open(0, 1).close()

    # -- epochs and resuming -------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch (its shuffle); the next iteration starts it from its first row."""
        self._epoch = int(epoch)
        self._rows_done = 0
        self._resume = None

    @property
    def epoch(self) -> int:
        """The epoch that the next iteration yields (see set_epoch)."""
        return self._epoch

    def state_dict(self) -> dict:
        """Where this process's iteration is: epoch and rows of its shard already yielded."""
        shard, num_shards = self._shard if self._shard is not None else self._shard_of_this_process()
        return {
            "version": _STATE_VERSION,
            "epoch": self._epoch,
            "rows_done": self._rows_done,
            "shard": shard,
            "num_shards": num_shards,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "shuffle_buffer": self.shuffle_buffer,
            "batch_size": self.batch_size,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resumes from `state_dict()`: the next iteration continues that epoch at the next
        row. The order is the same only with the same seed, shuffle settings and shards."""
        if state.get("version") != _STATE_VERSION:
            raise InvalidArgumentError(f"unknown loader state version {state.get('version')!r}")
        for key in ("seed", "shuffle", "shuffle_buffer"):
            if state[key] != getattr(self, key):
                raise InvalidArgumentError(
                    f"the state was saved with {key}={state[key]!r}, this dataset has {getattr(self, key)!r}: "
                    "resuming would repeat or skip rows"
                )
        self._epoch = int(state["epoch"])
        self._rows_done = int(state["rows_done"])
        self._resume = dict(state)

    # -- iteration ------------------------------------------------------------------------

    def _shard_of_this_process(self) -> Tuple[int, int]:
        rank, world = (self._rank, self._world_size) if self._rank is not None else (0, 1)
        if self._rank is None and torch.distributed.is_available() and torch.distributed.is_initialized():
            rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        return rank * workers + worker, world * workers

    def _open(self, shard: int, num_shards: int):
        source = self._source if isinstance(self._source, list) else self._source.__arrow_c_stream__()
        return _strata.Loader(
            source,
            dense=self.dense,
            dense_mask=self.dense_mask,
            sparse=[(c, self._buckets[c]) for c in self.sparse],
            sequences=[(c, n, self._seq_buckets[c]) for c, n in self.sequences.items()],
            embeddings=list(self._embedding_dims.items()),
            label=self.label or "",
            extra=self.extra,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            seed=self.seed,
            drop_last=self.drop_last,
            shuffle_buffer=self.shuffle_buffer,
            shard=shard,
            num_shards=num_shards,
            threads=self._threads(),
            prefetch=self.prefetch,
            unit_rows=self.unit_rows,
        )

    def _threads(self) -> int:
        """threads=0: the cores, shared between DataLoader workers (each has its own loader)."""
        if self.threads > 0:
            return self.threads
        info = get_worker_info()
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores // (info.num_workers if info is not None else 1))

    def num_batches(self, epoch: Optional[int] = None) -> int:
        """Batches this process yields in `epoch` (default: the current one)."""
        shard, num_shards = self._shard_of_this_process()
        loader = self._open(shard, num_shards)
        try:
            return loader.shard_batches(self._epoch if epoch is None else int(epoch))
        finally:
            loader.close()

    def __iter__(self) -> Iterator[dict]:
        shard, num_shards = self._shard_of_this_process()
        start = 0
        if self._resume is not None:
            if (self._resume["shard"], self._resume["num_shards"]) != (shard, num_shards):
                raise InvalidArgumentError(
                    f"the state was saved by shard {self._resume['shard']} of {self._resume['num_shards']}, "
                    f"this is shard {shard} of {num_shards}: resume with the same world size and worker count"
                )
            start = self._rows_done
            self._resume = None
        self._shard = (shard, num_shards)
        self._rows_done = start
        loader = self._open(shard, num_shards)
        pin = self.pin_memory and torch.cuda.is_available()
        try:
            loader.start(self._epoch, start)
            while True:
                item = loader.next()
                if item is None:
                    break
                end_row, _, tensors = item
                batch = self._to_batch(tensors, pin)
                self._rows_done = end_row
                yield batch
        finally:
            loader.close()

    def _to_batch(self, tensors: List[Tuple[str, object]], pin: bool) -> dict:
        t = {}
        for name, array in tensors:
            tensor = torch.utils.dlpack.from_dlpack(array)
            t[name] = tensor.pin_memory() if pin else tensor
        batch = {}
        if self.dense:
            batch["dense"] = t["dense"]
            if self.dense_mask:
                batch["dense_mask"] = t["dense_mask"]
        for c in self.sparse:
            batch[c] = (t[c + ".values"], t[c + ".offsets"])
        for c in self.sequences:
            batch[c] = (t[c], t[c + ".lengths"])
        for c in self.embeddings:
            batch[c] = t[c]
        if self.label:
            batch["label"] = t["label"]
        for c in self.extra:
            batch[c] = t[c]
        return batch
