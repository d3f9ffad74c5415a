"""Realistic data for bench/pit_join: Zipf-distributed users and items, bursty event times
over 30 days with a daily cycle, late (out-of-order) rows and same-time ties.

    spine        N rows: user_id, item_id, ts, label            (impressions with a click label)
    user_profile P rows x 20 features (12 float32, 6 int64, 2 string), TTL 7d
    item_stats   I rows x 10 features (8 float32, 2 int64)
    user_clicks  C events: item_id, dwell_ms, sequence group (@50), retention 30d

Every feature history row carries a write_seq (1.. in file order: the order it was
ingested), so that every engine can apply rule 2's tie-break.
"""
import numpy as np
import pyarrow as pa

DAY_US = 86_400 * 1_000_000
START_US = 1_777_593_600_000_000  # 2026-05-01T00:00:00Z
DAYS = 30
USERS = 2_000_000
ITEMS = 500_000


def yaml(project="pit"):
    profile = "\n".join(f"      p{i}: float32" for i in range(12)) + "\n" + \
              "\n".join(f"      n{i}: int64" for i in range(6)) + "\n      country: string\n      device: string"
    stats = "\n".join(f"      s{i}: float32" for i in range(8)) + "\n      views: int64\n      clicks: int64"
    return f"""project: {project}
entities:
  user: {{key: user_id, type: int64}}
  item: {{key: item_id, type: int64}}
feature_groups:
  user_profile:
    entity: user
    ttl: 7d
    features:
{profile}
  item_stats:
    entity: item
    features:
{stats}
  user_clicks:
    entity: user
    kind: sequence
    max_length: 50
    retention: 30d
    features:
      item_id: int64
      dwell_ms: int32
"""


def zipf_ids(rng, n, universe, a=1.1):
    """Ids 0..universe-1 with popularity ~ 1/rank^a, ranks shuffled across the id space."""
    ranks = np.arange(1, universe + 1, dtype=np.float64)
    p = ranks ** -a
    p /= p.sum()
    perm = np.random.default_rng(12345 + universe).permutation(universe)
    return perm[rng.choice(universe, size=n, p=p)].astype(np.int64)


def bursty_times(rng, n):
    """30 days with a daily cycle (evening peak) and bursts around random moments."""
    day = rng.integers(0, DAYS, n)
    hour = np.clip(rng.normal(19, 4, n), 0, 23.999)
    t = day * DAY_US + (hour * 3600e6).astype(np.int64)
    burst = rng.random(n) < 0.3
    centers = rng.integers(0, DAYS * DAY_US, 2000)
    t[burst] = centers[rng.integers(0, len(centers), burst.sum())] + rng.exponential(600e6, burst.sum()).astype(np.int64)
    t = np.clip(t, 0, DAYS * DAY_US - 1)
    # Ties: a tenth of the events land on whole seconds.
    tie = rng.random(n) < 0.1
    t[tie] = t[tie] // 1_000_000 * 1_000_000
    return START_US + t


def ts_array(micros):
    return pa.array(micros, pa.timestamp("us", "UTC"))


def spine(n, seed=1):
    rng = np.random.default_rng(seed)
    return pa.table({
        "user_id": zipf_ids(rng, n, USERS),
        "item_id": zipf_ids(rng, n, ITEMS),
        "ts": ts_array(np.sort(bursty_times(rng, n))),  # impressions come in time order
        "label": pa.array((rng.random(n) < 0.05).astype(np.int8)),
    })


def user_profile(n, seed=2, first_seq=1):
    rng = np.random.default_rng(seed)
    cols = {"user_id": zipf_ids(rng, n, USERS, a=0.8), "ts": ts_array(bursty_times(rng, n)),
            "write_seq": np.arange(first_seq, first_seq + n, dtype=np.int64)}
    for i in range(12):
        v = rng.random(n, dtype=np.float32)
        cols[f"p{i}"] = pa.array(v, mask=rng.random(n) < 0.02)
    for i in range(6):
        cols[f"n{i}"] = rng.integers(0, 10_000, n)
    countries = np.array(["US", "IN", "BR", "DE", "FR", "JP", "GB", "MX", "ID", "NG"])
    devices = np.array(["ios", "android", "web", "tv"])
    cols["country"] = pa.array(countries[rng.integers(0, len(countries), n)])
    cols["device"] = pa.array(devices[rng.integers(0, len(devices), n)])
    return pa.table(cols)


def item_stats(n, seed=3, first_seq=1):
    rng = np.random.default_rng(seed)
    cols = {"item_id": zipf_ids(rng, n, ITEMS, a=0.9), "ts": ts_array(bursty_times(rng, n)),
            "write_seq": np.arange(first_seq, first_seq + n, dtype=np.int64)}
    for i in range(8):
        cols[f"s{i}"] = rng.random(n, dtype=np.float32)
    cols["views"] = rng.integers(0, 1_000_000, n)
    cols["clicks"] = rng.integers(0, 10_000, n)
    return pa.table(cols)


def user_clicks(n, seed=4, first_seq=1):
    rng = np.random.default_rng(seed)
    return pa.table({
        "user_id": zipf_ids(rng, n, USERS),
        "ts": ts_array(bursty_times(rng, n)),
        "write_seq": np.arange(first_seq, first_seq + n, dtype=np.int64),
        "item_id": zipf_ids(rng, n, ITEMS),
        "dwell_ms": rng.integers(100, 60_000, n).astype(np.int32),
    })
