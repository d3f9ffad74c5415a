"""`make demo` at a small scale: every step runs, the leakage contrast shows, the report is written."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_demo_runs_end_to_end(tmp_path, strata_bin):
    repo = tmp_path / "demo"
    p = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--repo", str(repo), "--strata", strata_bin,
         "--users", "20000", "--items", "5000", "--requests", "40"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "STRATA_PROGRESS": "0"})
    assert p.returncode == 0, p.stdout + p.stderr
    for n in range(1, 8):
        assert f"[{n}/7]" in p.stdout
    assert "test AUC" in p.stdout and "offline test AUC" in p.stdout
    report = (repo / "demo-report.html").read_text()
    assert report.count("<svg") == 4 and "Strata (point in time)" in report
    # The server stopped cleanly and the repository still opens.
    assert "stopped cleanly" in p.stdout
