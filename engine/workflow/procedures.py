"""Deploying procedure bundles and finding the version a case runs on.

A bundle is a folder's `.bpmn`, `.dmn` and form files. Deploy checks everything first and
either stores a new version of each process, with every source it uses snapshotted, or
changes nothing and lists every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import forms
from engine.money import households, standards
from engine.people.orgs import by_code
from engine.store import audit
from engine.store.errors import BundleInvalid, Forbidden, NotFound
from engine.store.models import OrgUnit, ProcedureVersion, User
from engine.store.uow import unit_of_work
from engine.time import clock
from engine.workflow import documents, spiff

DEPLOYER_ROLES = ("designer", "admin")
STANDARDS_FILE = "standards.csv"


@dataclass
class Bundle:
    bpmn: dict[str, str] = field(default_factory=dict)
    dmn: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)  # form key → YAML
    problems: list[str] = field(default_factory=list)
    # Starting figures of the region's standard (standards.csv), loaded at deploy.
    standards: list[standards.Entry] = field(default_factory=list)
    # Print templates and region facts (documents/): file name → text.
    documents: dict[str, str] = field(default_factory=dict)


def bundle_from_files(files: dict[str, bytes]) -> Bundle:
    """Sort uploaded or read files by kind; undecodable or unknown files are problems."""
    bundle = Bundle()
    for name, raw in sorted(files.items()):
        base = Path(name).name
        suffix = Path(base).suffix.lower()
        if documents.is_document(name):
            try:
                bundle.documents[documents.stored_name(name)] = raw.decode("utf-8")
            except UnicodeDecodeError:
                bundle.problems.append(f"{name}：文件不是 UTF-8 编码")
            continue
        if suffix not in (".bpmn", ".dmn", ".yaml", ".yml") and base != STANDARDS_FILE:
            if suffix not in (".md", ".txt", ".svg", ".png"):
                bundle.problems.append(
                    f"{name}：不支持的文件类型（只接受 .bpmn、.dmn、.yaml 和 {STANDARDS_FILE}）")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bundle.problems.append(f"{name}：文件不是 UTF-8 编码")
            continue
        if base == STANDARDS_FILE:
            bundle.standards, problems = standards.parse_csv(text, name)
            bundle.problems.extend(problems)
        elif suffix == ".bpmn":
            bundle.bpmn[base] = text
        elif suffix == ".dmn":
            bundle.dmn[base] = text
        else:
            bundle.forms[Path(base).stem] = text
    return bundle


def read_bundle_dir(path: str | Path) -> dict[str, bytes]:
    """A bundle folder's files: top-level .bpmn/.dmn and forms/*.yaml."""
    root = Path(path)
    if not root.is_dir():
        raise BundleInvalid([f"{path} 不是目录"])
    files = {p.name: p.read_bytes() for p in root.iterdir()
             if p.is_file() and (p.suffix.lower() in (".bpmn", ".dmn") or p.name == STANDARDS_FILE)}
    form_dir = root / "forms"
    if form_dir.is_dir():
        files.update({f"forms/{p.name}": p.read_bytes() for p in form_dir.iterdir()
                      if p.suffix.lower() in (".yaml", ".yml")})
    doc_dir = root / documents.FOLDER
    if doc_dir.is_dir():
        files.update({f"{documents.FOLDER}/{p.name}": p.read_bytes() for p in doc_dir.iterdir()
                      if p.is_file() and documents.is_document(f"{documents.FOLDER}/{p.name}")})
    return files


def _resolve_forms(bundle: Bundle, models: dict[str, spiff.ProcessModel],
                   problems: list[str]) -> dict[str, dict[str, str]]:
    """Each model's form keys resolved in the bundle first, then in the shared forms/."""
    shared = forms.shared_form_sources()
    resolved: dict[str, dict[str, str]] = {}
    for key, model in models.items():
        resolved[key] = {}
        for form_key in sorted(model.form_keys):
            text = bundle.forms.get(form_key, shared.get(form_key))
            if text is None:
                problems.append(
                    f"流程 {key} 引用的表单 {form_key} 不存在（流程包和 forms/ 中均未找到）")
                continue
            try:
                form = forms.load_form(text, f"{form_key}.yaml")
            except forms.FormDefinitionError as exc:
                problems.extend(exc.problems)
                continue
            if model.exits and form_key == model.start_form and not _names_household(form):
                problems.append(
                    f"流程 {key} 可以“退出”（exited）结束，其开始表单 {form_key} 须有字段 "
                    "head_id_number（户主身份证号码），以确定退出的家庭并停发其待遇")
            resolved[key][form_key] = text
    return resolved


def _names_household(form: forms.Form) -> bool:
    """Whether a start form names the household by its head (how a case finds it)."""
    return any(f.name == households.HEAD_FIELD and f.required for f in form.fields)


def deploy(db: Session, actor: User | None, region_code: str,
           files: dict[str, bytes]) -> list[ProcedureVersion]:
    """Deploy every executable process of a bundle for a region; all or nothing.

    A designer or admin deploys only for their own org or one below it; `actor` None is the
    machine's operator (the CLI without --as), who is not restricted."""
    if actor is not None and actor.role not in DEPLOYER_ROLES:
        raise Forbidden("只有流程设计人员或管理员可以部署流程")
    now = clock.now()
    with unit_of_work(db):
        try:
            region = by_code(db, region_code)
        except NotFound:
            raise BundleInvalid([f"地区机构代码 {region_code} 不存在"]) from None
        if actor is not None and not actor.org.covers(region):
            raise Forbidden(f"只能为本机构或下级地区部署流程，"
                            f"无权为 {region.name}（{region.code}）部署")
        bundle = bundle_from_files(files)
        models, problems = spiff.check_bundle(bundle.bpmn, bundle.dmn)
        problems = bundle.problems + problems + documents.check(bundle.documents)
        resolved = _resolve_forms(bundle, models, problems)
        if not problems:  # a second deploy adds nothing; a different figure is a problem
            problems = standards.load_entries(db, region, bundle.standards,
                                              f"bundle:{region.code}", now, actor)
        if problems:
            raise BundleInvalid(problems)
        versions = []
        for key, model in models.items():
            latest = db.scalar(
                select(func.max(ProcedureVersion.version)).where(
                    ProcedureVersion.key == key, ProcedureVersion.region_id == region.id
                )
            )
            version = ProcedureVersion(
                key=key,
                name=model.name,
                region=region,
                version=(latest or 0) + 1,
                bpmn=bundle.bpmn,
                dmn=bundle.dmn,
                forms=resolved[key],
                documents=bundle.documents,
                start_form=model.start_form,
                deployed_at=now,
                deployed_by_id=actor.id if actor else None,
            )
            db.add(version)
            db.flush()
            spiff.remember(version.id, model)
            audit.record(db, now, actor, "procedure.deployed",
                         changes={"key": key, "region": region.code, "version": version.version})
            versions.append(version)
    return versions


def list_versions(db: Session) -> list[ProcedureVersion]:
    """Every deployed version, newest version of each procedure first."""
    return list(
        db.scalars(
            select(ProcedureVersion)
            .order_by(ProcedureVersion.key, ProcedureVersion.region_id,
                      ProcedureVersion.version.desc())
        )
    )


def newest_for(db: Session, key: str, org: OrgUnit) -> ProcedureVersion:
    """The newest version of `key` deployed for `org` or its nearest ancestor region."""
    candidates = db.scalars(
        select(ProcedureVersion)
        .join(ProcedureVersion.region)
        .where(ProcedureVersion.key == key)
    ).all()
    covering = [v for v in candidates if org.path.startswith(v.region.path)]
    if not covering:
        raise NotFound(f"流程 {key} 未在 {org.name} 所属地区部署")
    return max(covering, key=lambda v: (len(v.region.path), v.version))


def newest_in_region(db: Session, key: str, region_code: str | None) -> ProcedureVersion:
    query = (
        select(ProcedureVersion)
        .join(ProcedureVersion.region)
        .where(ProcedureVersion.key == key)
        .order_by(ProcedureVersion.version.desc(), ProcedureVersion.id.desc())
    )
    if region_code:
        query = query.where(OrgUnit.code == region_code)
    version = db.scalars(query.limit(1)).first()
    if version is None:
        raise NotFound(f"流程 {key} 不存在")
    return version


def model_of(version: ProcedureVersion) -> spiff.ProcessModel:
    """The parsed model; the sources load (deferred) only when this process has not seen it."""
    return spiff.model_for(version.id, version.key, lambda: (version.bpmn, version.dmn))


_forms: dict[tuple[int, str], forms.Form] = {}


def form_of(version: ProcedureVersion, form_key: str) -> forms.Form:
    """The form snapshotted with this version, loaded once per process."""
    form = _forms.get((version.id, form_key))
    if form is None:
        text = version.forms.get(form_key)
        if text is None:
            raise NotFound(f"表单 {form_key} 不存在")
        form = _forms[(version.id, form_key)] = forms.load_form(text, f"{form_key}.yaml")
    return form


def forget_cached() -> None:
    """Drop the per-process spec and form caches (tests that reuse ids across databases)."""
    spiff.forget_cached()
    _forms.clear()
