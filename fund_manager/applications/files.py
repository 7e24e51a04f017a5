"""Upload checks: size limit and an allow-list of types, judged by content, not by name alone."""

from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput

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
