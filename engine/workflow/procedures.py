"""Deploying procedure bundles and finding the version a case runs on.

A bundle is a folder's `.bpmn`, `.dmn` and form files, and the data files other packages
register (`bundle_file`: engine.money registers `standards.csv`). Deploy checks everything
first and either stores a new version of each process that changed, with every source it
uses snapshotted, or changes nothing and lists every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms
from engine.people.orgs import by_code
from engine.store import audit
from engine.store.errors import BundleInvalid, Forbidden, Invalid, NotFound
from engine.store.models import OrgUnit, ProcedureVersion, User
from engine.store.uow import unit_of_work
from engine.time import calendar, clock
from engine.workflow import changes, documents, spiff

DEPLOYER_ROLES = ("designer", "admin")
README_FILE = "README.md"
# The start-form field that names a household by its head's ID number (forms/README.md):
# how a case finds its household (engine.money.households) and whose benefit an exit ends.
HEAD_FIELD = "head_id_number"


@dataclass(frozen=True)
class BundleFile:
    """A data file a bundle may carry, owned by another package: parsed with the bundle
    (`parse(text, file name)` → entries, problems) and loaded for the region at deploy, in
    the deploy's transaction (`load(db, region, entries, source, now, actor)` → problems)."""

    name: str
    parse: Callable[[str, str], tuple[list[Any], list[str]]]
    load: Callable[[Session, OrgUnit, list[Any], str, datetime, User | None], list[str]]


BUNDLE_FILES: dict[str, BundleFile] = {}


def bundle_file(name: str, parse: Callable[[str, str], tuple[list[Any], list[str]]],
                load: Callable[..., list[str]]) -> None:
    """Register a data file bundles may carry (see engine.money.register)."""
    BUNDLE_FILES[name] = BundleFile(name, parse, load)


@dataclass
class Bundle:
    bpmn: dict[str, str] = field(default_factory=dict)
    dmn: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)  # form key → YAML
    problems: list[str] = field(default_factory=list)
    # Entries of the registered data files (e.g. the region's starting standard), by file name.
    data: dict[str, list[Any]] = field(default_factory=dict)
    # The bundle's README.md, kept with each version for the assumptions it lists.
    readme: str | None = None
    # Print templates and region facts (documents/): file name → text.
    documents: dict[str, str] = field(default_factory=dict)
    # .bpmn files that could not be read (already a problem): the bundle is not "without one".
    unreadable_bpmn: bool = False


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
        if (suffix not in (".bpmn", ".dmn", ".yaml", ".yml") and base not in BUNDLE_FILES
                and base != README_FILE):
            if suffix not in (".md", ".txt", ".svg", ".png"):
                extra = "、".join(sorted(BUNDLE_FILES))
                accepted = ".bpmn、.dmn、.yaml" + (f" 和 {extra}" if extra else "")
                bundle.problems.append(f"{name}：不支持的文件类型（只接受 {accepted}）")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bundle.problems.append(f"{name}：文件不是 UTF-8 编码（请另存为 UTF-8）")
            bundle.unreadable_bpmn |= suffix == ".bpmn"
            continue
        if base == README_FILE:
            bundle.readme = text
        elif base in BUNDLE_FILES:
            bundle.data[base], problems = BUNDLE_FILES[base].parse(text, name)
            bundle.problems.extend(problems)
        else:
            kept, key = ((bundle.bpmn, base) if suffix == ".bpmn" else
                         (bundle.dmn, base) if suffix == ".dmn" else
                         (bundle.forms, Path(base).stem))
            if key in kept:  # a bundle keeps files by name: one would silently replace the other
                bundle.problems.append(f"{name}：与流程包中另一个文件同名（{key}），"
                                       "流程包按文件名保存，请改名")
                continue
            kept[key] = text
    return bundle


def check(bundle: Bundle) -> tuple[dict[str, spiff.ProcessModel], list[str]]:
    """The bundle's models and every problem of its files, processes, decisions and print
    templates (forms are resolved after, against the models)."""
    if bundle.unreadable_bpmn and not bundle.bpmn:  # its files said why: not "without one"
        models, problems = {}, []
    else:
        models, problems = spiff.check_bundle(bundle.bpmn, bundle.dmn)
    return models, bundle.problems + problems + documents.check(bundle.documents)


def uploaded(files: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """Uploaded files by name; the same name twice is refused, not silently overwritten."""
    found: dict[str, bytes] = {}
    twice: list[str] = []
    for name, raw in files:
        if name in found:
            twice.append(name)
        found[name] = raw
    if twice:
        raise BundleInvalid([f"{name}：同名文件上传了不止一次，请只保留一个"
                             for name in sorted(set(twice))])
    return found


def read_bundle_dir(path: str | Path) -> dict[str, bytes]:
    """A bundle folder's files: top-level .bpmn/.dmn, standards.csv, README.md and
    forms/*.yaml."""
    root = Path(path)
    if not root.is_dir():
        raise BundleInvalid([f"{path} 不是目录"])
    files = {p.name: p.read_bytes() for p in root.iterdir()
             if p.is_file() and (p.suffix.lower() in (".bpmn", ".dmn")
                                 or p.name in BUNDLE_FILES or p.name == README_FILE)}
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
    return any(f.name == HEAD_FIELD and f.required for f in form.fields)


def deploy(db: Session, actor: User | None, region_code: str,
           files: dict[str, bytes]) -> list[ProcedureVersion]:
    """Deploy every executable process of a bundle for a region; all or nothing. A process
    whose content is the same as its newest version's (engine.workflow.changes) keeps that
    version: only the changed ones are returned, none if nothing changed.

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
        models, problems = check(bundle)
        resolved = _resolve_forms(bundle, models, problems)
        for name, entries in bundle.data.items():  # e.g. a second deploy adds no standard
            if not problems:                         # and a different figure is a problem
                problems = BUNDLE_FILES[name].load(db, region, entries,
                                                   f"bundle:{region.code}", now, actor)
        if problems:
            raise BundleInvalid(problems)
        versions = []
        for key, model in models.items():
            latest = _latest(db, key, region)
            called = model.subprocess_specs.keys()
            content = changes.content(key, called, bundle.bpmn, bundle.dmn, resolved[key],
                                      bundle.documents, bundle.readme)
            if changes.unchanged(latest, content, called):
                continue  # its cases and its version number stay as they are
            version = ProcedureVersion(
                key=key,
                name=model.name,
                region=region,
                version=(latest.version if latest else 0) + 1,
                bpmn=bundle.bpmn,
                dmn=bundle.dmn,
                forms=resolved[key],
                readme=bundle.readme,
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


def _latest(db: Session, key: str, region: OrgUnit) -> ProcedureVersion | None:
    """The newest version of `key` deployed for exactly this region."""
    return db.scalar(
        select(ProcedureVersion)
        .where(ProcedureVersion.key == key, ProcedureVersion.region_id == region.id)
        .order_by(ProcedureVersion.version.desc())
        .limit(1)
    )


def assumptions(readme: str | None) -> list[str]:
    """The items of a README's "Assumptions" section: what a bundle assumes beyond its policy
    text, each with the placeholder the county fills in (bpmn/README.md), as plain text."""
    items: list[str] = []
    inside = False
    for line in (readme or "").splitlines():
        if line.startswith("#"):
            inside = line.lstrip("#").strip().lower().startswith("assumptions")
        elif inside and line.startswith("- "):
            items.append(line[2:].strip())
        elif inside and items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()
    return [item.replace("**", "").replace("`", "") for item in items]


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


def english_name(version: ProcedureVersion) -> str | None:
    """The procedure's English name (process property nameEn), if it gives one."""
    return model_of(version).name_en


def english_names(version: ProcedureVersion) -> dict[str, str]:
    """{step id: English name} for the steps of a version that give one (nameEn)."""
    return {s.id: s.name_en for s in model_of(version).steps.values() if s.name_en}


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


def validate_form(form: forms.Form, data: Any, now: datetime | None = None) -> dict[str, Any]:
    """Validate submitted data with a version's form (`form_of`): an application or a step's
    submission; a bad value becomes `Invalid` with field paths.

    Date rules ("not after today") compare with the engine clock's day in China."""
    if not isinstance(data, dict):
        raise Invalid({"data": ["提交内容应为对象（JSON object）"]})
    try:
        return form.validate(data, today=calendar.local_date(now or clock.now()))
    except forms.FormInvalid as exc:
        raise Invalid(exc.fields) from None


_generation = [0]


def forget_cached() -> None:
    """Drop the per-process spec and form caches (tests that reuse ids across databases)."""
    spiff.forget_cached()
    _forms.clear()
    _generation[0] += 1


def cache_generation() -> int:
    """Changes whenever the caches are dropped: part of the key of caches built on them
    (engine/casework/bulk.py), so that they are dropped too."""
    return _generation[0]
