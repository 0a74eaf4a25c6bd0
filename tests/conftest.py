"""Shared fixtures: the rule library and rule sets are built once per test session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
import pytest

from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.records.intake import RawRecord, validate
from engine.records.models import FORMAT
from engine.rules.profiles import load_profile
from engine.rules.rulebook import RuleLibrary, load_library


@pytest.fixture
def run():  # type: ignore[no-untyped-def]
    """Invoke the CLI in-process; exceptions propagate so a traceback fails the test."""
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def library() -> RuleLibrary:
    return load_library()


@pytest.fixture(scope="session")
def england(library: RuleLibrary) -> RuleSet:
    return build_ruleset(load_profile("england"), library)


def make_record(**parts: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"format": FORMAT, "case_id": "T-1", "child": {"id": "c1"}}
    record.update(parts)
    return record


@pytest.fixture
def evaluate(england: RuleSet) -> Callable[..., CaseResult]:
    def run(record: dict[str, Any], as_of: str, ruleset: RuleSet | None = None) -> CaseResult:
        intake = validate(RawRecord("test", orjson.dumps(record)))
        assert intake.record is not None, [e.as_dict() for e in intake.errors]
        return (ruleset or england).evaluate(intake.record, date.fromisoformat(as_of))

    return run
