"""Evidence uploads: PDF, JPEG and PNG only, by content; served only through a checked view."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services
from projects.evidence import JPEG, PDF, PNG, original_name, validate_evidence
from projects.models import EvidencePolicy, Milestone, Stage
from tests.conftest import make_project

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32
HTML_BYTES = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("意向书.pdf", PDF_BYTES, PDF),
        ("开工照片.PNG", PNG_BYTES, PNG),
        ("photo.jpg", JPEG_BYTES, JPEG),
        ("photo.jpeg", JPEG_BYTES, JPEG),
    ],
)
def test_accepted(name, content, kind):
    assert validate_evidence(upload(name, content)) is kind


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("合同.pdf", HTML_BYTES, "只能上传PDF、JPEG或PNG文件"),  # a PDF only by its name
        ("合同.pdf", b"MZ\x90\x00" + b"\x00" * 20, "只能上传PDF、JPEG或PNG文件"),
        ("scan.png", PDF_BYTES, "与扩展名不符"),  # a real PDF under an image's name
        ("scan.html", PDF_BYTES, "与扩展名不符"),
        ("scan", PNG_BYTES, "与扩展名不符"),
        ("empty.pdf", b"", "文件是空的"),
    ],
)
def test_refused(name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_evidence(upload(name, content, "application/pdf"))
    assert message in str(excinfo.value)


def test_size_limit_comes_from_settings(settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    validate_evidence(upload("a.pdf", PDF_BYTES + b"0" * (1024 * 1024 - len(PDF_BYTES))))
    with pytest.raises(ValidationError) as excinfo:
        validate_evidence(upload("a.pdf", PDF_BYTES + b"0" * (1024 * 1024)))
    assert "不能超过1 MB" in str(excinfo.value)


# Through the pages --------------------------------------------------------------------
@pytest.fixture
def project(commerce):
    return make_project(commerce)


def log_intent(client, project, file):
    url = reverse("projects:milestone_create", args=[project.pk])
    return client.post(url, {"stage": Stage.INTENT, "occurred_on": "2026-03-01", "evidence": file})


def test_upload_is_stored_under_a_random_name_and_served_with_its_type(client, liaison, project):
    client.force_login(liaison)
    response = log_intent(client, project, upload("../../意向书 final.pdf", PDF_BYTES))
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert milestone.evidence.name.startswith("evidence/2026/06/")
    assert milestone.evidence.name.endswith(".pdf") and "意向书" not in milestone.evidence.name
    assert milestone.evidence_name == "意向书 final.pdf"  # what people read (issue 19)

    response = client.get(reverse("projects:evidence", args=["milestone", milestone.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_refused_upload_shows_the_error_next_to_the_field(client, liaison, project):
    client.force_login(liaison)
    response = log_intent(client, project, upload("合同.pdf", HTML_BYTES))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_evidence_error"' in page and "只能上传PDF、JPEG或PNG文件" in page
    assert not Milestone.objects.exists()


def test_evidence_is_required_where_the_policy_says(client, liaison, project):
    client.force_login(liaison)
    url = reverse("projects:milestone_create", args=[project.pk])
    response = client.post(url, {"stage": Stage.SIGNED, "occurred_on": "2026-03-01"})
    assert "请上传佐证材料：合同" in response.content.decode()
    response = client.post(url, {"stage": Stage.LEAD, "occurred_on": "2026-03-01"})
    assert response.status_code == 302
    # An intent's 意向书 is recommended, not required, by default.
    response = client.post(url, {"stage": Stage.INTENT, "occurred_on": "2026-03-02"})
    assert response.status_code == 302


def test_the_office_can_require_evidence_for_intents(client, liaison, project):
    EvidencePolicy.objects.update_or_create(
        kind="intent", defaults={"required": True, "document": "意向书"}
    )
    client.force_login(liaison)
    url = reverse("projects:milestone_create", args=[project.pk])
    response = client.post(url, {"stage": Stage.INTENT, "occurred_on": "2026-03-01"})
    assert "请上传佐证材料：意向书" in response.content.decode()


def test_unrecognised_stored_file_is_downloaded_never_rendered(client, office, project):
    # Files that reached storage another way (an import, the admin) are not trusted.
    milestone = Milestone(project=project, stage=Stage.LEAD, occurred_on=date(2026, 3, 1))
    milestone.evidence.save("note.html", ContentFile(HTML_BYTES), save=False)
    milestone.save()
    client.force_login(office)
    response = client.get(reverse("projects:evidence", args=["milestone", milestone.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_evidence_or_missing_file_is_404(client, office, project):
    milestone = Milestone.objects.create(
        project=project, stage=Stage.LEAD, occurred_on=date(2026, 3, 1)
    )
    client.force_login(office)
    url = reverse("projects:evidence", args=["milestone", milestone.pk])
    assert client.get(url).status_code == 404
    Milestone.objects.filter(pk=milestone.pk).update(evidence="evidence/2026/03/gone.pdf")
    assert client.get(url).status_code == 404


def test_media_url_serves_nothing(client, office, project):
    milestone = Milestone(project=project, stage=Stage.LEAD, occurred_on=date(2026, 3, 1))
    milestone.evidence.save("x.pdf", ContentFile(PDF_BYTES), save=False)
    milestone.save()
    client.force_login(office)
    assert client.get("/media/" + milestone.evidence.name).status_code == 404


# The original name (issue 19) ---------------------------------------------------------
def test_history_and_record_pages_name_the_file_as_uploaded(client, liaison, project):
    client.force_login(liaison)
    log_intent(client, project, upload("意向书.pdf", PDF_BYTES))
    milestone = Milestone.objects.get()
    first_stored = milestone.evidence.name.rsplit("/", 1)[-1]
    edit = reverse("projects:milestone_edit", args=[milestone.pk])
    response = client.post(
        edit,
        {
            "stage": Stage.INTENT,
            "occurred_on": "2026-03-01",
            "evidence": upload("合同 盖章.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.evidence_name == "合同 盖章.pdf"
    second_stored = milestone.evidence.name.rsplit("/", 1)[-1]

    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert (
        "文件 意向书.pdf" in page and "文件 合同 盖章.pdf" in page
    )  # the history's before → after
    assert first_stored not in page and second_stored not in page
    assert ">合同 盖章.pdf</a>" in page  # the timeline's link
    assert ">合同 盖章.pdf</a>" in client.get(edit).content.decode()


def test_the_admin_upload_is_named_the_same_way(office, project):
    milestone = Milestone(project=project, stage=Stage.LEAD, occurred_on=date(2026, 3, 1))
    milestone.evidence = upload("现场照片.PNG", PNG_BYTES)
    services.save_record_as_office(milestone, by=office)
    milestone.refresh_from_db()
    assert milestone.evidence_name == "现场照片.PNG"
    assert milestone.evidence.name.endswith(".png") and "现场照片" not in milestone.evidence.name
    assert milestone.history.get().evidence_name == "现场照片.PNG"


def test_no_file_no_name(office, project):
    milestone = Milestone(project=project, stage=Stage.LEAD, occurred_on=date(2026, 3, 1))
    milestone.evidence = upload("a.pdf", PDF_BYTES)
    services.save_record_as_office(milestone, by=office)
    milestone.evidence = None
    services.save_record_as_office(milestone, by=office)
    milestone.refresh_from_db()
    assert (milestone.evidence.name, milestone.evidence_name) == ("", "")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("合同.pdf", "合同.pdf"),
        ("C:\\Users\\王\\扫描件.pdf", "扫描件.pdf"),  # old browsers send the whole path
        ("a\x00b\nc.pdf", "abc.pdf"),
        ("长" * 300 + ".pdf", "长" * 250 + "….pdf"),
    ],
)
def test_original_name(sent, kept):
    assert original_name(sent) == kept
    assert len(original_name(sent)) <= 255
