"""fakelinear: a stateful, flaky-on-purpose fake of Linear's GraphQL API.

``FakeLinear`` (the handler core) and ``mock_linear`` (the in-process respx transport) are
imported lazily so ``import fakelinear`` stays cheap and free of import cycles.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakelinear.handler import FakeLinear
    from fakelinear.transports.mock import mock_linear
    from fakelinear.transports.server import ServerThread

__all__ = ["FakeLinear", "ServerThread", "__version__", "mock_linear"]

try:
    #: The installed distribution's version (``fakelinear --version``, ``/_fake/health``).
    __version__: str = metadata.version("fakelinear")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"


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
