"""Attachments in the engine: the type comes from the bytes, and a file belongs to one case."""

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from engine.casework import attachments, cases, tasks
from engine.store.errors import Invalid
from engine.store.models import Attachment, ProcedureVersion
from engine.time import clock
from engine.workflow import procedures
from forms import FieldDef
from tests.factories import make_world, open_task, valid_application, valid_step_data
from tests.forms.samples import HEAD_BIRTH, make_id_number

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 16
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024


def xlsx() -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(("name", "declared", "data", "served"), [
    ("a.pdf", "application/pdf", PDF, "application/pdf"),
    ("a.pdf", "", PDF, "application/pdf"),
    ("照片.JPG", "image/jpeg", JPEG, "image/jpeg"),
    ("a.jpeg", "image/pjpeg", JPEG, "image/jpeg"),
    ("表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx(),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("说明.docx", "application/octet-stream", docx(),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("旧.doc", "application/msword", OLE, "application/msword"),
    ("旧.xls", "application/vnd.ms-excel", OLE, "application/vnd.ms-excel"),
    ("说明.txt", "text/plain", "家庭情况说明".encode(), "text/plain; charset=utf-8"),
    ("说明.txt", "text/plain", "家庭情况说明".encode("gbk"), "text/plain; charset=gb18030"),
])
def test_accepted_files_are_served_as_their_content_says(name, declared, data, served):
    upload = attachments.check(name, declared, data)
    assert (upload.content_type, upload.data, upload.filename) == (served, data, name)
    assert attachments.ID.match(upload.id)


@pytest.mark.parametrize(("name", "declared", "data", "message"), [
    ("a.pdf", "text/html", PDF, "声明的类型 text/html 与其内容（PDF 文档）不符"),
    ("a.xlsx", "", docx(), "内容是 Word 文档，与扩展名 .xlsx 不符"),
    ("a.doc", "", b"PK\x03\x04" + b"\x00" * 40, "与扩展名 .doc 不符"),
    ("a.txt", "", PDF, "内容是 PDF 文档，与扩展名 .txt 不符"),
    ("a.txt", "", b"\x00\x01binary", "内容不是可接受的文件类型"),
    ("a.docx", "", OLE, "内容不是可接受的文件类型，与扩展名 .docx 不符"),
    ("a.html", "text/html", b"<html></html>", "不支持的附件类型 .html"),
    ("noext", "", PDF, "不支持的附件类型 （无扩展名）"),
])
def test_files_whose_content_disagrees_are_refused(name, declared, data, message):
    with pytest.raises(Invalid) as err:
        attachments.check(name, declared, data, field="members.0.proof")
    assert list(err.value.fields) == ["members.0.proof"]
    assert message in err.value.fields["members.0.proof"][0]


def test_a_file_over_the_limit_is_refused():
    with pytest.raises(Invalid) as err:
        attachments.check("a.pdf", "", PDF + b"\x00" * attachments.MAX_BYTES)
    assert err.value.fields == {"file": ["附件不能超过 15 MB"]}


def test_a_path_in_the_file_name_is_dropped():
    assert attachments.check("C:\\Users\\li\\..\\scan.pdf", "", PDF).filename == "scan.pdf"


@pytest.fixture
def world(db):
    return make_world(db)


def start(world, village="V11", clerk="clerk1"):
    return cases.start(world.db, world.user(clerk), "linzi_identification", village,
                       _application(), now=clock.now())


_counter = iter(range(60, 200))


def _application():
    """A valid application for a household of its own (one running case per household)."""
    head = make_id_number(HEAD_BIRTH, next(_counter))
    data = valid_application(head_id_number=head)
    data["members"][0]["id_number"] = head
    return data


def evaluate(world, case, username, upload=None, minutes=None):
    data = valid_step_data("village_evaluation")
    data["minutes_file"] = minutes or (upload.id if upload else data["minutes_file"])
    return tasks.complete(world.db, world.user(username), open_task(world.db, case.id).id,
                          data, now=clock.now(), uploads=[upload] if upload else [])


def count(world) -> int:
    return world.db.scalar(select(func.count()).select_from(Attachment))


def test_an_upload_is_stored_with_the_case_that_names_it(world):
    case = start(world)
    upload = attachments.check("纪要.pdf", "application/pdf", PDF)
    evaluate(world, case, "vil11", upload)
    row = world.db.get(Attachment, upload.id)
    assert (row.case_id, row.filename, row.content_type, row.size, row.data) == (
        case.id, "纪要.pdf", "application/pdf", len(PDF), PDF)
    found = attachments.for_case(world.db, world.user("town1"), case.id, upload.id)
    assert found.data == PDF
    assert attachments.describe(world.db, case.id, upload.id) == "纪要.pdf"


def test_an_upload_the_form_does_not_name_is_not_stored(world):
    case = start(world)
    unnamed = attachments.check("纪要.pdf", "", PDF)
    data = valid_step_data("village_evaluation")
    tasks.complete(world.db, world.user("vil11"), open_task(world.db, case.id).id, data,
                   now=clock.now(), uploads=[unnamed])
    assert count(world) == 0


def test_a_refused_form_stores_no_upload(world):
    case = start(world)
    upload = attachments.check("纪要.pdf", "", PDF)
    data = {**valid_step_data("village_evaluation"), "minutes_file": upload.id,
            "votes_for": "many"}
    with pytest.raises(Invalid):
        tasks.complete(world.db, world.user("vil11"), open_task(world.db, case.id).id, data,
                       now=clock.now(), uploads=[upload])
    assert count(world) == 0 and open_task(world.db, case.id).completed_at is None


def test_an_attachment_of_another_case_is_refused_and_nothing_is_stored(world):
    other = start(world, "V21", "clerk2")
    theirs = attachments.check("纪要.pdf", "", PDF)
    evaluate(world, other, "vil21", theirs)
    case = start(world)
    mine = attachments.check("mine.pdf", "", PDF)
    form = procedures.form_of(world.db.get(ProcedureVersion, case.procedure_version_id),
                              "village_evaluation")
    with pytest.raises(Invalid) as err:
        attachments.attach(world.db, world.user("vil11"), case, form,
                           {"minutes_file": theirs.id}, [mine], clock.now())
    assert err.value.fields == {"minutes_file": ["该附件不属于本案件或已不存在，请重新上传"]}
    world.db.rollback()
    with pytest.raises(Invalid) as err:
        evaluate(world, case, "vil11", minutes=theirs.id)
    assert list(err.value.fields) == ["minutes_file"]
    assert count(world) == 1
    assert attachments.describe(world.db, case.id, theirs.id) is None


def test_an_attachment_of_the_same_case_may_be_named_again(world):
    case = start(world)
    upload = attachments.check("纪要.pdf", "", PDF)
    evaluate(world, case, "vil11", upload)
    form = procedures.form_of(world.db.get(ProcedureVersion, case.procedure_version_id),
                              "village_evaluation")
    attachments.attach(world.db, world.user("vil11"), case, form,
                       {"minutes_file": upload.id}, [], clock.now())  # no Invalid
    world.db.rollback()


def test_an_outside_reference_in_a_file_field_is_left_alone(world):
    case = start(world)
    evaluate(world, case, "vil11", minutes="att-20240305-0001")
    assert count(world) == 0


def test_file_fields_inside_rows_are_found_by_their_path():
    proof = FieldDef(name="proof", type="file", label="证明")
    members = FieldDef(name="members", type="rows", label="成员", fields=(proof,))
    top = FieldDef(name="minutes", type="file", label="纪要")
    found = list(attachments.file_values((top, members), {
        "minutes": "att-1", "members": [{"proof": "att-2"}, {}, {"proof": "att-3"}]}))
    assert found == [("minutes", "att-1"), ("members.0.proof", "att-2"),
                     ("members.2.proof", "att-3")]
