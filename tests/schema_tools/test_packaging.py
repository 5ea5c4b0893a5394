"""A non-editable install carries the schema files and the schema tools, as a user gets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.schema_tools.conftest import REPO, SCHEMA_DIR


def test_pip_installed_package_has_the_schema_files(tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(REPO)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    installed = target / "fakelinear" / "api" / "schema"
    for name in ("linear.graphql", "source.json", "defaults.json"):
        assert (installed / name).read_bytes() == (SCHEMA_DIR / name).read_bytes()

    # From another directory, with only the installed copy importable as fakelinear.
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c",
         "import json, fakelinear; from fakelinear.schema_tools import generate, reference; "
         "print(json.dumps([fakelinear.__file__, str(generate.DEFAULT_OUTPUT_DIR), "
         "reference.load_reference()['source']]))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert probe.returncode == 0, probe.stderr
    module, output_dir, source = json.loads(probe.stdout)
    assert module.startswith(str(target)) and Path(output_dir) == installed
    assert "88.3.0" in source
