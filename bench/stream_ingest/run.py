"""bench/stream_ingest: `strata stream` (exactly once into RocksDB + Iceberg) against the floor,
a plain librdkafka consumer that only decodes each message's JSON, side by side on the same
topic (a real single-node Kafka broker in KRaft mode on loopback, 4 partitions), then freshness
at a steady rate.

    .venv/bin/python bench/stream_ingest/run.py [--events 10000000] [--runs 3] [--rate 100000]

Reports events/s (from the first message to the last write, medians of --runs), their ratio,
peak RSS, and the event-to-servable freshness p50/p99 (Kafka timestamp -> end of the online
write) while events arrive at --rate for --rate-seconds: over the whole run, and in the steady
state after --warmup-seconds.
"""

import argparse
import json
import pathlib
import re
import signal
import statistics
import subprocess
import tempfile
import time
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "bin"
sys.path.insert(0, str(ROOT / "tests" / "kafka"))
from broker import KafkaBroker  # noqa: E402


def start_kafka(broker, topic, events, extra=()):
    proc = subprocess.Popen([str(BIN / "kafka_events"), "--bootstrap", broker.bootstrap, "--topic", topic,
                             "--partitions", "4", "--messages", str(events), "--users", "100000", *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc, broker.bootstrap


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (stdout, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "RSS_KB %M", *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr}")
    rss = int(re.search(r"RSS_KB (\d+)", p.stderr).group(1)) / 1024
    return p.stdout, rss


def make_repo(tmp, bootstrap, name, topic="clicks"):
    repo = tmp / name
    subprocess.run([str(BIN / "strata"), "init", str(repo), "--example"], check=True, capture_output=True)
    subprocess.run([str(BIN / "strata"), "apply", "--repo", str(repo)], check=True, capture_output=True)
    config = tmp / f"{name}.yaml"
    config.write_text(f"""name: bench
kafka: {{bootstrap.servers: "{bootstrap}", group.id: "{name}", session.timeout.ms: "6000"}}
topics:
  - {{topic: {topic}, group: user_clicks}}
commit: {{rows: 1000000, interval: 10s}}
batch: {{max_messages: 20000, max_wait: 50ms}}
""")
    return repo, config


def histogram(text, name):
    """The cumulative buckets [(le, count)] of a Prometheus histogram."""
    buckets = []
    for m in re.finditer(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', text, re.M):
        buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
    return buckets


def histogram_quantile(buckets, q, since=None):
    """The upper bound of the bucket holding quantile q (of the counts after `since`, if given)."""
    if since:
        buckets = [(le, c - c0) for (le, c), (_, c0) in zip(buckets, since)]
    total = buckets[-1][1]
    return next(le for le, c in buckets if c >= q * total) if total else float("nan")


def measure(args, tmp, broker):
    print(f"producing {args.events:,} events into 4 partitions (Kafka {broker.bootstrap}, KRaft)...", flush=True)
    kafka, bootstrap = start_kafka(broker, "clicks", args.events)
    assert kafka.stdout.readline().startswith("produced")
    kafka.stdin.close()
    kafka.wait()
    floor, strata, remote = [], [], []
    for run in range(args.runs):
        out, rss = timed([str(BIN / "stream_floor"), "--bootstrap", bootstrap, "--topic", "clicks", "--partitions", "4"])
        f = json.loads(out)
        assert f["messages"] == args.events, f
        floor.append((f["events_per_s"], rss))
        repo, config = make_repo(tmp, bootstrap, f"run{run}")
        out, rss = timed([str(BIN / "strata"), "stream", "--repo", str(repo), "--config", str(config), "--stop-at-end"])
        m = re.search(r"(\d+) messages, (\d+) rows written.*\((\d+) events/s\)", out)
        assert m and int(m.group(2)) == args.events, out
        strata.append((int(m.group(3)), rss))
        print(f"  run {run + 1}: floor {floor[-1][0]:,.0f} events/s ({floor[-1][1]:.0f} MB), strata stream "
              f"{strata[-1][0]:,.0f} events/s ({strata[-1][1]:.0f} MB)", flush=True)
        if args.remote:
            remote.append(measure_remote(args, tmp, bootstrap, run))
            print(f"  run {run + 1}: {args.remote} x strata stream --server into one strata serve "
                  f"{remote[-1]:,.0f} events/s", flush=True)

    # Freshness at a steady rate: the topic is created, the consumer joins and is assigned its
    # partitions, then events arrive at --rate.
    n = args.rate * args.rate_seconds
    repo, config = make_repo(tmp, bootstrap, "fresh", topic="steady")
    create, _ = start_kafka(broker, "steady", 0)
    create.stdin.close()
    create.wait()
    proc = subprocess.Popen([str(BIN / "strata"), "stream", "--repo", str(repo), "--config", str(config), "--metrics",
                             "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    port = re.search(r"metrics on port (\d+)", proc.stdout.readline()).group(1)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        if int(re.search(r"^strata_stream_rebalances_total (\d+)", text, re.M).group(1)) >= 1:
            break
        time.sleep(0.1)
    kafka, _ = start_kafka(broker, "steady", n, ["--rate", str(args.rate), "--now-timestamps", "1"])
    start = time.time()  # production starts now (the topic exists, the consumer is assigned)
    # Steady state: from --warmup-seconds after the first event to the end. In the first ~10 s
    # every event is 1-2 s late, the first one included: the broker's JIT compiles its produce
    # and fetch paths then (a fifth of the 2 cores in perf), on the machine it shares with the
    # producer and the consumer. A long-running broker is past that.
    metric = "strata_stream_freshness_seconds"
    deadline = time.time() + 120
    warm, last_h = None, None
    while time.time() < deadline:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        consumed = int(re.search(r"^strata_stream_messages_total (\d+)", text, re.M).group(1))
        if warm is None and time.time() - start >= args.warmup_seconds:
            warm = histogram(text, metric)
        if args.timeline:  # each interval's quantiles, to see where the tail comes from
            now_h = histogram(text, metric)
            if last_h:
                d = [(le, c - c0) for (le, c), (_, c0) in zip(now_h, last_h)]
                if d[-1][1]:
                    print(f"  {time.time() - start:5.1f}s {d[-1][1]:>8.0f} events: p50 <= {histogram_quantile(d, 0.5) * 1000:.0f} ms, "
                          f"p99 <= {histogram_quantile(d, 0.99) * 1000:.0f} ms", flush=True)
            last_h = now_h
        if consumed >= n:
            break
        time.sleep(1 if args.timeline else 0.2)
    assert kafka.stdout.readline().startswith("produced")
    whole = histogram(text, metric)
    p50, p99 = histogram_quantile(whole, 0.50), histogram_quantile(whole, 0.99)
    steady50, steady99 = histogram_quantile(whole, 0.50, warm), histogram_quantile(whole, 0.99, warm)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    kafka.stdin.close()
    kafka.wait()
    return floor, strata, remote, (p50, p99, steady50, steady99)


def measure_remote(args, tmp, bootstrap, run):
    """--remote N consumers in one group writing through one `strata serve` (all on these 2
    cores): events/s from their start (the group's first join included) to the server's exit
    after the last write (its offline commit of what was pending included)."""
    repo, config = make_repo(tmp, bootstrap, f"remote{run}")
    server = subprocess.Popen([str(BIN / "strata"), "serve", "--repo", str(repo), "--grpc", "127.0.0.1:0", "--http",
                               "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    grpc, http = re.search(r"gRPC on port (\d+)", line).group(1), re.search(r"HTTP on port (\d+)", line).group(1)
    start = time.time()
    consumers = [subprocess.Popen([str(BIN / "strata"), "stream", "--repo", str(repo), "--config", str(config),
                                   "--server", f"127.0.0.1:{grpc}"], stdout=subprocess.DEVNULL)
                 for _ in range(args.remote)]
    written = 0
    while time.time() - start < 600 and written < args.events:
        text = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics").read().decode()
        written = int(float(re.search(r"^strata_last_write_seq (\S+)", text, re.M).group(1)))
        time.sleep(0.02)
    for c in consumers:
        c.send_signal(signal.SIGTERM)
        c.wait()
    server.send_signal(signal.SIGTERM)  # commits what is pending offline, like the local run's end
    server.wait()
    end = time.time()
    assert written == args.events, f"{written} of {args.events} written"
    return args.events / (end - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rate", type=int, default=100_000)
    p.add_argument("--rate-seconds", type=int, default=40)
    p.add_argument("--warmup-seconds", type=int, default=15)
    p.add_argument("--remote", type=int, default=0,
                   help="also N `strata stream --server` consumers in one group through one `strata serve`")
    p.add_argument("--timeline", action="store_true", help="print the freshness quantiles of each interval")
    args = p.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="stream-bench-"))
    with KafkaBroker(tmp / "broker", heap="2g") as broker:
        floor, strata, remote, (p50, p99, steady50, steady99) = measure(args, tmp, broker)
    fe, fr = statistics.median(x[0] for x in floor), statistics.median(x[1] for x in floor)
    se, sr = statistics.median(x[0] for x in strata), statistics.median(x[1] for x in strata)
    print(f"\nbench/stream_ingest: {args.events:,} JSON events, 4 partitions, medians of {args.runs} runs")
    print(f"{'':34s} {'events/s':>12s} {'ratio':>7s} {'peak RSS':>10s}")
    print(f"{'floor (librdkafka + JSON decode)':34s} {fe:>12,.0f} {1.0:>7.2f} {fr:>8.0f} MB")
    print(f"{'strata stream (exactly once, 2 stores)':34s} {se:>12,.0f} {se / fe:>7.2f} {sr:>8.0f} MB")
    if remote:
        re_ = statistics.median(remote)
        print(f"{f'{args.remote} x stream --server + serve':34s} {re_:>12,.0f} {re_ / fe:>7.2f}")
    print(f"freshness at {args.rate:,} events/s for {args.rate_seconds} s (Kafka timestamp -> servable online): "
          f"p50 <= {p50 * 1000:.0f} ms, p99 <= {p99 * 1000:.0f} ms; after the first {args.warmup_seconds} s: "
          f"p50 <= {steady50 * 1000:.0f} ms, p99 <= {steady99 * 1000:.0f} ms (histogram bucket bounds)")
    flags = [f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
             for k, v in vars(args).items() if v is not False and v != 0]
    print("reproduce: .venv/bin/python bench/stream_ingest/run.py " + " ".join(flags))


if __name__ == "__main__":
    main()
