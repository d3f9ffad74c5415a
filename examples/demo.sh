#!/usr/bin/env bash
# `make demo`: the main job end to end on the embedded default (RocksDB online store + local
# Iceberg warehouse): create the example repository, generate realistic synthetic events, ingest
# them into both stores, serve features (CLI and `strata serve`), read the offline tables back and build a
# point-in-time training set.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-build/bin/strata}
REPO=${REPO:-demo-repo}
PY=.venv/bin/python

rm -rf "$REPO"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "strata init $REPO --example"
"$STRATA" init "$REPO" --example
step "strata apply"
"$STRATA" apply --repo "$REPO"
step "generate synthetic events (100k users, 1M clicks, 20k item embeddings)"
$PY examples/generate_events.py --out "$REPO/data"
step "strata ingest"
"$STRATA" ingest user_profile "$REPO/data/user_profile.csv" --repo "$REPO"
"$STRATA" ingest user_clicks "$REPO/data/user_clicks.parquet" --repo "$REPO"
"$STRATA" ingest item_embedding "$REPO/data/item_embedding.parquet" --repo "$REPO"
step "serve: latest profiles of three users (one unknown)"
"$STRATA" get user_profile --key 1,2,99999999 --repo "$REPO" --format table
step "serve: the same users as of 6 days ago (exact inside the 7d online history)"
"$STRATA" get user_profile --key 1,2 --repo "$REPO" --as-of "$($PY -c 'import datetime as d;print((d.datetime.now(d.timezone.utc)-d.timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ"))')" --format table
step "serve: newest 5 clicks of the most active users"
"$STRATA" get user_clicks --key 0,1,2 --limit 5 --repo "$REPO"
step "serve: an int8-quantized item embedding, read back as float32"
"$STRATA" get item_embedding --key 42 --repo "$REPO" | cut -c1-160
step "strata serve: 300 ranking requests (1 user + 100 items) over HTTP/JSON, then SIGTERM"
"$STRATA" serve --repo "$REPO" --grpc 127.0.0.1:0 --http 127.0.0.1:0 > "$REPO/serve.log" &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "HTTP on port" "$REPO/serve.log" 2>/dev/null && break; sleep 0.1; done
HTTP_PORT=$(grep -o "HTTP on port [0-9]*" "$REPO/serve.log" | grep -o "[0-9]*$")
$PY -c "
import random, statistics, time, strata
remote = strata.connect('127.0.0.1:$HTTP_PORT')
rng, lat = random.Random(0), []
for _ in range(300):
    t = time.perf_counter()
    r = remote.get_features({'user': [rng.randrange(100_000)], 'item': rng.sample(range(20_000), 100)},
                            ['user_profile:*', 'user_clicks:item_id@20', 'item_embedding:vec'])
    lat.append((time.perf_counter() - t) * 1e3)
lat.sort()
print(f'300 requests: p50 {lat[150]:.2f} ms, p99 {lat[297]:.2f} ms (Python client, JSON); columns:', list(r['arrays']))"
kill -TERM $SERVE_PID && wait $SERVE_PID
trap - EXIT
tail -1 "$REPO/serve.log"
step "offline: the Iceberg snapshots of user_clicks, and one user's click history read back"
"$STRATA" snapshots user_clicks --repo "$REPO"
"$STRATA" scan user_clicks --where user_id=0 --out "$REPO/user0_clicks.csv" --repo "$REPO"
head -4 "$REPO/user0_clicks.csv"
step "offline: every version of user 1's profile, as ingested (same write_seq as online)"
"$STRATA" scan user_profile --where user_id=1 --out "$REPO/user1_profile.jsonl" --repo "$REPO"
cat "$REPO/user1_profile.jsonl"
step "training set: 200k clicks as labelled events, with each feature as it was at the click"
$PY -c "
import pyarrow.parquet as pq, pyarrow.compute as pc
t = pq.read_table('$REPO/data/user_clicks.parquet').slice(0, 200_000)
pq.write_table(t.select(['user_id', 'item_id', 'ts']).append_column('label', pc.greater(t['dwell_ms'], 20_000)),
               '$REPO/spine.parquet')"
"$STRATA" training-set --repo "$REPO" --spine "$REPO/spine.parquet" \
    --features "user_profile:*,user_clicks:item_id@5,item_embedding:vec" --out "$REPO/train.parquet"
$PY -c "
import strata
t = strata.training_set('$REPO', '$REPO/spine.parquet', 'user_profile:age,user_clicks:item_id@5')
print(t.slice(0, 5).to_pandas().to_string())"
step "PyTorch: one shuffled epoch of the training set as tensors (strata.torch, C++ threads)"
$PY -c "
import time
import strata.torch as st
ds = st.TrainingDataset('$REPO/train.parquet', batch_size=4096, label='label',
                        dense=['user_profile__age', 'user_profile__ctr_7d'], dense_mask=True,
                        sparse={'item_id': 100_000, 'user_profile__country': 1_000},
                        sequences={'user_clicks__item_id': 5}, embeddings=['item_embedding__vec'])
t, rows = time.perf_counter(), 0
for batch in ds:
    rows += len(batch['label'])
secs = time.perf_counter() - t
for k, v in batch.items():
    print(f'  {k:24s}', tuple(v.shape) if hasattr(v, 'shape') else [tuple(x.shape) for x in v], v.dtype if hasattr(v, 'dtype') else '')
print(f'{rows:,} rows in {secs:.2f}s ({rows / secs:,.0f} samples/s)')"
