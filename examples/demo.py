"""`make demo`: Strata's main job end to end on the embedded default (RocksDB online store + a
local Iceberg warehouse), on a synthetic recommender dataset (`strata gen recsys`):

  1. create a feature repository with the example definitions and apply it
  2. generate 30 days of users, items, ranking requests and clicks, and ingest them
  3. serve features for ranking requests (1 user + 100 items) with `strata serve`
  4. build point-in-time training (days 1-25) and test (days 26-30) sets
  5. train a small PyTorch ranking model on them with strata.torch; test AUC
  6. for contrast, the same model on a naive join of the *latest* feature values
  7. write demo-report.html

Each step prints one result line (and draws a progress bar on a terminal). Any failure exits
non-zero. Usage: python examples/demo.py [--repo demo-repo] [--users 100000] [--items 20000]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import strata  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DAY_US = 86_400_000_000
GROUP_FILES = ["user_profile", "item_features", "item_embedding", "user_clicks"]
WARMUP = 20
SERVED_FEATURES = ["user_profile:*", "user_clicks:item_id@20", "item_features:*", "item_embedding:vec"]


class DemoFailure(Exception):
    pass


class Progress:
    """A progress bar on one terminal line, redrawn from a thread (so that steps without a known
    total still show they are alive). Silent when stdout is not a terminal."""

    enabled = sys.stdout.isatty() or os.environ.get("STRATA_PROGRESS") == "1"

    def __init__(self, label: str, total: float = 0):
        self.label, self.total, self.done = label, total, 0.0
        self._stop = threading.Event()
        self._start = time.perf_counter()

    def update(self, done: float, total: float = 0, label: str = "") -> None:
        self.done = done
        if total:
            self.total = total
        if label:
            self.label = label

    def _draw(self) -> None:
        elapsed = time.perf_counter() - self._start
        width = 30
        if self.total:
            fraction = min(1.0, self.done / self.total)
            bar = "#" * int(fraction * width) + "." * (width - int(fraction * width))
            text = f"  {self.label[:34]:34s} [{bar}] {fraction * 100:3.0f}%  {elapsed:5.1f}s"
        else:
            pos = int(elapsed * 8) % (2 * width - 2)
            pos = pos if pos < width else 2 * width - 2 - pos
            bar = "." * pos + "#" + "." * (width - pos - 1)
            text = f"  {self.label[:34]:34s} [{bar}]       {elapsed:5.1f}s"
        sys.stdout.write("\r" + text)
        sys.stdout.flush()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._draw()

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            sys.stdout.write("\r" + " " * 100 + "\r")
            sys.stdout.flush()


def step(n: int, title: str) -> None:
    print(f"\n\033[1m[{n}/7] {title}\033[0m" if sys.stdout.isatty() else f"\n[{n}/7] {title}", flush=True)


def result(text: str) -> None:
    print(f"  -> {text}", flush=True)


def run(*args: str) -> str:
    p = subprocess.run(list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise DemoFailure(f"`{' '.join(args)}` exited with {p.returncode}:\n{p.stderr.strip()}")
    return p.stdout


def human(n: float) -> str:
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.{2 if n / div < 10 else 1}f}{unit}"
    return f"{n:.0f}"


def ts_array(values_us, n=None) -> pa.Array:
    if n is not None:
        values_us = np.full(n, values_us, dtype=np.int64)
    return pa.array(values_us, pa.timestamp("us", tz="UTC"))


# --- steps ---------------------------------------------------------------------------------


def create_repository(strata_bin: str, repo: pathlib.Path) -> dict:
    run(strata_bin, "init", str(repo), "--example")
    plan = run(strata_bin, "apply", "--repo", str(repo))
    groups = re.findall(r"add group (\w+) \((\w+)", plan)
    if len(groups) != 4:
        raise DemoFailure(f"strata apply registered {len(groups)} groups, expected 4:\n{plan}")
    result(f"{repo}/strata.yaml: " + ", ".join(f"{g} ({k})" for g, k in groups) + " registered")
    return {"groups": groups}


def generate_and_ingest(repo: pathlib.Path, args) -> dict:
    data = repo / "data"
    with Progress("strata gen recsys") as bar:
        t = time.perf_counter()
        gen = strata.gen_recsys(data, users=args.users, items=args.items, days=args.days, seed=args.seed,
                                progress=lambda s, f: bar.update(f, 1.0, s))
        gen_secs = time.perf_counter() - t
    ctr = gen["clicks"] / max(1, gen["impressions"])
    result(f"generated {human(gen['impressions'])} impressions in {human(gen['requests'])} ranking requests "
           f"({human(gen['clicks'])} clicks, CTR {ctr:.1%}) from {args.users:,} users and {args.items:,} items "
           f"over {args.days} days, in {gen_secs:.1f}s")

    rates, rows_total, t0 = {}, 0, time.perf_counter()
    total_rows = sum(gen["files"][g]["rows"] for g in GROUP_FILES)
    with strata.open(repo) as store, Progress("ingest", total_rows) as bar:
        for group in GROUP_FILES:
            source = pq.ParquetFile(gen["files"][group]["path"])
            done_before = rows_total

            def batches(source=source, done_before=done_before, group=group):
                seen = 0
                for b in source.iter_batches(batch_size=65536):
                    seen += b.num_rows
                    bar.update(done_before + seen, label=f"ingest {group}")
                    yield b

            t = time.perf_counter()
            summary = store.ingest(group, pa.RecordBatchReader.from_batches(source.schema_arrow, batches()))
            secs = time.perf_counter() - t
            if summary.get("rejected", 0):
                raise DemoFailure(f"{summary['rejected']} rows of {group} were rejected: {summary.get('rejected_path')}")
            rates[group] = {"rows": summary["accepted"], "seconds": secs, "rows_per_s": summary["accepted"] / secs}
            rows_total += summary["accepted"]
    secs = time.perf_counter() - t0
    result(f"ingested {human(rows_total)} rows into online (RocksDB) and offline (Iceberg) in {secs:.1f}s "
           f"({human(rows_total / secs)} rows/s): " + ", ".join(f"{g} {human(r['rows'])}" for g, r in rates.items()))
    return {"gen": gen, "gen_seconds": gen_secs, "ingest": rates, "ingest_seconds": secs}


def histogram_quantile(metrics: str, name: str, q: float) -> float:
    """The upper bound (seconds) of the Prometheus histogram bucket holding quantile q, summed
    over the series of `name`."""
    buckets = {}
    for m in re.finditer(rf'^{name}_bucket{{([^}}]*)}} (\S+)$', metrics, re.M):
        le = re.search(r'le="([^"]+)"', m.group(1)).group(1)
        buckets[le] = buckets.get(le, 0) + float(m.group(2))
    ordered = sorted(((float("inf") if k == "+Inf" else float(k)), v) for k, v in buckets.items())
    if not ordered or ordered[-1][1] == 0:
        return float("nan")
    target = q * ordered[-1][1]
    return next(le for le, count in ordered if count >= target)


def serve(strata_bin: str, repo: pathlib.Path, state: dict, requests: int) -> dict:
    log = open(repo / "serve.log", "w")
    server = subprocess.Popen([strata_bin, "serve", "--repo", str(repo), "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(300):
            m = re.search(r"HTTP on port (\d+)", (repo / "serve.log").read_text())
            if m:
                port = int(m.group(1))
                break
            if server.poll() is not None:
                raise DemoFailure(f"strata serve exited with {server.returncode}: {(repo / 'serve.log').read_text()}")
            time.sleep(0.05)
        if port is None:
            raise DemoFailure("strata serve did not start within 15 s")
        remote = strata.connect(f"127.0.0.1:{port}")
        # Ranking-shaped requests: a user active on the last day, 100 candidates by popularity.
        imp = pq.read_table(state["gen"]["files"]["impressions"]["path"], columns=["user_id", "item_id", "ts"])
        last_day = pc.greater_equal(imp["ts"], ts_array(state["gen"]["end_micros"] - DAY_US, 1)[0])
        users = np.unique(imp.filter(last_day)["user_id"].to_numpy())
        popular = imp["item_id"].to_numpy()
        rng = np.random.default_rng(0)
        latencies = []
        with Progress(f"{requests} requests", requests + WARMUP) as bar:
            for i in range(requests + WARMUP):
                items = np.unique(rng.choice(popular, 400))[:100]
                rng.shuffle(items)
                t = time.perf_counter()
                r = remote.get_features({"user": [int(rng.choice(users))], "item": items.tolist()}, SERVED_FEATURES)
                if i >= WARMUP:  # the first requests open connections and warm the caches
                    latencies.append((time.perf_counter() - t) * 1e3)
                bar.update(i + 1)
        columns = len(r["arrays"])
        metrics = remote.metrics()
        server_p50 = histogram_quantile(metrics, "strata_request_duration_seconds", 0.50) * 1e3
        server_p99 = histogram_quantile(metrics, "strata_request_duration_seconds", 0.99) * 1e3
        server.send_signal(signal.SIGTERM)
        rc = server.wait(timeout=60)
        if rc != 0:
            raise DemoFailure(f"strata serve exited with {rc} after SIGTERM")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    lat = np.array(latencies)
    out = {"latencies_ms": latencies, "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
           "server_p50_ms": server_p50, "server_p99_ms": server_p99, "columns": columns, "requests": requests}
    result(f"{requests} requests of 1 user + 100 items ({columns} feature columns, after {WARMUP} to warm up): p50 {out['p50_ms']:.2f} ms, "
           f"p99 {out['p99_ms']:.2f} ms from Python (strata.connect, HTTP + Arrow) (server side: p50 <= {server_p50:.2f} ms, "
           f"p99 <= {server_p99:.2f} ms); stopped cleanly on SIGTERM")
    return out


def contains_label_item(path: pathlib.Path) -> float:
    """Of the clicked rows, the fraction whose 'recent clicks' already hold the clicked item."""
    t = pq.read_table(path, columns=["item_id", "label", "user_clicks__item_id"])
    t = t.filter(pc.equal(t["label"], 1))
    seq = t["user_clicks__item_id"].combine_chunks()
    flat, parents = pc.list_flatten(seq), pc.list_parent_indices(seq)
    hit = pc.equal(flat, pc.take(t["item_id"], parents))
    rows_with_hit = np.unique(parents.to_numpy()[hit.to_numpy(zero_copy_only=False)])
    return len(rows_with_hit) / max(1, t.num_rows)


def training_sets(repo: pathlib.Path, state: dict, args) -> dict:
    import ranking_model as rm

    imp = pq.read_table(state["gen"]["files"]["impressions"]["path"], columns=["request_id", "user_id", "item_id", "ts", "label"])
    end = state["gen"]["end_micros"]
    split = ts_array(end - args.test_days * DAY_US, 1)[0]
    train = imp.filter(pc.less(imp["ts"], split))
    test = imp.filter(pc.greater_equal(imp["ts"], split))
    # The naive join: every row gets the latest values (as of the end of the data), as a join
    # of the label log with today's feature tables would.
    naive = lambda t: t.set_column(t.schema.get_field_index("ts"), "ts", ts_array(end, t.num_rows))  # noqa: E731
    out = repo / "training"
    out.mkdir(exist_ok=True)
    times = {}
    with strata.open(repo, read_only=True) as store:
        for name, spine in [("train", train), ("test", test), ("naive_train", naive(train)), ("naive_test", naive(test))]:
            with Progress(f"training set: {name}"):
                t = time.perf_counter()
                store.training_set(spine, rm.FEATURES, out=out / f"{name}.parquet")
                times[name] = time.perf_counter() - t
    pit_secs = times["train"] + times["test"]
    leak_naive, leak_pit = contains_label_item(out / "naive_train.parquet"), contains_label_item(out / "train.parquet")
    result(f"point in time: train (days 1-{args.days - args.test_days}) {human(train.num_rows)} rows, test (days "
           f"{args.days - args.test_days + 1}-{args.days}) {human(test.num_rows)} rows, {len(rm.FEATURES)} feature refs, "
           f"in {pit_secs:.1f}s ({human((train.num_rows + test.num_rows) / pit_secs)} rows/s)")
    result(f"naive latest-value join for contrast: {leak_naive:.0%} of clicked rows already list the clicked item "
           f"among the user's 'recent clicks' (a click from the future); point in time: {leak_pit:.0%} (real repeats)")
    return {"dir": out, "train_rows": train.num_rows, "test_rows": test.num_rows, "seconds": times,
            "leak_naive": leak_naive, "leak_pit": leak_pit}


def train_and_evaluate(sets: dict, args, naive: bool) -> dict:
    import torch

    import ranking_model as rm

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = rm.Ranker(args.users, args.items)
    prefix = "naive_" if naive else ""
    ds = rm.dataset(sets["dir"] / f"{prefix}train.parquet", 2048, True, args.users, args.items)
    with Progress("train (1 epoch)") as bar:
        stats = rm.train_one_epoch(model, ds, lambda i, n: bar.update(i, n))
    out = {"train": stats}
    with Progress("evaluate") as bar:
        scores, labels = rm.predict(model, rm.dataset(sets["dir"] / "test.parquet", 8192, False, args.users, args.items),
                                    lambda i, n: bar.update(i, n))
        out["auc_as_served"] = rm.auc(scores, labels)
        if naive:
            scores, labels = rm.predict(model, rm.dataset(sets["dir"] / "naive_test.parquet", 8192, False, args.users,
                                                          args.items), lambda i, n: bar.update(i, n))
            out["auc_offline"] = rm.auc(scores, labels)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", default="demo-repo")
    p.add_argument("--strata", default=os.environ.get("STRATA", str(ROOT / "build/bin/strata")))
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--test-days", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--report", default=None, help="default: REPO/demo-report.html")
    args = p.parse_args()
    repo = pathlib.Path(args.repo)
    if repo.exists():
        import shutil

        shutil.rmtree(repo)
    started = time.perf_counter()
    state: dict = {"args": vars(args)}
    try:
        step(1, "strata init --example, strata apply")
        state["repo"] = create_repository(args.strata, repo)
        step(2, f"generate {args.days} days of recommender data (strata gen recsys) and ingest it")
        state.update(generate_and_ingest(repo, args))
        step(3, "strata serve: ranking requests (1 user + 100 items), then SIGTERM")
        state["serving"] = serve(args.strata, repo, state, args.requests)
        step(4, "point-in-time training and test sets")
        state["sets"] = training_sets(repo, state, args)
        step(5, "train a PyTorch ranking model with strata.torch (one epoch)")
        state["strata_model"] = train_and_evaluate(state["sets"], args, naive=False)
        m = state["strata_model"]
        result(f"{human(m['train']['rows'])} rows in {m['train']['seconds']:.1f}s "
               f"({human(m['train']['samples_per_s'])} samples/s); test AUC {m['auc_as_served']:.3f}")
        step(6, "for contrast: the same model on a naive join of the latest feature values")
        state["naive_model"] = train_and_evaluate(state["sets"], args, naive=True)
        n = state["naive_model"]
        result(f"offline test AUC {n['auc_offline']:.3f} (inflated: its test features leak the future), but on "
               f"features as they were served at request time {n['auc_as_served']:.3f} vs {m['auc_as_served']:.3f} "
               f"for the point-in-time model: the training/serving skew Strata prevents")
        if not (n["auc_offline"] > m["auc_as_served"] > n["auc_as_served"]):
            raise DemoFailure("the leakage contrast did not show (expected naive offline AUC > point-in-time AUC > "
                              "naive AUC as served)")
        step(7, "report")
        import demo_report

        state["total_seconds"] = time.perf_counter() - started
        report = pathlib.Path(args.report) if args.report else repo / "demo-report.html"
        demo_report.write(report, state)
        result(f"wrote {report.resolve()}")
    except DemoFailure as e:
        print(f"\ndemo failed: {e}", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - any failure fails the demo, with its traceback
        traceback.print_exc()
        print("\ndemo failed", file=sys.stderr)
        return 1
    print(f"\ndemo finished in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
