"""`strata serve` end to end from Python: strata.connect, the embedded store's read API over
HTTP, errors, SIGTERM, and a training set built from the feature log joined with labels."""

import json
import re
import signal
import subprocess
import time

import pyarrow as pa
import pytest

import strata

REPO = """project: serve
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  user_profile:
    entity: user
    event_time: ts
    features: {age: int32, country: string, ctr: float64}
  user_clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 5
    features: {item: int64}
  item_vec:
    entity: item
    event_time: ts
    features:
      vec: {type: "vector<float32,3>", quantization: float16}
serving: {log_features: true}
"""

NOW = int(time.time()) * 1_000_000


@pytest.fixture
def server(tmp_path, strata_bin):
    (tmp_path / "strata.yaml").write_text(REPO)
    strata.apply(tmp_path)
    proc = subprocess.Popen(
        [strata_bin, "serve", "--repo", str(tmp_path), "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"HTTP on port (\d+)", line)
    assert m, line + proc.stderr.read()
    remote = strata.connect(f"127.0.0.1:{m.group(1)}")
    yield tmp_path, proc, remote
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_remote_reads_match_the_embedded_store(server):
    repo, proc, remote = server
    assert remote.healthy()
    remote.push("user_profile", [
        {"user_id": 1, "ts": NOW - 10, "age": 30, "country": "DE", "ctr": 0.25},
        {"user_id": 2, "ts": NOW - 5, "age": 41},
    ])
    remote.push("user_clicks", [{"user_id": 1, "ts": NOW - 100 + i, "item": 10 + i} for i in range(7)])
    remote.push("item_vec", pa.table({"item_id": ["a"], "ts": [NOW - 1], "vec": [[0.5, 0.25, -1.0]]}))

    got = remote.get_online("user_profile", [1, 2, 3])
    assert got.column_names == ["user_id", "age", "country", "ctr"]
    assert got.to_pylist() == [
        {"user_id": 1, "age": 30, "country": "DE", "ctr": 0.25},
        {"user_id": 2, "age": 41, "country": None, "ctr": None},
        {"user_id": 3, "age": None, "country": None, "ctr": None},
    ]
    with strata.open(repo, read_only=True) as store:  # a second process may read beside the server
        assert got.equals(store.get_online("user_profile", [1, 2, 3]))
        clicks = remote.get_online("user_clicks", [1, 2], limit=3)
        assert clicks.equals(store.get_online("user_clicks", [1, 2], limit=3))
        assert clicks.column("item").to_pylist() == [[16, 15, 14], None]
        vec = remote.get_online("item_vec", ["a", "b"])
        assert vec.schema.field("vec").type == pa.list_(pa.float32(), 3)
        assert vec.column("vec").to_pylist() == [[0.5, 0.25, -1.0], None]
        assert vec.equals(store.get_online("item_vec", ["a", "b"]))
        # Keys as the embedded store takes them: NumPy and pyarrow arrays, one NumPy scalar.
        import numpy as np
        for keys in (np.array([1, 2, 3]), pa.array([1, 2, 3]), pa.chunked_array([[1], [2, 3]])):
            assert remote.get_online("user_profile", keys).equals(got), type(keys)
        assert remote.get_online("user_profile", np.int64(1)).equals(got.slice(0, 1))
        assert remote.get_online("item_vec", np.array(["a", "b"])).equals(vec)

    # Both response encodings (Arrow IPC by default, proto3 JSON) say the same.
    for fmt in ("arrow", "json"):
        both = remote.get_features({"user": [1, 404], "item": ["a"]}, ["user_profile:age", "item_vec:vec"], format=fmt)
        cols = {c["name"]: c for c in both["columns"]}
        assert cols["user_profile:age"]["statuses"] == ["PRESENT", "MISSING"], fmt
        assert int(cols["user_profile:age"]["event_time_micros"][0]) == NOW - 10, fmt
        assert int(cols["user_profile:age"]["event_time_micros"][1]) == 0, fmt
        assert both["arrays"]["user_profile:age"].to_pylist() == [30, None], fmt
        assert both["arrays"]["item_vec:vec"].to_pylist() == [[0.5, 0.25, -1.0]], fmt
        assert both["request_id"], fmt
        # The event times once per group, or not at all; the rest of the answer is the same.
        grouped = remote.get_features({"user": [1, 404], "item": ["a"]}, ["user_profile:age", "item_vec:vec"],
                                      format=fmt, event_times="per_group")
        assert "event_time_micros" not in grouped["columns"][0], fmt
        times = {g["group"]: g for g in grouped["groups"]}
        assert times["user_profile"]["entity"] == "user", fmt
        assert [int(t) for t in times["user_profile"]["event_time_micros"]] == [NOW - 10, 0], fmt
        assert [int(t) for t in times["item_vec"]["event_time_micros"]] == [NOW - 1], fmt
        assert grouped["arrays"]["user_profile:age"].to_pylist() == [30, None], fmt
        bare = remote.get_features({"user": [1]}, ["user_profile:age"], format=fmt, event_times="none")
        assert "event_time_micros" not in bare["columns"][0] and not bare.get("groups"), fmt
        assert bare["columns"][0]["statuses"] == ["PRESENT"], fmt
    with pytest.raises(strata.InvalidArgumentError, match="event_times must be"):
        remote.get_features({"user": [1]}, ["user_profile:age"], event_times="per_row")
    assert "strata_keys_served_total" in remote.metrics()


def test_bad_requests_raise_with_the_servers_message(server):
    _, _, remote = server
    with pytest.raises(strata.InvalidArgumentError, match="has no feature 'nope'"):
        remote.get_features({"user": [1]}, ["user_profile:nope"])
    with pytest.raises(strata.InvalidArgumentError, match="out of range for int32"):
        remote.push("user_profile", [{"user_id": 1, "ts": NOW, "age": 2**40}])
    with pytest.raises(strata.NotFoundError):
        remote.get_online("nope", [1])
    assert remote.get_online("user_profile", [1]).column("age").to_pylist() == [None]  # nothing was written


def test_sigterm_drains_and_the_log_joins_with_labels(server):
    repo, proc, remote = server
    remote.push("user_profile", [{"user_id": u, "ts": NOW - 1000, "age": 20 + u, "country": "SE"} for u in range(5)])
    # A ranking request per user, logged with its request id; labels arrive later, keyed by it.
    for u in range(5):
        remote.get_features({"user": [u]}, ["user_profile:age", "user_profile:country"], request_id=f"req-{u}")
    remote.get_features({"user": [9]}, ["user_profile:age"], request_id="not-logged", log=False)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "5 feature-log rows written, 0 dropped" in out

    with strata.open(repo, read_only=True) as store:
        log = store.scan("_feature_log").read_all().to_pandas()
    assert sorted(log["request_id"]) == [f"req-{u}" for u in range(5)]
    import pandas as pd

    labels = pd.DataFrame({"request_id": [f"req-{u}" for u in range(5)], "clicked": [1, 0, 1, 0, 0]})
    features = pd.json_normalize(log["features"].map(json.loads)).set_index(log.index)
    training = labels.merge(pd.concat([log[["request_id", "entity_key"]], features], axis=1), on="request_id")
    assert len(training) == 5
    row = training[training.request_id == "req-3"].iloc[0]
    assert row["user_profile:age"] == 23 and row["user_profile:country"] == "SE" and row["entity_key"] == "3"


def test_backup_while_serving_then_restore_catches_up(server, strata_bin):
    repo, proc, remote = server
    remote.push("user_profile", [{"user_id": 1, "ts": NOW - 1000, "age": 30}])
    info = remote.backup("b1")
    assert info["last_write_seq"] == 1 and info["dir"].endswith(".strata/backups/b1")
    remote.push("user_profile", [{"user_id": 1, "ts": NOW - 500, "age": 31}, {"user_id": 2, "ts": NOW - 500, "age": 40}])
    with pytest.raises(strata.StrataError, match="not empty"):
        remote.backup("b1")
    with pytest.raises(strata.InvalidArgumentError, match="backup name"):
        remote.backup("../escape")
    # While the server runs, a restore is refused.
    busy = subprocess.run([strata_bin, "restore", "--repo", str(repo), "--from", info["dir"]], capture_output=True, text=True)
    assert busy.returncode != 0 and "stop `strata serve`" in busy.stderr
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    done = subprocess.run([strata_bin, "restore", "--repo", str(repo), "--from", info["dir"]], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "replayed 2 newer rows" in done.stdout
    with strata.open(repo, read_only=True) as store:
        assert store.get_online("user_profile", [1, 2]).column("age").to_pylist() == [31, 40]
