"""Runs under .venv-feast (bench/serving/run.py starts it): defines the benchmark's entities and
feature views in a Feast repository whose online store is the benchmark's redis-server, applies
them, and writes fields.json: Feast's own Redis field names (murmur3 of "view:feature") and
sample entity keys, which serving_bench uses to write and read Feast's exact Redis layout.

usage: feast_repo.py REPO_DIR DATA_DIR REDIS_PORT FIELDS_JSON
"""

import json
import pathlib
import sys
from datetime import timedelta

USER = [f"uf{i}" for i in range(10)] + [f"ui{i}" for i in range(5)] + [f"uc{i}" for i in range(3)] + [f"us{i}" for i in range(2)]
ITEM = [f"if{i}" for i in range(15)] + [f"ii{i}" for i in range(10)] + [f"is{i}" for i in range(5)]


def dtype(name):
    import feast.types as t

    return {"f": t.Float32, "i": t.Int64, "c": t.Int32, "s": t.String}[name[1]]


def main(repo_dir, data_dir, redis_port, fields_path):
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.infra.online_stores.helpers import _mmh3, _redis_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value
    import feast.types as t

    repo = pathlib.Path(repo_dir)
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(f"""project: bench
provider: local
registry: {repo}/registry.db
online_store: {{type: redis, connection_string: "127.0.0.1:{redis_port}"}}
offline_store: {{type: duckdb}}
entity_key_serialization_version: 3
""")
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    item = Entity(name="item", join_keys=["item_id"], value_type=ValueType.INT64)
    ttl = timedelta(days=3650)

    def source(name):
        return FileSource(name=name, path=f"{data_dir}/{name}.parquet", timestamp_field="ts")

    views = [
        FeatureView(name="user_profile", entities=[user], ttl=ttl, source=source("users"),
                    schema=[Field(name=f, dtype=dtype(f)) for f in USER]),
        FeatureView(name="item_stats", entities=[item], ttl=ttl, source=source("items"),
                    schema=[Field(name=f, dtype=dtype(f)) for f in ITEM]),
        FeatureView(name="item_embedding", entities=[item], ttl=ttl, source=source("item_embeddings"),
                    schema=[Field(name="vec", dtype=t.Array(t.Float32))]),
    ]
    store = FeatureStore(repo_path=str(repo))
    store.apply([user, item, *views])
    fields = {}
    for view, names in (("user_profile", USER), ("item_stats", ITEM), ("item_embedding", ["vec"])):
        for n in names:
            fields[f"{view}:{n}"] = _mmh3(f"{view}:{n}").hex()
    samples = []
    for key, value in (("user_id", 0), ("user_id", 123456), ("item_id", 42)):
        k = _redis_key("bench", EntityKey(join_keys=[key], entity_values=[Value(int64_val=value)]))
        samples.append({"join_key": key, "value": value, "hex": k.hex()})
    pathlib.Path(fields_path).write_text(json.dumps({"project": "bench", "fields": fields, "sample_keys": samples}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
