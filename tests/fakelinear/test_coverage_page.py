"""docs/coverage.md tells the truth about the schema fakelinear serves."""

from __future__ import annotations

from pathlib import Path

from fakelinear.api import schema_bundle
from fakelinear.api.coverage import render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"


def test_coverage_page_is_current() -> None:
    expected = render(schema_bundle())
    assert PAGE.read_text("utf-8") == expected, "regenerate: python -m fakelinear.api.coverage > docs/coverage.md"
    assert "| Issue | create, get, list, update, archive, unarchive, delete | trash | yes |" in expected
