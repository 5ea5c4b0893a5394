"""Bad input to the parsers and command lines: clear errors with line numbers, never a
traceback. Hypothesis drives the parsers (token pool, findings JSONL, scenario TOML); a table
drives the CLIs (``fakelinear serve``, ``promoter``, ``linear-cleanup``, ``scenarios``).

Several cases are regressions for bugs this suite found in other slices (non-UTF-8 pool,
findings and scenario files, deeply nested and lone-surrogate findings lines).
"""

from __future__ import annotations

import importlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakelinear.testkit.tokens import NoTestTokenError, load_tokens, parse_tokens
from promoter.cli import UserError, read_findings
from scenarios.errors import ScenarioError
from scenarios.loader import loads

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
TOKEN_CHARS = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="_-"), min_size=1, max_size=20)


# ----------------------------------------------------------------------------- token pool


@FAST
@given(st.text(max_size=300))
def test_parse_tokens_never_raises_and_yields_clean_tokens(text: str) -> None:
    tokens = parse_tokens(text)
    for token in tokens:
        assert token and token == token.strip()
        assert ";" not in token and "\n" not in token and "\r" not in token


@FAST
@given(
    st.lists(TOKEN_CHARS, min_size=1, max_size=6),
    st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=30), max_size=3),
    st.sampled_from([";", "\n", " ; ", ";\n", "\r\n"]),
)
def test_parse_tokens_round_trips_and_drops_comment_lines(tokens: list[str], comments: list[str], sep: str) -> None:
    text = "\n".join(f"# {c}" for c in comments) + "\n" + sep.join(tokens) + "\n"
    assert parse_tokens(text) == tokens


def test_comment_with_semicolons_leaks_nothing() -> None:
    assert parse_tokens("# secret;fragment\nabc;def\n  # x;y\n") == ["abc", "def"]


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", " ; ;\n"])
def test_empty_pool_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    f = tmp_path / "pool"
    f.write_text(content)
    with pytest.raises(NoTestTokenError, match="holds no token"):
        load_tokens(env={}, path=f)


def test_non_utf8_pool_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "pool"
    f.write_bytes(b"\xff\xfeabc;def\n")
    with pytest.raises(NoTestTokenError) as info:
        load_tokens(env={}, path=f)
    assert "abc" not in str(info.value)  # the file's bytes are tokens: never quoted


# ----------------------------------------------------------------------------- findings


def _record_line() -> st.SearchStrategy[str]:
    good = st.fixed_dictionaries(
        {"ref_id": st.text(min_size=1, max_size=8), "kind": st.text(min_size=1, max_size=8), "title": st.text(min_size=1, max_size=8)}
    ).map(json.dumps)
    junk = st.one_of(
        st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
        st.sampled_from(["[]", "42", "null", '{"ref_id": 1}', '{"ref_id": "a", "kind": "k"}', "{", '{"a":}']),
        st.dictionaries(st.sampled_from(["ref_id", "kind", "title", "detail", "class"]), st.none() | st.integers() | st.text(max_size=5)).map(json.dumps),
    )
    return st.one_of(good, junk)


@FAST
@given(st.lists(_record_line(), max_size=8))
def test_findings_parser_fails_with_the_right_line_number(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    try:
        findings = read_findings(io.StringIO(text), "c", "f.jsonl")
    except UserError as exc:
        m = re.match(r"^f\.jsonl:(\d+): ", str(exc))
        assert m, str(exc)
        lineno = int(m.group(1))
        assert 1 <= lineno <= len(lines)
        # Every line before the reported one parses on its own.
        read_findings(io.StringIO("\n".join(lines[: lineno - 1]) + "\n"), "c", "f.jsonl")
        with pytest.raises(UserError):
            read_findings(io.StringIO(lines[lineno - 1] + "\n"), "c", "f.jsonl")
    else:
        assert len(findings) <= len(lines)


def test_findings_deeply_nested_line_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"f\.jsonl:1:"):
        read_findings(io.StringIO("[" * 100_000 + "]" * 100_000 + "\n"), "c", "f.jsonl")


# ----------------------------------------------------------------------------- scenarios


SCENARIO = """[scenario]
name = "fuzz"
seed = 1
cycles = 2

[faults]
profile = "calm"

[workload]
classes = ["lint"]
persistent = 2

[promoter]
modes = ["reference"]
threshold = 1
max_per_run = 5
"""


@FAST
@given(st.data())
def test_scenario_loader_errors_name_file_and_line(data: st.DataObject) -> None:
    lines = SCENARIO.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    replacement = data.draw(
        st.one_of(
            st.sampled_from(["name = 5", "seed = \"x\"", "cycles = -1", "profile = \"nope\"", "threshold = []",
                             "max_per_run = 1.5", "modes = [\"bogus\"]", "[[workload]]", "unknown = 1", "= 3", "x = [", "[scenario"]),
            st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s),
        )
    )
    lines[index] = replacement
    text = "\n".join(lines) + "\n"
    try:
        loads(text, path="s.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("s.toml"), str(exc)
        if exc.line is not None:
            assert 1 <= exc.line <= len(lines) + 1
    except Exception as exc:  # noqa: BLE001 - anything else is the bug we look for
        pytest.fail(f"{type(exc).__name__} instead of ScenarioError for line {index + 1} = {replacement!r}: {exc}")


def test_scenario_syntax_error_has_its_line() -> None:
    with pytest.raises(ScenarioError) as info:
        loads(SCENARIO.replace("cycles = 2", "cycles = = 2"), path="s.toml")
    assert info.value.line == 4 and str(info.value).startswith("s.toml:4")


# ----------------------------------------------------------------------------- CLIs


def _main(module: str) -> Callable[[list[str]], int | None]:
    return importlib.import_module(module).main  # type: ignore[no-any-return]


SERVE = ["fakelinear.cli", "serve", "--port", "0"]
PROMOTER = ["promoter.cli"]
CLEANUP = ["fakelinear.testkit.cleanup_cli"]
SCEN = ["scenarios.cli"]

CLI_CASES = [
    ("serve bad port", [*SERVE[:-1], "abc"], 2),
    ("serve port out of range", [*SERVE[:-1], "70000"], 2),
    ("serve negative workspaces", [*SERVE, "--workspaces", "-1"], 2),
    ("serve unknown profile", [*SERVE, "--profile", "nope"], 2),
    ("serve profile and faults", [*SERVE, "--profile", "calm", "--faults", "x.toml"], 2),
    ("serve missing faults file", [*SERVE, "--faults", "missing.toml"], 2),
    ("serve bad fault spec", [*SERVE, "--fault", "nonsense"], 2),
    ("serve bad fault value", [*SERVE, "--fault", "gateway.status=abc"], 2),
    ("serve garbage state", [*SERVE, "--state", "garbage.json"], 2),
    ("serve unknown flag", [*SERVE, "--bogus"], 2),
    ("promoter no command", PROMOTER, 2),
    ("promoter bad threshold", [*PROMOTER, "run", "--store", "sqlite:///x.db", "--team", "T", "--threshold", "x"], 2),
    ("promoter bad store url", [*PROMOTER, "status", "--store", "bogus://x"], 2),
    ("promoter no key", [*PROMOTER, "run", "--store", "sqlite:///x.db", "--team", "T", "--threshold", "1"], 2),
    ("promoter missing findings file", [*PROMOTER, "observe", "--store", "sqlite:///x.db", "--class", "c", "missing.jsonl"], 2),
    ("promoter bad findings", [*PROMOTER, "observe", "--store", "sqlite:///x.db", "--class", "c", "bad.jsonl"], 2),
    ("promoter non-utf8 findings", [*PROMOTER, "observe", "--store", "sqlite:///x.db", "--class", "c", "latin.jsonl"], 2),
    ("cleanup unknown flag", [*CLEANUP, "--bogus"], 2),
    ("cleanup no token", CLEANUP, 2),
    ("cleanup non-utf8 pool file", CLEANUP, 2),
    ("scenarios missing file", [*SCEN, "run", "missing.toml"], 2),
    ("scenarios bad file", [*SCEN, "run", "bad.toml"], 2),
]

#: Regressions: each of these printed a traceback when first found (see the report).
REGRESSION_CLI = [
    ("promoter deeply nested findings", [*PROMOTER, "observe", "--store", "sqlite:///x.db", "--class", "c", "deep.jsonl"], 2),
    ("promoter surrogate in findings", [*PROMOTER, "observe", "--store", "sqlite:///x.db", "--class", "c", "surrogate.jsonl"], 2),
    ("scenarios non-utf8 file", [*SCEN, "run", "latin.toml"], 2),
]


def _fixtures(tmp_path: Path, name: str) -> None:
    (tmp_path / "garbage.json").write_text("not json at all\n")
    (tmp_path / "bad.jsonl").write_text('{"ref_id": "a", "kind": "k", "title": "t"}\n{"ref_id": 3}\n')
    (tmp_path / "latin.jsonl").write_bytes(b'{"ref_id": "caf\xe9"}\n')
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    (tmp_path / "surrogate.jsonl").write_text('{"ref_id": "\\ud800", "kind": "k", "title": "t"}\n')
    (tmp_path / "bad.toml").write_text(SCENARIO.replace("cycles = 2", "cycles = \"two\""))
    (tmp_path / "latin.toml").write_bytes(SCENARIO.replace('"fuzz"', '"caf\xe9"').encode("latin-1"))
    if name == "cleanup non-utf8 pool file":
        (tmp_path / ".linear_api_token_test").write_bytes(b"\xff\xfetok;en\n")


@pytest.mark.parametrize("name, args, code", [*CLI_CASES, *REGRESSION_CLI], ids=lambda v: v if isinstance(v, str) else "")
def test_cli_bad_arguments_give_one_clear_error_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, args: list[str], code: int
) -> None:
    """Each CLI's ``main`` in-process (fast): an exception escaping it is the traceback a user
    would see; a user error is one message on stderr and exit status ``code``."""
    _fixtures(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("LINEAR_TEST_TOKEN", "LINEAR_API_KEY", "LINEAR_API_URL"):
        monkeypatch.delenv(var, raising=False)
    module, *argv = args
    try:
        status = _main(module)(argv)
    except SystemExit as exc:  # argparse usage errors
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - this is the traceback a user would get
        pytest.fail(f"{name}: {type(exc).__name__} escaped {module}.main: {str(exc)[:300]}")
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Traceback" not in out, out[-1500:]
    assert status == code, (status, out[-800:])
    assert captured.err.strip(), out[-800:]
    if name == "promoter bad findings":
        assert "bad.jsonl:2:" in captured.err
    if name in {"promoter deeply nested findings", "promoter surrogate in findings"}:
        assert "f.jsonl" not in captured.err and ".jsonl:1:" in captured.err, captured.err
    if name == "scenarios non-utf8 file":
        assert re.search(r"latin\.toml:\d+", captured.err), captured.err
    if name == "scenarios bad file":
        assert re.search(r"bad\.toml:\d+", captured.err), captured.err
