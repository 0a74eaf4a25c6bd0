"""Shared helpers for the adapter tests.

The only imports from the rest of ``engine`` live here, so that they are easy to repoint while
the package is being restructured.  The validator in this tree does not know the episode type
``cin_episode`` yet (an addition in case-record.md, 2026-12-01), so ``validate_record`` strips
those episodes before validating; the top-level ``source`` key is accepted already (unknown
top-level fields are kept).
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
    data = dict(record)
    data["episodes"] = [e for e in record.get("episodes", []) if e["type"] != "cin_episode"]
    intake = validate(RawRecord("adapter-test", orjson.dumps(data)))
    return [str(p) for p in intake.errors]


def without_source(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "source"}


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
