"""Uploads: type and size checks, private storage, nothing left behind when refused."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from fund_manager.applications import attachments, services
from fund_manager.applications.models import Attachment, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from tests.factories import force_state, force_state_with_approval

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def private_files():
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture(autouse=True)
def clean_private_storage():
    """Leave the private storage as it was: ids repeat between tests on SQLite."""
    before = private_files()
    yield
    for path in private_files() - before:
        path.unlink()
    attachments = Path(settings.PRIVATE_MEDIA_ROOT) / "attachments"
    if attachments.exists():
        for folder in sorted(attachments.rglob("*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Kostenplan.pdf", PDF, "application/pdf"),
        ("SCAN.PDF", PDF, "application/pdf"),
        ("Flyer.png", PNG, "image/png"),
        ("Foto.jpg", JPEG, "image/jpeg"),
        ("Foto.jpeg", JPEG, "image/jpeg"),
        (
            "Konzept.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_upload_is_stored_privately(draft, provider, name, content, content_type):
    # The browser's claim is ignored; the stored type comes from the checked content.
    attachment = attachments.add_attachment(
        application=draft, by=provider, upload=upload(name, content), description="Anlage"
    )

    attachment = Attachment.objects.get(pk=attachment.pk)
    assert attachment.application == draft
    assert attachment.content_type == content_type
    assert attachment.original_name == name
    assert attachment.size == len(content)
    assert attachment.uploaded_by == provider
    path = Path(attachment.file.path).resolve()
    assert path.read_bytes() == content
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert name not in str(path)  # stored under a random name
    entry = AuditEntry.objects.for_object(draft).get()
    assert entry.action == "application.attachment_added"
    assert entry.data == {"file": name, "size": len(content)}


def test_upload_allowed_while_changes_are_requested(draft, provider):
    force_state(draft, State.CHANGES_REQUESTED)

    attachments.add_attachment(application=draft, by=provider, upload=upload("a.pdf", PDF))

    assert draft.attachments.count() == 1


def _refused(draft):
    return draft.attachments.count(), AuditEntry.objects.count(), private_files()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Programm.exe", EXE),
        ("Rechnung.pdf", EXE),  # a .pdf that is not a PDF
        ("Bild.png", PDF),
        ("Konzept.docx", PDF),
        ("leer.pdf", b""),
        ("ohne-endung", PDF),
        ("Skript.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_refused_upload_leaves_nothing(draft, provider, name, content):
    before = _refused(draft)

    with pytest.raises(InvalidInput) as excinfo:
        attachments.add_attachment(application=draft, by=provider, upload=upload(name, content))

    assert list(excinfo.value.fields) == ["file"]
    assert all(str(message) for message in excinfo.value.fields["file"])
    assert _refused(draft) == before


def test_upload_over_the_limit_is_refused(settings, draft, provider):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = _refused(draft)

    with pytest.raises(InvalidInput) as excinfo:
        attachments.add_attachment(
            application=draft, by=provider, upload=upload("gross.pdf", PDF + b"x" * 1024)
        )

    assert "file" in excinfo.value.fields
    assert _refused(draft) == before


def test_upload_at_the_limit_is_accepted(settings, draft, provider):
    settings.ATTACHMENT_MAX_BYTES = 1024
    content = PDF + b"x" * (1024 - len(PDF))

    attachment = attachments.add_attachment(
        application=draft, by=provider, upload=upload("genau.pdf", content)
    )

    assert attachment.size == 1024


@pytest.mark.parametrize(
    "state", [s for s in State.values if s not in (State.DRAFT, State.CHANGES_REQUESTED)]
)
def test_no_upload_after_submission(draft, provider, state):
    force_state_with_approval(draft, state)
    before = _refused(draft)

    with pytest.raises(ApplicationError):
        attachments.add_attachment(application=draft, by=provider, upload=upload("a.pdf", PDF))

    assert _refused(draft) == before


@pytest.mark.parametrize("who", ["other_provider", "office"])
def test_others_cannot_upload(request, draft, who):
    before = _refused(draft)

    with pytest.raises(NotPermitted):
        attachments.add_attachment(
            application=draft, by=request.getfixturevalue(who), upload=upload("a.pdf", PDF)
        )

    assert _refused(draft) == before


@pytest.fixture
def attachment(draft, provider):
    return attachments.add_attachment(application=draft, by=provider, upload=upload("a.pdf", PDF))


def test_remove_attachment_deletes_the_file_after_commit(
    attachment, provider, django_capture_on_commit_callbacks
):
    path = Path(attachment.file.path)
    draft = attachment.application

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachments.remove_attachment(attachment=attachment, by=provider)
        # The row is gone at once; the file only once the transaction has committed.
        assert not Attachment.objects.filter(pk=attachment.pk).exists()
        assert path.exists()

    assert len(callbacks) == 1
    assert not path.exists()
    assert list(
        AuditEntry.objects.for_object(draft).order_by("id").values_list("action", flat=True)
    ) == ["application.attachment_added", "application.attachment_removed"]


def test_remove_refused_after_submission(attachment, provider):
    force_state(attachment.application, State.SUBMITTED)
    path = Path(attachment.file.path)

    with pytest.raises(ApplicationError):
        attachments.remove_attachment(attachment=attachment, by=provider)

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert path.exists()


@pytest.mark.parametrize("who", ["other_provider", "office"])
def test_others_cannot_remove(request, attachment, who, django_capture_on_commit_callbacks):
    path = Path(attachment.file.path)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        attachments.remove_attachment(attachment=attachment, by=request.getfixturevalue(who))

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert path.exists()


def test_deleting_a_draft_deletes_its_files_after_commit(
    attachment, provider, django_capture_on_commit_callbacks
):
    path = Path(attachment.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_draft(application=attachment.application, by=provider)
        assert path.exists()

    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not path.exists()
