"""GET /api/openapi.json: the API described from its own routes, so it cannot drift."""

from flask import current_app

from . import api

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}}}}},
}
STATUSES = {"400": "请求格式有误", "401": "未认证", "403": "无权操作", "404": "不存在",
            "409": "冲突", "422": "校验失败"}


def _path(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
    return path


@api.get("/openapi.json")
def openapi():
    """This document."""
    from . import PUBLIC

    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or "").strip()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc.splitlines()[0] if doc else rule.endpoint,
                "parameters": [{"name": a, "in": "path", "required": True,
                                "schema": {"type": "integer" if f"<int:{a}>" in rule.rule
                                           else "string"}} for a in sorted(rule.arguments)],
                "responses": {"200": {"description": "OK"}, **{
                    code: {"description": text, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}
                    for code, text in STATUSES.items()}},
            }
            if rule.endpoint not in PUBLIC:
                op["security"] = [{"bearer": []}]
            paths.setdefault(_path(rule), {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Yimen 一门 API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
