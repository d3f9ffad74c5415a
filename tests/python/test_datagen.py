"""`strata gen recsys` and strata.gen_recsys: the same options write the same bytes, from the CLI
or Python; bad options are refused with their name."""

import subprocess

import pyarrow.parquet as pq
import pytest

import strata

FILES = ["user_profile", "item_features", "item_embedding", "impressions", "user_clicks"]
OPTIONS = {"users": 800, "items": 150, "days": 6, "seed": 3}


def _gen_cli(strata_bin, out, **extra):
    args = [strata_bin, "gen", "recsys", "--out", str(out), "--end", "2026-01-01"]
    for k, v in {**OPTIONS, **extra}.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_cli_and_python_write_the_same_files(tmp_path, strata_bin):
    p = _gen_cli(strata_bin, tmp_path / "cli")
    assert p.returncode == 0, p.stderr
    assert "impressions" in p.stdout and "user_clicks.parquet" in p.stdout
    steps = []
    summary = strata.gen_recsys(tmp_path / "py", end="2026-01-01", progress=lambda s, f: steps.append((s, f)), **OPTIONS)
    assert steps and steps[-1][1] == 1.0
    for name in FILES:
        assert (tmp_path / "cli" / f"{name}.parquet").read_bytes() == (tmp_path / "py" / f"{name}.parquet").read_bytes(), name
        assert summary["files"][name]["rows"] == pq.read_metadata(tmp_path / "py" / f"{name}.parquet").num_rows
    imp = pq.read_table(tmp_path / "py" / "impressions.parquet")
    assert imp.column_names == ["request_id", "user_id", "item_id", "ts", "position", "label", "dwell_ms"]
    assert summary["clicks"] == sum(imp["label"].to_pylist())
    assert imp["item_id"].to_numpy().max() < OPTIONS["items"]
    emb = pq.read_table(tmp_path / "py" / "item_embedding.parquet")
    vec = emb.schema.field("vec").type
    assert vec.list_size == 64 and str(vec.value_type) == "float"


def test_the_example_repository_ingests_the_generated_files(tmp_path, strata_bin):
    assert _gen_cli(strata_bin, tmp_path / "data").returncode == 0
    subprocess.run([strata_bin, "init", str(tmp_path / "repo"), "--example"], check=True, capture_output=True)
    subprocess.run([strata_bin, "apply", "--repo", str(tmp_path / "repo")], check=True, capture_output=True)
    with strata.open(tmp_path / "repo") as store:
        for name in ["user_profile", "item_features", "item_embedding", "user_clicks"]:
            s = store.ingest(name, tmp_path / "data" / f"{name}.parquet")
            assert s["rejected"] == 0 and s["accepted"] == pq.read_metadata(tmp_path / "data" / f"{name}.parquet").num_rows


@pytest.mark.parametrize("flag,value", [("users", "0"), ("days", "-1"), ("end", "yesterday-ish"), ("slate", "1000")])
def test_bad_options_are_refused(tmp_path, strata_bin, flag, value):
    p = _gen_cli(strata_bin, tmp_path / "x", **{flag: value})
    assert p.returncode != 0
    assert f"--{flag}" in p.stderr, p.stderr


def test_python_rejects_a_bad_end(tmp_path):
    with pytest.raises(TypeError):
        strata.gen_recsys(tmp_path, end=12.5)
