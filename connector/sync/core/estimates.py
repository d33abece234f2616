"""Estimates from history: how long did similar finished work really take?

Finished projects and stages are grouped by work type and by stage template (the stage's name
with numbers, codes and punctuation taken out, or 1C's stage kind where the mapping gives one).
For a group: sample count, median and 80th percentile of actual hours, the typical overrun ratio
(median of actual ÷ plan). The suggestion for a new stage is the median actual — and none at all
from fewer samples than asked for: "not enough history" is said instead.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

_NOISE = re.compile(r"\[[^\]]*\]|[\d]+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Finished:
    """One finished project stage (or task): what was planned and what it took, in minutes."""

    title: str
    work_type: str | None
    planned_minutes: float | None
    actual_minutes: float
    stage_kind: str | None = None


@dataclass(frozen=True)
class Estimate:
    work_type: str | None
    template: str | None
    samples: int
    median_minutes: float | None
    p80_minutes: float | None
    low_minutes: float | None
    high_minutes: float | None
    overrun_ratio: float | None  # median of actual ÷ plan over samples with a plan
    suggestion_minutes: float | None
    note: str


def template_of(item: Finished) -> str:
    """The stage's kind if 1C gives one, else its name without numbers, codes and punctuation:
    ``[PRJ-12] Этап 3. Настройка обмена`` → ``этап настройка обмена``."""
    if item.stage_kind:
        return item.stage_kind.strip().lower()
    return " ".join(_NOISE.sub(" ", item.title.lower()).split())


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (``values`` sorted, non-empty)."""
    if len(values) == 1:
        return values[0]
    position = share * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def estimate(
    history: Iterable[Finished],
    work_type: str | None = None,
    template: str | None = None,
    min_samples: int = 5,
) -> Estimate:
    """The figures of the finished work that matches ``work_type`` and/or ``template`` (both
    None: all of it), with a suggestion when there are at least ``min_samples`` samples."""
    if min_samples < 1:
        raise ValueError(f"min_samples must be ≥ 1, got {min_samples}")
    wanted = " ".join(_NOISE.sub(" ", template.lower()).split()) if template else None
    chosen = [
        h
        for h in history
        if (work_type is None or h.work_type == work_type) and (wanted is None or template_of(h) == wanted)
    ]
    actual = sorted(h.actual_minutes for h in chosen)
    ratios = sorted(h.actual_minutes / h.planned_minutes for h in chosen if h.planned_minutes)
    if not actual:
        return Estimate(
            work_type, wanted, 0, None, None, None, None, None, None, "no finished work like this"
        )
    median = statistics.median(actual)
    enough = len(actual) >= min_samples
    note = (
        f"median of {len(actual)} finished"
        if enough
        else f"not enough history: {len(actual)} finished, {min_samples} needed"
    )
    return Estimate(
        work_type,
        wanted,
        len(actual),
        median,
        percentile(actual, 0.8),
        actual[0],
        actual[-1],
        statistics.median(ratios) if ratios else None,
        median if enough else None,
        note,
    )
