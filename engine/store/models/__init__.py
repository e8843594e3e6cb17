"""The persistent model: plain SQLAlchemy 2 declarative classes, shared with Flask-SQLAlchemy.

One module per room (base, people, casework, money, records, crosscheck, programs, payroll);
import from this package.

Levels of the org tree and the roles that work at each level are defined here too, because
every scope rule in the engine is phrased in them.
"""


from engine.store.models.base import (
    CASE_STATUSES,
    LEVEL_NAMES,
    LEVELS,
    OFFICIAL_ROLES,
    ROLE_NAMES,
    ROLE_ORG_LEVEL,
    ROLE_TASK_LEVEL,
    ROLES,
    Base,
    HexDigest,
    JSONType,
    Money,
    PackedChanges,
    PackedJSON,
    TaskUUID,
    UTCDateTime,
)
from engine.store.models.casework import (
    Attachment,
    Case,
    HumanTask,
    Job,
    JobChunk,
    Notice,
    Notification,
    Objection,
    ProcedureVersion,
    ProcessInstance,
)
from engine.store.models.crosscheck import (
    CaseMember,
    CrosscheckHit,
    CrosscheckList,
    CrosscheckRow,
)
from engine.store.models.drafts import Draft
from engine.store.models.money import Benefit, Household, HouseholdExit, Standard
from engine.store.models.payroll import HouseholdPayee, Payroll, PayrollRow, RollImport
from engine.store.models.people import ApiToken, CacheVersion, LoginFailure, OrgUnit, User
from engine.store.models.programs import ProgramMatch
from engine.store.models.records import AuditChain, AuditEvent, CalendarDay, CalendarYear

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditChain",
    "AuditEvent",
    "Base",
    "Benefit",
    "CASE_STATUSES",
    "CalendarDay",
    "CalendarYear",
    "CacheVersion",
    "Case",
    "CaseMember",
    "CrosscheckHit",
    "CrosscheckList",
    "CrosscheckRow",
    "Draft",
    "Household",
    "HouseholdExit",
    "HouseholdPayee",
    "HumanTask",
    "HexDigest",
    "JSONType",
    "Job",
    "JobChunk",
    "LEVELS",
    "LEVEL_NAMES",
    "LoginFailure",
    "Money",
    "PackedChanges",
    "PackedJSON",
    "Notice",
    "Notification",
    "OFFICIAL_ROLES",
    "Objection",
    "OrgUnit",
    "Payroll",
    "PayrollRow",
    "ProcedureVersion",
    "ProcessInstance",
    "ProgramMatch",
    "ROLES",
    "ROLE_NAMES",
    "ROLE_ORG_LEVEL",
    "ROLE_TASK_LEVEL",
    "RollImport",
    "Standard",
    "TaskUUID",
    "UTCDateTime",
    "User",
]
