"""Strict readers for settings that come from environment variables.

A value that cannot be parsed stops start-up with a message naming the
variable, so a typo in a deployment never falls back silently to a default.
An empty value (``NAME=`` in an env file) counts as unset for booleans,
integers and lists, and gives the default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    """Return the variable's value, or None when it is unset or blank."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return raw


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1, 0, true, false, yes, no, "
        "on, off."
    )


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not an integer: set a whole number such as "
            f"{default}, or unset it to use that default."
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, dropping empty items and the spaces around each."""
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """Read one of a fixed set of values, compared without regard to case."""
    raw = _raw(name)
    if raw is None:
        return default
    by_folded_name = {choice.casefold(): choice for choice in choices}
    choice = by_folded_name.get(raw.strip().casefold())
    if choice is None:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not valid: use one of {', '.join(choices)}."
        )
    return choice
