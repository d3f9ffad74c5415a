"""Feast peer for bench/pit_join: times Feast's get_historical_features on the same spine and
feature histories as `strata training-set`.

    feast_peer.run(work, spine_path, out_path) -> (seconds, peak RSS in bytes)

Feast runs in its own venv, .venv-feast (made by setup_feast.sh when missing), in a child
process, so that its pins stay out of .venv and its peak RSS is measured alone.

Outside the timed region:
  - data prep, in this process, once per data set: each group's Iceberg data files are
    concatenated into one Parquet file in {work}/feast/, with write_seq turned into a
    timestamp column `created` (epoch + write_seq microseconds) for Feast's
    created_timestamp_column tie-break;
  - in the child: the Feast repo (local provider, sqlite online store, file registry, the
    DuckDB offline store), `apply` of entities user and item, FeatureViews user_profile
    (ttl 7d) and item_stats (no ttl), and reading the spine into the pandas entity_df
    (ts renamed to event_timestamp).
Timed, in the child: get_historical_features(spine, 20 + 10 features).to_arrow() and writing
the result to out_path as Parquet (zstd). The child prints those seconds; run() returns
them with the child's peak RSS (which covers the whole child, setup included).

Offline store: Feast's default for the local provider is `file`, i.e. the Dask store. It
left-merges each spine row with every history row of its key and then filters by time, so
a spine row whose key has history but none visible at its time is dropped, and it
deduplicates on (join keys so far, event_timestamp), so rows sharing a user and a time are
collapsed: on a 50k-row spine it returned 39,271 rows in 21.5 s (the DuckDB store: all
50,000, the same values as run.py's DuckDB ASOF peer, in 1.7 s). So we use Feast's DuckDB
store (ibis); `run(..., offline_store="dask")` still selects the default one.

Semantics: the DuckDB store picks, per spine row, the history row with the greatest
(ts, created) among ts <= event_timestamp (and ts >= event_timestamp - ttl), i.e. the
greatest (event time, write_seq), as Strata does. Spine rows are not kept in order. It
joins each spine row to all of its key's history rows up to its time (then keeps the
newest), so its work and memory grow with spine x history rows per key: on this Zipf data
--scale 0.02 (200k spine rows) took 27 s and 7.2 GiB, and --scale 0.05 passes 250M joined
rows through DuckDB.
"""
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FEAST_PY = ROOT / ".venv-feast" / "bin" / "python"

GROUPS = {  # group: (entity, join key, ttl in days or 0 for none, {feature: Feast type})
    "user_profile": ("user", "user_id", 7, {**{f"p{i}": "Float32" for i in range(12)},
                                            **{f"n{i}": "Int64" for i in range(6)},
                                            "country": "String", "device": "String"}),
    "item_stats": ("item", "item_id", 0, {**{f"s{i}": "Float32" for i in range(8)},
                                          "views": "Int64", "clicks": "Int64"}),
}


def prepare(work):
    """One Parquet file per group with a `created` timestamp; cached in {work}/feast."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq
    out = work / "feast"
    out.mkdir(exist_ok=True)
    for group in GROUPS:
        path = out / f"{group}.parquet"
        if path.exists():
            continue
        table = ds.dataset(work / "repo/.strata/warehouse/pit" / group / "data", format="parquet").to_table()
        created = pc.cast(table["write_seq"], pa.timestamp("us", "UTC"))
        table = table.append_column("created", created).drop_columns(["write_seq"])
        pq.write_table(table, out / f"{group}.tmp.parquet", row_group_size=1 << 20)
        os.replace(out / f"{group}.tmp.parquet", path)
    return out


def run(work, spine_path, out_path, offline_store="duckdb"):
    """Returns (seconds of get_historical_features + Parquet write, the child's peak RSS)."""
    work = pathlib.Path(work)
    if not FEAST_PY.exists():
        subprocess.run(["bash", str(HERE / "setup_feast.sh")], check=True)
    feast_dir = prepare(work)
    cmd = [str(FEAST_PY), __file__, str(feast_dir), str(spine_path), str(out_path), offline_store]
    # cwd: DuckDB spills to ./.tmp when the join outgrows its memory limit.
    proc = subprocess.Popen(cmd, cwd=feast_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"feast peer failed:\n{out}\n{err}")
    secs = float(out.strip().splitlines()[-1].split()[-1])
    return secs, usage.ru_maxrss * 1024


def child(feast_dir, spine_path, out_path, offline_store):
    """Runs under .venv-feast: sets Feast up, then times the retrieval and the write."""
    from datetime import timedelta

    import feast.types
    import pyarrow.parquet as pq
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType

    repo = pathlib.Path(feast_dir) / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "feature_store.yaml").write_text(f"""project: pit
provider: local
registry: {repo}/registry.db
online_store: {{type: sqlite, path: {repo}/online.db}}
offline_store: {{type: {offline_store}}}
entity_key_serialization_version: 3
""")
    store = FeatureStore(repo_path=str(repo))
    objects, refs = [], []
    for group, (entity_name, key, ttl_days, features) in GROUPS.items():
        entity = Entity(name=entity_name, join_keys=[key], value_type=ValueType.INT64)
        source = FileSource(name=group, path=f"{feast_dir}/{group}.parquet", timestamp_field="ts",
                            created_timestamp_column="created")
        view = FeatureView(name=group, entities=[entity], ttl=timedelta(days=ttl_days), source=source,
                           schema=[Field(name=f, dtype=getattr(feast.types, t)) for f, t in features.items()])
        objects += [entity, view]
        refs += [f"{group}:{f}" for f in features]
    store.apply(objects)
    entity_df = pq.read_table(spine_path).rename_columns({"ts": "event_timestamp"}).to_pandas()

    t = time.perf_counter()
    result = store.get_historical_features(entity_df=entity_df, features=refs, full_feature_names=True).to_arrow()
    result = result.rename_columns({"event_timestamp": "ts"})
    pq.write_table(result, out_path, compression="zstd", row_group_size=65536)
    print(f"seconds {time.perf_counter() - t:.3f}", flush=True)


if __name__ == "__main__":
    child(*sys.argv[1:5])
