"""The documentation stays true: the generated references match the binary and the package,
and README.md's quickstart runs as written."""

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

QUICKSTART_TIMEOUT_S = 60


def run_generator(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args, "--check"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_cli_reference_is_up_to_date(strata_bin):
    proc = run_generator("gen_cli_reference.py", "--strata", strata_bin)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python_api_reference_is_up_to_date():
    proc = run_generator("gen_python_api.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def quickstart_blocks():
    """The fenced blocks of README.md's "Quickstart" section, in order: (language, text)."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Quickstart")
    end = readme.find("\n## ", start + 1)
    section = readme[start:end if end != -1 else len(readme)]
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", section, re.S | re.M)]


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quickstart_script(blocks, grpc_port, http_port):
    """One bash script of the quickstart's sh blocks (its python blocks run by the venv's
    python from a heredoc), in README order."""
    parts = ["set -euo pipefail"]
    for lang, text in blocks:
        if lang == "sh":
            # The binary is built already (STRATA_BIN's directory is on PATH).
            text = re.sub(r"^make build && ", "", text, flags=re.M)
            if (grpc_port, http_port) != (6566, 6567):
                # The default ports are taken on this machine: serve and query free ones.
                text = re.sub(r"^(strata serve [^&\n]*?)\s*&", rf"\1 --grpc 127.0.0.1:{grpc_port} --http 127.0.0.1:{http_port} &",
                              text, flags=re.M)
                text = text.replace(":6567", f":{http_port}").replace(":6566", f":{grpc_port}")
            # `strata serve ... &` returns at once; wait (at most 10 s) until it answers.
            text = re.sub(r"^(strata serve [^\n]*&[^\n]*)$",
                          rf"\1\nfor _ in $(seq 100); do curl -sf 127.0.0.1:{http_port}/healthz >/dev/null && break; sleep 0.1; done",
                          text, flags=re.M)
            parts.append(text)
        elif lang == "python":
            parts.append(f".venv/bin/python - <<'PYTHON_BLOCK'\n{text}PYTHON_BLOCK")
    # Reap `strata serve` after its `kill %1`: it drains and exits 0 on SIGTERM.
    parts.append("wait")
    return "\n".join(parts) + "\n"


def expected_outputs(blocks):
    """The JSON lines the quickstart's comments show as output (`# {...}`)."""
    out = []
    for lang, text in blocks:
        if lang == "sh":
            out += [m.group(1) for m in re.finditer(r"^# (\{.*\})", text, re.M)]
    return out


def test_readme_quickstart_runs_as_written(tmp_path, strata_bin):
    blocks = quickstart_blocks()
    assert [lang for lang, _ in blocks].count("sh") >= 4, blocks
    assert any(lang == "python" for lang, _ in blocks)
    grpc_port, http_port = 6566, 6567
    if not (port_free(6566) and port_free(6567)):
        grpc_port, http_port = free_port(), free_port()
    script = quickstart_script(blocks, grpc_port, http_port)
    (tmp_path / "quickstart.sh").write_text(script)
    # `.venv/bin/python` in the README is the repository's venv, run from its root.
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(strata_bin)) + os.pathsep + os.environ["PATH"])
    proc = subprocess.Popen(["bash", str(tmp_path / "quickstart.sh")], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=QUICKSTART_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"the quickstart did not finish in {QUICKSTART_TIMEOUT_S} s\nscript:\n{script}\n"
                    f"stdout:\n{stdout}\nstderr:\n{stderr}")
    finally:
        # Whatever happened, no `strata serve` of this script outlives the test.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    report = f"script:\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    assert proc.returncode == 0, f"exit {proc.returncode}\n{report}"
    lines = stdout.splitlines()
    for expected in expected_outputs(blocks):
        assert json.loads(expected) is not None
        assert expected in lines, f"the README shows {expected} but the command printed otherwise\n{report}"
    assert (tmp_path / "shop" / "train.parquet").exists()
    assert "strata serve: stopped" in stdout, report
    assert '"user_profile:age"' in stdout, report  # the curl request's answer


def test_quickstart_script_rewrites_busy_ports():
    blocks = [("sh", "strata serve --repo shop &   # note\ncurl -s localhost:6567/v1/features\nkill %1\n")]
    script = quickstart_script(blocks, 40001, 40002)
    assert "strata serve --repo shop --grpc 127.0.0.1:40001 --http 127.0.0.1:40002 &   # note" in script
    assert "curl -s localhost:40002/v1/features" in script
    assert "curl -sf 127.0.0.1:40002/healthz" in script
    assert script.rstrip().endswith("wait")
    assert textwrap.dedent(script).startswith("set -euo pipefail")
