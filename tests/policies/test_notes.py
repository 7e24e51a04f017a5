"""policies.notes: which decision of the check needs a note, and the one message for each
(issue 10: the API serializer, the workflow and the services ask here)."""

import pytest
from django.utils import translation

from fund_manager.core.text import CHANGES_REQUIRED, NOTE_MAX_LENGTH, REASON_REQUIRED
from policies.notes import CHECK_NOTE_REQUIRED, check_note_errors


@pytest.mark.parametrize(
    ("outcome", "note", "expected"),
    [
        pytest.param("ineligible", "", [REASON_REQUIRED], id="ineligible-without-reason"),
        pytest.param("ineligible", "  \n ", [REASON_REQUIRED], id="ineligible-blank"),
        pytest.param("changes_requested", "", [CHANGES_REQUIRED], id="changes-without-what"),
        pytest.param("changes_requested", None, [CHANGES_REQUIRED], id="changes-none"),
        pytest.param("eligible", "", [], id="eligible-may-be-blank"),
        pytest.param("ineligible", "Kein Bezug zum Handlungsfeld.", [], id="with-reason"),
        pytest.param("eligible", "Zeile eins\nZeile zwei", [], id="multi-line"),
    ],
)
def test_a_note_is_required_for_ineligible_and_changes_requested(outcome, note, expected):
    assert check_note_errors(outcome, note) == expected


def test_the_text_rule_applies_to_every_decision():
    assert check_note_errors("eligible", "a\x00b")
    assert check_note_errors("ineligible", "x" * (NOTE_MAX_LENGTH + 1))
    assert check_note_errors("ineligible", "x" * NOTE_MAX_LENGTH) == []


def test_the_messages_are_translated():
    assert set(CHECK_NOTE_REQUIRED) == {"ineligible", "changes_requested"}
    with translation.override("de"):
        assert str(REASON_REQUIRED) == "Bitte geben Sie die Begründung an."
        assert str(CHANGES_REQUIRED) != "Please say what should be changed."
