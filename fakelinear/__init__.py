"""fakelinear: a stateful, flaky-on-purpose fake of Linear's GraphQL API.

``FakeLinear`` (the handler core) and ``mock_linear`` (the in-process respx transport) are
imported lazily so ``import fakelinear`` stays cheap and free of import cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakelinear.handler import FakeLinear
    from fakelinear.transports.mock import mock_linear
    from fakelinear.transports.server import ServerThread

__all__ = ["FakeLinear", "ServerThread", "mock_linear"]


def __getattr__(name: str) -> Any:
    if name == "FakeLinear":
        from fakelinear.handler import FakeLinear

        return FakeLinear
    if name == "mock_linear":
        from fakelinear.transports.mock import mock_linear

        return mock_linear
    if name == "ServerThread":
        from fakelinear.transports.server import ServerThread

        return ServerThread
    raise AttributeError(f"module 'fakelinear' has no attribute {name!r}")
