"""Indonesian mobile numbers: parse what people type, store E.164."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_MOBILE = _(
    "Enter an Indonesian mobile number, for example 0812-3456-7890 or "
    "+62 812 3456 7890."
)

ALLOWED_CHARACTERS = re.compile(r"\+?[0-9 ().-]+")


def normalize_indonesian_mobile(raw: str) -> str:
    """Return the E.164 form (+6281234567890) of an Indonesian mobile number.

    Accepts the usual ways of writing one: 0812-3456-7890, +62 812 3456 7890,
    6281234567890. Raises ValidationError for anything that is not a valid
    Indonesian mobile, including landlines and foreign numbers.
    """
    text = raw.strip()
    # phonenumbers reads letters as keypad digits (0812-DOGS-...) and drops
    # extensions; neither belongs in a mobile number, so reject them first.
    if not ALLOWED_CHARACTERS.fullmatch(text):
        raise ValidationError(INVALID_MOBILE, code="invalid_phone")
    digits = "".join(ch for ch in text if ch.isdigit())
    # "62812..." without the plus is common in WhatsApp links and contact lists.
    if not text.startswith("+") and digits.startswith("62"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_MOBILE, code="invalid_phone") from None
    if (
        number.country_code != 62
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(INVALID_MOBILE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_indonesian_mobile(e164: str) -> str:
    """Return an E.164 number the way Indonesians write it: 0812-3456-7890."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "ID")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
