"""One control interface to a fake, wherever it runs.

:class:`FakeHandle` is what a test holds (the pytest plugin's ``fake`` fixture): the same
members for the in-process fake (:class:`LocalFake`, over a :class:`~fakelinear.FakeLinear`)
and for ``fakelinear serve`` on loopback (:class:`fakelinear.remote.RemoteFake`, over the
``/_fake/`` control API). A test written against it runs unchanged in both modes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from fakelinear.faults.journal import JournalQueries, JournalView
from fakelinear.faults.overrides import FaultOverridesBase

__all__ = ["FakeHandle", "LocalFake", "IN_PROCESS_URL"]

#: Where in-process requests go (intercepted; never reaches the network).
IN_PROCESS_URL = "https://api.linear.app/graphql"


class FakeHandle(ABC):
    """The control interface of one fake.

    * ``faults``: every fault override (``phantom_conflicts``, ``gateway_error``,
      ``rate_limit``, ``read_lag``, ``search_lag``, ``transport_fault``, ``apply``, ``use``,
      ``calm``, ``profile``, ``clear``, ``plan``);
    * ``journal``: this handle's view of the request journal (``entries``, ``count``,
      ``last``, ``assert_called``, ``assert_not_called``, ``clear``, ``to_json``);
    * ``clock``: ``now``, ``advance``, ``sleep``, ``set``;
    * ``tokens``, ``url``, ``reset()``, ``workspaces()``, ``add_workspace()``,
      ``snapshot()``, ``advance()``, ``begin_scope()``.
    """

    @property
    @abstractmethod
    def faults(self) -> FaultOverridesBase:
        """The fault override handle."""

    @property
    @abstractmethod
    def journal(self) -> JournalQueries:
        """The journal entries since this handle's mark (see :meth:`begin_scope`)."""

    @property
    @abstractmethod
    def clock(self) -> Any:
        """The fake's clock: ``now()``, ``advance(s)``, ``sleep(s)``, ``set(ts)``."""

    @property
    @abstractmethod
    def tokens(self) -> list[str]:
        """Whole API keys, one per workspace, in order (a copy)."""

    @property
    @abstractmethod
    def url(self) -> str:
        """The GraphQL endpoint to send requests to."""

    @property
    def base_url(self) -> str:
        """The fake's base URL (``url`` without ``/graphql``; the control API is under
        ``base_url + "/_fake/"``)."""
        return self.url[: -len("/graphql")] if self.url.endswith("/graphql") else self.url

    def close(self) -> None:  # noqa: B027 - optional hook: nothing to release in-process
        """Release connections (nothing to release in-process)."""

    @abstractmethod
    def reset(self) -> None:
        """Back to the fake's initial state: model, journal and overrides (same keys). Teams
        made by session fixtures (``test_team``) are gone too."""

    @abstractmethod
    def workspaces(self) -> list[dict[str, Any]]:
        """Workspaces with masked keys: ``index``, ``id``, ``name``, ``plan``, ``token_masked``."""

    @abstractmethod
    def add_workspace(
        self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None
    ) -> dict[str, Any]:
        """Create a workspace; ``{"index", "id", "name", "token", "token_masked"}``."""

    @abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """The model's full JSON-able state."""

    @abstractmethod
    def begin_scope(self, name: str | None) -> None:
        """Start a test's scope: overrides cleared, rate limits and fault decision state
        fresh, random choices salted with ``name``; the journal view starts here."""

    def advance(self, seconds: float) -> float:
        """Move the fake's clock forward; returns the new time."""
        return float(self.clock.advance(seconds))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, workspaces={len(self.tokens)})"


class LocalFake(FakeHandle):
    """:class:`FakeHandle` over an in-process :class:`~fakelinear.FakeLinear`."""

    def __init__(self, fake: Any, url: str = IN_PROCESS_URL) -> None:
        self._fake = fake
        self._url = url
        self._view = JournalView(fake.journal, fake.journal.last_seq)

    @property
    def faults(self) -> FaultOverridesBase:
        return self._fake.faults

    @property
    def journal(self) -> JournalView:
        return self._view

    @property
    def clock(self) -> Any:
        return self._fake.clock

    @property
    def tokens(self) -> list[str]:
        return list(self._fake.tokens)

    @property
    def url(self) -> str:
        return self._url

    def reset(self) -> None:
        self._fake.reset()

    def workspaces(self) -> list[dict[str, Any]]:
        return self._fake.workspaces()

    def add_workspace(
        self, name: str | None = None, plan: str | None = None, seed_content: bool | None = None
    ) -> dict[str, Any]:
        ws, token = self._fake.add_workspace(name=name, plan=plan, seed_content=seed_content)
        index = self._fake.tokens.index(token)
        return {**self._fake.workspaces()[index], "token": token}

    def snapshot(self) -> dict[str, Any]:
        return self._fake.snapshot()

    def begin_scope(self, name: str | None) -> None:
        self._view.since = self._fake.begin_scope(name)

    def advance(self, seconds: float) -> float:
        # The fake's own advance: webhook retries due on the way are sent at their times.
        return float(self._fake.advance(seconds))
