"""Rounding of labour: applied once per aggregate (employee, object, day, work type), never per entry.

Rounding each tracker entry would let ten 1-minute glances become ten billed quarter-hours; the
company's rule is about the day's total on an object, so the aggregator sums raw seconds first.
"""

from __future__ import annotations

from connector.sync.core.model import RoundingRule

EXACT_MINUTES = RoundingRule(unit_minutes=1, mode="nearest")
"""Seconds to the nearest whole minute, half up: the default when a mapping names no rule."""


def round_seconds(seconds: int, rule: RoundingRule = EXACT_MINUTES) -> int:
    """Minutes for ``seconds`` of work under ``rule``: a multiple of ``rule.unit_minutes``.

    ``up`` rounds any started unit up, ``down`` drops the incomplete unit, ``nearest`` rounds half
    up (exactly half a unit goes up). Zero stays zero. Negative seconds are refused: a negative
    aggregate is bad input reported by the aggregator, not something to round.
    """
    if seconds < 0:
        raise ValueError(f"cannot round a negative duration ({seconds} s)")
    unit = rule.unit_minutes * 60
    if rule.mode == "up":
        units = -(-seconds // unit)
    elif rule.mode == "down":
        units = seconds // unit
    else:
        units = (2 * seconds + unit) // (2 * unit)
    return units * rule.unit_minutes
