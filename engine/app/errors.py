"""The one error the application layer raises: a message for the user and an exit code."""

from __future__ import annotations


class CommandError(Exception):
    """A command cannot go on; ``cli.py`` prints ``message`` on one line and exits ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
