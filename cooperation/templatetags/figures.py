"""Template helpers for figures: grouped numbers, and the small bars beside them."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from cooperation.charts import number

register = template.Library()


@register.filter
def figure(value, decimals=0):
    """``1234.5|figure`` → ``1,235``; ``|figure:1`` keeps one decimal."""
    return number(value, int(decimals))


@register.simple_tag
def bar(value, highest):
    """A bar as long as ``value`` is against ``highest``: decoration beside a number that is
    already written out, so hidden from assistive technology. An SVG rather than a styled
    element, so no inline style is needed."""
    share = (value or 0) / highest if highest else 0
    return format_html(
        '<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" '
        'focusable="false"><rect width="{}" height="8"></rect></svg>',
        round(share * 100, 1),
    )


@register.filter
def change(figure_value):
    """A key figure's change against the month before, signed: ``+3``, ``−2``, ``no change``."""
    delta = figure_value.change
    if not delta:
        return "no change"
    sign = "+" if delta > 0 else "−"
    return f"{sign}{number(abs(delta), figure_value.decimals)}"
