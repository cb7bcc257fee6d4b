"""Template filters of the operations pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def amount(value, places=None) -> str:
    """A decimal quantity as people write it: thousands grouped, no trailing zeros
    (``1250.500`` → ``1,250.5``; ``250.000`` → ``250``), rounded to ``places`` if given."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if places is not None:
        number = round(number, int(places))
    text = f"{number.normalize():f}" if number == number.to_integral() else f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return intcomma(text)
