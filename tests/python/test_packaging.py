"""`pip install .` builds a wheel (scikit-build-core, the same CMake tree) whose package works
on its own: the native module, its type stubs, the Store and the loader."""

import pathlib
import subprocess
import sys
import textwrap
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_wheel_builds_installs_and_works(tmp_path):
    wheels = tmp_path / "wheels"
    # No build isolation: the venv has the build requirements (pyproject.toml), and no network
    # is needed. The build directory (build/wheel-*) is reused between runs.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-build-isolation", "--no-deps", "-q", "-w", str(wheels)],
        check=True,
        timeout=1500,
    )
    (wheel,) = wheels.glob("strata-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"strata/__init__.py", "strata/torch.py", "strata/errors.py", "strata/_strata.pyi", "strata/py.typed"} <= names
    assert any(n.startswith("strata/_strata.") and n.endswith(".so") for n in names)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)], check=True)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "strata.yaml").write_text(
        "project: w\nentities:\n  user: {key: user_id, type: int64}\n"
        "feature_groups:\n  profile:\n    entity: user\n    features: {age: int64}\n"
    )
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        import datetime as dt
        import pyarrow as pa
        import strata, strata.torch
        assert strata.__file__.startswith({str(site)!r}), strata.__file__
        strata.apply({str(tmp_path / "repo")!r})
        s = strata.open({str(tmp_path / "repo")!r})
        now = dt.datetime.now(dt.timezone.utc)
        s.ingest("profile", pa.table({{"user_id": [1, 2], "ts": pa.array([now, now], pa.timestamp("us", "UTC")), "age": [5, 6]}}))
        assert s.get_online("profile", [2]).column("age").to_pylist() == [6]
        ds = strata.torch.TrainingDataset(s.scan("profile").read_all(), batch_size=2, dense=["age"], shuffle=False)
        assert next(iter(ds))["dense"].tolist() == [[5.0], [6.0]]
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "ok"
