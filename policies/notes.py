"""When the office's decision on an application's check needs a note, and what it asks for.

The API serializer (answering before the task is claimed), the workflow and the application
services all ask here, so a missing note is refused with the same message everywhere.
"""

from fund_manager.core.text import CHANGES_REQUIRED, REASON_REQUIRED, note_errors

# Decision of the check -> the message for a missing note; a decision not listed needs none.
CHECK_NOTE_REQUIRED = {
    "ineligible": REASON_REQUIRED,
    "changes_requested": CHANGES_REQUIRED,
}


def check_note_errors(outcome: str, note) -> list[str]:
    """The messages for the ``note`` of the check decision ``outcome``: required for
    "ineligible" (the reason) and "changes_requested" (what to change); the text rule of
    notes for every decision."""
    return note_errors(note, required=CHECK_NOTE_REQUIRED.get(outcome))
