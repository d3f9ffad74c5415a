"""The offline store seen from outside: pyiceberg, DuckDB and Spark read Strata's Iceberg
tables; a PostgreSQL catalog works like the SQLite one; SIGKILL during ingestion leaves online
and offline holding the same rows; damaged files are named, never silently skipped."""

import glob
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DAY_US = 86_400_000_000


def project(repo: pathlib.Path) -> str:
    for line in (repo / "strata.yaml").read_text().splitlines():
        if line.startswith("project:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no project in strata.yaml")


def sql_catalog(repo: pathlib.Path):
    from pyiceberg.catalog.sql import SqlCatalog
    return SqlCatalog("strata", uri=f"sqlite:///{repo / '.strata' / 'catalog.db'}")


def write_profiles(path, n, start_id=0, days=5, seed=0, extra=None):
    rng = random.Random(seed)
    base = int(time.time() * 1e6) - days * DAY_US
    cols = {
        "user_id": pa.array([start_id + rng.randrange(n) for _ in range(n)], pa.int64()),
        "ts": pa.array([base + rng.randrange(days * DAY_US) for _ in range(n)], pa.int64()),
        "age": pa.array([rng.randrange(90) if i % 9 else None for i in range(n)], pa.int32()),
        "country": pa.array([rng.choice(["DE", "US", "FR", None]) for _ in range(n)]),
        "ctr_7d": pa.array([rng.random() for _ in range(n)], pa.float32()),
    }
    cols.update(extra or {})
    pq.write_table(pa.table(cols), path)


def strata_scan(cli, group, out, *args):
    cli("scan", group, "--out", out, *args, check=0)
    return pq.read_table(out)


def canonical(table: pa.Table) -> list:
    """Rows as sorted tuples (by write_seq), timestamps as integers, floats as they are."""
    cols = table.column_names
    rows = table.to_pylist()
    for r in rows:
        for c in cols:
            if hasattr(r[c], "timestamp"):
                r[c] = round(r[c].timestamp() * 1e6)
    return sorted((tuple(r[c] for c in cols) for r in rows), key=lambda t: t[cols.index("write_seq")])


@pytest.fixture
def repo(cli, tmp_path):
    cli("init", ".", "--example", check=0)
    cli("apply", check=0)
    return tmp_path


def test_pyiceberg_reads_every_table_after_ingest_compaction_and_evolution(cli, repo):
    write_profiles(repo / "p1.parquet", 3000, seed=1)
    write_profiles(repo / "p2.parquet", 2000, seed=2)
    now = int(time.time() * 1e6)
    pq.write_table(pa.table({"user_id": pa.array([i % 50 for i in range(1000)], pa.int64()),
                             "ts": pa.array([now - i * 1_000_000 for i in range(1000)], pa.int64()),
                             "item_id": pa.array(range(1000), pa.int64()),
                             "dwell_ms": pa.array([i * 3 for i in range(1000)], pa.int32())}), repo / "clicks.parquet")
    pq.write_table(pa.table({"item_id": pa.array(range(100), pa.int64()),
                             "ts": pa.array([now - 1000] * 100, pa.int64()),
                             "vec": pa.array([[float(i + j) / 64 for j in range(64)] for i in range(100)],
                                             pa.list_(pa.float32()))}), repo / "emb.parquet")
    cli("ingest", "user_profile", "p1.parquet", check=0)
    cli("ingest", "user_profile", "p2.parquet", check=0)
    cli("ingest", "user_clicks", "clicks.parquet", check=0)
    cli("ingest", "item_embedding", "emb.parquet", check=0)

    catalog = sql_catalog(repo)
    ns = project(repo)
    assert sorted(t[1] for t in catalog.list_tables(ns)) == ["item_embedding", "item_features", "user_clicks", "user_profile"]

    def check_same(group, rows):
        ours = strata_scan(cli, group, repo / f"{group}.parquet")
        theirs = catalog.load_table(f"{ns}.{group}").scan().to_arrow()
        assert theirs.num_rows == ours.num_rows == rows
        assert canonical(theirs) == canonical(ours)
        return theirs

    t = check_same("user_profile", 5000)
    assert t.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert sorted(t.column("write_seq").to_pylist()) == list(range(1, 5001))
    check_same("user_clicks", 1000)
    emb = check_same("item_embedding", 100)
    assert emb.column("vec")[3].as_py()[:2] == pytest.approx([3 / 64, 4 / 64])  # full precision offline

    # Snapshots: one per ingest call; pyiceberg sees the same history.
    table = catalog.load_table(f"{ns}.user_profile")
    assert len(table.snapshots()) == 2
    assert table.current_snapshot().summary["strata.max-write-seq"] == "5000"
    out = cli("snapshots", "user_profile", "--format", "json", check=0).stdout
    ids = [json.loads(line)["snapshot_id"] for line in out.splitlines()]
    assert ids == [s.snapshot_id for s in table.snapshots()]
    # Time travel to the first snapshot.
    first = strata_scan(cli, "user_profile", repo / "first.parquet", "--snapshot", ids[0])
    assert first.num_rows == 3000
    assert catalog.load_table(f"{ns}.user_profile").scan(snapshot_id=ids[0]).to_arrow().num_rows == 3000

    # Compaction: a replace snapshot, the same rows; old snapshots still readable.
    files_before = len(table.inspect.files())
    cli("compact", "user_profile", check=0)
    table = catalog.load_table(f"{ns}.user_profile")
    assert table.current_snapshot().summary.operation.value == "replace"
    assert len(table.inspect.files()) < files_before
    check_same("user_profile", 5000)
    assert catalog.load_table(f"{ns}.user_profile").scan(snapshot_id=ids[0]).to_arrow().num_rows == 3000

    # Evolution: widen age, drop ctr_7d, add score; old rows read with the new schema.
    yaml = (repo / "strata.yaml").read_text()
    yaml = yaml.replace("features: {age: int32, country: string, ctr_7d: float32}",
                        "features: {age: int64, country: string, score: float64}")
    (repo / "strata.yaml").write_text(yaml)
    cli("apply", check=0)
    write_profiles(repo / "p3.parquet", 500, seed=3, extra={"score": pa.array([1.5] * 500, pa.float64()),
                                                           "ctr_7d": pa.array([0.0] * 500, pa.float32())})
    cli("ingest", "user_profile", "p3.parquet", check=0)
    t = check_same("user_profile", 5500)
    assert t.column_names == ["user_id", "ts", "write_seq", "age", "country", "score"]
    assert t.schema.field("age").type == pa.int64()
    scores = t.column("score").to_pylist()
    assert scores.count(1.5) == 500 and scores.count(None) == 5000
    fields = catalog.load_table(f"{ns}.user_profile").schema().fields
    assert max(f.field_id for f in fields) > 8  # score got a new id; ctr_7d's (8) is never reused
    assert 8 not in [f.field_id for f in fields]

    # Expire: the current snapshot still reads; files only it needs survive.
    cli("expire", "user_profile", "--older-than", "0s", check=0)
    table = catalog.load_table(f"{ns}.user_profile")
    assert len(table.snapshots()) == 1
    check_same("user_profile", 5500)

    # Key filter.
    some = t.column("user_id")[0].as_py()
    filtered = strata_scan(cli, "user_profile", repo / "one.parquet", "--where", f"user_id={some}")
    assert filtered.num_rows == t.column("user_id").to_pylist().count(some)


def test_duckdb_reads_the_parquet_data_files_directly(cli, repo):
    import duckdb
    write_profiles(repo / "p.parquet", 4000, seed=5)
    cli("ingest", "user_profile", "p.parquet", check=0)
    files = glob.glob(str(repo / ".strata/warehouse/*/user_profile/data/*/*.parquet"))
    assert len(files) >= 5  # one per day partition
    con = duckdb.connect()
    n, seqs, users = con.execute(
        f"SELECT count(*), count(DISTINCT write_seq), count(DISTINCT user_id) FROM read_parquet({files!r})").fetchone()
    assert n == seqs == 4000
    assert users == len(set(pq.read_table(repo / "p.parquet").column("user_id").to_pylist()))


def test_spark_reads_a_table_through_the_jdbc_catalog(cli, repo, tmp_path):
    jars = sorted(glob.glob(str(ROOT / ".venv/jars/*.jar")))
    assert len(jars) == 2, "run `make setup`: the Iceberg Spark runtime and SQLite JDBC jars are missing"
    write_profiles(repo / "p.parquet", 2500, seed=7)
    cli("ingest", "user_profile", "p.parquet", check=0)
    cli("compact", "user_profile", check=0)
    script = tmp_path / "spark_count.py"
    script.write_text(f"""
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]")
    .config("spark.jars", {",".join(jars)!r})
    .config("spark.sql.catalog.strata", "org.apache.iceberg.spark.SparkCatalog")
    .config("spark.sql.catalog.strata.type", "jdbc")
    .config("spark.sql.catalog.strata.uri", "jdbc:sqlite:{repo / '.strata' / 'catalog.db'}")
    .config("spark.sql.catalog.strata.warehouse", "{repo / '.strata' / 'warehouse'}")
    .config("spark.ui.enabled", "false")
    .getOrCreate())
df = spark.table("strata.{project(repo)}.user_profile")
print("ROWS", df.count(), df.selectExpr("count(distinct write_seq)").first()[0])
print("COLUMNS", ",".join(df.columns))
# Every column's values, not just the row count (which Iceberg may answer from manifests).
sums = df.selectExpr("sum(user_id)", "sum(age)", "count(country)", "sum(cast(ctr_7d as double))",
                     "count(distinct ts)").first()
print("SUMS", sums[0], sums[1], sums[2], round(sums[3], 2), sums[4])
""")
    env = dict(os.environ, PYSPARK_PYTHON=str(ROOT / ".venv/bin/python"), SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), str(script)], capture_output=True, text=True,
                          env=env, timeout=600)
    causes = "\n".join(l for l in proc.stderr.splitlines() if "Exception" in l or "Caused by" in l)
    assert proc.returncode == 0, causes[:3000] + "\n...\n" + proc.stderr[-2000:]
    assert "ROWS 2500 2500" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert "COLUMNS user_id,ts,write_seq,age,country,ctr_7d" in proc.stdout
    source = pq.read_table(repo / "p.parquet")
    expected = (pc.sum(source["user_id"]).as_py(), pc.sum(source["age"]).as_py(), pc.count(source["country"]).as_py(),
                round(pc.sum(source["ctr_7d"].cast(pa.float64())).as_py(), 2), len(set(source["ts"].to_pylist())))
    assert "SUMS %d %d %d %s %d" % expected in proc.stdout, proc.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres(tmp_path):
    """A throwaway PostgreSQL server on loopback (as the postgres user when run as root)."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bindir:
        pytest.fail("PostgreSQL server binaries are missing; run `make setup`")
    bindir = pathlib.Path(bindir[-1])
    # Outside pytest's tmp_path, which the postgres user may not be allowed to enter.
    top = pathlib.Path(tempfile.mkdtemp(prefix="strata-pg-"))
    data = top / "pgdata"
    data.mkdir()
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(top, "postgres")
        shutil.chown(data, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "strata", "--auth=trust"],
                   check=True, capture_output=True, cwd=top)
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                             f"-p {port} -k {data} -h 127.0.0.1", "start"], check=True, capture_output=True, cwd=top)
    try:
        yield f"postgresql://strata@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(top, ignore_errors=True)


def test_postgresql_catalog(cli, tmp_path, postgres):
    cli("init", ".", "--example", check=0)
    yaml = (tmp_path / "strata.yaml").read_text()
    yaml = yaml.replace("catalog: .strata/catalog.db", f"catalog: '{postgres}'")
    (tmp_path / "strata.yaml").write_text(yaml)
    cli("apply", check=0)
    write_profiles(tmp_path / "p.parquet", 1500, seed=9)
    cli("ingest", "user_profile", "p.parquet", check=0)
    from pyiceberg.catalog.sql import SqlCatalog
    catalog = SqlCatalog("strata", uri=postgres.replace("postgresql://", "postgresql+psycopg2://"))
    t = catalog.load_table(f"{project(tmp_path)}.user_profile").scan().to_arrow()
    assert t.num_rows == 1500
    ours = strata_scan(cli, "user_profile", tmp_path / "o.parquet")
    assert canonical(t) == canonical(ours)
    assert not (tmp_path / ".strata" / "catalog.db").exists()


def test_sigkill_at_random_points_leaves_online_and_offline_with_the_same_rows(cli, repo, strata_bin):
    n = 150_000
    now = int(time.time() * 1e6)
    rng = random.Random(11)
    pq.write_table(pa.table({"user_id": pa.array(range(n), pa.int64()),
                             "ts": pa.array([now - rng.randrange(3 * DAY_US) for _ in range(n)], pa.int64()),
                             "age": pa.array([i % 97 for i in range(n)], pa.int32())}),
                   repo / "big.parquet", row_group_size=5000)
    kills = replayed = 0
    for attempt in range(6):
        # Kill after a random number of commits, a random moment later: between an offline
        # commit and its online write, inside either, or while files are being written.
        proc = subprocess.Popen([strata_bin, "ingest", "user_profile", "big.parquet", "--batch-rows", "2000",
                                 "--commit-rows", "6000", "--log-commits"], cwd=repo, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        wait_for = rng.randrange(1, 5)
        for line in proc.stdout:
            replayed += line.startswith("note: replayed")
            if line.startswith("committed rows="):
                wait_for -= 1
                if wait_for == 0:
                    break
        time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
    replayed += "note: replayed" in cli("ingest", "user_profile", "big.parquet", check=0).stdout  # the rest
    assert kills >= 2
    print(f"{kills} kills, {replayed} reconciliations")
    # Offline: every source row exactly once.
    offline = strata_scan(cli, "user_profile", repo / "all.parquet")
    assert offline.num_rows == n
    assert sorted(offline.column("user_id").to_pylist()) == list(range(n))
    assert len(set(offline.column("write_seq").to_pylist())) == n
    # Online: the same values (each user has one row, so its latest is that row).
    keys = list(range(0, n, 1499)) + [n - 1]
    out = cli("get", "user_profile", "--key", ",".join(map(str, keys)), "--features", "age", check=0).stdout
    got = {r["user_id"]: r["age"] for r in map(json.loads, out.splitlines())}
    assert got == {k: k % 97 for k in keys}


def test_damaged_metadata_is_named_and_nothing_committed_is_lost(cli, repo):
    write_profiles(repo / "p.parquet", 1000, seed=13)
    cli("ingest", "user_profile", "p.parquet", check=0)
    meta = sorted(glob.glob(str(repo / ".strata/warehouse/*/user_profile/metadata/*.metadata.json")))[-1]
    good = pathlib.Path(meta).read_bytes()
    pathlib.Path(meta).write_bytes(good[:len(good) // 3])
    proc = cli("scan", "user_profile", "--out", "x.parquet")
    assert proc.returncode == 1 and meta in proc.stderr, proc.stderr
    write_profiles(repo / "q.parquet", 10, seed=14)
    proc = cli("ingest", "user_profile", "q.parquet")
    assert proc.returncode == 1 and meta in proc.stderr, proc.stderr
    pathlib.Path(meta).write_bytes(good)
    assert strata_scan(cli, "user_profile", repo / "x.parquet").num_rows == 1000
    # A table whose metadata points outside the warehouse is refused, not written to.
    doc = json.loads(good)
    doc["location"] = "file:///tmp/outside-the-warehouse"
    pathlib.Path(meta).write_text(json.dumps(doc))
    proc = cli("ingest", "user_profile", "q.parquet")
    assert proc.returncode == 1 and "outside the warehouse" in proc.stderr, proc.stderr
    assert not pathlib.Path("/tmp/outside-the-warehouse").exists()
