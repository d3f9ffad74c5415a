"""Point-in-time training sets: the CLI and strata.training_set against DuckDB's ASOF JOIN
(with the write_seq tie-break in SQL), spine formats, the Python API and errors."""

import datetime as dt
import json
import random

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import strata

DEFS = """project: pit
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    ttl: 1h
    features: {a: int64, b: string, c: float64}
  stats:
    entity: item
    features: {x: int32}
  clicks:
    entity: user
    kind: sequence
    max_length: 10
    retention: 1d
    features: {item: int64}
"""

BASE = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)


def micros(t):
    return int(t.timestamp() * 1_000_000)


@pytest.fixture
def repo(cli, tmp_path):
    (tmp_path / "strata.yaml").write_text(DEFS)
    cli("apply", check=0)
    rng = random.Random(3)
    # Three ingests per group, each in random time order, on a coarse time grid (many ties).
    for ingest in range(3):
        n = 400
        profile = pa.table({
            "user_id": pa.array([rng.randrange(30) for _ in range(n)], pa.int64()),
            "ts": pa.array([BASE + dt.timedelta(minutes=10 * rng.randrange(60)) for _ in range(n)], pa.timestamp("us", "UTC")),
            "a": pa.array([rng.randrange(1000) if rng.random() > 0.2 else None for _ in range(n)], pa.int64()),
            "b": pa.array([f"s{rng.randrange(9)}" if rng.random() > 0.2 else None for _ in range(n)]),
            "c": pa.array([rng.random() if rng.random() > 0.2 else None for _ in range(n)]),
        })
        stats = pa.table({
            "item_id": pa.array([f"i{rng.randrange(20)}" for _ in range(n)]),
            "ts": pa.array([BASE + dt.timedelta(minutes=10 * rng.randrange(60)) for _ in range(n)], pa.timestamp("us", "UTC")),
            "x": pa.array([rng.randrange(100) if rng.random() > 0.2 else None for _ in range(n)], pa.int32()),
        })
        clicks = pa.table({
            "user_id": pa.array([rng.randrange(30) for _ in range(n)], pa.int64()),
            "ts": pa.array([BASE + dt.timedelta(minutes=10 * rng.randrange(60)) for _ in range(n)], pa.timestamp("us", "UTC")),
            "item": pa.array([rng.randrange(500) for _ in range(n)], pa.int64()),
        })
        for name, table in (("profile", profile), ("stats", stats), ("clicks", clicks)):
            path = tmp_path / f"{name}-{ingest}.parquet"
            pq.write_table(table, path)
            cli("ingest", name, path, check=0)
    return tmp_path


def make_spine(n, seed=5):
    rng = random.Random(seed)
    times = []
    for _ in range(n):
        t = BASE + dt.timedelta(minutes=10 * rng.randrange(66))
        r = rng.random()
        if r < 0.2:
            t += dt.timedelta(hours=1)  # exactly at the TTL edge of an event on the grid
        elif r < 0.3:
            t += dt.timedelta(hours=1, microseconds=1)  # 1 us past it
        elif r < 0.4:
            t -= dt.timedelta(microseconds=1)
        times.append(t)
    return pa.table({
        "user_id": pa.array([rng.randrange(33) if rng.random() > 0.05 else None for _ in range(n)], pa.int64()),
        "item_id": pa.array([f"i{rng.randrange(22)}" if rng.random() > 0.05 else None for _ in range(n)]),
        "ts": pa.array(times, pa.timestamp("us", "UTC")),
        "label": pa.array([rng.randrange(2) for _ in range(n)], pa.int8()),
    })


def duckdb_reference(cli, repo, spine):
    """The table groups by DuckDB's ASOF JOIN; rule 2's write_seq tie-break keeps, per key
    and event time, only the row ingested last."""
    cli("scan", "profile", "--out", repo / "profile.parquet", check=0)
    cli("scan", "stats", "--out", repo / "stats.parquet", check=0)
    con = duckdb.connect()
    con.register("spine_in", spine)
    con.execute("CREATE TABLE spine AS SELECT *, row_number() OVER () AS rn FROM spine_in")
    for g, key in (("profile", "user_id"), ("stats", "item_id")):
        con.execute(f"""CREATE TABLE {g} AS SELECT * FROM read_parquet('{repo / (g + ".parquet")}')
                        QUALIFY row_number() OVER (PARTITION BY {key}, ts ORDER BY write_seq DESC) = 1""")
    return con.execute("""
        SELECT s.user_id, s.item_id, s.ts, s.label,
               CASE WHEN s.ts - p.ts <= INTERVAL 1 HOUR THEN p.a END AS profile__a,
               CASE WHEN s.ts - p.ts <= INTERVAL 1 HOUR THEN p.b END AS profile__b,
               CASE WHEN s.ts - p.ts <= INTERVAL 1 HOUR THEN p.c END AS profile__c,
               st.x AS stats__x
        FROM spine s
        ASOF LEFT JOIN profile p ON s.user_id = p.user_id AND s.ts >= p.ts
        ASOF LEFT JOIN stats st ON s.item_id = st.item_id AND s.ts >= st.ts
        ORDER BY s.rn""").fetch_arrow_table()


def test_table_groups_match_duckdb_asof_join(cli, repo):
    spine = make_spine(3000)
    got = strata.training_set(repo, spine, "profile:*,stats:x")
    want = duckdb_reference(cli, repo, spine)
    assert got.num_rows == spine.num_rows
    assert got.column_names == ["user_id", "item_id", "ts", "label", "profile__a", "profile__b", "profile__c", "stats__x"]
    for name in got.column_names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
    # Not a vacuous comparison: most rows found values, some expired or were unknown.
    filled = got.num_rows - got.column("profile__a").null_count
    assert 0.3 * got.num_rows < filled < got.num_rows


def test_partitioned_and_spilled_join_gives_the_same_rows(cli, repo):
    spine = make_spine(5000, seed=9)
    whole = strata.training_set(repo, spine, "profile:*,stats:x,clicks:item@4")
    small = strata.training_set(repo, spine, "profile:*,stats:x,clicks:item@4", memory_limit="1MB", threads=2)
    assert whole.equals(small)


def test_sequences_newest_first_within_retention(cli, repo):
    spine = make_spine(500, seed=11)
    got = strata.training_set(repo, spine, ["clicks:item@3"])
    cli("scan", "clicks", "--out", repo / "clicks.parquet", check=0)
    hist = pq.read_table(repo / "clicks.parquet").to_pylist()
    by_user = {}
    for r in hist:
        by_user.setdefault(r["user_id"], []).append(r)
    for user, t, value in zip(spine.column("user_id").to_pylist(), spine.column("ts").to_pylist(),
                              got.column("clicks__item").to_pylist()):
        visible = [r for r in by_user.get(user, []) if r["ts"] <= t and t - r["ts"] <= dt.timedelta(days=1)]
        visible.sort(key=lambda r: (r["ts"], r["write_seq"]), reverse=True)
        want = [r["item"] for r in visible[:3]] or None
        assert value == want


def test_cli_reads_csv_jsonl_and_parquet_spines_alike(cli, repo):
    spine = make_spine(2000, seed=13)
    rows = spine.to_pylist()
    # CSV with ISO-8601 times and empty fields for nulls; JSON-lines with integer microseconds;
    # Parquet with millisecond timestamps (the spine's times are whole minutes +- 1 us, so
    # compare only rows whose time survives ms precision).
    with open(repo / "spine.csv", "w") as f:
        f.write("user_id,item_id,ts,label\n")
        for r in rows:
            f.write(f"{'' if r['user_id'] is None else r['user_id']},{r['item_id'] or ''},"
                    f"{r['ts'].strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{r['label']}\n")
    with open(repo / "spine.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps({"user_id": r["user_id"], "item_id": r["item_id"], "ts": micros(r["ts"]),
                                "label": r["label"]}) + "\n")
    pq.write_table(spine, repo / "spine.parquet")
    outs = {}
    for ext in ("csv", "jsonl", "parquet"):
        out = repo / f"out-{ext}.parquet"
        proc = cli("training-set", "--spine", repo / f"spine.{ext}", "--features", "profile:a,stats:x,clicks:item@2",
                   "--out", out, check=0)
        assert "wrote 2000 rows" in proc.stdout
        outs[ext] = pq.read_table(out)
    for col in ("profile__a", "stats__x", "clicks__item"):
        assert outs["csv"].column(col).to_pylist() == outs["parquet"].column(col).to_pylist(), col
        assert outs["jsonl"].column(col).to_pylist() == outs["parquet"].column(col).to_pylist(), col
    assert outs["csv"].column("label").to_pylist() == spine.column("label").to_pylist()
    # Output as CSV and JSON-lines too.
    cli("training-set", "--spine", repo / "spine.parquet", "--features", "profile:b", "--out", repo / "o.csv", check=0)
    cli("training-set", "--spine", repo / "spine.parquet", "--features", "profile:b", "--out", repo / "o.jsonl", check=0)
    assert len((repo / "o.csv").read_text().splitlines()) == 2001
    first = json.loads((repo / "o.jsonl").read_text().splitlines()[0])
    assert set(first) == {"user_id", "item_id", "ts", "label", "profile__b"}


def test_parquet_output_row_groups_and_duplicates(cli, repo):
    spine = make_spine(1000, seed=17)
    spine = pa.concat_tables([spine] * 150)  # 150k rows, each spine row 150 times
    pq.write_table(spine, repo / "big.parquet")
    cli("training-set", "--spine", repo / "big.parquet", "--features", "profile:a", "--out", repo / "big-out.parquet",
        check=0)
    meta = pq.ParquetFile(repo / "big-out.parquet").metadata
    assert meta.num_rows == 150_000
    assert max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) <= 64 * 1024
    out = pq.read_table(repo / "big-out.parquet").column("profile__a").to_pylist()
    assert out[:1000] * 150 == out


def test_python_accepts_pandas_readers_and_paths_and_writes_files(cli, repo):
    spine = make_spine(300, seed=19)
    want = strata.training_set(repo, spine, "profile:a")
    df = spine.to_pandas()
    from_pandas = strata.training_set(repo, df, "profile:a")
    assert from_pandas.column("profile__a").to_pylist() == want.column("profile__a").to_pylist()
    reader = pa.RecordBatchReader.from_batches(spine.schema, spine.to_batches(max_chunksize=50))
    assert strata.training_set(repo, reader, "profile:a").equals(want)
    pq.write_table(spine, repo / "s.parquet")
    assert strata.training_set(str(repo), repo / "s.parquet", "profile:a").equals(want)
    assert strata.training_set(repo, spine, "profile:a", out=repo / "py-out.parquet") is None
    assert pq.read_table(repo / "py-out.parquet").equals(want)


def test_bad_input_is_refused_with_the_column_or_ref_named(cli, repo):
    spine = make_spine(10)
    with pytest.raises(ValueError, match="no feature group 'nope'"):
        strata.training_set(repo, spine, "nope:a")
    with pytest.raises(ValueError, match="has no feature 'zz'"):
        strata.training_set(repo, spine, "profile:zz")
    with pytest.raises(ValueError, match="no timestamp column 'when'"):
        strata.training_set(repo, spine, "profile:a", timestamp_column="when")
    with pytest.raises(ValueError, match="no key column 'item_id' for entity item"):
        strata.training_set(repo, spine.drop_columns(["item_id"]), "stats:x")
    with pytest.raises(ValueError, match="spine key column 'user_id' has type string"):
        strata.training_set(repo, spine.set_column(0, "user_id", pa.array(["1"] * 10)), "profile:a")
    nulls = spine.set_column(2, "ts", pa.array([None] * 10, pa.timestamp("us", "UTC")))
    with pytest.raises(ValueError, match="'ts' is null at row 1"):
        strata.training_set(repo, nulls, "profile:a")
    with pytest.raises(TypeError):
        strata.training_set(repo, 42, "profile:a")
    (repo / "bad.csv").write_text("user_id,ts\n1,2026-05-01T00:00:00Z\n2,yesterday\n")
    proc = cli("training-set", "--spine", repo / "bad.csv", "--features", "profile:a", "--out", repo / "x.parquet")
    assert proc.returncode == 2 and "row 2" in proc.stderr and "yesterday" in proc.stderr, proc.stderr
    proc = cli("training-set", "--spine", repo / "bad.csv", "--features", "profile:a@2", "--out", repo / "x.parquet")
    assert proc.returncode == 2 and "@N applies to sequence groups" in proc.stderr
    assert not (repo / "x.parquet").exists()
