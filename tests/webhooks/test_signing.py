"""``Linear-Signature``: hex HMAC-SHA256 of the raw body with the webhook's secret."""

from __future__ import annotations

import hashlib
import hmac

from fakelinear.webhooks.signing import is_fresh, sign, verify, wrong_signature


def test_sign_is_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"action":"create","type":"Issue"}'
    assert sign("lin_wh_secret", body) == hmac.new(b"lin_wh_secret", body, hashlib.sha256).hexdigest()


def test_verify() -> None:
    body = b'{"a":1}'
    good = sign("s3cret", body)
    assert verify("s3cret", body, good) and verify("s3cret", body, good.upper())
    assert not verify("other", body, good)
    assert not verify("s3cret", body + b" ", good)
    assert not verify("s3cret", body, None) and not verify("", body, good)
    bad = wrong_signature("s3cret", body)
    assert len(bad) == len(good) and not verify("s3cret", body, bad)


def test_is_fresh_uses_milliseconds() -> None:
    now = 1_767_603_600.0
    assert is_fresh(now * 1000, now) and is_fresh((now - 60) * 1000, now)
    assert not is_fresh((now - 61) * 1000, now) and not is_fresh((now + 61) * 1000, now)
    assert not is_fresh("1767603600000", now) and not is_fresh(True, now) and not is_fresh(None, now)
