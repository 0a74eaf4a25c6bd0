"""Shared helpers for the adapter tests.

The only imports from the rest of ``engine`` live here, so that they are easy to repoint while
the package is being restructured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.records.intake import RawRecord, validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


def validate_record(record: dict[str, Any]) -> list[str]:
    """Validation problems of one emitted record, as text (empty when valid)."""
    intake = validate(RawRecord("adapter-test", orjson.dumps(record)))
    return [str(p) for p in intake.errors]


def without_source(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "source"}


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
