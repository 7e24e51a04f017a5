"""The SEPA credit transfer file (pain.001.001.03) of an export batch, through ``sepaxml``.

For treasuries that pay from a file: one transaction per payment to an outside recipient
(internal budget transfers to city departments are not payments to an account and are left
out), grouped by execution date, the city's account (``Fund.payer_name/_iban/_bic``) as the
debtor. The file is checked against the XSD that sepaxml ships (``validate=True``); a file that
does not validate is never stored.

Text is reduced to the SEPA character set (EPC: ``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and the
space): German umlauts are written out (ä → ae, ß → ss), other letters lose their accents, every
other character is left out. The end-to-end id is the payment key, the message id the batch id.
"""

import functools
import io
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import sepaxml
import xmlschema
from sepaxml import SepaTransfer

SCHEMA = "pain.001.001.03"
CONTENT_TYPE = "application/xml"
XSD = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "&": "+"}
)
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" {2,}")


def sepa_text(value, max_length) -> str:
    """``value`` in the SEPA character set, at most ``max_length`` characters."""
    text = str(value or "").translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text)
    text = _NOT_SEPA.sub("", text.replace("\t", " ").replace("\r", " ").replace("\n", " "))
    return _SPACES.sub(" ", text).strip()[:max_length].strip()


def sepa_id(value, max_length=35) -> str:
    """An identifier (end-to-end id, message id): SEPA characters, no spaces, never starting
    with "/" nor holding "//" (EPC rules)."""
    text = sepa_text(value, 200).replace(" ", "")
    while "//" in text:
        text = text.replace("//", "/")
    return text.lstrip("/")[:max_length] or "NOTPROVIDED"


def cents(amount) -> int:
    return int((Decimal(amount) * 100).to_integral_exact())


def sepa_file(*, batch_id, debtor_name, debtor_iban, debtor_bic, rows, today) -> bytes | None:
    """The pain.001 file of ``rows`` (dicts by column code, typed values, internal lines
    included and skipped here), or None when no row is a bank transfer."""
    config = {
        "name": sepa_text(debtor_name, 70),
        "IBAN": debtor_iban.replace(" ", "").upper(),
        "batch": True,
        "currency": "EUR",
    }
    if debtor_bic:
        config["BIC"] = debtor_bic.strip().upper()
    transfer = SepaTransfer(config, schema=SCHEMA, clean=True)
    count = 0
    for row in rows:
        if row["is_internal"]:
            continue
        payment = {
            "name": sepa_text(row["payee"], 70),
            "IBAN": row["iban"].replace(" ", "").upper(),
            "amount": cents(row["amount"]),
            # A due date already passed is paid as soon as possible: banks refuse past dates.
            "execution_date": max(row["due_date"], today),
            "description": sepa_text(row["reference"], 140),
            "endtoend_id": sepa_id(row["payment_key"]),
        }
        if row["bic"]:
            payment["BIC"] = row["bic"].strip().upper()
        transfer.add_payment(payment)
        count += 1
    if not count:
        return None
    # The message id names the batch (sepaxml draws a random one): unique, and readable in the
    # bank's protocol.
    transfer._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId").text = sepa_id(batch_id)
    data = transfer.export(validate=False, pretty_print=False)
    validate(data)
    return data


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """The XSD sepaxml ships, loaded once per process."""
    return xmlschema.XMLSchema(str(XSD))


def validate(data: bytes) -> None:
    """Check ``data`` against the XSD; raises ``xmlschema.XMLSchemaValidationError``.

    sepaxml's own check (``export(validate=True)``) loads the whole tree, which xmlschema
    refuses above a million elements (about 80,000 transactions); a lazy resource has no such
    limit and keeps the memory flat."""
    schema().validate(xmlschema.XMLResource(io.BytesIO(data), lazy=True))
