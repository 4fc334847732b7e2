"""Times written for people: Beijing time, as people in China write it, with an English rendering.

API fields stay RFC 3339 with an offset; only text meant to be read (SMS, the parties' summaries, deadline
sentences) goes through here. Asia/Shanghai comes from the system's zoneinfo or, where a system has none,
from the `tzdata` package (a dependency), so the result is the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
# Not strftime's %b: that follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Written:
    """One moment in words: `zh` "2026年12月8日 17:30", `en` "8 Dec 2026, 17:30 Beijing time"."""

    zh: str
    en: str


def written(at: datetime, *, deadline: bool = False) -> Written:
    """`at` in Beijing time, to the minute. A naive time is taken as Beijing wall-clock time already.

    With `deadline`, a limit at midnight reads as the end of the day before, as the law counts it (民法典 §203:
    the last day ends at 24:00): "2026年12月8日 24:00", not the next day's 00:00.
    """
    t = at.astimezone(BEIJING) if at.tzinfo else at.replace(tzinfo=BEIJING)
    clock = f"{t:%H:%M}"
    if deadline and (t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0):
        t, clock = t - timedelta(days=1), "24:00"
    return Written(
        zh=f"{t.year}年{t.month}月{t.day}日 {clock}",
        en=f"{t.day} {_MONTHS[t.month - 1]} {t.year}, {clock} Beijing time",
    )


def written_text(value: str) -> Written | None:
    """A time another system sent as text (RFC 3339 or ISO 8601, e.g. "2026-05-20 09:30"); None if it is not one."""
    try:
        return written(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None
