"""Writes the offline-ingest benchmark input: N rows x 20 features (10 float32, 5 int64, 5 int32)
for 1M users over 30 days, as Parquet (zstd), and the strata.yaml that declares it."""
import sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

FEATURES = [(f"f{i}", "float32") for i in range(10)] + [(f"f{i}", "int64") for i in range(10, 15)] + \
           [(f"f{i}", "int32") for i in range(15, 20)]


def yaml(project: str) -> str:
    feats = ", ".join(f"{n}: {t}" for n, t in FEATURES)
    return (f"project: {project}\nonline: {{path: .strata/online, sync: false}}\n"
            f"entities:\n  user: {{key: user_id, type: int64}}\nfeature_groups:\n"
            f"  stats:\n    entity: user\n    event_time: ts\n    features: {{{feats}}}\n")


START = 1_780_000_000_000_000
SPAN = 30 * 86_400_000_000  # 30 days


def table(n: int, seed: int = 0, t0: int = START, t1: int = START + SPAN) -> pa.Table:
    """n rows with event times in [t0, t1), sorted."""
    rng = np.random.default_rng(seed)
    cols = {"user_id": pa.array(rng.integers(0, 1_000_000, n), pa.int64()),
            "ts": pa.array(np.sort(rng.integers(t0, t1, n)), pa.timestamp("us", "UTC"))}
    for name, t in FEATURES:
        if t == "float32":
            cols[name] = pa.array(rng.random(n, dtype=np.float32))
        elif t == "int64":
            cols[name] = pa.array(rng.integers(0, 1 << 40, n), pa.int64())
        else:
            cols[name] = pa.array(rng.integers(0, 1000, n, dtype=np.int32), pa.int32())
    return pa.table(cols)


if __name__ == "__main__":
    n, out = int(sys.argv[1]), sys.argv[2]
    writer = None
    chunk = 1_000_000
    for i in range(0, n, chunk):
        # Time-ordered across the whole file, as an event log's export is: each chunk takes the
        # next slice of the 30 days.
        m = min(chunk, n - i)
        t = table(m, seed=i, t0=START + SPAN * i // n, t1=START + SPAN * (i + m) // n)
        if writer is None:
            writer = pq.ParquetWriter(out, t.schema, compression="zstd")
        writer.write_table(t, row_group_size=256 * 1024)
    writer.close()
