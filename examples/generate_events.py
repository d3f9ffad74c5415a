"""Writes realistic synthetic inputs for the demo repository (strata init --example):
user profiles (CSV), click sequences (Parquet, Zipf-distributed items, bursty sessions)
and item embeddings (Parquet, 64-d unit vectors)."""

import argparse
import pathlib
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--clicks", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    now = int(time.time() * 1e6)
    day = 86_400_000_000

    # Profiles: one or two versions per user over the last 20 days; some nulls.
    n = a.users + a.users // 4
    users = np.concatenate([np.arange(a.users), rng.integers(0, a.users, n - a.users)])
    ts = now - rng.integers(0, 20 * day, n)
    countries = np.array(["DE", "FR", "US", "BR", "IN", "JP", "GB", "ES"])
    country = countries[rng.integers(0, len(countries), n)].astype(object)
    country[rng.random(n) < 0.05] = None
    profiles = pa.table({
        "user_id": users,
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "age": pa.array(rng.integers(16, 80, n), pa.int32()),
        "country": pa.array(country, pa.string()),
        "ctr_7d": pa.array(rng.beta(2, 50, n), pa.float32()),
    })
    pacsv.write_csv(profiles, out / "user_profile.csv")

    # Clicks: Zipf items, users with bursty sessions in the last 30 days.
    click_users = (rng.zipf(1.3, a.clicks) - 1) % a.users
    session_start = now - rng.integers(0, 30 * day, a.clicks // 20 + 1)
    click_ts = session_start[rng.integers(0, len(session_start), a.clicks)] + rng.integers(0, 1_800_000_000, a.clicks)
    click_ts = np.minimum(click_ts, now - 1)
    clicks = pa.table({
        "user_id": click_users.astype(np.int64),
        "ts": pa.array(click_ts, pa.timestamp("us", tz="UTC")),
        "item_id": ((rng.zipf(1.2, a.clicks) - 1) % a.items).astype(np.int64),
        "dwell_ms": pa.array(rng.lognormal(8, 1, a.clicks).astype(np.int32), pa.int32()),
    })
    pq.write_table(clicks, out / "user_clicks.parquet", row_group_size=128 * 1024)

    # Item embeddings: unit vectors.
    vec = rng.standard_normal((a.items, 64)).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    emb = pa.table({
        "item_id": np.arange(a.items, dtype=np.int64),
        "ts": pa.array(now - rng.integers(0, 5 * day, a.items), pa.timestamp("us", tz="UTC")),
        "vec": pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel(), pa.float32()), 64),
    })
    pq.write_table(emb, out / "item_embedding.parquet")
    print(f"wrote {len(profiles)} profile rows, {len(clicks)} clicks, {len(emb)} embeddings to {out}")


if __name__ == "__main__":
    main()
