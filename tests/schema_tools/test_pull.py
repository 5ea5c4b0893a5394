"""``fakelinear schema pull``: introspect a live endpoint (the fake itself), and fail cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from graphql import GraphQLSchema, build_schema, get_introspection_query, graphql_sync

from fakelinear import FakeLinear
from fakelinear.cli import main
from fakelinear.schema_tools.compare import compare_schemas
from fakelinear.schema_tools.pull import PullError, endpoint_url, mask_key, pull_sdl
from fakelinear.schema_tools.sdl import print_canonical
from fakelinear.transports.server import ServerThread


@contextmanager
def _serve(tokens_file: Path) -> Iterator[str]:
    """``fakelinear serve`` as a subprocess; yields its base URL (the first line it prints)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakelinear.cli", "serve", "--port", "0", "--tokens-file", str(tokens_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), (base_url, proc.poll())
        yield base_url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _served_schema(fake: FakeLinear) -> GraphQLSchema:
    """What the fake executes: its API's schema (whatever SDL it was built from)."""
    return fake.api.schema


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeLinear, str]]:
    fake = FakeLinear(seed=3)
    with ServerThread(fake) as srv:
        yield fake, srv.base_url


def test_pull_gives_exactly_the_schema_the_server_serves(server: tuple[FakeLinear, str]) -> None:
    fake, base_url = server
    sdl = pull_sdl(base_url, fake.tokens[0])  # a bare origin gets /graphql
    assert '"""' not in sdl
    served = _served_schema(fake)
    mismatches = compare_schemas(build_schema(sdl), served)
    assert mismatches == [], "\n".join(map(str, mismatches[:20]))
    # Deterministic: the canonical text of what is served, whatever its SDL's order.
    assert sdl == print_canonical(served)


def test_pull_cli_against_fakelinear_serve_as_a_user(tmp_path: Path) -> None:
    """Two real processes: ``fakelinear serve`` and ``fakelinear schema pull`` (key from
    LINEAR_API_KEY); the file written is the served schema and the key is never printed."""
    tokens_file = tmp_path / "tokens"
    out = tmp_path / "prod.graphql"
    with _serve(tokens_file) as base_url:
        token = tokens_file.read_text().splitlines()[-1].strip()
        proc = subprocess.run(
            [sys.executable, "-m", "fakelinear.cli", "schema", "pull", "--url",
             base_url + "/graphql", "--output", str(out)],
            env={**os.environ, "LINEAR_API_KEY": token},
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert proc.returncode == 0, proc.stderr
    assert token not in proc.stdout + proc.stderr
    assert f"wrote {out}" in proc.stderr
    from fakelinear.api import get_schema

    assert compare_schemas(build_schema(out.read_text()), get_schema()) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pull(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["schema", "pull", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("ftp://example.com/graphql", "is not an http(s) URL"),
        ("not a url", "is not an http(s) URL"),
        ("free-port", "cannot reach http://127.0.0.1:"),
        ("/nothing", "returned no introspection result (HTTP 404): Not found: /nothing"),
        ("/_fake/clock", "answered JSON that is not a GraphQL response (HTTP 405)"),
    ],
)
def test_bad_endpoints_fail_clearly_and_write_nothing(
    server: tuple[FakeLinear, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    expected: str,
) -> None:
    fake, base_url = server
    url = {"free-port": f"http://127.0.0.1:{_free_port()}/graphql"}.get(where, where)
    if where.startswith("/"):
        url = base_url + where
    out = tmp_path / "schema.graphql"
    out.write_text("previous content")
    code, printed = _pull(capsys, "--url", url, "--api-key", fake.tokens[0], "--output", str(out))
    assert code == 1
    assert expected in printed
    assert fake.tokens[0] not in printed
    assert out.read_text() == "previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["schema.graphql"]


def test_a_refused_key_is_named_by_its_last_characters_only(
    server: tuple[FakeLinear, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake, base_url = server
    key = "lin_api_" + "x" * 30 + "SECRET"
    out = tmp_path / "schema.graphql"
    code, printed = _pull(capsys, "--url", base_url + "/graphql", "--api-key", key, "--output", str(out))
    assert code == 1
    assert "refused the request with key …SECRET (HTTP 401)" in printed
    assert key not in printed and key[:-6] not in printed
    assert not out.exists()
    code, printed = _pull(capsys, "--url", base_url + "/graphql")
    assert code == 1 and "without a key (HTTP 401)" in printed


def test_mask_key_never_shows_more_than_six_characters() -> None:
    assert mask_key("lin_api_" + "a" * 34 + "XYZ123") == "…XYZ123"
    assert mask_key("short-key-12") == "…-12"
    assert mask_key("abc") == "…"


def test_endpoint_url() -> None:
    assert endpoint_url("https://api.linear.app") == "https://api.linear.app/graphql"
    assert endpoint_url("http://127.0.0.1:8/graphql/") == "http://127.0.0.1:8/graphql/"
    with pytest.raises(PullError):
        endpoint_url("api.linear.app/graphql")


# --- answers a real server might give, through a mock transport ---------------------------

_SCHEMA = build_schema('type Query { a(x: Int = 1 @deprecated(reason: "no"), y: [ID!]): String }')


def _introspection(include_deprecated_args: bool) -> dict:
    query = get_introspection_query(descriptions=False, input_value_deprecation=include_deprecated_args)
    result = graphql_sync(_SCHEMA, query)
    assert result.errors is None
    return {"data": result.data}


def _transport(handler) -> httpx.MockTransport:  # type: ignore[no-untyped-def]
    return httpx.MockTransport(handler)


def test_servers_without_deprecated_arguments_in_introspection_are_asked_again() -> None:
    seen: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        modern = "args(includeDeprecated: true)" in json.loads(request.content)["query"]
        seen.append(modern)
        if modern:
            return httpx.Response(400, json={"errors": [{"message": 'Unknown argument "includeDeprecated" on field "__Field.args".'}]})
        return httpx.Response(200, json=_introspection(False))

    sdl = pull_sdl("https://linear.example/graphql", "k" * 40, transport=_transport(handler))
    assert seen == [True, False]
    # The classic query does not list deprecated arguments; the others come through.
    assert "a(y: [ID!]): String" in sdl


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, text="<html>hello</html>", headers={"content-type": "text/html"}),
         "did not answer with JSON (HTTP 200, text/html)"),
        (httpx.Response(502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"}),
         "did not answer with JSON (HTTP 502"),
        (httpx.Response(200, json=[1, 2]), "JSON that is not a GraphQL response"),
        (httpx.Response(400, json={"errors": [{"message": "Introspection is disabled"}]}),
         "no introspection result (HTTP 400): Introspection is disabled"),
        (httpx.Response(200, json={"data": {"__schema": {"types": "nonsense"}}}),
         "unusable introspection result"),
        (httpx.Response(403, json={"errors": [{"message": "forbidden"}]}), "(HTTP 403)"),
    ],
)
def test_non_graphql_answers_are_clear_errors(response: httpx.Response, expected: str) -> None:
    with pytest.raises(PullError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        pull_sdl("https://linear.example/graphql", "k" * 40, transport=_transport(lambda _r: response))


def test_a_deprecated_argument_survives_the_pull() -> None:
    sdl = pull_sdl("https://linear.example/graphql", None,
                   transport=_transport(lambda _r: httpx.Response(200, json=_introspection(True))))
    # The deprecation survives; its reason text does not (Linear's prose, like descriptions).
    assert "a(x: Int = 1 @deprecated, y: [ID!]): String" in sdl
