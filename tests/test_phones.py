"""Indonesian mobile numbers: what people type in, what we store and show."""

import pytest
from django.core.exceptions import ValidationError

from accounts.forms import clean_optional_mobile
from pompygo.lib.phones import (
    INVALID_MOBILE,
    format_indonesian_mobile,
    normalize_indonesian_mobile,
)

VALID_MOBILES = [
    ("0812-3456-7890", "+6281234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"),
    ("+6281234567890", "+6281234567890"),
    ("081234567890", "+6281234567890"),
    (" 0812 3456 7890 ", "+6281234567890"),
    ("(0812) 3456-7890", "+6281234567890"),
    ("+62-812-3456-7890", "+6281234567890"),
    ("0857 1234 5678", "+6285712345678"),
    ("08123456789", "+628123456789"),
]

INVALID_MOBILES = [
    pytest.param("021-5550123", id="jakarta-landline"),
    pytest.param("(021) 555-0123", id="landline-with-brackets"),
    pytest.param("+62 21 5550123", id="landline-international"),
    pytest.param("6221 5550123", id="landline-without-plus"),
    pytest.param("+65 8123 4567", id="singapore-mobile"),
    pytest.param("+1 415 555 2671", id="us-number"),
    pytest.param("abcd", id="letters-only"),
    pytest.param("0812abc34567890", id="letters-inside"),
    pytest.param("0812", id="too-short"),
    pytest.param("0812345", id="still-too-short"),
    pytest.param("0812-3456-78901234", id="too-long"),
    pytest.param("+6281234567890123", id="too-long-international"),
    pytest.param("62", id="country-code-only"),
    pytest.param("", id="empty"),
]

# Letters that phonenumbers reads as a vanity number or an extension.
LETTERS_READ_AS_DIGITS = [
    pytest.param("0812-DOGS-7890", id="vanity-letters"),
    pytest.param("0812-3456-789x", id="trailing-x"),
    pytest.param("0812-3456-7890 ext 12", id="extension"),
]


@pytest.mark.parametrize(("raw", "expected"), VALID_MOBILES)
def test_normalize_accepts_usual_spellings(raw, expected):
    assert normalize_indonesian_mobile(raw) == expected


@pytest.mark.parametrize("raw", INVALID_MOBILES)
def test_normalize_rejects_non_mobiles(raw):
    with pytest.raises(ValidationError) as raised:
        normalize_indonesian_mobile(raw)
    assert raised.value.code == "invalid_phone"
    assert raised.value.messages == [str(INVALID_MOBILE)]


@pytest.mark.parametrize("raw", LETTERS_READ_AS_DIGITS)
def test_normalize_rejects_letters_read_as_digits(raw):
    with pytest.raises(ValidationError):
        normalize_indonesian_mobile(raw)


@pytest.mark.parametrize(("raw", "expected"), VALID_MOBILES)
def test_form_cleaning_accepts_usual_spellings(raw, expected):
    assert clean_optional_mobile(raw) == expected


@pytest.mark.parametrize("raw", [*INVALID_MOBILES[:-1], *LETTERS_READ_AS_DIGITS])
def test_form_cleaning_rejects_non_mobiles(raw):
    with pytest.raises(ValidationError) as raised:
        clean_optional_mobile(raw)
    assert raised.value.messages == [str(INVALID_MOBILE)]


@pytest.mark.parametrize("raw", ["", "   "])
def test_form_cleaning_keeps_blank_blank(raw):
    assert clean_optional_mobile(raw) == ""


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+6285712345678", "0857-1234-5678"),
        ("+628123456789", "0812-3456-789"),
        ("", ""),
    ],
)
def test_format_shows_local_spelling(e164, expected):
    assert format_indonesian_mobile(e164) == expected


@pytest.mark.parametrize("e164", sorted({e164 for _, e164 in VALID_MOBILES}))
def test_format_round_trips_through_normalize(e164):
    assert normalize_indonesian_mobile(format_indonesian_mobile(e164)) == e164
