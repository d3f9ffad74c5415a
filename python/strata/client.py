"""A client of `strata serve` over its HTTP API (JSON requests; responses as Arrow IPC streams or
JSON), with the read API of the embedded store.

    import strata
    remote = strata.connect("127.0.0.1:6567")
    remote.get_online("user_profile", [1, 2, 3])          # a pyarrow Table, like Store.get_online
    remote.get_features({"user": [1], "item": [7, 8]}, ["user_profile:*", "item_stats:ctr"])
    remote.push("user_profile", [{"user_id": 1, "ts": 1700000000000000, "age": 31}])

Only the standard library and pyarrow: no gRPC stack to install (C++ services use
strata::Client over gRPC).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import urllib.error
import urllib.request
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.compute as pc

from . import errors
from ._args import refs as _refs

__all__ = ["connect", "RemoteStore"]

_SCALAR_TYPES = {
    "bool": pa.bool_(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bytes": pa.binary(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "list<int64>": pa.list_(pa.int64()),
    "list<float32>": pa.list_(pa.float32()),
    "list<string>": pa.list_(pa.string()),
}

# Which list of `values` a served type fills (see proto/strata/v1/feature_service.proto).
_VALUE_FIELD = {
    "bool": "bool_values",
    "int32": "int32_values",
    "int64": "int64_values",
    "timestamp": "int64_values",
    "float32": "float_values",
    "float64": "double_values",
    "string": "string_values",
    "bytes": "bytes_values",
}


def _arrow_type(type_name: str) -> pa.DataType:
    if type_name in _SCALAR_TYPES:
        return _SCALAR_TYPES[type_name]
    if type_name.startswith("vector<"):
        return pa.list_(pa.float32(), int(type_name[len("vector<float32,"):-1]))
    if type_name.startswith("list<"):
        return pa.list_(_arrow_type(type_name[5:-1]))
    raise errors.StrataError(f"unknown served type {type_name!r}")


def _element_field(type_name: str) -> str:
    if type_name.startswith("vector<"):
        return "float_values"
    if type_name.startswith("list<"):
        return _element_field(type_name[5:-1])
    return _VALUE_FIELD[type_name]


def _decode_scalar(field: str, v):
    if field in ("int32_values", "int64_values"):
        return int(v)
    if field in ("float_values", "double_values"):
        return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))
    if field == "bytes_values":
        import base64

        return base64.b64decode(v)
    return v


def _micros(t) -> Optional[int]:
    if t is None:
        return None
    if isinstance(t, bool):
        raise TypeError("a time must be a datetime, epoch microseconds (int) or ISO-8601 text, not bool")
    if isinstance(t, int):
        return t
    if hasattr(t, "to_pydatetime"):
        t = t.to_pydatetime()
    if isinstance(t, str):
        t = _dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raise TypeError(f"a time must be a datetime, epoch microseconds (int) or ISO-8601 text, not {type(t).__name__}")


def column_to_arrow(column: Mapping[str, Any]) -> pa.Array:
    """One FeatureColumn of a GetFeatures response (JSON) as an Arrow array: null where the
    status is not PRESENT."""
    type_name = column["type"]
    values = column.get("values", {})
    statuses = column.get("statuses", [])
    present = [s in ("PRESENT", 0) for s in statuses]  # MISSING, EXPIRED, NULL_VALUE: null
    field = _element_field(type_name)
    flat = [_decode_scalar(field, v) for v in values.get(field, [])]
    rows = len(statuses)
    if type_name.startswith("vector<"):
        d = int(values.get("dimension", 0))
        py = [flat[i * d:(i + 1) * d] if present[i] else None for i in range(rows)]
    elif type_name.startswith("list<"):
        offsets = [int(o) for o in values.get("list_offsets", [0] * (rows + 1))]
        py = [flat[offsets[i]:offsets[i + 1]] if present[i] else None for i in range(rows)]
    else:
        if not flat:
            flat = [None] * rows
        py = [flat[i] if present[i] else None for i in range(rows)]
    return pa.array(py, type=_arrow_type(type_name))


_ARROW_STREAM = "application/vnd.apache.arrow.stream"
_EVENT_TIMES = {"per_column": "EVENT_TIMES_PER_COLUMN", "per_group": "EVENT_TIMES_PER_GROUP", "none": "EVENT_TIMES_NONE"}
_STATUS_NAMES = ["PRESENT", "MISSING", "EXPIRED", "NULL_VALUE"]


def _decode_arrow_response(body: bytes) -> dict:
    """A GetFeatures response in its Arrow form (see src/strata/serving/arrow_response.h): one
    row; per column "<name>" (list of the values), "<name>#status", "<name>#event_time"."""
    batch = pa.ipc.open_stream(body).read_next_batch()
    meta = batch.schema.metadata or {}
    out: Dict[str, Any] = {
        "request_id": meta.get(b"request_id", b"").decode(),
        "as_of_micros": int(meta.get(b"as_of_micros", b"0")),
        "columns": [],
        "arrays": {},
    }
    names = set(batch.schema.names)

    def micros(name):
        return pc.fill_null(batch.column(name).flatten().cast(pa.int64()), 0).to_pylist()

    for field, column in zip(batch.schema, batch.columns):
        fmeta = field.metadata or {}
        if field.name.endswith("#event_time") and ":" not in field.name:  # a group's (EVENT_TIMES_PER_GROUP)
            out.setdefault("groups", []).append({"group": field.name[:-len("#event_time")],
                                                 "entity": fmeta.get(b"entity", b"").decode(),
                                                 "event_time_micros": micros(field.name)})
            continue
        if field.name.endswith("#status") or field.name.endswith("#event_time"):
            continue
        statuses = batch.column(field.name + "#status").flatten().to_numpy(zero_copy_only=False)
        col = {
            "name": field.name,
            "entity": fmeta.get(b"entity", b"").decode(),
            "type": fmeta.get(b"type", b"").decode(),
            "statuses": [_STATUS_NAMES[s] if 0 <= s < len(_STATUS_NAMES) else str(s) for s in statuses],
        }
        if field.name + "#event_time" in names:  # EVENT_TIMES_PER_COLUMN
            col["event_time_micros"] = micros(field.name + "#event_time")
        out["columns"].append(col)
        out["arrays"][field.name] = column.flatten()
    return out


def _key_list(keys) -> list:
    """Keys as JSON-ready Python values, from what Store.get_online takes: one key, a list, a
    NumPy array, a pandas Series or a pyarrow array."""
    if isinstance(keys, (pa.Array, pa.ChunkedArray)):
        keys = keys.to_pylist()
    elif hasattr(keys, "tolist"):  # NumPy arrays and scalars, pandas Series
        keys = keys.tolist()
    if isinstance(keys, (str, int)):
        return [keys]
    return list(keys)


def _raise_for(status: int, body: str, url: str):
    try:
        message = json.loads(body).get("error", body)
    except ValueError:
        message = body
    if status == 400:
        raise errors.InvalidArgumentError(message)
    if status == 404:
        raise errors.NotFoundError(message)
    if status == 503:
        raise errors.StrataIOError(f"{url}: server unavailable: {message}")
    raise errors.StrataError(f"{url}: HTTP {status}: {message}")


class RemoteStore:
    """A running `strata serve`, reached over HTTP. Thread-safe (one request per call)."""

    def __init__(self, address: str, timeout: float = 10.0):
        if "://" not in address:
            address = "http://" + address
        self.address = address.rstrip("/")
        self.timeout = timeout
        self._definitions: Optional[dict] = None

    # -- transport ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Optional[dict] = None) -> str:
        return self._request(method, path, body).decode()

    def _request(self, method: str, path: str, body: Optional[dict] = None, accept: Optional[str] = None) -> bytes:
        url = self.address + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if accept:
            headers["Accept"] = accept
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            _raise_for(e.code, e.read().decode(errors="replace"), url)
        except urllib.error.URLError as e:
            raise errors.StrataIOError(f"cannot reach strata serve at {self.address}: {e.reason}") from None

    # -- reads ------------------------------------------------------------------------------------
    def definitions(self) -> dict:
        """The applied definitions the server serves (entities, groups, features and types)."""
        if self._definitions is None:
            self._definitions = json.loads(self._call("GET", "/v1/definitions"))
        return self._definitions

    def groups(self) -> List[str]:
        """The names of the feature groups the server serves."""
        return [g["name"] for g in self.definitions()["groups"]]

    def get_features(
        self,
        entities: Mapping[str, Iterable],
        features: Union[str, Sequence[str]],
        as_of=None,
        *,
        request_id: Optional[str] = None,
        log: Optional[bool] = None,
        format: str = "arrow",  # noqa: A002 - the word the HTTP API uses
        event_times: str = "per_column",
    ) -> dict:
        """The raw GetFeatures call: `entities` maps entity names to keys; `features` are refs
        ("group:feature", "group:*", "group:feature@N"). Returns the response as a dict:
        request_id, as_of_micros, `columns` (name, entity, type, statuses as names, and the
        values' event times) and `arrays` (name -> pyarrow array, null unless PRESENT).
        format="arrow" (default) has the server answer an Arrow IPC stream (fast to decode);
        format="json" the proto3 JSON mapping (each column then as the JSON has it).
        event_times="per_column" (default) puts the event times in each column; "per_group"
        once per group, in `groups` (group, entity, event_time_micros; 0 when missing), the
        columns without them; "none" leaves them out."""
        if format not in ("arrow", "json"):
            raise errors.InvalidArgumentError(f"format must be 'arrow' or 'json', not {format!r}")
        if event_times not in _EVENT_TIMES:
            raise errors.InvalidArgumentError(
                f"event_times must be 'per_column', 'per_group' or 'none', not {event_times!r}")
        ents = {e["name"]: e for e in self.definitions()["entities"]}
        body: Dict[str, Any] = {"entities": [], "features": _refs(features)}
        for name, keys in entities.items():
            keys = _key_list(keys)
            kind = "string_keys" if ents.get(name, {}).get("key_type") == "string" else "int64_keys"
            body["entities"].append({"entity": name, kind: keys})
        if as_of is not None:
            body["as_of_micros"] = _micros(as_of)
        if request_id:
            body["request_id"] = request_id
        if log is not None:
            body["log"] = "LOG_ON" if log else "LOG_OFF"
        if event_times != "per_column":
            body["event_times"] = _EVENT_TIMES[event_times]
        if format == "arrow":
            return _decode_arrow_response(self._request("POST", "/v1/features", body, accept=_ARROW_STREAM))
        response = json.loads(self._call("POST", "/v1/features", body))
        response["arrays"] = {c["name"]: column_to_arrow(c) for c in response.get("columns", [])}
        return response

    def get_online(
        self,
        group: str,
        keys,
        features: Optional[Union[str, Sequence[str]]] = None,
        as_of=None,
        *,
        limit: int = 0,
    ) -> pa.Table:
        """As Store.get_online: a Table with the key column, then one column per feature."""
        defs = self.definitions()
        g = next((x for x in defs["groups"] if x["name"] == group), None)
        if g is None:
            raise errors.NotFoundError(f"unknown feature group '{group}'; the server has: {', '.join(self.groups())}")
        entity = next(e for e in defs["entities"] if e["name"] == g["entity"])
        names = [f["name"] for f in g["features"]] if features is None else _refs(features)
        suffix = f"@{limit}" if (g["kind"] == "sequence" and limit > 0) else ""
        keys = _key_list(keys)
        # The table has no event times: the server leaves them out (a third of the response).
        response = self.get_features({entity["name"]: keys}, [f"{group}:{n}{suffix}" for n in names], as_of,
                                     event_times="none")
        key_type = pa.string() if entity["key_type"] == "string" else pa.int64()
        columns = [pa.array(keys, type=key_type)] + list(response["arrays"].values())
        fields = [pa.field(entity["key"], key_type, nullable=False)]
        fields += [pa.field(n, c.type) for n, c in zip(names, columns[1:])]
        return pa.Table.from_arrays(columns, schema=pa.schema(fields))

    # -- writes -----------------------------------------------------------------------------------
    def push(self, group: str, rows: Union[pa.Table, Iterable[Mapping[str, Any]]]) -> dict:
        """Writes rows (dicts with the key column, the event-time column and features, or a
        pyarrow Table of them) to both stores, with ingest's validation; all or nothing."""
        defs = self.definitions()
        g = next((x for x in defs["groups"] if x["name"] == group), None)
        if g is None:
            raise errors.NotFoundError(f"unknown feature group '{group}'; the server has: {', '.join(self.groups())}")
        entity = next(e for e in defs["entities"] if e["name"] == g["entity"])
        types = {f["name"]: f["type"] for f in g["features"]}
        if isinstance(rows, pa.Table):
            rows = rows.to_pylist()
        out = []
        for i, row in enumerate(rows):
            if entity["key"] not in row or g["event_time"] not in row:
                raise errors.InvalidArgumentError(
                    f"row {i} of the push to {group}: needs '{entity['key']}' and '{g['event_time']}'")
            key = row[entity["key"]]
            r: Dict[str, Any] = {("string_key" if entity["key_type"] == "string" else "int64_key"): key,
                                 "event_time_micros": _micros(row[g["event_time"]]), "features": {}}
            for name, v in row.items():
                if name in (entity["key"], g["event_time"]) or v is None:
                    continue
                if name not in types:
                    raise errors.InvalidArgumentError(f"row {i} of the push to {group}: group has no feature '{name}'")
                r["features"][name] = _push_value(v, types[name])
            out.append(r)
        return json.loads(self._call("POST", "/v1/push", {"group": group, "rows": out}))

    # -- operations -------------------------------------------------------------------------------
    def healthy(self) -> bool:
        """True when the server answers /healthz with ok (False while it shuts down or is unreachable)."""
        try:
            return self._call("GET", "/healthz").strip() == "ok"
        except errors.StrataError:
            return False

    def backup(self, name: Optional[str] = None) -> dict:
        """Backs up the server's online store (a RocksDB checkpoint) to
        REPO/.strata/backups/NAME while it serves; returns {dir, last_write_seq, created}.
        Restore with `strata restore --from DIR` once the server is stopped."""
        return json.loads(self._call("POST", "/v1/admin/backup", {"name": name} if name else {}))

    def metrics(self) -> str:
        """The Prometheus text of /metrics."""
        return self._call("GET", "/metrics")

    def close(self) -> None:
        """Nothing to release: each call opens its own HTTP connection."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _push_value(v, type_name: str) -> dict:
    if type_name == "bool":
        return {"bool_value": bool(v)}
    if type_name in ("int32", "int64"):
        return {"int64_value": int(v)}
    if type_name == "timestamp":
        return {"int64_value": _micros(v)}
    if type_name in ("float32", "float64"):
        f = float(v)
        return {"double_value": f if math.isfinite(f) else str(f).replace("inf", "Infinity").replace("nan", "NaN")}
    if type_name == "string":
        return {"string_value": str(v)}
    if type_name == "bytes":
        import base64

        return {"bytes_value": base64.b64encode(bytes(v)).decode()}
    if type_name == "list<int64>":
        return {"int64_list": {"values": [int(x) for x in v]}}
    if type_name == "list<string>":
        return {"string_list": {"values": [str(x) for x in v]}}
    return {"double_list": {"values": [float(x) for x in v]}}  # list<float32>, vector<float32,D>


def connect(address: str, timeout: float = 10.0) -> RemoteStore:
    """A client of the `strata serve` whose HTTP listener is at `address` ("host:port")."""
    return RemoteStore(address, timeout)

