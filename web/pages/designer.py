"""The process designers' workspace: the bpmn-js / dmn-js modeler over deployed bundles,
validation without deploying, deploy, download and upload, and the version list.

Thin routes over `engine.workflow.designer`; the role rule (designer, admin) lives there.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from engine.casework import workspace
from engine.store.errors import BadRequest, BundleInvalid, DomainError
from engine.workflow import designer as engine_designer
from engine.workflow import procedures, versions

from ..auth import actor, require_login
from ..errors import status_for
from ..extensions import db

designer = Blueprint("designer", __name__)


designer.before_request(require_login)


@designer.app_context_processor
def designer_nav() -> dict:
    user = current_user.user if current_user.is_authenticated else None
    return {"sees_designer": user is not None and workspace.powers(user).designer}


def _region() -> str | None:
    return request.args.get("region") or None


@designer.get("/designer")
def index():
    rows = engine_designer.newest_versions(db.session, actor())
    return render_template("designer/index.html", rows=rows)


@designer.get("/designer/<key>")
def modeler(key: str):
    version = engine_designer.newest(db.session, actor(), key, _region())
    return render_template("designer/modeler.html", version=version,
                           bpmn_files=engine_designer.bpmn_tabs(version),
                           dmn_files=sorted(version.dmn),
                           forms=engine_designer.form_list(version),
                           model=procedures.model_of(version),
                           assumptions=procedures.assumptions(version.readme))


@designer.get("/designer/<key>/files/<name>")
def download(key: str, name: str):
    """A .bpmn or .dmn file as stored in the newest version (the modeler loads it too)."""
    version = engine_designer.newest(db.session, actor(), key, _region())
    kind, xml = engine_designer.source_file(version, name)
    response = Response(xml, mimetype="application/xml")
    if request.args.get("inline") != "1":
        response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@designer.get("/designer/<key>/forms/<form_key>")
def form_yaml(key: str, form_key: str):
    version = engine_designer.newest(db.session, actor(), key, _region())
    text = engine_designer.form_source(version, form_key)
    return render_template("designer/form.html", version=version, form_key=form_key, text=text)


@designer.get("/designer/<key>/versions")
def version_list(key: str):
    engine_designer.require_designer(actor())
    entries = versions.history(db.session, key, _region(), actor())
    return render_template("designer/versions.html", key=key, entries=entries,
                           region=_region() or entries[0].version.region.code)


def _edited() -> tuple[str, str | None, dict[str, str], dict[str, str]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("key"), str):
        raise BadRequest(_("请求格式有误"))
    files: dict[str, dict[str, str]] = {}
    for kind in ("bpmn", "dmn"):
        given = body.get(kind) or {}
        if not isinstance(given, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
            raise BadRequest(_("请求格式有误"))
        wrong = sorted(k for k in given if not k.lower().endswith(f".{kind}"))
        if wrong:  # it would be left out of the bundle without a word
            raise BadRequest(_("文件名应以 .%(kind)s 结尾：%(names)s", kind=kind,
                               names="、".join(wrong)))
        files[kind] = given
    region = body.get("region")
    if region is not None and not isinstance(region, str):
        raise BadRequest(_("请求格式有误"))
    return body["key"], region or None, files["bpmn"], files["dmn"]


def _refused(err: DomainError):
    """The modeler's answer shape for any refusal: its problems list shows the message."""
    problems = getattr(err, "problems", None) or [str(err)]
    return jsonify(problems=problems, ok=False), status_for(err)


@designer.post("/designer/validate")
def validate():
    """JSON {key, region, bpmn: {name: xml}, dmn: {name: xml}} → {problems: [...]}."""
    try:
        key, region, bpmn, dmn = _edited()
        problems = engine_designer.validate_edited(db.session, actor(), key, region, bpmn, dmn)
    except DomainError as err:
        return _refused(err)
    return jsonify(problems=problems, ok=not problems)


@designer.post("/designer/deploy")
def deploy():
    """The same JSON as validate; 201 with the new versions, or 4xx with the problems."""
    try:
        key, region, bpmn, dmn = _edited()
        created = engine_designer.deploy_edited(db.session, actor(), key, region, bpmn, dmn)
    except DomainError as err:
        return _refused(err)
    return jsonify(ok=True, problems=[], versions=[
        {"key": v.key, "version": v.version, "region": v.region.code,
         "url": url_for("designer.modeler", key=v.key, region=v.region.code)}
        for v in created]), 201


@designer.post("/designer/upload")
def upload():
    """A plain multipart form (region, files) that deploys a bundle directly."""
    engine_designer.require_designer(actor())
    region = request.form.get("region", "")
    chosen = [(u.filename, u.read()) for u in request.files.getlist("files") if u.filename]
    if not chosen:
        flash(_("请选择要上传的 .bpmn、.dmn 或表单文件"), "error")
        return redirect(url_for("designer.index"))
    try:
        created = procedures.deploy(db.session, actor(), region, procedures.uploaded(chosen))
    except BundleInvalid as err:
        rows = engine_designer.newest_versions(db.session, actor())
        return render_template("designer/index.html", rows=rows, problems=err.problems,
                               upload_region=region), status_for(err)
    for v in created:
        flash(_("已部署 %(name)s 第 %(n)s 版", name=v.name, n=v.version), "success")
    if not created:
        flash(_("没有流程发生变化，未部署新版本"), "info")
    return redirect(url_for("designer.index"))
