"""Upload checks: size limit and an allow-list of types, judged by content, not by name alone."""

from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.text import text_errors

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.ppt

# extension -> (content type, accepted leading bytes)
ALLOWED_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (_ZIP,),
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (_ZIP,),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (_ZIP,)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (_ZIP,)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
}
ACCEPT_ATTRIBUTE = ",".join(ALLOWED_TYPES)


def validate_upload(upload) -> str:
    """Return the content type to store, or raise InvalidInput with a clear German message."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size == 0:
        raise InvalidInput(fields={"file": [_("The file is empty.")]})
    if upload.size > limit:
        raise InvalidInput(
            fields={
                "file": [
                    _("The file is too large (%(size)s). At most %(limit)s are allowed.")
                    % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
                ]
            }
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    allowed = ALLOWED_TYPES.get(suffix)
    if allowed is None:
        raise InvalidInput(
            fields={
                "file": [
                    _(
                        "Files of this type are not accepted. Allowed: PDF, images (PNG, JPEG) "
                        "and office documents (Word, Excel, PowerPoint, OpenDocument)."
                    )
                ]
            }
        )
    content_type, signatures = allowed
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise InvalidInput(
            fields={
                "file": [
                    _("The file’s content does not match its type %(suffix)s.") % {"suffix": suffix}
                ]
            }
        )
    return content_type


def check_upload(model, upload, description) -> str:
    """The checks before an upload is stored as a ``model`` row: the description's length and
    characters (``core.text.text_errors``), then size and type; returns the content type."""
    errors = text_errors(model, {"description": description})
    if errors:
        raise InvalidInput(fields=errors)
    return validate_upload(upload)


def store_upload(attachment, upload, *, audit_obj, action, by):
    """Save ``upload`` as the file of the unsaved ``attachment``, then the row and the audit
    entry ``action`` on ``audit_obj``; if either fails the file is deleted again. Call it
    inside the transaction that locked ``audit_obj``."""
    attachment.file.save(upload.name, upload, save=False)
    name = attachment.file.name
    try:
        attachment.save()
        log_action(
            obj=audit_obj,
            action=action,
            by=by,
            data={"file": attachment.original_name, "size": attachment.size},
        )
    except Exception:
        attachment.file.storage.delete(name)
        raise
    return attachment
