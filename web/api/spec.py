"""flask-smorest wired to the contract: argument errors in the contract's shape, the OpenAPI
document built from the routes' schemas (schemas.py) and served at GET /api/openapi.json.

To describe a route: `@api.arguments(Schema, location="json"|"query"|"form"|"files")` parses
and documents its input (the parsed dict is passed to the view as a positional argument);
`@api.alt_response(200, schema=Schema, success=True)` documents its answer without touching it.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Flask, current_app
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from engine.store.errors import BadRequest, Invalid

from . import schemas

JSON_OBJECT = "请求体应为 JSON 对象（Content-Type: application/json）"
# marshmallow's default messages, as the contract wants them (Chinese).
MESSAGES = {
    "Missing data for required field.": "此项为必填项",
    "Field may not be null.": "此项不能为空",
    "Not a valid string.": "应为文字",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid mapping type.": "应为 JSON 对象",
    "Not a valid list.": "应为列表",
    "Not a valid date.": "应为 YYYY-MM-DD 日期",
    "Invalid input type.": "类型不正确",
    "Invalid value.": "取值无效",
    "Unknown field.": "未知字段",
    "Number too large.": "数值超出范围",
    "Not a valid file.": "应为上传的文件",
}


def _flatten(messages: Any, path: str, out: dict[str, list[str]]) -> dict[str, list[str]]:
    """webargs' nested {location: {field: {index: [msg]}}} as the contract's dotted paths."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            _flatten(value, f"{path}.{name}" if path and name else name or path, out)
    elif isinstance(messages, list | tuple):
        for item in messages:
            _flatten(item, path, out)
    else:
        out.setdefault(path or "body", []).append(MESSAGES.get(str(messages), str(messages)))
    return out


class Parser(FlaskParser):
    """Refusals as domain errors, so web/errors.py answers them like any other."""

    def load_json(self, req, schema) -> Any:
        data = req.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest(JSON_OBJECT)
        return data

    def load_files(self, req, schema) -> Any:
        """A multipart body's form fields and files together: OpenAPI has one body per request."""
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def handle_error(self, error: ValidationError, req, schema, *, error_status_code,
                     error_headers):
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))  # drop the location ("json", "query")
        raise Invalid(_flatten(messages, "", {}))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *args, **kwargs):
        """The schema built once here: given a class, webargs would build one per request."""
        return super().arguments(schema() if isinstance(schema, type) else schema,
                                 *args, **kwargs)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = schemas.Error

    def _register_error_handlers(self) -> None:
        """None: web/errors.py maps every error once, in the contract's shape."""


def init_app(app: Flask, blueprint: Blueprint) -> Api:
    """Register the API blueprint and build its OpenAPI document."""
    api = Api(app, spec_kwargs={
        "title": "Yimen 一门 API", "version": "1", "openapi_version": "3.0.3",
        "security": [{"bearer": []}],
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(blueprint)
    return api


def document() -> dict[str, Any]:
    """The OpenAPI document; a route nobody has described yet still gets a success answer."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    for operations in spec["paths"].values():
        for op in operations.values():
            if isinstance(op, dict) and "responses" in op and not any(
                    str(code).startswith("2") for code in op["responses"]):
                op["responses"]["2XX"] = {"description": "成功（响应结构尚未声明）"}
    return spec
