"""``fakelinear schema diff|reference|documents`` and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fakelinear.cli import main
from fakelinear.schema_tools.reference import derive_reference
from tests.schema_tools.conftest import DOCUMENTS_98
from tests.support.npm import CACHE_DIR

A = "type Query { a: Int b(x: Int = 1): String }\n"
B = "type Query { a: Int! b(x: Int = 2): String c: ID }\n"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["schema", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_diff_reports_each_mismatch_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.graphql").write_text(A)
    (tmp_path / "b.graphql").write_text(B)
    code, out, err = _run(capsys, "diff", str(tmp_path / "a.graphql"), str(tmp_path / "b.graphql"))
    assert code == 1
    assert out.splitlines() == [
        "field-type       Query.a: Int != Int!",
        "default          Query.b(x): 1 != 2",
        "field            Query.c: (absent) != ID",
    ]
    assert "3 mismatches" in err
    code, out, _ = _run(capsys, "diff", str(tmp_path / "a.graphql"), str(tmp_path / "b.graphql"),
                        "--ignore", "default,field")
    assert code == 1 and out.splitlines() == ["field-type       Query.a: Int != Int!"]
    code, out, err = _run(capsys, "diff", str(tmp_path / "a.graphql"), str(tmp_path / "a.graphql"))
    assert (code, out) == (0, "") and "0 mismatches" in err


@pytest.mark.parametrize(
    ("files", "ignore", "message"),
    [
        (("a.graphql", "missing.graphql"), "", "no such file: "),
        (("a.graphql", "bad.graphql"), "", "is not a valid SDL"),
        (("a.graphql", "a.graphql"), "defaults", "unknown kinds defaults"),
    ],
)
def test_diff_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: tuple[str, str], ignore: str, message: str
) -> None:
    (tmp_path / "a.graphql").write_text(A)
    (tmp_path / "bad.graphql").write_text("type Query {")
    code, _out, err = _run(capsys, "diff", *(str(tmp_path / f) for f in files), "--ignore", ignore)
    assert code == 2 and message in err


def test_reference_command_derives_from_an_sdl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sdl = tmp_path / "official.graphql"
    sdl.write_text('"""Doc."""\ntype Query { list(first: Int = 50): [String] }\n')
    out = tmp_path / "ref.json"
    code, printed, _ = _run(capsys, "reference", str(sdl), "--source", "test", "--output", str(out))
    assert code == 0 and "1 argument and 0 input field defaults" in printed
    assert json.loads(out.read_text()) == derive_reference(sdl.read_text(), "test")
    sdl.write_text("type Query {")
    code, _, err = _run(capsys, "reference", str(sdl), "--output", str(out))
    assert code == 2 and "is not a valid SDL" in err


def test_documents_command_writes_the_sdk_documents(
    sdk_98: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs.json"
    code, printed, _ = _run(capsys, "documents", "--sdk-version", "98.0.0", "--cache-dir", str(CACHE_DIR),
                            "--output", str(out))
    assert code == 0 and "wrote 674 documents" in printed
    assert json.loads(out.read_text()) == json.loads(DOCUMENTS_98.read_text())
    code, _, err = _run(capsys, "documents", "--sdk-version", "latest", "--output", str(out))
    assert code == 2 and "pin an exact version" in err


def test_schema_without_subcommand_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys)
    assert code == 2 and "generate" in err and "pull" in err and "diff" in err


def test_module_entry_point(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text(A)
    proc = subprocess.run(
        [sys.executable, "-m", "fakelinear.schema_tools", "schema", "diff",
         str(tmp_path / "a.graphql"), str(tmp_path / "a.graphql")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0 and "0 mismatches" in proc.stderr
