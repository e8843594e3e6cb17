"""GET /api/openapi.json is built by flask-smorest from the routes' schemas (web/api/schemas.py)."""

from flask import Flask

from web.api import spec

HUGE = 2**31


def test_the_openapi_document_declares_parameters_and_bodies(world, client):
    doc = client.get("/api/openapi.json").json
    paths = doc["paths"]
    assert "CaseStart" in str(paths["/api/cases"]["post"]["requestBody"])
    assert {p["name"] for p in paths["/api/cases"]["get"]["parameters"]} >= {
        "status", "village", "q", "limit", "offset"}
    case_id = paths["/api/cases/{case_id}"]["parameters"][0]
    assert case_id["schema"]["maximum"] == HUGE - 1
    assert paths["/api/notices"]["get"]["security"] == []
    assert "multipart/form-data" in paths["/api/procedures"]["post"]["requestBody"]["content"]
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert "201" in paths["/api/tokens"]["post"]["responses"]
    for path, operations in paths.items():
        for method, op in operations.items():
            if method != "parameters":
                assert any(c.startswith("2") for c in op["responses"]), (path, method)
                assert "default" in op["responses"], (path, method)


def test_a_route_without_schemas_still_works_and_is_documented():
    blueprint = spec.Blueprint("plain", __name__, url_prefix="/api")

    @blueprint.get("/plain/<int:n>")
    def plain(n: int):
        """A route nobody has described yet."""
        return {"n": n}

    app = Flask(__name__)
    spec.init_app(app, blueprint)
    assert app.test_client().get("/api/plain/3").json == {"n": 3}
    with app.test_request_context():
        operation = spec.document()["paths"]["/api/plain/{n}"]["get"]
    assert operation["summary"] == "A route nobody has described yet."
    assert set(operation["responses"]) == {"2XX", "default"}
