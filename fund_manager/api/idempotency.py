"""The ``Idempotency-Key`` request header: one rule for every endpoint that takes it.

A key is 1 to ``KEY_MAX_LENGTH`` printable ASCII characters without spaces (0x21 to 0x7E:
letters, digits and punctuation), after the surrounding whitespace HTTP ignores. ASCII only:
HTTP carries header values as bytes (servers decode them as Latin-1), so a key with other
characters would not arrive as the client wrote it. A malformed key is a 400 field error
``{"idempotency_key": [...]}`` (docs/api.md).
"""

import re
import uuid

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Stored in Transfer.idempotency_key (max_length 100, checked by a test).
KEY_MAX_LENGTH = 100
_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}")


def idempotency_key(request, *, generate=False) -> str | None:
    """The request's ``Idempotency-Key``, validated. Without the header: a fresh uuid4 when
    ``generate`` (so such a request is never deduplicated), else ``None``."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return str(uuid.uuid4()) if generate else None
    key = raw.strip(" \t")
    if not _KEY.fullmatch(key):
        raise ValidationError(
            {
                "idempotency_key": [
                    _(
                        "The Idempotency-Key header must have 1 to %(max)s printable ASCII "
                        "characters: letters, digits and punctuation, no spaces."
                    )
                    % {"max": KEY_MAX_LENGTH}
                ]
            },
            code="invalid",
        )
    return key
