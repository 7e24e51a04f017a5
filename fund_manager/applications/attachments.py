"""The documents of an application: uploaded while the applicant may still change it, checked
for size and type (``files.validate_upload``), removed with their file once the row is gone."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import NotPermitted
from policies import access

from .files import check_upload, store_upload
from .models import Attachment
from .services import lock_editable


def add_attachment(*, application, by, upload, description=""):
    """Store an uploaded document after checking its size and type (files.validate_upload)."""
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not add documents to this application."))
    content_type = check_upload(Attachment, upload, description)
    with transaction.atomic():
        locked = lock_editable(application)
        attachment = Attachment(
            application=locked,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            description=description,
            uploaded_by=by,
        )
        store_upload(
            attachment, upload, audit_obj=locked, action="application.attachment_added", by=by
        )
    return attachment


def remove_attachment(*, attachment, by):
    """Remove a document while the application may still be changed; the file goes after
    commit."""
    application = attachment.application
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not remove documents from this application."))
    with transaction.atomic():
        locked = lock_editable(application)
        name, storage = attachment.file.name, attachment.file.storage
        original = attachment.original_name
        attachment.delete()
        log_action(
            obj=locked, action="application.attachment_removed", by=by, data={"file": original}
        )
        transaction.on_commit(lambda: storage.delete(name))
