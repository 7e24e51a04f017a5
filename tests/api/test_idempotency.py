"""The Idempotency-Key rule (fund_manager/api/idempotency.py): 1 to 100 printable ASCII
characters without spaces, the same for every endpoint, in the check, the message and
docs/api.md (issue 9, defect 14)."""

import pathlib

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIRequestFactory

from fund_manager.api import idempotency
from fund_manager.api.idempotency import KEY_MAX_LENGTH, idempotency_key
from fund_manager.ledger.models import Transfer

EMOJI = "buchung-\N{GRINNING FACE}"
# What a WSGI server hands Django for the emoji key sent as UTF-8 bytes: HTTP header values
# are decoded as Latin-1.
EMOJI_OVER_WSGI = EMOJI.encode().decode("latin-1")
MESSAGE = (
    "Der Header Idempotency-Key muss aus 1 bis 100 druckbaren ASCII-Zeichen bestehen: "
    "Buchstaben, Ziffern und Satzzeichen, keine Leerzeichen."
)
BAD_KEYS = [
    "",
    "   ",
    "x" * 101,
    "tab\there",
    "mit leerzeichen",
    EMOJI,
    EMOJI_OVER_WSGI,
    "straße-1",  # Latin-1, but not ASCII
    "null\x00byte",
    "del\x7f",
]
GOOD_KEYS = ["k", "k" * 100, "2031-alloc-sprache-1", "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "a~Z"]


def request_with(key):
    extra = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return APIRequestFactory().post("/", **extra)


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_printable_ascii_keys_are_taken_as_they_are(key):
    assert idempotency_key(request_with(key)) == key


def test_surrounding_whitespace_is_not_part_of_the_key():
    assert idempotency_key(request_with("  k-1\t")) == "k-1"


def test_without_the_header_a_fresh_key_only_when_asked():
    assert idempotency_key(request_with(None)) is None
    first = idempotency_key(request_with(None), generate=True)
    second = idempotency_key(request_with(None), generate=True)
    assert first != second
    assert len(first) == 36


@pytest.mark.parametrize("key", BAD_KEYS)
def test_defect_14_anything_else_is_refused_with_the_rule(key):
    with pytest.raises(ValidationError) as refused:
        idempotency_key(request_with(key))

    assert refused.value.detail == {"idempotency_key": [MESSAGE]}


def test_defect_14_one_function_for_every_endpoint():
    """No view keeps its own copy of the check."""
    api = pathlib.Path(idempotency.__file__).parent
    copies = [
        path.relative_to(api).as_posix()
        for path in api.rglob("*.py")
        if "def _idempotency_key" in path.read_text() or "def idempotency_key" in path.read_text()
    ]
    assert copies == ["idempotency.py"]


def test_defect_14_the_docs_state_the_same_rule():
    docs = pathlib.Path(idempotency.__file__).parents[2] / "docs" / "api.md"
    text = " ".join(docs.read_text().split())

    assert "1 to 100 printable ASCII characters" in text
    assert "printable characters" not in text.replace("printable ASCII characters", "")
    assert KEY_MAX_LENGTH == 100


def test_the_longest_key_fits_the_ledger():
    stored = Transfer._meta.get_field("idempotency_key").max_length

    assert stored >= KEY_MAX_LENGTH


# --- through the ledger endpoints ----------------------------------------------------------------
def bookings(year):
    allocation = Transfer.objects.get(fiscal_year=year, sequence=2)
    base = f"/api/v1/fiscal-years/{year.pk}"
    return {
        "allocations": (f"{base}/allocations/", {"action_field": "sprache", "amount": "1.00"}),
        "reallocations": (
            f"{base}/reallocations/",
            {
                "from_action_field": "sprache",
                "to_action_field": "bildung",
                "amount": "1.00",
                "reason": "Umschichtung",
            },
        ),
        "budget": (f"{base}/budget/", {"amount": "1500.00"}),
        "reversal": (f"/api/v1/transfers/{allocation.pk}/reversal/", {"reason": "Falsch"}),
    }


ENDPOINTS = ["allocations", "reallocations", "budget", "reversal"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("key", [EMOJI, EMOJI_OVER_WSGI, "mit leerzeichen"])
def test_defect_14_every_booking_refuses_a_key_outside_printable_ascii(
    api, finance, year, endpoint, key
):
    url, body = bookings(year)[endpoint]
    before = list(Transfer.objects.values_list("pk", flat=True))

    # HTTP_IDEMPOTENCY_KEY: what the server receives, exactly (no client-side encoding).
    response = api(finance).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json() == {"idempotency_key": [MESSAGE]}
    assert list(Transfer.objects.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_booking_takes_a_key_with_every_printable_ascii_character(
    api, finance, year, endpoint
):
    url, body = bookings(year)[endpoint]
    key = "".join(chr(c) for c in range(0x21, 0x7F))

    response = api(finance).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 201, response.json()
    assert response.headers["Idempotency-Key"] == key
    assert Transfer.objects.get(pk=response.json()["id"]).idempotency_key == key
