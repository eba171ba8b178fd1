from bookings.models import REFERENCE_ALPHABET, REFERENCE_LENGTH


class ReferenceConverter:
    """A booking reference in a URL: only the characters references are made of."""

    regex = f"[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
