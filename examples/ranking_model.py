"""A small PyTorch ranking model over a Strata training set (the demo's step 5 and 6).

Inputs, as strata.torch batches them:
  ids          user_id, item_id, the item's category, the user's country (embedding bags)
  sequence     the user's newest 20 clicked items (user_clicks:item_id@20), mean-pooled with the
               candidate's own embedding table, plus target attention (how close the candidate is
               to the recent clicks) and whether it is among them
  dense        age, the user's 7-day CTR, the item's price and 7-day CTR (with null masks)
  embedding    the item's 64-d embedding (stored int8-quantized, served as float32)
and an MLP on top. One epoch of Adam; AUC by ranks (ties averaged).
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn

import strata.torch as st

SEQUENCE = "user_clicks__item_id"
SEQUENCE_LENGTH = 20
DENSE = ["user_profile__age", "user_profile__ctr_7d", "item_features__price", "item_features__ctr_7d"]
FEATURES = ["user_profile:*", "item_features:*", "item_embedding:vec", f"user_clicks:item_id@{SEQUENCE_LENGTH}"]
COUNTRY_BUCKETS = 64
CATEGORY_BUCKETS = 64


def dataset(path, batch_size: int, shuffle: bool, users: int, items: int) -> st.TrainingDataset:
    return st.TrainingDataset(
        path,
        batch_size=batch_size,
        label="label",
        dense=DENSE,
        dense_mask=True,
        sparse=["user_id", "item_id", "item_features__category", "user_profile__country"],
        num_embeddings={"user_profile__country": COUNTRY_BUCKETS},
        sequences={SEQUENCE: SEQUENCE_LENGTH},
        embeddings=["item_embedding__vec"],
        shuffle=shuffle,
        seed=0,
    )


class Ranker(nn.Module):
    def __init__(self, users: int, items: int, dim: int = 16):
        super().__init__()
        self.user = nn.EmbeddingBag(users, dim, mode="sum")
        self.item = nn.Embedding(items, dim)  # shared by the candidate and the click sequence
        self.category = nn.EmbeddingBag(CATEGORY_BUCKETS, 8, mode="sum")
        self.country = nn.EmbeddingBag(COUNTRY_BUCKETS, 4, mode="sum")
        self.vector = nn.Linear(64, dim)
        width = dim * 5 + 8 + 4 + 2 * len(DENSE) + 4
        self.mlp = nn.Sequential(nn.Linear(width, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))

    @staticmethod
    def _dense(batch):
        d = batch["dense"].clone()
        d[:, 0] = d[:, 0] / 50.0  # age
        d[:, 1] = d[:, 1] * 10.0  # user CTR
        d[:, 2] = torch.log1p(d[:, 2].clamp(min=0)) / 5.0  # price
        d[:, 3] = d[:, 3] * 10.0  # item CTR
        return torch.cat([d, batch["dense_mask"].float()], dim=1)

    def forward(self, batch):
        item_values, item_offsets = batch["item_id"]
        # item_id is never null in a spine: one value per row.
        candidate = self.item(item_values)
        seq, lengths = batch[SEQUENCE]
        mask = (torch.arange(seq.shape[1]) < lengths[:, None]).float()
        seq_emb = self.item(seq) * mask[..., None]
        count = lengths.clamp(min=1).float()[:, None]
        pooled = seq_emb.sum(1) / count
        attention = (seq_emb * candidate[:, None, :]).sum(-1)
        attention_max = torch.where(mask > 0, attention, torch.full_like(attention, -1e4)).max(1).values
        attention_max = torch.where(lengths > 0, attention_max, torch.zeros_like(attention_max))
        seen = ((seq == item_values[:, None]).float() * mask).amax(1)
        x = torch.cat(
            [
                self.user(*batch["user_id"]),
                candidate,
                pooled,
                candidate * pooled,
                self.vector(batch["item_embedding__vec"]),
                self.category(*batch["item_features__category"]),
                self.country(*batch["user_profile__country"]),
                self._dense(batch),
                attention_max[:, None],
                (attention.sum(1) / count.squeeze(1))[:, None],
                seen[:, None],
                torch.log1p(lengths.float())[:, None],
            ],
            dim=1,
        )
        return self.mlp(x).squeeze(1)


def train_one_epoch(model: Ranker, ds: st.TrainingDataset, on_batch: Optional[Callable[[int, int], None]] = None) -> dict:
    """One epoch; returns rows, seconds and samples/s."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    total = ds.num_batches()
    rows, start = 0, time.perf_counter()
    for i, batch in enumerate(ds):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(batch), batch["label"])
        loss.backward()
        opt.step()
        rows += len(batch["label"])
        if on_batch:
            on_batch(i + 1, total)
    secs = time.perf_counter() - start
    return {"rows": rows, "seconds": secs, "samples_per_s": rows / secs if secs else 0.0}


@torch.no_grad()
def predict(model: Ranker, ds: st.TrainingDataset, on_batch: Optional[Callable[[int, int], None]] = None):
    model.eval()
    scores, labels = [], []
    total = ds.num_batches()
    for i, batch in enumerate(ds):
        scores.append(model(batch).numpy())
        labels.append(batch["label"].numpy())
        if on_batch:
            on_batch(i + 1, total)
    return np.concatenate(scores), np.concatenate(labels)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum statistic, ties given their average rank."""
    order = np.argsort(scores, kind="mergesort")
    ranked = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average ranks over runs of equal scores.
    boundaries = np.flatnonzero(np.diff(ranked)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    average = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average, ends - starts)
    positives = labels > 0.5
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
