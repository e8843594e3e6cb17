"""`yimen worker`'s loop: timers, reminders, scheduled reviews and the bulk jobs.

Several workers may run side by side (on one machine or several, on one PostgreSQL): bulk
jobs are shared chunk by chunk (engine/store/chunks.py), so a worker goes straight on to the
next pass while a job has work left and sleeps `interval` seconds only when none is left. A
row another worker took first (on SQLite, which has no SKIP LOCKED) costs that pass, not the
worker.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

import click

from engine.casework import escalation, reviews, timers
from engine.data import crosscheck
from engine.money import benefits
from engine.store.errors import Conflict
from web.extensions import db


def run(now: datetime | None, once: bool, interval: int) -> None:
    """Passes until stopped (or one, with `once`: exit status 1 when a timer failed)."""
    while True:
        try:
            failed, handled = one_pass(now)
        except Conflict as exc:
            db.session.rollback()
            click.echo(f"与其他工作进程冲突，下一轮重试：{exc}", err=True)
            failed, handled = 0, 1
        if once:
            sys.exit(1 if failed else 0)
        db.session.remove()
        time.sleep(0 if handled else interval)  # bulk work left: the next pass at once


def one_pass(now: datetime | None) -> tuple[int, int]:
    """One pass: (timers that failed, bulk rows handled)."""
    result = timers.run_pass(db.session, now)
    sent = escalation.run_pass(db.session, now)
    reviews.start_scheduled(db.session, now)
    handled = (benefits.run_jobs(db.session, now) + reviews.run_jobs(db.session, now)
               + crosscheck.run_jobs(db.session, now))  # matching left unfinished
    click.echo(f"定时器：触发 {result.fired}，跳过 {result.skipped}，失败 {result.failed}；"
               f"提醒：新待办 {sent.announced}，即将到期 {sent.reminded}，"
               f"逾期督办 {sent.escalated}；批量处理 {handled} 户")
    return result.failed, handled
