"""The one error a malformed scenario file raises: it names the file, the field and the line."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file is malformed.

    ``path`` is the file, ``field`` the dotted field name (``promoter.mode``), ``line`` the
    1-based line where the field (or its table) appears, when it could be found.
    """

    def __init__(
        self, message: str, *, path: str | None = None, field: str | None = None, line: int | None = None
    ) -> None:
        self.message = message
        self.path = path
        self.field = field
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path or "<scenario>"
        if self.line:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"
