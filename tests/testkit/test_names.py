"""Unique names and their retry mutations."""

from __future__ import annotations

import re

from fakelinear.testkit.names import is_test_name, original_name, retry_name, unique_name


def test_unique_name_shape():
    name = unique_name("issue")
    assert re.fullmatch(r"\[test\] issue [0-9a-f]{8}", name)
    assert unique_name("issue") != name


def test_retry_name_from_original_never_stacked():
    name = unique_name("team")
    once = retry_name(name)
    twice = retry_name(once)
    assert re.fullmatch(re.escape(name) + r" retry-[0-9a-f]{6}", once)
    assert re.fullmatch(re.escape(name) + r" retry-[0-9a-f]{6}", twice)
    assert twice.count("retry-") == 1 and twice != once
    assert original_name(twice) == name


def test_only_test_names_are_mutated():
    for value in ("0f8c1d7e-1111-4222-8333-444455556666", "Real issue", "TABCDE", "", "test issue"):
        assert retry_name(value) == value
    assert is_test_name("[test] x") and not is_test_name("x [test]")
