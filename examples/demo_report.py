"""demo-report.html: the demo's results on one self-contained page, plots as inline SVG."""

from __future__ import annotations

import datetime as dt
import html
import pathlib
from typing import List, Sequence, Tuple

import numpy as np

WIDTH, BAR_HEIGHT, PAD = 640, 26, 8


def _bars(rows: Sequence[Tuple[str, float, str]], unit: str, colors: Sequence[str] = ("#3b6ea8",)) -> str:
    """Horizontal bars: (label, value, annotation)."""
    label_w, right = 170, 150
    top = max(v for _, v, _ in rows) or 1.0
    height = len(rows) * (BAR_HEIGHT + PAD) + PAD
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="13">']
    for i, (label, value, note) in enumerate(rows):
        y = PAD + i * (BAR_HEIGHT + PAD)
        w = (WIDTH - label_w - right) * value / top
        color = colors[i % len(colors)]
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{html.escape(note or f"{value:,.0f} {unit}")}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values_ms: List[float], bins: int = 40) -> str:
    """Latency histogram on a linear axis up to the 99.5th percentile, with p50/p99 marked."""
    v = np.asarray(values_ms)
    hi = float(np.percentile(v, 99.5)) * 1.05
    counts, edges = np.histogram(np.clip(v, 0, hi), bins=bins, range=(0, hi))
    h, left, bottom = 220, 50, 30
    plot_w, plot_h = WIDTH - left - 20, h - bottom - 10
    top = counts.max() or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" font-family="sans-serif" font-size="12">']
    bw = plot_w / bins
    for i, c in enumerate(counts):
        bh = plot_h * c / top
        parts.append(f'<rect x="{left + i * bw:.1f}" y="{10 + plot_h - bh:.1f}" width="{bw - 1:.1f}" height="{bh:.1f}" fill="#3b6ea8"/>')
    parts.append(f'<line x1="{left}" y1="{10 + plot_h}" x2="{left + plot_w}" y2="{10 + plot_h}" stroke="#333"/>')
    for k in range(5):
        x = left + plot_w * k / 4
        parts.append(f'<text x="{x:.1f}" y="{h - 10}" text-anchor="middle">{hi * k / 4:.1f} ms</text>')
    for name, q, color in (("p50", 50, "#2a9d3c"), ("p99", 99, "#c0392b")):
        x = left + plot_w * min(1.0, float(np.percentile(v, q)) / hi)
        parts.append(f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{10 + plot_h}" stroke="{color}" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="22" fill="{color}">{name} {np.percentile(v, q):.2f} ms</text>')
    parts.append(f'<text x="12" y="{10 + plot_h / 2}" transform="rotate(-90 12 {10 + plot_h / 2})" text-anchor="middle">requests</text>')
    parts.append("</svg>")
    return "".join(parts)


def write(path: pathlib.Path, state: dict) -> None:
    args = state["args"]
    gen, ingest, serving, sets = state["gen"], state["ingest"], state["serving"], state["sets"]
    m, n = state["strata_model"], state["naive_model"]
    ingest_rows = [(g, r["rows_per_s"], f"{r['rows_per_s']:,.0f} rows/s ({r['rows']:,} rows)") for g, r in ingest.items()]
    auc_rows = [
        ("Strata (point in time)", m["auc_as_served"], f"{m['auc_as_served']:.3f}  as served"),
        ("naive join, offline", n["auc_offline"], f"{n['auc_offline']:.3f}  offline test (leaks the future)"),
        ("naive join, as served", n["auc_as_served"], f"{n['auc_as_served']:.3f}  as served"),
    ]
    train_rows = [
        ("Strata model", m["train"]["samples_per_s"], f"{m['train']['samples_per_s']:,.0f} samples/s"),
        ("naive model", n["train"]["samples_per_s"], f"{n['train']['samples_per_s']:,.0f} samples/s"),
    ]
    ctr = gen["clicks"] / max(1, gen["impressions"])
    start = dt.datetime.fromtimestamp(gen["start_micros"] / 1e6, dt.timezone.utc).date()
    end = dt.datetime.fromtimestamp(gen["end_micros"] / 1e6, dt.timezone.utc).date()
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Strata demo report</title>
<style>
body {{ font-family: sans-serif; max-width: 760px; margin: 2em auto; color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 2px 12px 2px 0; text-align: left; }}
.note {{ color: #555; font-size: 0.92em; }}
</style></head><body>
<h1>Strata demo report</h1>
<p class="note">Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC} by <code>make demo</code> in
{state['total_seconds']:.0f} s. Repository <code>{html.escape(str(args['repo']))}</code>.</p>

<h2>Data</h2>
<p><code>strata gen recsys --users {args['users']} --items {args['items']} --days {args['days']} --seed {args['seed']}</code>:
{gen['impressions']:,} impressions in {gen['requests']:,} ranking requests, {gen['clicks']:,} clicks (CTR {ctr:.1%}),
{start} to {end}, in {state['gen_seconds']:.1f} s. The generative model: <code>docs/synthetic-data.md</code>.</p>

<h2>Ingest rate (online RocksDB + offline Iceberg, one pass)</h2>
{_bars(ingest_rows, "rows/s")}
<p class="note">{sum(r['rows'] for r in ingest.values()):,} rows in {state['ingest_seconds']:.1f} s.</p>

<h2>Serving latency</h2>
{_histogram(serving['latencies_ms'])}
<p class="note">{serving['requests']} requests of 1 user + 100 items ({serving['columns']} feature columns) to
<code>strata serve</code>, one at a time from the Python client (<code>strata.connect</code>: JSON request, Arrow IPC response, decoding included).
Server side, from its <code>/metrics</code> histogram: p50 &le; {serving['server_p50_ms']:.2f} ms,
p99 &le; {serving['server_p99_ms']:.2f} ms. gRPC clients and the load benchmark: <code>docs/benchmarks.md</code>.</p>

<h2>Training sets</h2>
<table>
<tr><th>set</th><th>rows</th><th>built in</th></tr>
<tr><td>train, point in time (days 1&ndash;{args['days'] - args['test_days']})</td><td>{sets['train_rows']:,}</td><td>{sets['seconds']['train']:.1f} s</td></tr>
<tr><td>test, point in time (days {args['days'] - args['test_days'] + 1}&ndash;{args['days']})</td><td>{sets['test_rows']:,}</td><td>{sets['seconds']['test']:.1f} s</td></tr>
<tr><td>train, naive latest values</td><td>{sets['train_rows']:,}</td><td>{sets['seconds']['naive_train']:.1f} s</td></tr>
<tr><td>test, naive latest values</td><td>{sets['test_rows']:,}</td><td>{sets['seconds']['naive_test']:.1f} s</td></tr>
</table>
<p class="note">In the naive join, {sets['leak_naive']:.0%} of clicked rows already list the clicked item among the
user's recent clicks &mdash; the click itself, from the future. Point in time: {sets['leak_pit']:.0%} (real repeat clicks).</p>

<h2>Model quality (test AUC, days {args['days'] - args['test_days'] + 1}&ndash;{args['days']})</h2>
{_bars(auc_rows, "", ("#2a9d3c", "#e0a030", "#c0392b"))}
<p class="note">The same model (embedding bags for ids, the pooled click sequence with target attention, dense features,
the item embedding, an MLP), one epoch each. Trained on a naive join of the latest feature values, it looks excellent
offline because its test features leak the future; on the features a server really has at request time it is worse
than the model trained on Strata's point-in-time training set. That gap is training/serving skew.</p>

<h2>Training throughput (strata.torch, CPU, one epoch)</h2>
{_bars(train_rows, "samples/s")}
</body></html>
"""
    path.write_text(page)
