"""Seeded randomness for the whole fake.

Every random decision in fakelinear goes through :class:`Rng` so that one seed reproduces a
run. Two styles are offered:

* :meth:`Rng.derive` gives a fresh :class:`random.Random` seeded from the seed *and* the
  caller's parts (e.g. a request body hash), so a decision depends only on what is asked,
  never on how many other decisions were made before it.
* :meth:`Rng.stream` gives a named, ordered stream (entity ids, seed content) whose values
  depend on the seed and on the order of calls within that stream only.
"""

from __future__ import annotations

import hashlib
import random
import uuid


def _digest(seed: int | str, parts: tuple[object, ...]) -> bytes:
    h = hashlib.sha256()
    h.update(repr(seed).encode())
    for part in parts:
        # A separator byte keeps ("ab", "c") and ("a", "bc") apart.
        h.update(b"\x1f")
        h.update(part if isinstance(part, bytes) else str(part).encode())
    return h.digest()


def uuid4_from_bytes(data: bytes) -> str:
    """Shape 16+ bytes into a UUID v4 string (version and variant bits set)."""
    return str(uuid.UUID(bytes=data[:16], version=4))


class Rng:
    """The fake's single source of randomness, reproducible from ``seed``."""

    def __init__(self, seed: int | str = 0) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}
        self.scope: str | None = None

    def begin_scope(self, name: str | None) -> None:
        """Restart every ordered stream, now seeded by the seed *and* ``name`` (one test).

        Ids drawn in a scope then depend only on the seed, the scope's name and the calls
        made in it, not on what ran before: the testkit begins a scope per test so one test
        re-run alone gets the ids it got in the full run. ``None`` goes back to unscoped
        streams (restarted too)."""
        self.scope = name
        self._streams = {}

    def derive(self, *parts: object) -> random.Random:
        """A fresh Random seeded by sha256(seed, parts): independent of call order."""
        return random.Random(int.from_bytes(_digest(self.seed, parts), "big"))

    def uuid4(self, *parts: object) -> str:
        """A v4-shaped UUID determined by the seed and ``parts``."""
        return uuid4_from_bytes(_digest(self.seed, ("uuid4", *parts)))

    def stream(self, name: str) -> random.Random:
        """The ordered stream called ``name`` (created on first use, then reused)."""
        stream = self._streams.get(name)
        if stream is None:
            if self.scope is None:
                stream = self.derive("stream", name)
            else:
                stream = self.derive("stream", name, "scope", self.scope)
            self._streams[name] = stream
        return stream

    def stream_uuid4(self, name: str) -> str:
        """The next v4-shaped UUID from the ordered stream ``name``."""
        return uuid4_from_bytes(self.stream(name).getrandbits(128).to_bytes(16, "big"))

    def stream_states(self) -> dict[str, object]:
        """JSON-able positions of every stream (used by model snapshots)."""
        out: dict[str, object] = {}
        for name, stream in self._streams.items():
            version, internal, gauss = stream.getstate()
            out[name] = [version, list(internal), gauss]
        return out

    def restore_stream_states(self, states: dict[str, object]) -> None:
        """Put streams back where :meth:`stream_states` found them."""
        for name, state in states.items():
            version, internal, gauss = state  # type: ignore[misc]
            stream = random.Random()
            stream.setstate((version, tuple(internal), gauss))
            self._streams[name] = stream
