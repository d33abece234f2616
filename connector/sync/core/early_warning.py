"""Early warning of overruns: is the budget being spent faster than the work gets done?

For an open object with a plan: burn = fact ÷ plan; progress = 1C's completion percentage where
the object has one, else the elapsed share of its planned dates; projected fact at completion =
fact ÷ progress. At risk when burn runs ahead of progress by the threshold (in points) or the
projection exceeds the plan by more than the tolerance. Objects with no plan or no progress
signal are said to be so, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

Source = Literal["percent_done", "elapsed"]
Verdict = Literal["at_risk", "on_track", "no_plan", "no_progress"]


@dataclass(frozen=True)
class Watched:
    """What 1C and the store know of one open interest, project or stage."""

    ref: str
    code: str
    title: str
    planned_minutes: float | None
    actual_minutes: float
    percent_done: float | None = None  # 1C's ПроцентВыполнения, 0–100
    start: date | None = None
    finish: date | None = None


@dataclass(frozen=True)
class RiskRule:
    """Thresholds (per mapping): burn ahead of progress by ``points``, or the projection over
    plan by more than ``tolerance`` (0.10 = 10 %)."""

    points: float = 25.0
    tolerance: float = 0.10

    def __post_init__(self) -> None:
        if not 0 < self.points <= 100:
            raise ValueError(f"points must be in (0, 100], got {self.points}")
        if self.tolerance < 0:
            raise ValueError(f"tolerance must be ≥ 0, got {self.tolerance}")


@dataclass(frozen=True)
class Assessment:
    ref: str
    code: str
    title: str
    verdict: Verdict
    burn: float | None  # fact ÷ plan
    progress: float | None  # 0–1
    source: Source | None
    projected_minutes: float | None
    reason: str


def _day(value: object) -> date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def watched_link(
    ref: str, code: str, title: str, planned: float | None, actual: float | None, payload: object
) -> Watched:
    """An object as the store keeps it (a link): progress from its payload's ``percent_done`` or
    ``planned_start``/``planned_finish`` where the mapping carries them, else none."""
    extra = payload if isinstance(payload, dict) else {}
    raw = extra.get("percent_done")
    percent = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    start, finish = _day(extra.get("planned_start")), _day(extra.get("planned_finish"))
    return Watched(ref, code, title, planned, float(actual or 0), percent, start, finish)


def progress_of(item: Watched, today: date) -> tuple[float, Source] | None:
    """The object's progress (0–1) and where it comes from, or None without a signal."""
    if item.percent_done is not None:
        return min(max(item.percent_done / 100, 0.0), 1.0), "percent_done"
    if item.start is not None and item.finish is not None and item.finish > item.start:
        share = (today - item.start).days / (item.finish - item.start).days
        return min(max(share, 0.0), 1.0), "elapsed"
    return None


def assess(item: Watched, today: date, rule: RiskRule = RiskRule()) -> Assessment:
    """One object's verdict with the figures behind it."""
    plan = item.planned_minutes
    if plan is None or plan <= 0:
        return Assessment(item.ref, item.code, item.title, "no_plan", None, None, None, None, "no plan in 1C")
    burn = item.actual_minutes / plan
    signal = progress_of(item, today)
    if signal is None:
        reason = "no completion percentage and no planned dates"
        return Assessment(item.ref, item.code, item.title, "no_progress", burn, None, None, None, reason)
    progress, source = signal
    projected = item.actual_minutes / progress if progress > 0 else None
    ahead = (burn - progress) * 100
    if ahead >= rule.points:
        verdict: Verdict = "at_risk"
        reason = f"budget {burn:.0%} spent at {progress:.0%} done"
    elif projected is not None and projected > plan * (1 + rule.tolerance):
        verdict = "at_risk"
        reason = f"projected {projected / plan:.0%} of plan at completion"
    else:
        verdict = "on_track"
        reason = f"budget {burn:.0%} spent at {progress:.0%} done"
    return Assessment(item.ref, item.code, item.title, verdict, burn, progress, source, projected, reason)


_ORDER = {"at_risk": 0, "on_track": 1, "no_progress": 2, "no_plan": 3}


def ranked(assessments: Iterable[Assessment]) -> list[Assessment]:
    """At risk first (most ahead first), then on track, then those without a plan or progress."""
    return sorted(assessments, key=_rank)


def _rank(a: Assessment) -> tuple[int, float, str]:
    return _ORDER[a.verdict], (a.progress or 0) - (a.burn or 0), a.code


def early_warning(items: Iterable[Watched], today: date, rule: RiskRule = RiskRule()) -> list[Assessment]:
    """Every object assessed (by one rule), in ``ranked`` order."""
    return ranked(assess(item, today, rule) for item in items)
