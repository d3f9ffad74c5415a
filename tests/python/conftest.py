import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STRATA = os.environ.get("STRATA_BIN", str(ROOT / "build" / "bin" / "strata"))


class Cli:
    """Runs the strata binary inside one feature repository."""

    def __init__(self, repo: pathlib.Path):
        self.repo = repo

    def __call__(self, *args, check=None, cwd=None):
        proc = subprocess.run([STRATA, *map(str, args)], capture_output=True, text=True, cwd=cwd or self.repo, timeout=120)
        if check is not None:
            assert proc.returncode == check, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


@pytest.fixture
def strata_bin():
    return STRATA
