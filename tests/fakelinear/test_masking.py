"""How secrets are shown (fakelinear/masking.py): never whole, short ones barely."""

from __future__ import annotations

import pytest

from fakelinear.faults.context import mask_key
from fakelinear.handler import mask_token
from fakelinear.masking import mask_secret


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (None, "…"),
        ("", "…"),
        ("abc", "…"),
        ("abcd", "…d"),
        ("abcdef", "…f"),
        ("abcdefgh", "…gh"),
        ("0123456789ab", "…9ab"),
        ("lin_api_" + "x" * 34 + "ABCDEF", "…ABCDEF"),  # a 48-character Linear key: the last 6
        ("y" * 500 + "tail42", "…tail42"),  # never more than 6
    ],
)
def test_at_most_six_and_at_most_a_quarter(secret: str | None, shown: str) -> None:
    assert mask_secret(secret) == mask_key(secret) == mask_token(secret) == shown
    if secret:
        assert secret not in mask_secret(secret)
