"""`strata stream` against Kafka in another process — librdkafka's mock cluster (hosted by
build/bin/kafka_events) and a real single-node broker in KRaft mode (tests/kafka/broker.py):
SIGKILLed at random points mid-stream and restarted, it ends with every event exactly once in
both stores, and the online state equals the offline as-of-now read."""

import pathlib
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pyarrow.compute as pc
import pytest

import strata

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "kafka"))
from broker import KafkaBroker, available  # noqa: E402

USERS = 1_000
POISON = 20


def _produce(strata_bin, events, bootstrap=None):
    """kafka_events: the mock cluster it hosts (bootstrap None) or a real one; returns (process, bootstrap)."""
    tool = pathlib.Path(strata_bin).with_name("kafka_events")
    where = ["--bootstrap", bootstrap] if bootstrap else []
    proc = subprocess.Popen([str(tool), *where, "--topic", "clicks", "--partitions", "4", "--messages", str(events),
                             "--users", str(USERS), "--poison", str(POISON)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    bootstrap = proc.stdout.readline().split()[1]
    assert proc.stdout.readline().startswith("produced")
    return proc, bootstrap


@pytest.fixture
def kafka(strata_bin):
    proc, bootstrap = _produce(strata_bin, 100_000)
    yield bootstrap
    proc.stdin.close()
    proc.wait(timeout=30)


def _config(tmp_path, bootstrap, commit_rows=7000, batch=2000):
    path = tmp_path / "stream.yaml"
    path.write_text(f"""name: clicks
kafka: {{bootstrap.servers: "{bootstrap}", session.timeout.ms: "6000"}}
topics:
  - {{topic: clicks, group: user_clicks}}
commit: {{rows: {commit_rows}, interval: 2s}}
batch: {{max_messages: {batch}, max_wait: 50ms}}
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
    _kill_restart_and_check(tmp_path, strata_bin, kafka, events=100_000, kills=3)


@pytest.mark.skipif(not available(), reason="no Java or Kafka jars (make setup fetches them)")
def test_a_million_events_sigkilled_five_times_on_a_real_broker(tmp_path, strata_bin):
    """The issue's crash test at its size: 1M events, SIGKILL at 5 random points. On the real
    broker: librdkafka's mock cluster keeps only the newest ~50k messages of a partition."""
    with KafkaBroker(tmp_path / "broker") as broker:
        proc, bootstrap = _produce(strata_bin, 1_000_000, broker.bootstrap)
        proc.stdin.close()
        proc.wait(timeout=60)
        _kill_restart_and_check(tmp_path, strata_bin, bootstrap, events=1_000_000, kills=5, commit_rows=50_000,
                                batch=10_000)


@pytest.mark.skipif(not available(), reason="no Java or Kafka jars (make setup fetches them)")
def test_a_real_kafka_broker_in_kraft_mode(tmp_path, strata_bin):
    with KafkaBroker(tmp_path / "broker") as broker:
        proc, bootstrap = _produce(strata_bin, 60_000, broker.bootstrap)
        proc.stdin.close()
        proc.wait(timeout=30)
        # A real broker hands over a ready topic fast: a short jitter keeps the kill mid-stream.
        _kill_restart_and_check(tmp_path, strata_bin, bootstrap, events=60_000, kills=1, jitter=0.005)


def _kill_restart_and_check(tmp_path, strata_bin, kafka, events, kills, jitter=0.05, commit_rows=7000, batch=2000):
    repo = tmp_path / "repo"
    subprocess.run([strata_bin, "init", str(repo), "--example"], check=True, capture_output=True)
    subprocess.run([strata_bin, "apply", "--repo", str(repo)], check=True, capture_output=True)
    config = _config(tmp_path, kafka, commit_rows, batch)
    rng = random.Random(7)
    killed_at = []
    for target in sorted(rng.sample(range(5_000, events - 5_000), kills)):
        proc = subprocess.Popen([strata_bin, "stream", "--repo", str(repo), "--config", str(config),
                                 "--metrics", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        port = re.search(r"metrics on port (\d+)", proc.stdout.readline()).group(1)
        deadline = time.time() + 60
        # Kill it mid-stream: once this run has written past its target (rows since its start).
        while _rows_written(port) < target - sum(killed_at) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.random() * jitter)
        killed_at.append(_rows_written(port))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
    assert sum(killed_at) < events  # each kill came mid-stream
    done = subprocess.run([strata_bin, "stream", "--repo", str(repo), "--config", str(config), "--stop-at-end"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    _assert_exactly_once(repo, events)


def _assert_exactly_once(repo, events, pushed=(), users=range(USERS)):
    """Both stores hold events 0..events-1 (item_id is the event's number) and the `pushed`
    item ids exactly once, and every user's online sequence equals its offline events."""
    with strata.open(repo, read_only=True) as store:
        offline = store.scan("user_clicks").read_all()
        # Every event exactly once, with one write_seq each.
        total = events + len(pushed)
        assert offline.num_rows == total
        items = offline["item_id"].to_numpy()
        assert len(set(items.tolist())) == total
        assert int(items.sum()) == events * (events - 1) // 2 + sum(pushed)
        assert len(set(offline["write_seq"].to_pylist())) == total
        # The online sequences equal the offline events, newest first, per user.
        online = store.get_online("user_clicks", list(users), ["item_id"])
        by_user = {}
        for u, t, item in zip(offline["user_id"].to_pylist(), offline["ts"].to_pylist(), offline["item_id"].to_pylist()):
            by_user.setdefault(u, []).append((t, item))
        for u, got in zip(online["user_id"].to_pylist(), online["item_id"].to_pylist()):
            want = [item for _, item in sorted(by_user.get(u, []), reverse=True)][:200]
            assert (got or []) == want, u
    # Bad records went to the dead letters once each, with where they came from.
    dead = (repo / ".strata" / "stream-rejected.jsonl").read_text().splitlines()
    assert len(dead) >= POISON and all('"partition"' in line and '"offset"' in line for line in dead)
    assert len({(re.search(r'"offset":(\d+)', d).group(1), re.search(r'"partition":(\d+)', d).group(1)) for d in dead}) == POISON


def _metric(port, name):
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    m = re.search(rf"^{name} (\S+)", text, re.M)
    return float(m.group(1)) if m else None


def test_serve_consumes_a_stream_into_what_it_serves_across_a_sigkill(tmp_path, strata_bin, kafka):
    """`strata serve --stream`: streamed events are served by the same process, pushes join the
    stream's write pipeline, and a SIGKILL mid-stream loses and duplicates nothing."""
    repo = tmp_path / "repo"
    subprocess.run([strata_bin, "init", str(repo), "--example"], check=True, capture_output=True)
    # The stream defined in strata.yaml (`streams:`), checked by `strata apply`.
    yaml = (repo / "strata.yaml").read_text()
    stream = _config(tmp_path, kafka).read_text().replace("name: clicks\n", "")
    (repo / "strata.yaml").write_text(yaml + "streams:\n  clicks:\n" + "".join(f"    {line}\n" for line in stream.splitlines())
                                      .replace("group: user_clicks", "group: user_clickz"))
    bad = subprocess.run([strata_bin, "apply", "--repo", str(repo)], capture_output=True, text=True)
    assert bad.returncode == 2 and "streams.clicks: topic clicks writes group 'user_clickz'" in bad.stderr, bad.stderr
    (repo / "strata.yaml").write_text((repo / "strata.yaml").read_text().replace("user_clickz", "user_clicks"))
    subprocess.run([strata_bin, "apply", "--repo", str(repo)], check=True, capture_output=True)

    def start():
        proc = subprocess.Popen([strata_bin, "serve", "--repo", str(repo), "--grpc", "", "--http", "127.0.0.1:0",
                                 "--stream", "clicks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        m = re.search(r"HTTP on port (\d+)", line)
        assert m and "streaming" in line, line + proc.stderr.read()
        return proc, m.group(1)

    proc, port = start()
    deadline = time.time() + 60
    while _rows_written(port) < 30_000 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    proc, port = start()
    remote = strata.connect(f"127.0.0.1:{port}")
    now = int(time.time() * 1e6)
    pushed = [10**9 + i for i in range(30)]
    for chunk in range(3):  # while the stream goes on
        remote.push("user_clicks", [{"user_id": USERS + i % 3, "ts": now + i, "item_id": pushed[i], "dwell_ms": 1}
                                    for i in range(chunk * 10, chunk * 10 + 10)])
    # Caught up: nothing behind, and no row written for a second.
    deadline, last, since = time.time() + 120, -1, time.time()
    while time.time() < deadline:
        rows = _rows_written(port)
        if rows != last:
            last, since = rows, time.time()
        elif rows > 0 and _metric(port, "strata_stream_consumer_lag") == 0 and time.time() - since > 1:
            break
        time.sleep(0.05)
    assert _metric(port, "strata_stream_pushed_rows_total") == 30
    assert _metric(port, "strata_stream_running") == 1
    served = remote.get_online("user_clicks", list(range(USERS + 3)), ["item_id"])
    assert served.column("item_id").to_pylist()[USERS:] == [
        [pushed[i] for i in reversed(range(u, 30, 3))] for u in range(3)]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err

    # The same stream by `strata stream` (strata.yaml's only stream): it resumes where the server
    # stopped, so it has nothing to consume.
    again = subprocess.run([strata_bin, "stream", "--repo", str(repo), "--stop-at-end"], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and "strata stream: clicks," in again.stdout and " 0 rows written" in again.stdout, \
        again.stdout + again.stderr

    _assert_exactly_once(repo, 100_000, pushed, users=range(USERS + 3))
    with strata.open(repo, read_only=True) as store:  # what was served is what the store holds
        assert served.equals(store.get_online("user_clicks", list(range(USERS + 3)), ["item_id"]))


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not available(), reason="no Java or Kafka jars (make setup fetches them)")
def test_consumers_in_one_group_split_the_partitions_through_a_server_across_sigkills(tmp_path, strata_bin):
    """Several `strata stream --server` processes in one consumer group on a real broker, writing
    through one `strata serve`: consumers are SIGKILLed and replaced at random points (each
    kill and start a rebalance), and the server itself is SIGKILLed and restarted once; at the
    end both stores hold every event exactly once."""
    events = 300_000
    with KafkaBroker(tmp_path / "broker") as broker:
        proc, bootstrap = _produce(strata_bin, events, broker.bootstrap)
        proc.stdin.close()
        proc.wait(timeout=60)
        repo = tmp_path / "repo"
        subprocess.run([strata_bin, "init", str(repo), "--example"], check=True, capture_output=True)
        subprocess.run([strata_bin, "apply", "--repo", str(repo)], check=True, capture_output=True)
        config = _config(tmp_path, bootstrap, commit_rows=40_000, batch=2_000)
        grpc = f"127.0.0.1:{_free_port()}"

        def serve():
            p = subprocess.Popen([strata_bin, "serve", "--repo", str(repo), "--grpc", grpc, "--http", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = p.stdout.readline()
            m = re.search(r"HTTP on port (\d+)", line)
            assert m, line + p.stderr.read()
            return p, m.group(1)

        def consumer():
            return subprocess.Popen([strata_bin, "stream", "--repo", str(repo), "--config", str(config), "--server", grpc],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def written(port):
            v = _metric(port, "strata_last_write_seq")
            return int(v) if v is not None else 0

        server, port = serve()
        consumers = [consumer() for _ in range(3)]
        rng = random.Random(11)
        kills, server_killed = 0, False
        deadline = time.time() + 300
        while written(port) < events:
            assert time.time() < deadline, f"{written(port)} of {events} events written"
            for c in consumers:
                assert c.poll() is None or c.returncode == -signal.SIGKILL, c.stderr.read()
            time.sleep(rng.uniform(0.2, 1.0))
            done = written(port)
            if not server_killed and done > events // 2:
                server.send_signal(signal.SIGKILL)  # mid-batch: the consumers retry, the fence keeps them exact
                server.wait()
                server, port = serve()
                server_killed = True
            elif kills < 6 and done < events * 0.9:
                victim = rng.randrange(len(consumers))
                consumers[victim].send_signal(signal.SIGKILL)
                consumers[victim].wait()
                consumers[victim] = consumer()
                kills += 1
        time.sleep(1)  # time for duplicates to arrive, were there any
        assert written(port) == events
        print(f"{kills} consumer kills, server killed once; after the restart "
              f"{_metric(port, 'strata_remote_stream_batches_total')} batches, "
              f"{_metric(port, 'strata_remote_stream_conflicts_total')} refused by the fence")
        for c in consumers:
            c.send_signal(signal.SIGTERM)
            _, err = c.communicate(timeout=60)
            assert c.returncode == 0, err
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
        assert server.returncode == 0, err
        assert server_killed and kills >= 3
    _assert_exactly_once(repo, events)
