"""bench/offline_ingest: N rows x 20 features from Parquet into Strata (online RocksDB +
offline Iceberg, one command), side by side with pyiceberg's table.append (pyarrow) of the
same data and pyarrow's plain Parquet write (the floor), on the same file, in one run.

    make bench-offline                         # 20M rows, 3 runs (medians)
    .venv/bin/python bench/offline_ingest/run.py --rows 2000000 --runs 3
"""
import argparse
import os
import pathlib
import re
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


def du(path) -> int:
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file())


def run_strata(work, src, strata):
    repo = work / "strata"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    (repo / "strata.yaml").write_text(gen.yaml("bench"))
    subprocess.run([strata, "apply", "--repo", repo], check=True, capture_output=True)
    t = time.perf_counter()
    out = subprocess.run([strata, "ingest", "stats", src, "--repo", repo], check=True, capture_output=True, text=True)
    secs = time.perf_counter() - t
    # The offline half (reading, converting, Parquet, commits) runs beside the online writes:
    # its own time, from the summary's `time:` line.
    m = re.search(r"time: reading and offline writing ([0-9.]+)s, online writing ([0-9.]+)s", out.stdout)
    offline, online = (float(m.group(1)), float(m.group(2))) if m else (float("nan"), float("nan"))
    data = list((repo / ".strata/warehouse").rglob("*.parquet"))
    return secs, offline, online, sum(f.stat().st_size for f in data), du(repo / ".strata/warehouse"), \
        du(repo / ".strata/online")


def run_pyiceberg(work, src):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import DayTransform
    wh = work / "pyiceberg"
    shutil.rmtree(wh, ignore_errors=True)
    wh.mkdir()
    table = pq.read_table(src)
    catalog = SqlCatalog("bench", uri=f"sqlite:///{wh}/catalog.db", warehouse=f"file://{wh}")
    catalog.create_namespace("bench")
    schema = table.schema
    t = catalog.create_table("bench.stats", schema=schema,
                             properties={"write.parquet.compression-codec": "zstd"})
    with t.update_spec() as spec:
        spec.add_field("ts", DayTransform(), "ts_day")
    start = time.perf_counter()
    reader = pq.ParquetFile(src)
    for batch in reader.iter_batches(batch_size=4_000_000):  # bounded memory, like Strata's commits
        t.append(pa.Table.from_batches([batch]))
    secs = time.perf_counter() - start
    data = list(wh.rglob("*.parquet"))
    return secs, sum(f.stat().st_size for f in data), du(wh)


def run_pyarrow(work, src):
    out = work / "pyarrow.parquet"
    reader = pq.ParquetFile(src)
    start = time.perf_counter()
    writer = None
    for batch in reader.iter_batches(batch_size=1_000_000):
        if writer is None:
            writer = pq.ParquetWriter(out, batch.schema, compression="zstd")
        writer.write_batch(batch)
    writer.close()
    return time.perf_counter() - start, out.stat().st_size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--strata", default=str(ROOT / "build/bin/strata"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--skip-pyiceberg", action="store_true")
    a = ap.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="strata-bench-offline-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"input-{a.rows}.parquet"
    if not src.exists():
        print(f"generating {a.rows:,} rows x 20 features -> {src}", flush=True)
        subprocess.run([sys.executable, str(HERE / "gen.py"), str(a.rows), str(src)], check=True)
    res = {"strata": [], "strata_offline": [], "strata_online": [], "pyiceberg": [], "pyarrow": []}
    sizes = {}
    for r in range(a.runs):
        secs, offline, online_secs, data, wh, online = run_strata(work, src, a.strata)
        res["strata"].append(secs)
        res["strata_offline"].append(offline)
        res["strata_online"].append(online_secs)
        sizes["strata"] = (data, wh, online)
        sizes["strata_offline"] = sizes["strata_online"] = sizes["strata"]
        if not a.skip_pyiceberg:
            secs, data, wh = run_pyiceberg(work, src)
            res["pyiceberg"].append(secs)
            sizes["pyiceberg"] = (data, wh, 0)
        secs, data = run_pyarrow(work, src)
        res["pyarrow"].append(secs)
        sizes["pyarrow"] = (data, data, 0)
        print(f"run {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in res.items() if v), flush=True)
    med = {k: statistics.median(v) for k, v in res.items() if v}
    print(f"\noffline_ingest: {a.rows:,} rows x 20 features (10 float32, 5 int64, 5 int32), 1M users, 30 days, "
          f"zstd; median of {a.runs} runs; {os.cpu_count()} cores")
    print(f"{'writer':<44}{'rows/s':>12}{'time s':>9}{'data files MB':>15}{'x pyarrow time':>16}{'x pyarrow size':>16}")
    names = {"strata": "strata ingest (online RocksDB + offline Iceberg)",
             "strata_offline": "  its offline half (read, Parquet, commit)",
             "strata_online": "  its online half (beside the offline one)",
             "pyiceberg": "pyiceberg table.append (offline only)",
             "pyarrow": "pyarrow write_table (Parquet only, floor)"}
    for k, secs in med.items():
        data = sizes[k][0]
        print(f"{names[k]:<44}{a.rows / secs:>12,.0f}{secs:>9.1f}{data / 1e6:>15.1f}"
              f"{secs / med['pyarrow']:>16.2f}{data / sizes['pyarrow'][0]:>16.2f}")
    print("(strata's two halves run side by side: the dual write takes as long as the slower one)")
    print(f"strata online store on disk: {sizes['strata'][2] / 1e6:.0f} MB; warehouse incl. metadata: "
          f"{sizes['strata'][1] / 1e6:.0f} MB")
    print(f"reproduce: .venv/bin/python bench/offline_ingest/run.py --rows {a.rows} --runs {a.runs}")


if __name__ == "__main__":
    main()
