"""A training set shaped like a recommender's, for bench/loader: 40 dense features (float32,
some nulls), 10 sparse id lists (int64, mean length 5), 2 behaviour sequences (int64 item
ids, up to 50, most full), a label, and the row id. Parquet, zstd, 64Ki-row row groups (what
`strata training-set` writes). Deterministic for a seed; written chunk by chunk."""

import argparse
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DENSE = [f"d{i}" for i in range(40)]
SPARSE = [f"s{i}" for i in range(10)]
SEQUENCES = ["clicks", "views"]
SEQ_LEN = 50
ROW_GROUP = 64 * 1024


def id_lists(rng, rows, mean_len, max_len, vocab):
    lengths = np.minimum(rng.poisson(mean_len, rows), max_len).astype(np.int32)
    offsets = np.zeros(rows + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    # Zipf-ish popularity: a few ids are very frequent.
    values = (rng.zipf(1.3, offsets[-1]) % vocab).astype(np.int64)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def sequences(rng, rows, vocab):
    full = rng.random(rows) < 0.7
    lengths = np.where(full, SEQ_LEN, rng.integers(0, SEQ_LEN, rows)).astype(np.int32)
    offsets = np.zeros(rows + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = (rng.zipf(1.2, offsets[-1]) % vocab).astype(np.int64)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def chunk(rng, first, rows):
    cols = {"row_id": pa.array(np.arange(first, first + rows, dtype=np.int64))}
    for name in DENSE:
        values = rng.standard_normal(rows, dtype=np.float32)
        cols[name] = pa.array(values, mask=rng.random(rows) < 0.02)
    for i, name in enumerate(SPARSE):
        cols[name] = id_lists(rng, rows, 5, 40, 10 ** (3 + i % 4))
    for name in SEQUENCES:
        cols[name] = sequences(rng, rows, 1_000_000)
    cols["label"] = pa.array((rng.random(rows) < 0.1).astype(np.float32))
    return pa.table(cols)


def generate(path, rows, seed=0, chunk_rows=8 * ROW_GROUP):
    rng = np.random.default_rng(seed)
    path = pathlib.Path(path)
    tmp = path.with_suffix(".tmp")
    writer = None
    for first in range(0, rows, chunk_rows):
        table = chunk(rng, first, min(chunk_rows, rows - first))
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=ROW_GROUP)
    writer.close()
    tmp.rename(path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    generate(a.out, a.rows, a.seed)
