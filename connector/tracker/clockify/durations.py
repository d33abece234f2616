"""ISO 8601 durations, as Clockify writes task estimates (``PT1H30M``), to and from seconds."""

from __future__ import annotations

import re
from typing import Any

from connector.tracker.errors import TrackerProtocolError

_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def iso_duration(seconds: int) -> str:
    """An ISO 8601 duration as Clockify writes estimates: 5400 → ``PT1H30M``, 0 → ``PT0S``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return f"PT{text or '0S'}"


def seconds_of(value: Any) -> int | None:
    """Seconds of a duration given as a number or an ISO 8601 string (``PT1H30M``); None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _ISO.match(str(value).strip())
    if not match:
        raise TrackerProtocolError(f"unreadable duration {value!r}")
    d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return int(round(((d * 24 + h) * 60 + m) * 60 + s))
