"""One epoch of one loading method over a training set, in its own process (so that its
peak RSS is its own). Prints {"rows": N, "seconds": S, "rss": peak bytes}: the epoch's wall time, from the first
batch requested to the last tensor built (imports and start-up excluded).

Methods (same columns, same batch size, tensors out):
  strata   strata.torch.TrainingDataset (shuffled, as a trainer runs it; --no-shuffle too)
  strong   a well-written pyarrow batch iterator, columns to numpy to tensors, vectorized
  common   torch DataLoader over a map-style Dataset: the table in pandas, one row per
           __getitem__, a collate_fn for the id lists (the common pattern)
  floor    pyarrow decoding the same file row group by row group, nothing else
"""

import argparse
import json
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gen import DENSE, SEQ_LEN, SEQUENCES, SPARSE  # noqa: E402

COLUMNS = ["row_id", *DENSE, *SPARSE, *SEQUENCES, "label"]


def run_strata(path, batch, rows, shuffle, threads):
    import strata.torch as st

    ds = st.TrainingDataset(path, batch_size=batch, dense=DENSE, sparse=SPARSE,
                            sequences={s: SEQ_LEN for s in SEQUENCES}, label="label", shuffle=shuffle,
                            threads=threads)
    n = 0
    t = time.perf_counter()
    for b in ds:
        n += b["label"].shape[0]
    return n, time.perf_counter() - t


def offsets_of(col):
    offsets = col.offsets.to_numpy()
    return offsets - offsets[0]


def pad(col, n):
    """list<int64> -> [B, n] zero-padded, vectorized."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    offsets = offsets_of(col)
    lengths = np.minimum(np.diff(offsets), n)
    values = col.flatten().to_numpy()
    out = np.zeros((len(col), n), np.int64)
    rows = np.repeat(np.arange(len(col)), lengths)
    pos = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[rows, pos] = values[np.repeat(offsets[:-1], lengths) + pos]
    return out, lengths


def run_strong(path, batch, rows, threads):
    import torch

    pf = pq.ParquetFile(path)
    n = 0
    t = time.perf_counter()
    for rb in pf.iter_batches(batch_size=batch, columns=COLUMNS, use_threads=True):
        dense = np.stack([rb.column(c).fill_null(0).to_numpy() for c in DENSE], axis=1)
        out = {"dense": torch.from_numpy(dense)}
        for c in SPARSE:
            col = rb.column(c)
            out[c] = (torch.from_numpy(col.flatten().to_numpy()), torch.from_numpy(offsets_of(col)[:-1].astype(np.int64)))
        for c in SEQUENCES:
            padded, lengths = pad(rb.column(c), SEQ_LEN)
            out[c] = (torch.from_numpy(padded), torch.from_numpy(lengths.astype(np.int64)))
        out["label"] = torch.from_numpy(rb.column("label").to_numpy())
        n += rb.num_rows
    return n, time.perf_counter() - t


def run_common(path, batch, rows, threads):
    import pandas as pd
    import torch
    from torch.utils.data import DataLoader, Dataset

    pf = pq.ParquetFile(path)
    groups = []
    total = 0
    for i in range(pf.num_row_groups):
        if total >= rows:
            break
        groups.append(i)
        total += pf.metadata.row_group(i).num_rows

    class MapDataset(Dataset):
        def __init__(self):
            self.df = pf.read_row_groups(groups, columns=COLUMNS).slice(0, rows).to_pandas()

        def __len__(self):
            return len(self.df)

        def __getitem__(self, i):
            row = self.df.iloc[i]
            item = {"dense": torch.tensor([0.0 if pd.isna(row[c]) else row[c] for c in DENSE], dtype=torch.float32)}
            for c in SPARSE:
                item[c] = torch.as_tensor(row[c], dtype=torch.int64)
            for c in SEQUENCES:
                seq = torch.zeros(SEQ_LEN, dtype=torch.int64)
                v = torch.as_tensor(row[c][:SEQ_LEN], dtype=torch.int64)
                seq[: len(v)] = v
                item[c] = (seq, len(v))
            item["label"] = torch.tensor(row["label"], dtype=torch.float32)
            return item

    def collate(items):
        out = {"dense": torch.stack([it["dense"] for it in items]), "label": torch.stack([it["label"] for it in items])}
        for c in SPARSE:
            lens = torch.tensor([len(it[c]) for it in items])
            out[c] = (torch.cat([it[c] for it in items]), torch.cumsum(lens, 0) - lens)
        for c in SEQUENCES:
            out[c] = (torch.stack([it[c][0] for it in items]), torch.tensor([it[c][1] for it in items]))
        return out

    ds = MapDataset()
    loader = DataLoader(ds, batch_size=batch, shuffle=True, collate_fn=collate, num_workers=threads)
    n = 0
    t = time.perf_counter()
    for b in loader:
        n += b["label"].shape[0]
    return n, time.perf_counter() - t


def run_floor(path, batch, rows, threads):
    pf = pq.ParquetFile(path)
    n = 0
    t = time.perf_counter()
    for i in range(pf.num_row_groups):
        n += pf.read_row_group(i, columns=COLUMNS, use_threads=True).num_rows
    return n, time.perf_counter() - t


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("method", choices=["strata", "strata-ordered", "strong", "common", "floor"])
    ap.add_argument("path")
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--rows", type=int, default=0, help="common: rows to load (a prefix of the file)")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    pa.set_cpu_count(max(1, a.threads) if a.threads else pa.cpu_count())
    if a.method == "strata":
        n, s = run_strata(a.path, a.batch_size, a.rows, True, a.threads)
    elif a.method == "strata-ordered":
        n, s = run_strata(a.path, a.batch_size, a.rows, False, a.threads)
    else:
        n, s = globals()[f"run_{a.method}"](a.path, a.batch_size, a.rows, a.threads)
    # This process's own peak (a parent's wait4 would also count what the fork inherited).
    hwm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"rows": n, "seconds": s, "rss": hwm}))
