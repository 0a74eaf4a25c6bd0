"""Without Chromium the browser tests skip with a reason, except under CI=true, where they fail."""

from __future__ import annotations

import pytest

from tests.browser import chromium


def test_missing_chromium_skips_locally_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        chromium._missing("Chromium not found (/usr/bin/chromium)")


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and Chromium not found"):
        chromium._missing("Chromium not found (/usr/bin/chromium)")


def test_a_missing_browser_is_found_missing(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CASECHECK_CHROMIUM", raising=False)
    monkeypatch.setattr(chromium.shutil, "which", lambda name: None)
    monkeypatch.setattr(chromium, "Path", lambda p: tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception):
        chromium.chromium()
