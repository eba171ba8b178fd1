"""Indonesian rupiah: whole amounts stored as integers, shown as Rp75.000."""


def format_rupiah(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(int(amount)):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"


def percent_of(amount: int, percent: int) -> int:
    """Return percent% of a rupiah amount, rounded half up to a whole rupiah."""
    return (amount * percent + 50) // 100
