from django import template

from pompygo.lib.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(amount: int | None) -> str:
    """Format whole rupiah for display: 75000 becomes Rp75.000."""
    if amount is None:
        return ""
    return format_rupiah(amount)
