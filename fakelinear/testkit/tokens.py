"""The pool of test-workspace tokens: parsing, picking one per process, masking.

Source: ``LINEAR_TEST_TOKEN``, else ``~/.linear_api_token_test``. Both hold tokens separated by
``;`` and/or newlines; lines whose first non-blank character is ``#`` are comments and are
dropped *before* splitting on ``;``, so a comment may contain ``;`` without leaking a fragment
into the pool. Under pytest-xdist worker ``gwN`` uses token ``N % len(pool)`` so N workers
spread over N workspaces instead of colliding in one.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from promoter.linear.client import mask_token

__all__ = [
    "ENV_VAR",
    "TOKEN_FILE",
    "NoTestTokenError",
    "parse_tokens",
    "load_tokens",
    "worker_index",
    "pick_token",
    "test_token",
    "all_test_tokens",
    "mask",
    "reset_pin",
]

log = logging.getLogger("fakelinear.testkit")

ENV_VAR = "LINEAR_TEST_TOKEN"
TOKEN_FILE = "~/.linear_api_token_test"

_pin_lock = threading.Lock()
_pinned: tuple[str, int, int] | None = None  # (token, index, pool size)


class NoTestTokenError(RuntimeError):
    """Neither ``LINEAR_TEST_TOKEN`` nor ``~/.linear_api_token_test`` gives a token."""


def mask(token: str | None) -> str:
    """``…`` + last 6 characters: the only way a token is ever shown."""
    return mask_token(token)


def parse_tokens(text: str) -> list[str]:
    """Tokens in ``text``: comment lines dropped, then split on ``;``, trimmed, empties dropped."""
    tokens: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        tokens.extend(part.strip() for part in line.split(";") if part.strip())
    return tokens


def load_tokens(
    env: dict[str, str] | None = None, path: str | os.PathLike[str] | None = None
) -> list[str]:
    """The pool from the environment variable, else the token file.

    Raises :class:`NoTestTokenError` with a clear message when neither yields a token.
    """
    environ = os.environ if env is None else env
    raw = environ.get(ENV_VAR)
    if raw is not None and raw.strip():
        tokens = parse_tokens(raw)
        if tokens:
            return tokens
        raise NoTestTokenError(f"{ENV_VAR} is set but holds no token (only separators or comments)")
    file = Path(path) if path is not None else Path(TOKEN_FILE).expanduser()
    if file.is_file():
        try:
            # utf-8-sig: a byte-order mark (Windows editors) must not hide a leading "#".
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            # One clear message, never a traceback (and never the file's bytes: they are tokens).
            raise NoTestTokenError(
                f"cannot read {file}: {type(error).__name__} (expected UTF-8 text)"
            ) from None
        tokens = parse_tokens(text)
        if tokens:
            return tokens
        raise NoTestTokenError(f"{file} holds no token (only separators or comments)")
    raise NoTestTokenError(
        f"no Linear test token: set {ENV_VAR} or write {TOKEN_FILE} "
        "(tokens separated by ';' or newlines, '#' lines are comments)"
    )


def worker_index(env: dict[str, str] | None = None) -> int:
    """The pytest-xdist worker number (``gw3`` → 3), 0 outside xdist."""
    environ = os.environ if env is None else env
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    digits = worker[2:] if worker.startswith("gw") else ""
    return int(digits) if digits.isdigit() else 0


def pick_token(tokens: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """``(index, token)`` for this process: pool entry ``worker_index % N``; logs
    ``using workspace i/N (token …last6)``. Raises ValueError for an empty pool."""
    if not tokens:
        raise ValueError("empty token pool")
    index = worker_index(env) % len(tokens)
    log.info("using workspace %d/%d (token %s)", index + 1, len(tokens), mask(tokens[index]))
    return index, tokens[index]


def test_token(
    env: dict[str, str] | None = None, path: str | os.PathLike[str] | None = None
) -> str:
    """This process's token, picked once and pinned so every test in it uses one workspace."""
    global _pinned
    with _pin_lock:
        if _pinned is None:
            tokens = load_tokens(env, path)
            index, token = pick_token(tokens, env)
            _pinned = (token, index, len(tokens))
        return _pinned[0]


test_token.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def all_test_tokens(
    env: dict[str, str] | None = None, path: str | os.PathLike[str] | None = None
) -> list[str]:
    """Every pooled token (the cleanup sweeps them all)."""
    return load_tokens(env, path)


def reset_pin() -> None:
    """Forget the pinned token (tests of the pinning itself)."""
    global _pinned
    with _pin_lock:
        _pinned = None
