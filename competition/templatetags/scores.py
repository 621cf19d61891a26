"""How scores read on pages: a percentage with one decimal (得分 150.0%, 黄牌线 70%)."""

from django import template

from competition import charts
from competition.cards import rectification_state, state_label

register = template.Library()


@register.filter
def percent(value) -> str:
    """A ratio as a percentage with one decimal: 1.5 -> "150.0%" ("—" for None)."""
    return "—" if value is None or value == "" else charts.percent(value)


@register.filter
def plain_percent(value) -> str:
    """A threshold as a percentage without needless zeros: 0.70 -> "70%"."""
    return "—" if value is None or value == "" else charts.plain_percent(value)


@register.simple_tag
def card_state(card, today) -> tuple[str, str]:
    """A yellow card's 整改 state and its label on `today` (competition.cards)."""
    state = rectification_state(card, today=today)
    return state, state_label(state)
