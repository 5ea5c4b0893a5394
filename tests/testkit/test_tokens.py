"""Token pool: parsing, sources, pinning, xdist assignment, masking."""

from __future__ import annotations

import logging

import pytest

from fakelinear.testkit import tokens
from fakelinear.testkit.tokens import (
    NoTestTokenError,
    all_test_tokens,
    load_tokens,
    mask,
    parse_tokens,
    pick_token,
    test_token,
    worker_index,
)


@pytest.fixture(autouse=True)
def _fresh_pin():
    tokens.reset_pin()
    yield
    tokens.reset_pin()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;b;c", ["a", "b", "c"]),
        ("a;b;", ["a", "b"]),
        (" a ; ; b ;;", ["a", "b"]),
        ("a\nb;c\n\nd", ["a", "b", "c", "d"]),
        ("# comment; with; semicolons\na;b", ["a", "b"]),
        ("   # indented comment;x\na", ["a"]),
        ("a # not a comment line;b", ["a # not a comment line", "b"]),
        ("", []),
        (";", []),
        (";;;\n;", []),
        ("\n\n", []),
        ("tok1\r\ntok2\r\n", ["tok1", "tok2"]),
    ],
)
def test_parse(text, expected):
    assert parse_tokens(text) == expected


def test_env_wins_over_file(tmp_path):
    f = tmp_path / "tokens"
    f.write_text("file1;file2")
    assert load_tokens({"LINEAR_TEST_TOKEN": "env1"}, f) == ["env1"]
    assert load_tokens({}, f) == ["file1", "file2"]


def test_clear_errors(tmp_path):
    with pytest.raises(NoTestTokenError, match="LINEAR_TEST_TOKEN"):
        load_tokens({}, tmp_path / "missing")
    with pytest.raises(NoTestTokenError, match="no token"):
        load_tokens({"LINEAR_TEST_TOKEN": ";;"}, tmp_path / "missing")
    (tmp_path / "empty").write_text("# only a comment;\n;")
    with pytest.raises(NoTestTokenError, match="no token"):
        load_tokens({}, tmp_path / "empty")


def test_pinned_once_per_process(tmp_path, caplog):
    f = tmp_path / "tokens"
    f.write_text("tokenAAAAAA111111;tokenBBBBBB222222")
    with caplog.at_level(logging.INFO, logger="fakelinear.testkit"):
        first = test_token({}, f)
        f.write_text("changed_later_999999")
        assert test_token({}, f) == first == "tokenAAAAAA111111"
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["using workspace 1/2 (token …111111)"]
    assert "tokenAAAAAA111111" not in caplog.text


@pytest.mark.parametrize(
    ("worker", "expected"),
    [(None, 0), ("gw0", 0), ("gw1", 1), ("gw2", 2), ("gw3", 0), ("gw7", 1), ("master", 0)],
)
def test_xdist_assignment(tmp_path, worker, expected):
    env = {"LINEAR_TEST_TOKEN": "t0xxxxxxx;t1xxxxxxx;t2xxxxxxx"}
    if worker:
        env["PYTEST_XDIST_WORKER"] = worker
    assert test_token(env) == f"t{expected}xxxxxxx"


def test_worker_index():
    assert worker_index({"PYTEST_XDIST_WORKER": "gw12"}) == 12
    assert worker_index({}) == 0


def test_all_tokens_and_mask(tmp_path):
    assert all_test_tokens({"LINEAR_TEST_TOKEN": "a1;b2"}) == ["a1", "b2"]
    assert mask("lin_api_0123456789abcdef") == "…abcdef"
    assert mask("") == "…"


def test_non_utf8_file_is_a_clear_error(tmp_path):
    f = tmp_path / "pool"
    f.write_bytes(b"\xff\xfeabc;def\n")
    with pytest.raises(NoTestTokenError, match="UTF-8"):
        load_tokens({}, f)


def test_byte_order_mark_does_not_hide_a_comment(tmp_path):
    # Windows editors save UTF-8 with a BOM; the first line is still a comment line.
    f = tmp_path / "pool"
    f.write_bytes("# pool; for CI\ntok_a;tok_b\n".encode("utf-8-sig"))
    assert load_tokens({}, f) == ["tok_a", "tok_b"]


def test_pick_token_logs_masked_workspace(caplog):
    pool = ["tokenAAAAAA111111", "tokenBBBBBB222222", "tokenCCCCCC333333"]
    with caplog.at_level(logging.INFO, logger="fakelinear.testkit"):
        assert pick_token(pool, {"PYTEST_XDIST_WORKER": "gw4"}) == (1, pool[1])
    assert [r.getMessage() for r in caplog.records] == ["using workspace 2/3 (token …222222)"]
    with pytest.raises(ValueError, match="empty"):
        pick_token([])


def test_backend_repr_never_shows_a_token():
    from fakelinear.clock import RealClock
    from fakelinear.testkit.backends import Backend, HttpFake

    pool = ["lin_api_SECRETSECRET111111", "lin_api_SECRETSECRET222222"]
    backend = Backend("online", "https://x/graphql", pool, pool[1], RealClock(), 0, "calm")
    fake = HttpFake("http://127.0.0.1:1", pool)
    try:
        for text in (repr(backend), repr(fake), backend.describe()):
            assert "SECRET" not in text
        assert "…222222" in backend.describe()
    finally:
        fake.close()
