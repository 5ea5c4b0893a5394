"""Fixtures for the fakelinear tests: ``linear_http`` runs a test in both transports."""

from __future__ import annotations

import pytest

from tests.fakelinear.transport_fixtures import linear_http, linear_http_factory

__all__ = ["linear_http", "linear_http_factory"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_linear(**kwargs): FakeLinear keyword arguments for linear_http"
    )
