"""strata.open(repo) -> Store: apply, ingest (tables, DataFrames, files), get_online, scan,
snapshots, training_set, the errors they raise, and that native work runs without the GIL."""

import datetime as dt
import threading
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import strata

DEFS = """project: store
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    ttl: 1h
    features: {age: int64, city: string}
  clicks:
    entity: user
    kind: sequence
    max_length: 5
    features: {item: int64}
  item_vec:
    entity: item
    features:
      vec: {type: "vector<float32,4>", quantization: int8}
"""

# Recent: online reads as of a time reach back only `history` (7 days by default).
BASE = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def ts(minutes):
    return BASE + dt.timedelta(minutes=minutes)


def applied(tmp_path):
    (tmp_path / "strata.yaml").write_text(DEFS)
    with pytest.raises(strata.FailedPreconditionError, match="strata apply"):
        strata.open(tmp_path)
    assert any("profile" in line for line in strata.apply(tmp_path))
    return strata.open(tmp_path)


def test_ingest_get_online_scan_and_snapshots(tmp_path):
    s = applied(tmp_path)
    profile = pa.table({
        "user_id": pa.array([1, 2, 1], pa.int64()),
        "ts": pa.array([ts(0), ts(0), ts(30)], pa.timestamp("us", "UTC")),
        "age": pa.array([30, 40, 31], pa.int64()),
        "city": ["Paris", None, "Lyon"],
    })
    summary = s.ingest("profile", profile)
    assert summary["accepted"] == 3 and summary["rejected"] == 0
    # pandas, with a column the group does not have (reported, not an error).
    df = pd.DataFrame({"user_id": [3], "ts": [pd.Timestamp(ts(10))], "age": [50], "city": ["Nice"], "extra": [1]})
    summary = s.ingest("profile", df)
    assert summary["accepted"] == 1 and any("extra" in c for c in summary["ignored_columns"])

    online = s.get_online("profile", [1, 2, 3, 99], as_of=ts(35))
    assert online.column_names == ["user_id", "age", "city"]
    assert online.to_pylist() == [
        {"user_id": 1, "age": 31, "city": "Lyon"},
        {"user_id": 2, "age": 40, "city": None},
        {"user_id": 3, "age": 50, "city": "Nice"},
        {"user_id": 99, "age": None, "city": None},
    ]
    # As of an earlier time; and after the TTL (1h) the values are gone.
    assert s.get_online("profile", [1], features=["age"], as_of=ts(5)).to_pylist() == [{"user_id": 1, "age": 30}]
    assert s.get_online("profile", 1, as_of=ts(31 + 60)).to_pylist() == [{"user_id": 1, "age": None, "city": None}]

    rows = s.scan("profile").read_all()
    assert rows.num_rows == 4 and {"user_id", "ts", "write_seq", "age", "city"} <= set(rows.column_names)
    snaps = s.snapshots("profile")
    assert len(snaps) == 2
    first = s.scan("profile", snapshot=snaps[0]["id"]).read_all()
    assert first.num_rows == 3
    assert s.scan("profile", keys=[1]).read_all().num_rows == 2
    s.close()


def test_sequences_embeddings_and_files(tmp_path):
    s = applied(tmp_path)
    clicks = pa.table({
        "user_id": pa.array([7] * 8, pa.int64()),
        "ts": pa.array([ts(i) for i in range(8)], pa.timestamp("us", "UTC")),
        "item": pa.array(list(range(100, 108)), pa.int64()),
    })
    path = tmp_path / "clicks.parquet"
    pq.write_table(clicks, path)
    assert s.ingest("clicks", path)["accepted"] == 8
    assert s.ingest("clicks", str(path))["skipped_files"] == [str(path)]  # a finished file is not read twice
    got = s.get_online("clicks", [7]).column("item").to_pylist()
    assert got == [[107, 106, 105, 104, 103]]  # newest first, max_length 5
    assert s.get_online("clicks", [7], limit=2).column("item").to_pylist() == [[107, 106]]

    vecs = pa.table({
        "item_id": ["a", "b"],
        "ts": pa.array([ts(0), ts(0)], pa.timestamp("us", "UTC")),
        "vec": pa.array([[0.5, -0.5, 1.0, 0.0], [0.1, 0.2, 0.3, 0.4]], pa.list_(pa.float32())),
    })
    s.ingest("item_vec", vecs)
    out = s.get_online("item_vec", ["a", "b", "zz"])
    assert out.schema.field("vec").type == pa.list_(pa.float32(), 4) or pa.types.is_list(out.schema.field("vec").type)
    assert out.column("vec").to_pylist()[0] == pytest.approx([0.5, -0.5, 1.0, 0.0], abs=0.01)
    assert out.column("vec").to_pylist()[2] is None

    spine = pa.table({"user_id": pa.array([7, 7], pa.int64()), "ts": pa.array([ts(2), ts(100)], pa.timestamp("us", "UTC"))})
    ts_table = s.training_set(spine, ["clicks:item@3"])
    assert ts_table.column("clicks__item").to_pylist() == [[102, 101, 100], [107, 106, 105]]
    s.training_set(spine, "clicks:item@3", out=tmp_path / "set.parquet")
    assert pq.read_table(tmp_path / "set.parquet").num_rows == 2


def test_errors_are_typed_and_say_what_to_fix(tmp_path):
    s = applied(tmp_path)
    with pytest.raises(strata.NotFoundError, match="unknown feature group 'nope'; the repository has: profile"):
        s.get_online("nope", [1])
    with pytest.raises(ValueError, match="has no feature 'zz'"):
        s.get_online("profile", [1], features=["zz"])
    with pytest.raises(strata.InvalidArgumentError, match="must be integers, not string"):
        s.get_online("profile", ["x"])
    with pytest.raises(strata.InvalidArgumentError, match="as_of"):
        s.get_online("profile", [1], as_of="not a time")
    with pytest.raises(TypeError):
        s.ingest("profile", 42)
    bad = pa.table({"user_id": pa.array([1], pa.int64()), "age": [3]})
    with pytest.raises(strata.InvalidArgumentError, match="ts"):
        s.ingest("profile", bad)  # no event-time column: nothing is written
    assert s.scan("profile").read_all().num_rows == 0
    with pytest.raises(strata.NotFoundError, match="has no snapshot 123"):
        s.scan("profile", snapshot=123)
    reader = strata.open(tmp_path, read_only=True)
    with pytest.raises(strata.FailedPreconditionError, match="read-only"):
        reader.ingest("profile", bad)
    reader.close()
    s.close()
    with pytest.raises(strata.FailedPreconditionError, match="closed"):
        s.get_online("profile", [1])


def test_apply_evolves_and_refuses_incompatible_changes(tmp_path):
    s = applied(tmp_path)
    assert s.apply() == []
    (tmp_path / "strata.yaml").write_text(DEFS.replace("{age: int64, city: string}", "{age: int64, city: string, score: float64}"))
    plan = s.apply(dry_run=True)
    assert any("score" in line for line in plan)
    assert any("score" in line for line in s.apply())
    assert s.get_online("profile", [1]).column_names == ["user_id", "age", "city", "score"]
    (tmp_path / "strata.yaml").write_text(DEFS.replace("{age: int64, city: string}", "{age: int32, city: string}"))
    with pytest.raises(strata.IncompatibleChangeError, match="age"):
        s.apply()
    assert "score" in s.get_online("profile", [1]).column_names  # nothing changed, still usable


def test_native_calls_release_the_gil(tmp_path):
    s = applied(tmp_path)
    n = 300_000
    table = pa.table({
        "user_id": pa.array(range(n), pa.int64()),
        "ts": pa.array([ts(0)] * n, pa.timestamp("us", "UTC")),
        "age": pa.array(range(n), pa.int64()),
        "city": pa.array(["c"] * n),
    })
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.monotonic()
    s.ingest("profile", table)
    elapsed = time.monotonic() - start
    stop.set()
    t.join()
    # A thread that sleeps 1 ms per tick got to run during the native call.
    assert elapsed > 0.2 and ticks > elapsed * 100, (ticks, elapsed)
