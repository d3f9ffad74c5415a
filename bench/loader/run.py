"""bench/loader: one epoch of a 20M-row training set into PyTorch tensors, Strata's loader
against the usual ways, side by side in one run on the same file.

    make bench-loader                                              # 20M rows, 3 runs (medians)
    .venv/bin/python bench/loader/run.py --rows 1000000 --runs 1   # a quick look

The file (bench/loader/gen.py): 40 dense float32 columns, 10 sparse id lists (mean length 5),
2 sequences of up to 50 ids, a label; Parquet, zstd, 64Ki-row row groups; cached in
build/bench-loader/. Every method builds the same tensors with the same batch size, each in
its own process (its peak RSS is its own); samples/s counts the epoch only (not imports):
  strata          strata.torch.TrainingDataset, shuffled (row groups + a 256Ki-row buffer)
  strata-ordered  the same without shuffling
  strong          pyarrow iter_batches, columns -> numpy -> torch, vectorized padding
  common          DataLoader over a map-style Dataset (pandas row per item, collate_fn);
                  too slow for 20M rows: it runs on the first --common-rows rows, and its
                  samples/s is measured there
  floor           pyarrow decoding the file row group by row group (nothing else)
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

METHODS = ["floor", "strata", "strata-ordered", "strong", "common"]


def timed(cmd):
    """Runs a method in its own process; returns its JSON result (rows, seconds, rss)."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
        status = proc.wait()
        log.seek(0)
        out = log.read()
        if status != 0:
            raise RuntimeError(f"{cmd[2:4]} failed:\n{out[-4000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--common-rows", type=int, default=200_000)
    ap.add_argument("--methods", default=",".join(METHODS))
    a = ap.parse_args()
    work = ROOT / "build" / "bench-loader"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"train-{a.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        print(f"generating {a.rows:,} rows into {path} ...", flush=True)
        gen.generate(path, a.rows)
        print(f"  {time.perf_counter() - t:.0f}s, {path.stat().st_size / 2**30:.2f} GiB", flush=True)
    methods = a.methods.split(",")
    results = {m: [] for m in methods}
    for run in range(a.runs):
        for m in methods:
            cmd = [sys.executable, str(HERE / "methods.py"), m, str(path), "--batch-size", str(a.batch_size)]
            if m == "common":
                cmd += ["--rows", str(min(a.common_rows, a.rows))]
            r = timed(cmd)
            results[m].append(r)
            print(f"run {run + 1} {m:15s} {r['rows']:>11,} rows {r['seconds']:8.2f}s "
                  f"{r['rows'] / r['seconds']:>12,.0f} samples/s  peak RSS {r['rss'] / 2**30:.2f} GiB", flush=True)

    def rate(m):
        return statistics.median(r["rows"] / r["seconds"] for r in results[m])

    def rss(m):
        return statistics.median(r["rss"] for r in results[m])

    print(f"\nbench/loader: {a.rows:,} rows, batch {a.batch_size}, {os.cpu_count()} cores, medians of {a.runs} runs")
    print(f"reproduce: .venv/bin/python bench/loader/run.py --rows {a.rows} --runs {a.runs}\n")
    print(f"{'method':16s} {'samples/s':>12s} {'peak RSS':>9s} {'strata / it':>12s} {'strata-ordered / it':>20s}")
    for m in methods:
        ratio = f"{rate('strata') / rate(m):.2f}x" if "strata" in results else ""
        ratio_o = f"{rate('strata-ordered') / rate(m):.2f}x" if "strata-ordered" in results else ""
        print(f"{m:16s} {rate(m):>12,.0f} {rss(m) / 2**30:>8.2f}G {ratio:>12s} {ratio_o:>20s}")
    if "floor" in results and "strata" in results:
        print(f"\nstrata takes {rate('floor') / rate('strata'):.2f}x the floor's time (target: within 1.5x)")
    if "strong" in results and "strata" in results:
        print(f"strata is {rate('strata') / rate('strong'):.2f}x the strong baseline (target: >= 2x)")
    if "common" in results and "strata" in results:
        print(f"strata is {rate('strata') / rate('common'):.1f}x the common baseline (target: >= 20x)")


if __name__ == "__main__":
    main()
