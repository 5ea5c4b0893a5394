"""API keys (fakelinear/auth.py): derivation, the Authorization header, loopback hosts."""

from __future__ import annotations

import pytest

from fakelinear.auth import derive_key, is_loopback_host, presented_key
from fakelinear.handler import FakeLinear
from fakelinear.http import Request
from fakelinear.rng import Rng


def test_keys_derive_from_seed_and_index_and_a_salt_makes_them_secret() -> None:
    plain = derive_key(Rng(0), 0)
    assert plain == derive_key(Rng(0), 0) == FakeLinear().tokens[0]  # unchanged derivation
    assert plain.startswith("lin_api_") and len(plain) == 48 and plain[8:].isalnum()
    salted = derive_key(Rng(0), 0, "s3cret")
    assert salted != plain and salted == derive_key(Rng(0), 0, "s3cret")
    assert derive_key(Rng(0), 0, "other") != salted
    assert FakeLinear(key_salt="s3cret").tokens[0] == salted
    assert FakeLinear(key_salt="s3cret").keys_predictable is False and FakeLinear().keys_predictable is True


@pytest.mark.parametrize(
    ("header", "key"),
    [("lin_api_abc", "lin_api_abc"), ("Bearer tok-1", "tok-1"), ("bearer  tok-1 ", "tok-1"),
     ("", None), ("a b", None), ("x\r\ny", None), ("k" * 257, None)],
)
def test_presented_key(header: str, key: str | None) -> None:
    assert presented_key(Request("POST", "/graphql", {"authorization": header}, b"")) == key


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.org", False), ("", False)],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
