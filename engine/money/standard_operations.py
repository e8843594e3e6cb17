"""What standards add to procedures: the service operation that publishes a standard (a
standard-adjustment procedure's publication step adds the dated standard for the case's
region, engine/money/standards.py), and a bundle's `standards.csv` (the region's starting
figures, loaded at deploy). Registered by engine.money.register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.money import standards
from engine.people.orgs import by_code
from engine.store.errors import Conflict, Invalid
from engine.store.models import Case
from engine.workflow import procedures
from engine.workflow.operations import operation

STANDARDS_FILE = "standards.csv"
procedures.bundle_file(STANDARDS_FILE, standards.parse_csv, standards.load_entries)


@operation("add_standard", regional=True)
def add_standard(db: Session, case: Case, now: datetime, amount: Any, period: Any,
                 effective_from: Any, document: Any = "",
                 scheme: Any = standards.DEFAULT_SCHEME) -> dict[str, Any]:
    """Service task: the new standard is in force from `effective_from` for the region the
    case was started for; publishing the same figure twice changes nothing."""
    try:
        entry = standards.check(scheme, effective_from, amount, period, document)
        region = by_code(db, case.org_path.rstrip("/").rsplit("/", 1)[-1])
        row, added = standards.store(db, region, entry, f"case:{case.id}", now)
    except Invalid as exc:
        raise ValueError("；".join(m for ms in exc.fields.values() for m in ms)) from exc
    except Conflict as exc:
        raise ValueError(str(exc)) from exc
    return {"region": region.code, "scheme": row.scheme, "from": row.effective_from.isoformat(),
            "amount": float(row.amount), "period": row.period, "added": added}
