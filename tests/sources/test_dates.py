import pytest

from engine.sources.dates import (
    DATETIME_DATE,
    DATETIME_ISO,
    DMY,
    PLACEHOLDER,
    TIME_DROPPED,
    BadValue,
    parse_date,
    parse_when,
)
from engine.sources.report import shape


@pytest.mark.parametrize(("raw", "expected", "kind"), [
    ("2024-01-31", "2024-01-31", None),
    ("31/01/2024", "2024-01-31", DMY),
    ("2024-12-10 00:00:00.000", "2024-12-10", DATETIME_DATE),
    ("2024-12-10T00:00:00", "2024-12-10", DATETIME_DATE),
    ("1900-01-01", None, PLACEHOLDER),
    ("1900-01-01 00:00:00.000", None, PLACEHOLDER),
    ("01/01/1900", None, PLACEHOLDER),
    ("", None, None),
    ("   ", None, None),
])
def test_dates_are_normalised_and_counted(raw: str, expected: str | None, kind: str | None
                                          ) -> None:
    seen: list[str] = []
    assert parse_date(raw, seen.append) == expected
    assert seen == ([kind] if kind else [])


def test_time_kept_for_events_and_dropped_for_episodes() -> None:
    seen: list[str] = []
    assert parse_when("2024-02-10 22:15:00.000", seen.append) == "2024-02-10T22:15:00"
    assert parse_date("2024-02-10 22:15:00.000", seen.append) == "2024-02-10"
    assert seen == [DATETIME_ISO, TIME_DROPPED]


@pytest.mark.parametrize(("raw", "words"), [
    ("45321", "5-digit number, which looks like an Excel serial"),
    ("1/2/24", "two-digit year"),
    ("1/2/2024", "without a leading zero"),
    ("2024-02-30", "not a real calendar date"),
    ("31/02/2024", "not a real calendar date"),
    ("soon", "not a date"),
    ("1899-12-31", "placeholder"),
])
def test_bad_dates_are_refused_without_echoing_the_value(raw: str, words: str) -> None:
    with pytest.raises(BadValue) as err:
        parse_date(raw, lambda _k: None)
    assert words in str(err.value)
    assert raw not in str(err.value)


def test_shape_never_repeats_the_value() -> None:
    assert shape("45321") == "a 5-digit number"
    assert shape("") == "blank"
    assert shape("X") == "1 letter"
    assert shape("1/2/24") == "a date-like value shaped n/n/nn"
    assert "Smith" not in shape("Jo Smith")
