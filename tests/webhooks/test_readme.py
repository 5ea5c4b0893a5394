"""The README's webhook examples run as written: the pytest example in a separate project
that pip-installs this checkout (non-editable), in fake and server mode; the CI shell
example with curl and jq against ``fakelinear serve`` and a stand-in app."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.testkit.user_venv import user_venv

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(first_line: str) -> str:
    """The fenced code block of the README whose first line is ``first_line``."""
    for match in re.finditer(r"```\w*\n(.*?)```", README.read_text("utf-8"), re.DOTALL):
        if match.group(1).startswith(first_line + "\n"):
            return match.group(1)
    raise AssertionError(f"README has no code block starting with {first_line!r}")


@pytest.mark.parametrize("mode", ["fake", "server"])
def test_pytest_example_in_a_user_project(mode: str, tmp_path: Path) -> None:
    venv = user_venv()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_linear_webhooks.py").write_text(_block("# tests/test_linear_webhooks.py"))
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FAKELINEAR_", "LINEAR_"))}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(  # noqa: S603 - the throwaway venv's own pytest
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", f"--linear={mode}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert "1 passed" in proc.stdout, proc.stdout[-4000:] + proc.stderr[-2000:]


_APP = '''
import hashlib, hmac, json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class App(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        good = hmac.new(os.environ["LINEAR_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(good, self.headers["linear-signature"])
        with open("received.jsonl", "a") as out:
            out.write(json.dumps({"ok": ok, "event": self.headers["linear-event"], **json.loads(body)}) + "\\n")
        self.send_response(200 if ok else 401)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[2])), App).serve_forever()
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_ci_shell_example(tmp_path: Path) -> None:
    fake_port, app_port = _free_port(), _free_port()
    script = _block("# ci-webhooks.sh").replace("4000", str(fake_port)).replace("8000", str(app_port))
    (tmp_path / "app.py").write_text(_APP)
    script = script.replace("your-app --port", f'"{sys.executable}" app.py --port')
    create = ("jq -n '{query: \"mutation($t: String!) { issueCreate(input: {teamId: \\\"ENG\\\", title: $t}) "
              "{ success } }\", variables: {t: \"from CI\"}}' |\n"
              "  curl -sf \"$LINEAR_API_URL\" -H \"Authorization: $LINEAR_API_KEY\" "
              "-H 'Content-Type: application/json' -d @-\n")
    end_to_end = create + textwrap.dedent(f"""\
        until [ -s received.jsonl ]; do sleep 0.05; done
        until curl -sf http://127.0.0.1:{fake_port}/_fake/webhooks/status | jq -e .idle > /dev/null; do sleep 0.05; done
        """)
    script = script.replace("# ... your end-to-end tests", end_to_end + "# ... your end-to-end tests")
    bindir = str(Path(sys.executable).parent)
    wrapped = f"set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
    proc = subprocess.run(  # noqa: S603 - bash on our own README's script
        ["bash", "-c", wrapped], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"]},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '["Issue","create","delivered"]' in proc.stdout, proc.stdout
    received = (tmp_path / "received.jsonl").read_text()
    assert '"ok": true' in received and '"from CI"' in received
