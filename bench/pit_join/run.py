"""bench/pit_join: point-in-time training sets, Strata against DuckDB's ASOF JOIN, pandas
merge_asof and Feast's get_historical_features, side by side in one run on the same data.

    make bench-pit                                    # the full size below, 3 runs (medians)
    .venv/bin/python bench/pit_join/run.py --scale 0.1 --runs 1 --skip-feast   # a quick look

Full size: spine 10M rows; user_profile 5M rows x 20 features (TTL 7d); item_stats 2M rows
x 10 features; user_clicks 50M events, @50. Two peers cannot run at that size on this
machine, so they run, next to Strata, on the same data at --small-scale (default 0.02: 200k
spine rows): Feast's get_historical_features (its DuckDB offline store joins every spine row
with all of its key's history; at 0.05 it passes 250M joined rows) and DuckDB's window query
for sequences (out of memory at full size with 18.8 GiB). Their ratios are measured at that
size, not extrapolated. The histories are written once into the
Strata repository's Iceberg tables by pyiceberg (the tables Spark or Flink would write);
DuckDB and pandas read the same Parquet data files. Every engine writes its result to
Parquet (zstd). Each run is a separate process, so its peak RSS is measured alone.
"""
import argparse
import json
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

CHUNK = 5_000_000
TABLES = "user_profile:*,item_stats:*"
SEQUENCE = "user_clicks:item_id@50"


def sizes(scale):
    return {"spine": int(10_000_000 * scale), "user_profile": int(5_000_000 * scale),
            "item_stats": int(2_000_000 * scale), "user_clicks": int(50_000_000 * scale)}


def prepare(work, scale, strata):
    """Generates the data once per scale (cached in `work`)."""
    marker = work / "ready.json"
    want = sizes(scale)
    if marker.exists() and json.loads(marker.read_text()) == want:
        return
    shutil.rmtree(work, ignore_errors=True)
    repo = work / "repo"
    repo.mkdir(parents=True)
    (repo / "strata.yaml").write_text(gen.yaml("pit"))
    subprocess.run([strata, "apply", "--repo", repo], check=True, capture_output=True)
    from pyiceberg.catalog.sql import SqlCatalog
    catalog = SqlCatalog("strata", uri=f"sqlite:///{repo}/.strata/catalog.db", warehouse=f"file://{repo}/.strata/warehouse")
    makers = {"user_profile": gen.user_profile, "item_stats": gen.item_stats, "user_clicks": gen.user_clicks}
    for name, make in makers.items():
        table = catalog.load_table(f"pit.{name}")
        schema = table.schema().as_arrow()
        done, chunk = 0, 0
        while done < want[name]:
            n = min(CHUNK, want[name] - done)
            data = make(n, seed=100 * chunk + len(name), first_seq=done + 1)
            table.append(data.select(schema.names).cast(schema))
            done += n
            chunk += 1
        print(f"  {name}: {done:,} rows", flush=True)
    pq.write_table(gen.spine(want["spine"]), work / "spine.parquet", row_group_size=1 << 20)
    marker.write_text(json.dumps(want))


def data_glob(work, group):
    return f"{work}/repo/.strata/warehouse/pit/{group}/data/**/*.parquet"


def timed(cmd, env=None):
    """Runs a command; returns (seconds, peak RSS in bytes)."""
    # Output goes to a file: a full pipe would block the child while we wait for it.
    with tempfile.TemporaryFile("w+") as log:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{cmd[:3]} failed:\n{log.read()[-4000:]}")
    return secs, usage.ru_maxrss * 1024


DUCKDB_TABLES = """
import duckdb, sys
work, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"CREATE VIEW spine AS SELECT *, row_number() OVER () AS rn FROM read_parquet('{work}/spine.parquet')")
# Rule 2: at one event time the row ingested last (greatest write_seq) wins.
for g, key in (("user_profile", "user_id"), ("item_stats", "item_id")):
    con.execute(f'''CREATE VIEW {g} AS SELECT * FROM read_parquet('{work}/repo/.strata/warehouse/pit/{g}/data/**/*.parquet')
                    QUALIFY row_number() OVER (PARTITION BY {key}, ts ORDER BY write_seq DESC) = 1''')
p = ", ".join(f"CASE WHEN s.ts - p.ts <= INTERVAL 7 DAY THEN p.{c} END AS user_profile__{c}"
              for c in [f"p{i}" for i in range(12)] + [f"n{i}" for i in range(6)] + ["country", "device"])
st = ", ".join(f"i.{c} AS item_stats__{c}" for c in [f"s{i}" for i in range(8)] + ["views", "clicks"])
con.execute(f'''COPY (SELECT s.user_id, s.item_id, s.ts, s.label, {p}, {st}
    FROM spine s
    ASOF LEFT JOIN user_profile p ON s.user_id = p.user_id AND s.ts >= p.ts
    ASOF LEFT JOIN item_stats i ON s.item_id = i.item_id AND s.ts >= i.ts
    ORDER BY s.rn) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)''')
"""

# Sequences in SQL: each user's clicks numbered in (ts, write_seq) order; ASOF joins find,
# per spine row, the number of the newest visible click and of the newest expired one; the
# (at most 50) numbers between them are joined back to the clicks and listed newest first.
DUCKDB_SEQUENCE = """
import duckdb, sys
work, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"CREATE VIEW spine AS SELECT *, row_number() OVER () AS rn FROM read_parquet('{work}/spine.parquet')")
con.execute(f'''CREATE TABLE c AS SELECT user_id, ts, item_id,
    row_number() OVER (PARTITION BY user_id ORDER BY ts, write_seq) AS k
    FROM read_parquet('{work}/repo/.strata/warehouse/pit/user_clicks/data/**/*.parquet')''')
con.execute("CREATE TABLE last_at AS SELECT user_id, ts, max(k) AS k FROM c GROUP BY user_id, ts")
con.execute('''CREATE TABLE want AS
    SELECT rn, user_id, unnest(range(greatest(coalesce(k_lo, 0) + 1, k_hi - 49), k_hi + 1)) AS k
    FROM (SELECT s.rn, s.user_id, hi.k AS k_hi, lo.k AS k_lo FROM spine s
          ASOF JOIN last_at hi ON s.user_id = hi.user_id AND s.ts >= hi.ts
          ASOF LEFT JOIN last_at lo ON s.user_id = lo.user_id AND s.ts - INTERVAL 30 DAY > lo.ts)''')
con.execute(f'''COPY (SELECT s.user_id, s.item_id, s.ts, s.label, g.items AS user_clicks__item_id
    FROM spine s LEFT JOIN (SELECT w.rn, list(c.item_id ORDER BY c.k DESC) AS items
                            FROM want w JOIN c ON c.user_id = w.user_id AND c.k = w.k GROUP BY w.rn) g ON s.rn = g.rn
    ORDER BY s.rn) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)''')
"""

PANDAS_TABLES = """
import sys, pandas as pd, pyarrow.dataset as ds, pyarrow.parquet as pq, pyarrow as pa
work, out = sys.argv[1], sys.argv[2]
spine = pq.read_table(f"{work}/spine.parquet").to_pandas()
spine["rn"] = range(len(spine))
spine = spine.sort_values("ts", kind="stable")
for g, key, ttl in (("user_profile", "user_id", pd.Timedelta("7D")), ("item_stats", "item_id", None)):
    h = ds.dataset(f"{work}/repo/.strata/warehouse/pit/{g}/data", format="parquet").to_table().to_pandas()
    # Rule 2: sorted by (ts, write_seq), merge_asof takes the last row at a tied time.
    h = h.sort_values(["ts", "write_seq"], kind="stable").drop(columns=["write_seq"])
    h = h.rename(columns={c: f"{g}__{c}" for c in h.columns if c not in (key, "ts")})
    spine = pd.merge_asof(spine, h, on="ts", by=key, direction="backward", allow_exact_matches=True,
                          tolerance=ttl)
spine = spine.sort_values("rn").drop(columns=["rn"])
pq.write_table(pa.Table.from_pandas(spine, preserve_index=False), out, compression="zstd", row_group_size=65536)
"""


def run_strata(strata, work, spine, refs, out, memory_limit):
    return timed([strata, "training-set", "--repo", str(work / "repo"), "--spine", str(spine), "--features", refs,
                  "--out", str(out), "--memory-limit", memory_limit])


def check_equal(a, b, columns, sort=False):
    keys = ["user_id", "item_id", "ts", "label"] if sort else []
    ta, tb = pq.read_table(a, columns=keys + columns), pq.read_table(b, columns=keys + columns)
    if sort:  # an engine that does not keep the spine's order
        order = [(c, "ascending") for c in keys + columns]
        ta, tb = ta.sort_by(order), tb.sort_by(order)
    for c in columns:
        if not ta.column(c).equals(tb.column(c).cast(ta.schema.field(c).type)):
            return f"column {c} differs"
    return "identical"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--small-scale", type=float, default=0.02)
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-pit"))
    ap.add_argument("--skip-feast", action="store_true")
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()
    strata = str(ROOT / "build" / "bin" / "strata")
    py = sys.executable
    work = pathlib.Path(args.work) / f"scale-{args.scale:g}"
    print(f"preparing data in {work} (cached between runs)", flush=True)
    prepare(work, args.scale, strata)
    n = sizes(args.scale)
    threads = str(os.cpu_count())
    outs = work / "out"
    outs.mkdir(exist_ok=True)

    results = {}

    failures = {}

    def measure(name, fn):
        try:
            runs = [fn() for _ in range(args.runs)]
        except RuntimeError as e:  # e.g. a peer running out of memory: reported, not fatal
            failures[name] = str(e).strip().splitlines()[-1][:100]
            print(f"  {name:<34} FAILED: {failures[name]}", flush=True)
            return
        secs = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        results[name] = (secs, rss)
        print(f"  {name:<34} {secs:8.2f} s   peak RSS {rss / 2**30:6.2f} GiB", flush=True)

    spine = work / "spine.parquet"
    measure("strata tables", lambda: run_strata(strata, work, spine, TABLES, outs / "strata-tables.parquet", args.memory_limit))
    measure("duckdb ASOF tables", lambda: timed([py, "-c", DUCKDB_TABLES, str(work), str(outs / "duckdb-tables.parquet"), threads]))
    if not args.skip_pandas:
        measure("pandas merge_asof tables", lambda: timed([py, "-c", PANDAS_TABLES, str(work), str(outs / "pandas-tables.parquet")]))
    measure("strata sequence @50", lambda: run_strata(strata, work, spine, SEQUENCE, outs / "strata-seq.parquet", args.memory_limit))
    measure("strata all (2GB limit)", lambda: run_strata(strata, work, spine, TABLES + "," + SEQUENCE, outs / "strata-all.parquet", "2GB"))

    small = pathlib.Path(args.work) / f"scale-{args.small_scale:g}"
    print(f"preparing the small data set in {small}", flush=True)
    prepare(small, args.small_scale, strata)
    souts = small / "out"
    souts.mkdir(exist_ok=True)
    sspine = small / "spine.parquet"
    measure("strata sequence @50, small", lambda: run_strata(strata, small, sspine, SEQUENCE, souts / "strata-seq.parquet", args.memory_limit))
    measure("duckdb window sequence @50, small", lambda: timed([py, "-c", DUCKDB_SEQUENCE, str(small), str(souts / "duckdb-seq.parquet"), threads]))
    if not args.skip_feast:
        import feast_peer
        measure("strata tables, small", lambda: run_strata(strata, small, sspine, TABLES, souts / "strata-tables.parquet", args.memory_limit))
        measure("feast tables, small", lambda: feast_peer.run(small, sspine, souts / "feast-tables.parquet"))

    feature_cols = ["user_profile__p0", "user_profile__n5", "user_profile__country", "item_stats__s3", "item_stats__clicks"]
    print("\nagreement with strata:")
    print("  duckdb tables:", check_equal(outs / "strata-tables.parquet", outs / "duckdb-tables.parquet", feature_cols))
    if not args.skip_pandas:
        print("  pandas tables:", check_equal(outs / "strata-tables.parquet", outs / "pandas-tables.parquet", feature_cols))
    if "duckdb window sequence @50, small" in results:
        print("  duckdb sequence (small):", check_equal(souts / "strata-seq.parquet", souts / "duckdb-seq.parquet", ["user_clicks__item_id"]))
    if "feast tables, small" in results:
        print("  feast tables (small, as sorted multisets):",
              check_equal(souts / "strata-tables.parquet", souts / "feast-tables.parquet", feature_cols, sort=True))

    rows = n["spine"]
    print(f"\npit_join: spine {rows:,} rows; user_profile {n['user_profile']:,} x 20; item_stats {n['item_stats']:,} x 10; "
          f"user_clicks {n['user_clicks']:,} events; {os.cpu_count()} cores; medians of {args.runs} run(s)")
    print(f"{'engine / task':<34} {'wall s':>8} {'rows/s':>12} {'peak RSS':>10} {'strata is':>11}")
    pairs = {"duckdb ASOF tables": "strata tables", "pandas merge_asof tables": "strata tables",
             "duckdb window sequence @50, small": "strata sequence @50, small",
             "feast tables, small": "strata tables, small"}
    for name, (secs, rss) in results.items():
        r = rows if "small" not in name else sizes(args.small_scale)["spine"]
        ratio = f"{secs / results[pairs[name]][0]:.1f}x faster" if name in pairs and pairs[name] in results else ""
        print(f"{name:<34} {secs:8.2f} {r / secs:12,.0f} {rss / 2**30:8.2f} GiB {ratio:>11}")
    for name, why in failures.items():
        print(f"{name:<34} failed: {why}")
    print(f"small data set: spine {sizes(args.small_scale)['spine']:,} rows, the same generator at scale {args.small_scale:g}")
    print(f"\nreproduce: .venv/bin/python bench/pit_join/run.py --scale {args.scale:g} --runs {args.runs}")


if __name__ == "__main__":
    main()
