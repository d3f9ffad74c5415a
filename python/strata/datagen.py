"""Synthetic datasets: `strata.gen_recsys`, the Python side of `strata gen recsys`."""

from __future__ import annotations

import datetime as _dt
import os
from typing import Callable, Optional, Union

from . import _strata

__all__ = ["gen_recsys"]

_DAY_MICROS = 86_400_000_000


def _end_micros(end) -> int:
    if end is None:
        now = _dt.datetime.now(_dt.timezone.utc)
        return int(now.timestamp() * 1_000_000) // _DAY_MICROS * _DAY_MICROS
    if isinstance(end, str):
        end = _dt.date.fromisoformat(end[:10])
    if isinstance(end, _dt.datetime):
        if end.tzinfo is None:
            end = end.replace(tzinfo=_dt.timezone.utc)
        return int(end.timestamp() * 1_000_000)
    if isinstance(end, _dt.date):
        return int(_dt.datetime(end.year, end.month, end.day, tzinfo=_dt.timezone.utc).timestamp() * 1_000_000)
    raise TypeError(f"end must be a date, a datetime, an ISO date string or None, not {type(end).__name__}")


def gen_recsys(
    out: Union[str, "os.PathLike[str]"],
    *,
    users: int = 100_000,
    items: int = 20_000,
    days: int = 30,
    seed: int = 0,
    end=None,
    impressions_per_user: float = 20.0,
    slate: int = 5,
    dim: int = 64,
    progress: Optional[Callable[[str, float], None]] = None,
) -> dict:
    """Writes a synthetic recommender dataset as Parquet files under `out` (the generative model:
    docs/synthetic-data.md): user_profile, item_features, item_embedding, impressions (one row
    per shown item, with a click label and the request id) and user_clicks (late and out of
    order). The period is the `days` before `end` (a midnight UTC; default: today's). The same
    arguments write the same files. `progress(step, fraction)` is called as it goes.

    Returns {"files": {name: {"path", "rows"}}, "impressions", "clicks", "requests",
    "start_micros", "end_micros"}."""
    return _strata.gen_recsys(
        os.fspath(out),
        int(users),
        int(items),
        int(days),
        int(seed),
        _end_micros(end),
        float(impressions_per_user),
        int(slate),
        int(dim),
        progress,
    )
