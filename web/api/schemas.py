"""Request and response schemas of the REST API: they parse input and make the OpenAPI document.

Request schemas parse (webargs, through flask-smorest's `@api.arguments`); unknown keys are
ignored, as the API always did. Response schemas only document (`@api.alt_response`): the views
in views.py build the JSON, so a field added there is never silently dropped.
"""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate
from werkzeug.datastructures import FileStorage

from ..input_guard import MAX_ID


class Request(Schema):
    class Meta:
        unknown = EXCLUDE


class File(Upload):
    """An uploaded file part (not a plain form value of the same name)."""

    default_error_messages = {"invalid": "应为上传的文件"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class Clamped(fields.Integer):
    """An integer query parameter clamped into [low, high], as the API always did."""

    def __init__(self, low: int, high: int, **kwargs: Any):
        kwargs.setdefault("metadata", {})["description"] = f"超出 {low}–{high} 时取边界值"
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        return max(self.low, min(self.high, super()._deserialize(value, attr, data, **kwargs)))


def text(**kwargs: Any) -> fields.String:
    """A string in a request; absent or null reads as empty, for the engine to judge."""
    return fields.String(load_default="", allow_none=True, **kwargs)


def required_text(**kwargs: Any) -> fields.String:
    return fields.String(required=True, **kwargs)


# ---------------------------------------------------------------- requests


class TokenRequest(Request):
    username = required_text()
    password = required_text()


class CaseStart(Request):
    procedure = required_text(metadata={"description": "流程键，如 linzi_identification"})
    village = required_text(metadata={"description": "村级组织代码"})
    application = fields.Dict(required=True, metadata={"description": "申请表数据"})
    comment = text()


class HitExplanation(Request):
    text = text(metadata={"description": "核实说明"})


class CaseExtend(Request):
    reason = text()


class ObjectionReply(Request):
    text = text(metadata={"description": "答复内容"})


class CaseQuery(Request):
    status = fields.String(validate=validate.OneOf(
        ["running", "approved", "rejected", "withdrawn", "exited"],
        error="status 应为 running、approved、rejected、withdrawn 或 exited"))
    village = fields.String()
    q = fields.String()
    limit = Clamped(1, 200, load_default=50)
    offset = Clamped(0, 10_000, load_default=0)


class TaskQuery(Request):
    step = fields.String()
    overdue = fields.Boolean(truthy={"1", "true", "yes"}, falsy={"0", "false", "no"})
    limit = Clamped(1, 500, load_default=50)
    offset = Clamped(0, 10_000, load_default=0)


class TaskComplete(Request):
    data = fields.Dict(load_default=None, allow_none=True,
                       metadata={"description": "该步骤表单的数据"})
    comment = text()


class HouseholdQuery(Request):
    q = fields.String()
    limit = Clamped(1, 200, load_default=50)


class YearlyReview(Request):
    region = text()
    procedure = text(metadata={"description": "复核流程；省略时为该地区唯一的复核流程"})


class NoticeQuery(Request):
    org = fields.String(load_default="", metadata={"description": "组织代码"})


class Objection(Request):
    reason = text()
    contact = text()
    name = text()


class OverdueQuery(Request):
    limit = Clamped(1, 1000, load_default=200)
    offset = Clamped(0, 10_000, load_default=0)


class RegionQuery(Request):
    region = fields.String(metadata={"description": "区域组织代码"})


class StatsQuery(RegionQuery):
    month = fields.String(metadata={"description": "月份 YYYY-MM（默认本月）"})


class DiffQuery(RegionQuery):
    from_ = fields.Integer(required=True, data_key="from", validate=validate.Range(1, MAX_ID))
    to = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class CrosscheckImport(Request):
    """multipart/form-data: the bureau (source key), the region's code and the list file."""

    source = fields.String(load_default="", metadata={"description": "比对来源，如 vehicles"})
    region = fields.String(load_default="", metadata={"description": "区域组织代码"})
    file = File(load_default=None, metadata={"description": "CSV 或 xlsx 名单"})


class Followup(Request):
    kind = text(metadata={"description": "review（复核）或 exit（退出）"})


REGION_MESSAGE = "需要提供 region（区域机构代码）"


class Deploy(Request):
    """multipart/form-data: the region's code and the bundle's files."""

    region = fields.String(required=True, metadata={"description": "区域组织代码"},
                           validate=validate.Length(min=1, error=REGION_MESSAGE),
                           error_messages={"required": REGION_MESSAGE})
    files = fields.List(File(), load_default=list)


START_MESSAGE = "start 应为 YYYY-MM-DD 日期"


class WorkingDaysQuery(Request):
    start = fields.Date(required=True, error_messages={
        "required": START_MESSAGE, "invalid": START_MESSAGE, "format": START_MESSAGE})
    # not clamped: the engine refuses a count outside 0-3650 (-5 days is no answer)
    days = fields.Integer(required=True, error_messages={"required": "需要提供 days"})
    region = fields.String()


# ---------------------------------------------------------------- responses


class Response(Schema):
    """An answer's documented fields; more may come (additionalProperties), never fewer."""

    class Meta:
        unknown = INCLUDE


def _opt(field: fields.Field) -> fields.Field:
    field.allow_none = True
    return field


class Error(Schema):
    class ErrorDetail(Schema):
        code = fields.String(required=True)
        message = fields.String(required=True)
        fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                              required=True, data_key="fields")

    error = fields.Nested(ErrorDetail, required=True)


class Org(Response):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String()


class Me(Response):
    username = fields.String(required=True)
    name = _opt(fields.String())
    role = fields.String(required=True)
    org = fields.Nested(Org, required=True)


class Token(Response):
    token = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"description": "到期时间（ISO 8601）"})


class Procedure(Response):
    key = fields.String(required=True)
    name = _opt(fields.String())
    region = fields.String(required=True)
    version = fields.Integer(required=True)
    deployed_at = _opt(fields.String())


class Step(Response):
    id = fields.String(required=True)
    name = _opt(fields.String())
    kind = fields.String()
    level = _opt(fields.String())
    form = _opt(fields.String())
    due_working_days = _opt(fields.Integer())
    due_days = _opt(fields.Integer())


class Option(Response):
    value = fields.Raw()
    label = _opt(fields.String())
    label_en = _opt(fields.String())  # the form file's English label, when it gives one


class FormField(Response):
    name = fields.String(required=True)
    type = fields.String(required=True)
    required = fields.Boolean()
    label = _opt(fields.String())
    label_en = _opt(fields.String())
    options = _opt(fields.List(fields.Nested(Option)))
    fields_ = _opt(fields.List(fields.Dict(), data_key="fields"))


class Form(Response):
    key = fields.String(required=True)
    title = _opt(fields.String())
    title_en = _opt(fields.String())
    fields_ = fields.List(fields.Nested(FormField), data_key="fields")


class ProcedureDetail(Procedure):
    start_form = fields.Nested(Form)
    steps = fields.List(fields.Nested(Step))


class Task(Response):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    step = fields.String()
    name = _opt(fields.String())
    level = _opt(fields.String())
    org = fields.String()
    due_at = _opt(fields.String())
    overdue = fields.Boolean()
    assignee = _opt(fields.String())
    created_at = _opt(fields.String())


class OverdueTask(Task):
    org_name = fields.String()
    working_days_overdue = fields.Integer()


class CaseRow(Response):
    id = fields.Integer(required=True)
    procedure = fields.String()
    version = fields.Integer()
    status = fields.String()
    village = fields.String()
    village_name = fields.String()
    applicant_name = _opt(fields.String())
    household_size = _opt(fields.Integer())
    opened_at = _opt(fields.String())
    closed_at = _opt(fields.String())
    due_at = _opt(fields.String())
    extension_reason = _opt(fields.String())
    household_id = _opt(fields.Integer())


class DoneStep(Response):
    step = fields.String()
    name = _opt(fields.String())
    outcome = _opt(fields.String())
    completed_at = _opt(fields.String())
    data = _opt(fields.Dict())


class Event(Response):
    at = _opt(fields.String())
    actor = _opt(fields.String())
    step = _opt(fields.String())
    action = fields.String()
    comment = _opt(fields.String())


class ObjectionReplyText(Response):
    text = fields.String()
    at = _opt(fields.String())
    by = _opt(fields.String())


class ObjectionRow(Response):
    """An objection as the case's officials see it (never public)."""

    id = fields.Integer(required=True)
    notice = _opt(fields.String())
    step = _opt(fields.String())
    at = _opt(fields.String())
    reason = _opt(fields.String())
    name = _opt(fields.String())
    contact = _opt(fields.String())
    routed = _opt(fields.Boolean())
    reply = _opt(fields.Nested(ObjectionReplyText))


class CrosscheckListRow(Response):
    id = fields.Integer(required=True)
    source = fields.String()
    region = fields.String()
    rows = fields.Integer()
    hits = fields.Integer()
    sha256 = fields.String()
    imported_at = fields.String()
    imported_by = fields.String()
    replaced_at = _opt(fields.String())


class CrosscheckHit(Response):
    """A cross-check hit on the case: a bureau's list names one of its members."""

    id = fields.Integer(required=True)
    source = fields.String(metadata={"description": "比对来源，如 human_resources"})
    source_label = _opt(fields.String())
    member = fields.String(metadata={"description": "成员姓名"})
    id_number_masked = _opt(fields.String())
    finding = fields.String()
    as_of = fields.String(metadata={"description": "名单日期 YYYY-MM-DD"})
    explained = fields.Boolean()
    explanation = _opt(fields.String())


class CaseDetail(CaseRow):
    application = _opt(fields.Dict())
    decisions = fields.Dict(
        metadata={"description": "决策表各输出项的最新值，如 eligible、proposed_amount"})
    crosscheck = fields.List(fields.Nested(CrosscheckHit))
    objections = fields.List(fields.Nested(ObjectionRow))
    open_tasks = fields.List(fields.Nested(Task))
    steps = fields.List(fields.Nested(DoneStep))
    history = fields.List(fields.Nested(Event))


class CaseWithApplication(CaseRow):
    application = _opt(fields.Dict())
    decisions = _opt(fields.Dict())


class TaskDetail(Task):
    form = fields.Nested(Form)
    case = fields.Nested(CaseWithApplication)
    earlier_steps = fields.List(fields.Nested(DoneStep))


class Completed(Response):
    class CaseState(Response):
        id = fields.Integer()
        status = fields.String()
        open_tasks = fields.List(fields.Nested(Task))

    case = fields.Nested(CaseState, required=True)


class Notice(Response):
    id = fields.Integer(required=True)
    name = _opt(fields.String())
    household_size = _opt(fields.Integer())
    proposed_amount = _opt(fields.Float())
    notice = _opt(fields.String())
    org = fields.Nested(Org)
    starts_at = _opt(fields.String())
    ends_at = _opt(fields.String())


class ObjectionReceived(Response):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


class WorkingDay(Response):
    date = fields.String(required=True)


class Household(Response):
    id = fields.Integer(required=True)
    head_name = _opt(fields.String())
    head_id_number = _opt(fields.String())
    created_at = _opt(fields.String())


class Benefit(Response):
    case_id = _opt(fields.Integer())
    monthly_amount = _opt(fields.Float())
    effective_from = _opt(fields.String())
    source = _opt(fields.String())


class HouseholdExit(Response):
    case_id = fields.Integer(required=True)
    exited_on = fields.String(required=True)
    reason = fields.String(required=True, metadata={
        "description": "stable_out_of_poverty 稳定脱贫 / moved_away 迁出 / deceased 死亡 / "
                       "no_longer_eligible 不再符合条件"})
    reason_label = fields.String()
    document = fields.String()


class HouseholdDetail(Household):
    status = _opt(fields.String())
    benefit = _opt(fields.Nested(Benefit))
    cases = fields.List(fields.Nested(CaseRow))
    exits = fields.List(fields.Nested(HouseholdExit), metadata={"description": "销号记录"})


class JobQueued(Response):
    id = fields.Integer(required=True)
    kind = fields.String()
    status = fields.String()
    total = _opt(fields.Integer())


class Job(JobQueued):
    done = _opt(fields.Integer())
    skipped = _opt(fields.Integer())
    percent = fields.Integer()
    case_id = _opt(fields.Integer())
    created_at = _opt(fields.String())
    finished_at = _opt(fields.String())
    # the last household the worker could not handle, and why (households skipped for it)
    last_error = _opt(fields.String())


class Notification(Response):
    id = fields.Integer()
    kind = _opt(fields.String())
    case_id = _opt(fields.Integer())
    task_id = _opt(fields.Integer())
    message = _opt(fields.String())
    at = _opt(fields.String())


class Notifications(Response):
    unread = fields.Integer(required=True)
    items = fields.List(fields.Nested(Notification))


class Unread(Response):
    unread = fields.Integer(required=True)


class StepChange(Response):
    id = fields.String()
    name = _opt(fields.String())
    fields_ = fields.Dict(data_key="fields")


class Changes(Response):
    from_version = fields.Integer()
    to_version = fields.Integer()
    added = fields.List(fields.Nested(Step))
    removed = fields.List(fields.Nested(Step))
    changed = fields.List(fields.Nested(StepChange))
    elements = fields.Dict(keys=fields.String(), values=fields.String())


class VersionEntry(Procedure):
    changes = _opt(fields.Nested(Changes))


class Migrated(Response):
    id = fields.Integer(required=True)
    procedure = fields.String()
    version = fields.Integer()
    status = fields.String()
