"""Exclusive, non-blocking locks for the files a sweep writes (the output folder, the history
database): a second sweep fails at once with a clear message instead of waiting or mixing its
rows with the first's.  ``flock`` locks go when the process does, so a killed sweep leaves none."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def held(lock_file: Path) -> Iterator[None]:
    """Hold ``lock_file`` (created if missing) for the ``with`` block, or raise ``Busy``.

    ``OSError`` from creating the file is left to the caller, who knows what the path is for.
    """
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(str(lock_file)) from None
        yield
    finally:
        os.close(fd)
