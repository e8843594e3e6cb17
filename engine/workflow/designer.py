"""The process designers' workspace: reading a deployed bundle back, checking an edited one
without writing anything, and deploying the edit as the next version.

An edited bundle is the version's BPMN and DMN files as the modeler saved them, plus the forms
the region's newest versions were deployed with where they differ from the shared `forms/`
(bundle forms and overrides); a form still equal to the shared one is resolved from `forms/`
again, exactly as a bundle folder without it would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

import forms
from engine.store.errors import BundleInvalid, Forbidden, NotFound
from engine.store.models import ProcedureVersion, User
from engine.workflow import changes, documents, procedures

DESIGNER_ROLES = procedures.DEPLOYER_ROLES


@dataclass(frozen=True)
class FormInfo:
    key: str
    title: str
    source: str  # "bundle" | "shared"
    field_count: int


def require_designer(actor: User | None) -> None:
    """Only designers and admins open the designer's workspace."""
    if actor is not None and actor.role not in DESIGNER_ROLES:
        raise Forbidden("只有流程设计人员或管理员可以使用流程设计器")


def newest_versions(db: Session, actor: User | None) -> list[ProcedureVersion]:
    """The newest version of each procedure in each region, by key then region code."""
    require_designer(actor)
    newest: dict[tuple[str, int], ProcedureVersion] = {}
    for v in procedures.list_versions(db):  # newest version first within (key, region)
        newest.setdefault((v.key, v.region_id), v)
    return sorted(newest.values(), key=lambda v: (v.key, v.region.code))


def newest(db: Session, actor: User | None, key: str, region_code: str | None) -> ProcedureVersion:
    require_designer(actor)
    return procedures.newest_in_region(db, key, region_code or None)


def source_file(version: ProcedureVersion, name: str) -> tuple[str, str]:
    """(kind, text) of one stored .bpmn or .dmn file of a version."""
    if name in version.bpmn:
        return "bpmn", version.bpmn[name]
    if name in version.dmn:
        return "dmn", version.dmn[name]
    raise NotFound(f"文件 {name} 不在流程 {version.key} 第 {version.version} 版中")


def form_source(version: ProcedureVersion, form_key: str) -> str:
    text = version.forms.get(form_key)
    if text is None:
        raise NotFound(f"表单 {form_key} 不存在")
    return text


def bpmn_tabs(version: ProcedureVersion) -> list[str]:
    """The version's .bpmn files in tab order: the main process first, then by name."""
    main = changes.main_file(version.bpmn, version.key)
    return sorted(version.bpmn, key=lambda name: (name != main, name))


def form_list(version: ProcedureVersion) -> list[FormInfo]:
    """The forms a version names: title, field count, and whether it is the shared form."""
    shared = forms.shared_form_sources()
    out = []
    for key, text in sorted(version.forms.items()):
        form = procedures.form_of(version, key)
        source = "shared" if shared.get(key) == text else "bundle"
        out.append(FormInfo(key, form.title, source, len(form.fields)))
    return out


def _bundle_forms(db: Session, version: ProcedureVersion) -> dict[str, bytes]:
    """Forms of the region's newest versions that are not simply the shared ones, as files."""
    shared = forms.shared_form_sources()
    found: dict[str, str] = {}
    seen = {version.key}
    for v in procedures.list_versions(db):  # newest version of each procedure first
        if v.region_id != version.region_id or v.key in seen:
            continue
        seen.add(v.key)
        for key, text in v.forms.items():
            found.setdefault(key, text)
    found.update(version.forms)  # this version's own forms win
    return {f"forms/{key}.yaml": text.encode("utf-8")
            for key, text in sorted(found.items()) if shared.get(key) != text}


def _edited_files(db: Session, version: ProcedureVersion, bpmn: dict[str, str],
                  dmn: dict[str, str]) -> dict[str, bytes]:
    files = _bundle_forms(db, version)
    if version.readme is not None:  # the assumptions it lists stay with the new version
        files[procedures.README_FILE] = version.readme.encode("utf-8")
    files.update({f"{documents.FOLDER}/{name}": text.encode("utf-8")
                  for name, text in (version.documents or {}).items()})  # kept as deployed
    for name, text in {**bpmn, **dmn}.items():
        base = Path(name).name
        if base:
            files[base] = text.encode("utf-8")
    return files


def validate_bundle(files: dict[str, bytes]) -> list[str]:
    """Every problem deploy would report for these files, without writing anything."""
    bundle = procedures.bundle_from_files(files)
    models, problems = procedures.check(bundle)
    procedures._resolve_forms(bundle, models, problems)
    return problems


def validate_edited(db: Session, actor: User | None, key: str, region_code: str | None,
                    bpmn: dict[str, str], dmn: dict[str, str]) -> list[str]:
    """Problems of an edited bundle of `key`'s newest version in the region."""
    version = newest(db, actor, key, region_code)
    return validate_bundle(_edited_files(db, version, bpmn, dmn))


def deploy_edited(db: Session, actor: User | None, key: str, region_code: str | None,
                  bpmn: dict[str, str], dmn: dict[str, str]) -> list[ProcedureVersion]:
    """Deploy an edited bundle for the newest version's region; BundleInvalid changes nothing."""
    version = newest(db, actor, key, region_code)
    if not bpmn:
        raise BundleInvalid(["流程包中没有 .bpmn 文件"])
    return procedures.deploy(db, actor, version.region.code,
                             _edited_files(db, version, bpmn, dmn))
