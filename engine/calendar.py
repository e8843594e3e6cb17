"""China's working-day calendar: holidays and make-up working weekends (调休).

Deadlines in these procedures count working days. A date outside the years the calendar
covers is an explicit error naming the year, never a weekend-only guess.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar

from .errors import Invalid

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


class YearNotCovered(Invalid):
    def __init__(self, year: int):
        super().__init__(
            {"calendar": [f"工作日历未覆盖 {year} 年，请管理员导入 {year} 年节假日安排"]},
            f"工作日历未覆盖 {year} 年",
        )
        self.year = year


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise YearNotCovered(day.year) from None


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself does not count)."""
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def local_date(instant: datetime) -> date:
    return instant.astimezone(CHINA).date()


def end_of_day(day: date) -> datetime:
    """A deadline day ends at midnight Beijing time; stored in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), CHINA).astimezone(UTC)


def due_at(opened: datetime, working_days: int | None,
           calendar_days: int | None) -> datetime | None:
    """When a step opened at `opened` falls due, or None when it has no deadline."""
    if working_days:
        return end_of_day(add_working_days(local_date(opened), working_days))
    if calendar_days:
        return end_of_day(local_date(opened) + timedelta(days=calendar_days))
    return None
