"""Domain errors, defined once here and mapped to HTTP/CLI responses once in web/."""


class DomainError(Exception):
    code = "error"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class Conflict(DomainError):
    code = "conflict"


class TooManyRequests(DomainError):
    code = "too_many_requests"


class BadRequest(DomainError):
    code = "bad_request"


class Invalid(DomainError):
    """Validation failed; `fields` maps dotted field paths to Chinese messages."""

    code = "invalid"

    def __init__(self, fields: dict[str, list[str]], message: str = "提交内容有误"):
        super().__init__(message)
        self.fields = fields


class ModelError(Invalid):
    """The procedure itself failed at run time (a condition, script or decision table):
    the designer's to fix; nothing the official submitted is stored."""

    code = "model_error"

    def __init__(self, detail: str):
        super().__init__({"workflow": [detail]}, f"流程运行出错，请联系流程设计人员：{detail}")


class BundleInvalid(Invalid):
    """A procedure bundle was refused; `problems` lists every problem found."""

    code = "bundle_invalid"

    def __init__(self, problems: list[str]):
        super().__init__({"files": problems}, f"流程包校验未通过，共 {len(problems)} 个问题")
        self.problems = problems
