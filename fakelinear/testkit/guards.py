"""Cleanup guards: delete what a test created, even when the test failed.

Each guard is a context manager that deletes one resource on exit. :class:`Guards` stacks them
(an ``ExitStack``) so they unwind in reverse creation order — comments and relations before
their issues, issues before their team. "Already deleted" (not found) is fine. Any other
delete failure is reported without hiding the test's own failure: when the body raised, the
failure is attached to that exception as a note and logged; when it passed, a
:class:`CleanupError` listing every failed delete is raised after all guards ran.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from fakelinear.clock import Clock
from promoter.linear.errors import LinearError, NotFoundError

from .retry import retry_with_backoff

__all__ = ["CleanupError", "CleanupFailure", "Guards", "guard", "delete_quietly"]

log = logging.getLogger("fakelinear.testkit.guards")

T = TypeVar("T")

#: Attempts per delete: a 502 after commit is followed by "not found", which is success.
DELETE_ATTEMPTS = 5


@dataclass(frozen=True)
class CleanupFailure:
    """One delete that did not happen."""

    what: str
    error: BaseException

    def __str__(self) -> str:
        return f"{self.what}: {type(self.error).__name__}: {self.error}"


class CleanupError(AssertionError):
    """Some guarded resources could not be deleted."""

    def __init__(self, failures: list[CleanupFailure]) -> None:
        super().__init__("cleanup failed for: " + "; ".join(str(f) for f in failures))
        self.failures = failures


def _already_gone(error: LinearError) -> bool:
    text = f"{error.message} {error.user_presentable_message or ''}".lower()
    return (
        isinstance(error, NotFoundError) or "already deleted" in text or "already archived" in text
    )


def delete_quietly(
    delete: Callable[[], Any], what: str, clock: Clock | None = None
) -> CleanupFailure | None:
    """Run ``delete`` with transient retries; None when the resource is gone."""
    try:
        retry_with_backoff(DELETE_ATTEMPTS, delete, clock=clock)
    except LinearError as error:
        if _already_gone(error):
            return None
        return CleanupFailure(what, error)
    except Exception as error:  # a guard must never mask the test; report instead
        return CleanupFailure(what, error)
    log.debug("guard deleted %s", what)
    return None


@contextmanager
def guard(
    delete: Callable[[], Any],
    what: str,
    *,
    clock: Clock | None = None,
    failures: list[CleanupFailure] | None = None,
) -> Iterator[None]:
    """Delete on exit. With ``failures`` the outcome is appended there (for :class:`Guards`);
    without, a failed delete raises :class:`CleanupError` unless the body already raised."""
    body_error: BaseException | None = None
    try:
        yield
    except BaseException as error:
        body_error = error
        raise
    finally:
        failure = delete_quietly(delete, what, clock)
        if failure is not None:
            log.error("cleanup failed: %s", failure)
            if failures is not None:
                failures.append(failure)
            elif body_error is not None:
                body_error.add_note(f"cleanup also failed: {failure}")
            else:
                raise CleanupError([failure])


def _id(obj: Any) -> str:
    return obj if isinstance(obj, str) else obj.id


class Guards:
    """A stack of guards bound to one client; use as a context manager (or the ``guards``
    fixture). Each ``team/issue/...`` method registers a delete and returns its argument."""

    def __init__(self, client: Any, clock: Clock | None = None) -> None:
        self.client = client
        self.clock = clock
        self.failures: list[CleanupFailure] = []
        self._stack = ExitStack()

    def __enter__(self) -> Guards:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        self.close(exc)
        return False

    def close(self, body_error: BaseException | None = None) -> None:
        """Run every guard (newest first); report failures (see the module docstring)."""
        self._stack.close()
        failures, self.failures = self.failures, []
        if not failures:
            return
        if body_error is not None:
            for failure in failures:
                body_error.add_note(f"cleanup also failed: {failure}")
            return
        raise CleanupError(failures)

    def callback(self, delete: Callable[[], Any], what: str) -> None:
        """Guard anything: ``delete`` runs on exit like the typed guards."""
        self._stack.enter_context(guard(delete, what, clock=self.clock, failures=self.failures))

    def _add(self, obj: T, what: str, delete: Callable[[str], Any]) -> T:
        ident = _id(obj)
        self.callback(lambda: delete(ident), f"{what} {ident}")
        return obj

    def team(self, team: T) -> T:
        """Delete (archive) the team on exit."""
        return self._add(team, "team", self.client.team_delete)

    def issue(self, issue: T) -> T:
        """Delete the issue permanently on exit (no 30-day trash)."""
        return self._add(issue, "issue", lambda i: self.client.issue_delete(i, permanently=True))

    def project(self, project: T) -> T:
        """Delete (trash) the project on exit."""
        return self._add(project, "project", self.client.project_delete)

    def document(self, document: T) -> T:
        """Delete (trash) the document on exit."""
        return self._add(document, "document", self.client.document_delete)

    def label(self, label: T) -> T:
        """Delete the label on exit."""
        return self._add(label, "label", self.client.label_delete)

    def comment(self, comment: T) -> T:
        """Delete the comment on exit."""
        return self._add(comment, "comment", self.client.comment_delete)

    def relation(self, relation: T) -> T:
        """Delete the issue relation on exit."""
        return self._add(relation, "relation", self.client.relation_delete)
