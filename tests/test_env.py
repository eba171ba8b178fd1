"""The strict environment readers in pompygo/env.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from pompygo.env import env_bool, env_choice, env_int, env_list, env_str

NAME = "POMPYGO_TEST_VARIABLE"


@pytest.fixture
def set_variable(monkeypatch):
    def set_to(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_to


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        ("YES", True),
        ("on", True),
        (" 1 ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_bool_parses_known_words(set_variable, raw, expected):
    set_variable(raw)
    assert env_bool(NAME, not expected) is expected


@pytest.mark.parametrize("default", [True, False])
@pytest.mark.parametrize("raw", [None, "", "   "])
def test_bool_unset_or_blank_gives_default(set_variable, raw, default):
    set_variable(raw)
    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "-1", "y", "n", "enabled", "truee"])
def test_bool_rejects_other_words(set_variable, raw):
    set_variable(raw)
    with pytest.raises(ImproperlyConfigured) as error:
        env_bool(NAME, False)
    message = str(error.value)
    assert NAME in message
    assert repr(raw) in message
    assert "1, 0, true, false" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", 0), ("60", 60), (" 587 ", 587), ("-5", -5), ("31536000", 31_536_000)],
)
def test_int_parses_integers(set_variable, raw, expected):
    set_variable(raw)
    assert env_int(NAME, 7) == expected


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_int_unset_or_blank_gives_default(set_variable, raw):
    set_variable(raw)
    assert env_int(NAME, 7) == 7


@pytest.mark.parametrize("raw", ["sixty", "1.5", "15MB", "0x10", "1e6"])
def test_int_rejects_non_integers(set_variable, raw):
    set_variable(raw)
    with pytest.raises(ImproperlyConfigured) as error:
        env_int(NAME, 7)
    message = str(error.value)
    assert NAME in message
    assert repr(raw) in message
    assert "is not an integer" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pompygo.id", ["pompygo.id"]),
        ("pompygo.id,www.pompygo.id", ["pompygo.id", "www.pompygo.id"]),
        (" pompygo.id , www.pompygo.id ", ["pompygo.id", "www.pompygo.id"]),
        ("pompygo.id,,", ["pompygo.id"]),
        (",", []),
    ],
)
def test_list_splits_on_commas(set_variable, raw, expected):
    set_variable(raw)
    assert env_list(NAME, ["default.example"]) == expected


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_list_unset_or_blank_gives_default(set_variable, raw):
    set_variable(raw)
    assert env_list(NAME, ["127.0.0.1", "localhost"]) == ["127.0.0.1", "localhost"]


def test_list_default_is_not_shared(set_variable):
    set_variable(None)
    first = env_list(NAME, [])
    first.append("changed")
    assert env_list(NAME, []) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "fallback"), ("", ""), ("halo", "halo"), (" spaced ", " spaced ")],
)
def test_str_returns_raw_value(set_variable, raw, expected):
    set_variable(raw)
    assert env_str(NAME, "fallback") == expected


LEVELS = ["DEBUG", "INFO", "WARNING"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "INFO"), ("", "INFO"), ("warning", "WARNING"), (" Debug ", "DEBUG")],
)
def test_choice_accepts_listed_values(set_variable, raw, expected):
    set_variable(raw)
    assert env_choice(NAME, "INFO", LEVELS) == expected


@pytest.mark.parametrize("raw", ["verbose", "WARN", "10"])
def test_choice_rejects_other_values(set_variable, raw):
    set_variable(raw)
    with pytest.raises(ImproperlyConfigured) as error:
        env_choice(NAME, "INFO", LEVELS)
    message = str(error.value)
    assert NAME in message
    assert repr(raw) in message
    assert "DEBUG, INFO, WARNING" in message
