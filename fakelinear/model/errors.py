"""Errors raised by the model. The API layer turns them into Linear-shaped GraphQL errors."""

from __future__ import annotations


class ModelError(Exception):
    """Base class for every model error."""


class NotFound(ModelError):
    """The entity does not exist in this workspace (or was permanently deleted/purged)."""

    def __init__(self, entity_type: str) -> None:
        super().__init__(f"Entity not found: {entity_type}")
        self.entity_type = entity_type


class InvalidInput(ModelError):
    """The input is invalid (bad value, broken reference, ...)."""

    def __init__(self, message: str, user_presentable: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.user_presentable = user_presentable or message


class AlreadyExists(ModelError):
    """F2: a create carried a client-supplied id that already exists."""

    def __init__(self, entity_type: str, entity_id: str) -> None:
        super().__init__(f"conflict on insert of {entity_type}")
        self.entity_type = entity_type
        self.entity_id = entity_id


class UsageLimitExceeded(ModelError):
    """F6: the workspace's plan does not allow this (issue or team count)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unsupported(ModelError):
    """An operation fakelinear does not model (answered with a clear, documented error)."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation} is not supported by fakelinear")
        self.operation = operation
