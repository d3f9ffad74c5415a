"""`strata stream` against a Kafka cluster in another process (librdkafka's mock cluster, hosted
by build/bin/kafka_mock): SIGKILLed at random points mid-stream and restarted, it ends with every
event exactly once in both stores, and the online state equals the offline as-of-now read."""

import pathlib
import random
import re
import signal
import subprocess
import time
import urllib.request

import pyarrow.compute as pc
import pytest

import strata

EVENTS = 100_000
USERS = 1_000


@pytest.fixture
def kafka(strata_bin):
    mock = pathlib.Path(strata_bin).with_name("kafka_mock")
    proc = subprocess.Popen([str(mock), "--topic", "clicks", "--partitions", "4", "--messages", str(EVENTS),
                             "--users", str(USERS), "--poison", "20"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    bootstrap = proc.stdout.readline().split()[1]
    assert proc.stdout.readline().startswith("produced")
    yield bootstrap
    proc.stdin.close()
    proc.wait(timeout=30)


def _config(tmp_path, bootstrap):
    path = tmp_path / "stream.yaml"
    path.write_text(f"""name: clicks
kafka: {{bootstrap.servers: "{bootstrap}", session.timeout.ms: "6000"}}
topics:
  - {{topic: clicks, group: user_clicks}}
commit: {{rows: 7000, interval: 2s}}
batch: {{max_messages: 2000, max_wait: 50ms}}
""")
    return path


def _rows_written(port):
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return 0
    m = re.search(r"^strata_stream_rows_total (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path, strata_bin, kafka):
    repo = tmp_path / "repo"
    subprocess.run([strata_bin, "init", str(repo), "--example"], check=True, capture_output=True)
    subprocess.run([strata_bin, "apply", "--repo", str(repo)], check=True, capture_output=True)
    config = _config(tmp_path, kafka)
    rng = random.Random(7)
    killed_at = []
    for target in sorted(rng.sample(range(5_000, EVENTS - 5_000), 3)):
        proc = subprocess.Popen([strata_bin, "stream", "--repo", str(repo), "--config", str(config),
                                 "--metrics", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        port = re.search(r"metrics on port (\d+)", proc.stdout.readline()).group(1)
        deadline = time.time() + 60
        # Kill it mid-stream: once this run has written past its target (rows since its start).
        while _rows_written(port) < target - sum(killed_at) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.random() * 0.05)
        killed_at.append(_rows_written(port))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
    assert sum(killed_at) < EVENTS  # each kill came mid-stream
    done = subprocess.run([strata_bin, "stream", "--repo", str(repo), "--config", str(config), "--stop-at-end"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    with strata.open(repo, read_only=True) as store:
        offline = store.scan("user_clicks").read_all()
        # Every event exactly once (item_id is the event's number), with one write_seq each.
        assert offline.num_rows == EVENTS
        items = offline["item_id"].to_numpy()
        assert len(set(items.tolist())) == EVENTS and int(items.sum()) == EVENTS * (EVENTS - 1) // 2
        assert len(set(offline["write_seq"].to_pylist())) == EVENTS
        # The online sequences equal the offline events, newest first, per user.
        online = store.get_online("user_clicks", list(range(USERS)), ["item_id"])
        by_user = {}
        for u, t, item in zip(offline["user_id"].to_pylist(), offline["ts"].to_pylist(), offline["item_id"].to_pylist()):
            by_user.setdefault(u, []).append((t, item))
        for u, got in zip(online["user_id"].to_pylist(), online["item_id"].to_pylist()):
            want = [item for _, item in sorted(by_user.get(u, []), reverse=True)][:200]
            assert (got or []) == want, u
    # Bad records went to the dead letters once each, with where they came from.
    dead = (repo / ".strata" / "stream-rejected.jsonl").read_text().splitlines()
    assert len(dead) >= 20 and all('"partition"' in line and '"offset"' in line for line in dead)
    assert len({(re.search(r'"offset":(\d+)', d).group(1), re.search(r'"partition":(\d+)', d).group(1)) for d in dead}) == 20
