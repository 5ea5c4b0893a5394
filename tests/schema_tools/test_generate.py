"""``fakelinear schema generate``: the committed schema files are what it produces."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from fakelinear.cli import main
from fakelinear.schema_tools.compare import compare_sdl
from fakelinear.schema_tools.generate import write_atomically
from tests.schema_tools.conftest import DOCUMENTS_98, SCHEMA_DIR
from tests.support.npm import CACHE_DIR


def test_generate_98_reproduces_the_committed_files(
    sdk_98: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regenerating from @linear/sdk 98.0.0 (already in the npm cache: no npm run) gives
    the committed linear.graphql, source.json, defaults.json and documents.json."""
    out = tmp_path / "schema"
    docs = tmp_path / "documents.json"
    argv = ["schema", "generate", "--sdk-version", "98.0.0", "--cache-dir", str(CACHE_DIR),
            "--output-dir", str(out), "--documents", str(docs)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1309 types, 674 documents (all valid), 98 defaults applied" in printed
    assert sorted(p.name for p in out.iterdir()) == ["defaults.json", "linear.graphql", "source.json"]

    committed_sdl = (SCHEMA_DIR / "linear.graphql").read_text(encoding="utf-8")
    fresh_sdl = (out / "linear.graphql").read_text(encoding="utf-8")
    source = json.loads((out / "source.json").read_text(encoding="utf-8"))
    committed_source = json.loads((SCHEMA_DIR / "source.json").read_text(encoding="utf-8"))
    if source["graphql_core"] == committed_source["graphql_core"]:
        assert fresh_sdl == committed_sdl  # byte for byte with the same printer
    else:  # another graphql-core may print differently; the schema must be the same
        assert compare_sdl(fresh_sdl, committed_sdl) == []
        for key in ("graphql_core", "sdl_sha256"):
            source.pop(key), committed_source.pop(key)
    assert source == committed_source
    assert json.loads((out / "defaults.json").read_text()) == json.loads(
        (SCHEMA_DIR / "defaults.json").read_text()
    )
    assert json.loads(docs.read_text()) == json.loads(DOCUMENTS_98.read_text())

    # source.json pins the exact inputs: the tarball's integrity and the files' hashes.
    lock = json.loads((sdk_98.parents[1].parent / "package-lock.json").read_text())
    assert source["integrity"] == lock["packages"]["node_modules/@linear/sdk"]["integrity"]
    for part in ("declarations", "bundle"):
        data = (sdk_98 / source[part]["file"]).read_bytes()
        assert source[part]["sha256"] == hashlib.sha256(data).hexdigest()
    assert source["renamed_types"] == {
        "IdComparator": "IDComparator",
        "IssueIdComparator": "IssueIDComparator",
    }


def test_generate_refuses_a_version_range_before_any_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["schema", "generate", "--sdk-version", "^98", "--cache-dir", str(tmp_path)])
    assert code == 2
    assert "pin an exact version" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("blocker", ["parent-is-a-file", "target-is-a-directory"])
def test_write_atomically_replaces_all_files_or_none(tmp_path: Path, blocker: str) -> None:
    first = tmp_path / "a.txt"
    first.write_text("old")
    if blocker == "parent-is-a-file":
        (tmp_path / "plain").write_text("")
        second = tmp_path / "plain" / "b.txt"
    else:
        second = tmp_path / "b.txt"
        second.mkdir()
    with pytest.raises(OSError):
        write_atomically({first: "new", second: "new"})
    assert first.read_text() == "old"
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary file left behind


def test_write_atomically_leaves_no_temporary_file_and_honours_umask(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.graphql"
    old = os.umask(0o022)
    try:
        write_atomically({target: "type Query { a: Int }\n"})
    finally:
        os.umask(old)
    assert target.read_text() == "type Query { a: Int }\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in target.parent.iterdir()] == ["x.graphql"]
