"""strata.torch.TrainingDataset: tensors, shuffling, sharding over ranks and workers, resume."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")
import strata  # noqa: E402
import strata.torch as st  # noqa: E402

ROWS = 10_000


def make_table(rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.arange(rows, dtype=np.int64)
    dense_a = rng.random(rows)
    dense_a_list = [None if i % 11 == 0 else float(v) for i, v in enumerate(dense_a)]
    bags = [None if i % 13 == 0 else [int(x) for x in rng.integers(0, 1000, i % 6)] for i in range(rows)]
    seqs = [None if i % 17 == 0 else [int(x) for x in rng.integers(1, 500, i % 9)] for i in range(rows)]
    fseq = [[float(x) for x in rng.random(i % 4)] for i in range(rows)]
    emb = rng.random((rows, 8), dtype=np.float32)
    emb_arr = pa.FixedSizeListArray.from_arrays(pa.array(emb.reshape(-1)), 8)
    emb_arr = pa.FixedSizeListArray.from_arrays(emb_arr.values, 8, mask=pa.array([i % 19 == 0 for i in range(rows)]))
    return pa.table(
        {
            "row_id": ids,
            "a": pa.array(dense_a_list, pa.float64()),
            "b": pa.array(rng.integers(-50, 50, rows), pa.int32()),
            "flag": pa.array(ids % 2 == 0),
            "bag": pa.array(bags, pa.list_(pa.int64())),
            "cat": pa.array([f"c{i % 37}" for i in range(rows)]),
            "seq": pa.array(seqs, pa.list_(pa.int32())),
            "fseq": pa.array(fseq, pa.list_(pa.float32())),
            "emb": emb_arr,
            "label": pa.array(rng.integers(0, 2, rows), pa.int8()),
        }
    )


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def files(tmp_path_factory, table):
    """Two Parquet files with small row groups, as a training set split in parts."""
    d = tmp_path_factory.mktemp("ts")
    half = table.num_rows // 2
    # Embeddings as Strata writes them to Parquet: list<float> declaring their dimension.
    table = table.cast(strata._parquet_vector_schema(table.schema))
    pq.write_table(table.slice(0, half), d / "part-0.parquet", row_group_size=1000)
    pq.write_table(table.slice(half), d / "part-1.parquet", row_group_size=1000)
    return d


def dataset(source, **kw):
    args = dict(
        batch_size=256,
        dense=["a", "b", "flag"],
        sparse=["bag"],
        sequences={"seq": 5},
        label="label",
        embeddings=["emb"],
        extra=["row_id"],
    )
    args.update(kw)
    return st.TrainingDataset(source, **args)


def row_ids(batches):
    return torch.cat([b["row_id"] for b in batches]).tolist()


def test_core_package_imports_without_torch():
    code = "import sys, strata; assert 'torch' not in sys.modules, 'strata imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_tensor_matches_the_table_row_by_row(files, table):
    ds = dataset(str(files), shuffle=False, dense_mask=True, sequences={"seq": 5, "fseq": 3}, sparse={"bag": 0, "cat": 64})
    batches = list(ds)
    assert row_ids(batches) == list(range(ROWS))  # no shuffle: file and row-group order
    rows = table.to_pylist()
    r = 0
    for b in batches:
        B = len(b["row_id"])
        assert b["dense"].dtype == torch.float32 and b["dense"].shape == (B, 3)
        assert b["label"].dtype == torch.float32 and b["row_id"].dtype == torch.int64
        values, offsets = b["bag"]
        assert values.dtype == torch.int64 and offsets.shape == (B,)
        cat_values, cat_offsets = b["cat"]
        padded, lengths = b["seq"]
        assert padded.shape == (B, 5) and padded.dtype == torch.int64
        fpadded, flengths = b["fseq"]
        assert fpadded.dtype == torch.float32 and fpadded.shape == (B, 3)
        ends = offsets.tolist()[1:] + [len(values)]
        for i in range(B):
            row = rows[r]
            a = row["a"]
            assert b["dense"][i, 0].item() == pytest.approx(0.0 if a is None else a, rel=1e-6)
            assert b["dense_mask"][i].tolist() == [a is not None, True, True]
            assert b["dense"][i, 1].item() == row["b"]
            assert b["dense"][i, 2].item() == float(row["flag"])
            assert values[offsets[i] : ends[i]].tolist() == (row["bag"] or [])
            assert cat_offsets[i].item() == i and 0 <= cat_values[i].item() < 64
            seq = (row["seq"] or [])[:5]
            assert lengths[i].item() == len(seq)
            assert padded[i].tolist() == seq + [0] * (5 - len(seq))
            assert flengths[i].item() == len(row["fseq"][:3])
            assert fpadded[i, : len(row["fseq"][:3])].tolist() == pytest.approx(row["fseq"][:3])
            emb = row["emb"] or [0.0] * 8
            assert b["emb"][i].tolist() == pytest.approx(emb)
            assert b["label"][i].item() == row["label"]
            r += 1
    assert r == ROWS
    # The same category hashes to the same bucket in every batch.
    buckets = {}
    for b in batches:
        for rid, bucket in zip(b["row_id"].tolist(), b["cat"][0].tolist()):
            buckets.setdefault(rows[rid]["cat"], set()).add(bucket)
    assert all(len(v) == 1 for v in buckets.values())


def test_embedding_bag_consumes_sparse_batches(table):
    ds = dataset(table, sparse={"bag": 1000})
    bag = torch.nn.EmbeddingBag(1000, 4, mode="sum")
    out = bag(*next(iter(ds))["bag"])
    assert out.shape == (256, 4)


def test_shuffle_is_a_deterministic_permutation_per_seed_and_epoch(files):
    ds = dataset(str(files), shuffle_buffer=3000, seed=7)
    first = row_ids(ds)
    assert sorted(first) == list(range(ROWS)) and first != list(range(ROWS))
    assert row_ids(dataset(str(files), shuffle_buffer=3000, seed=7)) == first
    ds.set_epoch(1)
    second = row_ids(ds)
    assert sorted(second) == list(range(ROWS)) and second != first
    assert row_ids(dataset(str(files), shuffle_buffer=3000, seed=8)) != first


def test_drop_last_and_small_last_batch(table):
    assert [len(b["row_id"]) for b in dataset(table, batch_size=3000)] == [3000, 3000, 3000, 1000]
    assert [len(b["row_id"]) for b in dataset(table, batch_size=3000, drop_last=True)] == [3000, 3000, 3000]


def test_ranks_split_rows_exactly_once(files):
    seen = []
    for rank in range(3):
        seen += row_ids(dataset(str(files), rank=rank, world_size=3, seed=1))
    assert sorted(seen) == list(range(ROWS))


def test_dataloader_workers_split_rows_exactly_once(files):
    ds = dataset(str(files), seed=3)
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2)
    seen = [rid for b in loader for rid in b["row_id"].tolist()]
    assert sorted(seen) == list(range(ROWS))


def test_two_ranks_times_two_workers_see_every_row_once(files, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, json, torch, torch.distributed as dist
        import strata.torch as st
        rank = int(sys.argv[1])
        dist.init_process_group("gloo", init_method="file://{tmp_path}/rendezvous", rank=rank, world_size=2)
        ds = st.TrainingDataset({str(files)!r}, batch_size=100, dense=["a"], extra=["row_id"], seed=5)
        loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2)
        ids = [i for b in loader for i in b["row_id"].tolist()]
        json.dump(ids, open("{tmp_path}/rank%d.json" % rank, "w"))
        dist.barrier()
        dist.destroy_process_group()
        """
    )
    (tmp_path / "job.py").write_text(script)
    procs = [subprocess.Popen([sys.executable, str(tmp_path / "job.py"), str(r)]) for r in range(2)]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    import json

    per_rank = [json.load(open(tmp_path / f"rank{r}.json")) for r in range(2)]
    assert all(len(ids) > 0 for ids in per_rank)
    assert sorted(per_rank[0] + per_rank[1]) == list(range(ROWS))


@pytest.mark.parametrize("shuffle", [True, False])
def test_resume_mid_epoch_neither_repeats_nor_skips(files, shuffle):
    full = dataset(str(files), shuffle=shuffle, seed=11, shuffle_buffer=2500)
    full.set_epoch(2)
    expected = row_ids(full)

    ds = dataset(str(files), shuffle=shuffle, seed=11, shuffle_buffer=2500)
    ds.set_epoch(2)
    it = iter(ds)
    head = row_ids([next(it) for _ in range(7)])
    state = ds.state_dict()
    del it
    assert state["epoch"] == 2 and state["rows_done"] == 7 * 256

    resumed = dataset(str(files), shuffle=shuffle, seed=11, shuffle_buffer=2500)
    resumed.load_state_dict(state)
    tail = row_ids(resumed)
    assert head + tail == expected
    with pytest.raises(ValueError, match="seed"):
        dataset(str(files), seed=12, shuffle=shuffle, shuffle_buffer=2500).load_state_dict(state)


def test_bad_columns_are_refused_naming_the_column(table):
    with pytest.raises(strata.InvalidArgumentError, match="dense column 'nope' is not in the training set"):
        dataset(table, dense=["nope"])
    with pytest.raises(strata.InvalidArgumentError, match="dense column 'bag' is list<item: int64>"):
        dataset(table, dense=["bag"])
    with pytest.raises(strata.InvalidArgumentError, match="'cat' holds strings: give its number of embeddings"):
        dataset(table, sparse=["cat"])
    with pytest.raises(strata.InvalidArgumentError, match="embedding column 'a'"):
        dataset(table, embeddings=["a"])
    with pytest.raises(strata.NotFoundError, match="nonexistent.parquet: cannot open"):
        st.TrainingDataset("/nonexistent.parquet", batch_size=4, dense=["a"])


def test_empty_training_set_yields_nothing(table):
    assert list(dataset(table.slice(0, 0))) == []
