"""The harness for any Linear (fake or real): token pool, unique names and retries, cleanup
guards, workspace cleanup, the ``linear-cleanup`` script and the pytest plugin.

It drives Linear only through :mod:`promoter.linear`; see ``docs/ARCHITECTURE.md``.
"""

from .guards import CleanupError, Guards, guard
from .names import retry_name, unique_name
from .retry import RetryExhausted, retry_create, retry_search, retry_with_backoff, settle
from .tokens import NoTestTokenError, all_test_tokens, mask, parse_tokens, test_token
from .workspace import CleanupReport, cleanup_workspace, cleanup_zombies, create_test_team

__all__ = [
    "CleanupError",
    "CleanupReport",
    "Guards",
    "NoTestTokenError",
    "RetryExhausted",
    "all_test_tokens",
    "cleanup_workspace",
    "cleanup_zombies",
    "create_test_team",
    "guard",
    "mask",
    "parse_tokens",
    "retry_create",
    "retry_name",
    "retry_search",
    "retry_with_backoff",
    "settle",
    "test_token",
    "unique_name",
]
