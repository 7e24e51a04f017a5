"""Demo data, part three (issue 11): the money of 2017, replayed through the use cases at its
real dates (time-machine), after the rounds.

The fund's terms for the export (ordering office, budget positions, the city's account), then:

- payment requests in every state: paid (two export batches, each confirmed by an imported
  confirmation file of the finance system, CSV), exported but not yet confirmed, ordered (after
  a spending freeze on "Wohnen" was lifted), certified, requested, rejected and cancelled;
  internal budget transfers for the city departments (Fachbereich Kinder-Jugend-Familie,
  Koordinierungsstelle Zuwanderung Südosteuropa, Volkshochschule);
- a waiver of legal remedy (the Ferienspiele are paid before the month for legal action ends);
- usage reports: accepted in full (the Fachtag, the Deutschkurs), accepted after a granted
  extension of the due date (Sprachpaten), accepted with less eligible than paid, each ending
  in a refund decision: one claim paid with interest (Sport für Mädchen), one still open
  (Möbelbörse).

FIPS (VF-2017-0001), the Willkommenskurs and the Patenschaften keep their approval untouched:
nothing was requested for them. Runs once (when 2017 has no payment request yet), in one
transaction.
"""

import csv
import datetime
import io
from decimal import Decimal

import time_machine
from django.db import transaction

from fund_manager.applications.models import Application, Revocation
from fund_manager.funds.models import ActionField
from fund_manager.ledger import freezes
from fund_manager.organisations.models import Organisation
from fund_manager.payments import confirmations, exports
from fund_manager.payments.models import PaymentRequest
from fund_manager.rounds import services as rounds
from fund_manager.settlement.models import RefundClaim
from fund_manager.settlement.selectors import claims as claim_selectors
from workflows import grants as grant_use_cases
from workflows import payments as payment_use_cases
from workflows import refunds as refund_use_cases
from workflows import settlement as settlement_use_cases

from .data import _at, _iban

# --- the fund's terms for the export --------------------------------------------------------
FUND_SETTINGS = {
    "ordering_office": "Fachbereich Integration",
    # Product 05.02.01 "Hilfen für Flüchtlinge", its cost centre and the account for grants to
    # others for running purposes (NKF-Kontenrahmen 5318).
    "product_code": "050201",
    "cost_centre": "50210000",
    "cost_account": "53180000",
    "payer_name": "Stadt Herne - Stadtkasse",
    "payer_iban": _iban("43250030", "0000012345"),
    "payer_bic": "WELADED1HRN",
}
# Two action fields are booked on the products of their own departments.
FIELD_POSITIONS = {
    "kinder-jugend-familie": ("060301", "51030000", "53180000"),
    "sprache-beruf": ("050203", "50230000", "53180000"),
}

# The BICs of the demo organisations' banks (by bank code, IBAN positions 5 to 12).
BICS = {"43050001": "WELADED1BOC", "37060193": "GENODED1PAX"}

# The finance system's confirmation file: document number, payment date, amount, released by.
CONFIRMATION_HEADER = ["Belegnummer", "Zahlungsdatum", "Betrag", "Freigegeben von"]
RELEASED_BY = "Stadtkasse Herne (Frau Kassel)"


def _day(year, month, day):
    return datetime.date(year, month, day)


def _on(date, hour=10):
    return time_machine.travel(_at(date.year, date.month, date.day, hour), tick=False)


def fund_settings(seeder):
    """Fill the fund's terms where they are still empty (an older demo database too)."""
    fund = seeder.fund
    changed = [name for name, value in FUND_SETTINGS.items() if not getattr(fund, name)]
    for name in changed:
        setattr(fund, name, FUND_SETTINGS[name])
    if changed:
        fund.save(update_fields=changed)
    for code, (product, centre, account) in FIELD_POSITIONS.items():
        ActionField.objects.filter(fund=fund, code=code, product_code="").update(
            product_code=product, cost_centre=centre, cost_account=account
        )
    for bank_code, bic in BICS.items():
        Organisation.objects.filter(iban__regex=rf"^DE[0-9]{{2}}{bank_code}", bic="").update(
            bic=bic
        )


def replay_2017(seeder):
    fund_settings(seeder)
    if PaymentRequest.objects.filter(fiscal_year=seeder.year_2017).exists():
        return
    with transaction.atomic():
        _Replay(seeder).run()


class _Replay:
    def __init__(self, seeder):
        self.seeder = seeder
        self.year = seeder.year_2017
        self.office = seeder.users["projektbuero"]
        self.finance = seeder.users["kaemmerei"]
        self.apps = {a.reference: a for a in Application.objects.filter(fiscal_year=self.year)}

    def out(self, text):
        self.seeder.out(f"  2017: {text}")

    def app(self, reference):
        application = self.apps[reference]
        application.refresh_from_db()
        return application

    # --- payments ----------------------------------------------------------------------------
    def request(self, reference, amount, on, needed_by):
        application = self.app(reference)
        with _on(on):
            return payment_use_cases.request_payment(
                application=application,
                by=application.created_by,
                amount=Decimal(amount),
                needed_by=needed_by,
                declaration=True,
            )

    def certify(self, payment, on):
        with _on(on, 11):
            return payment_use_cases.certify_payment(payment=_fresh(payment), by=self.office)

    def order(self, payment, on):
        with _on(on, 14):
            return payment_use_cases.order_payment(payment=_fresh(payment), by=self.finance)

    def paid_path(self, reference, amount, requested, needed_by):
        """Requested, certified two days later and ordered two days after that."""
        payment = self.request(reference, amount, requested, needed_by)
        self.certify(payment, requested + datetime.timedelta(days=2))
        return self.order(payment, requested + datetime.timedelta(days=4))

    def export(self, on):
        with _on(on, 9):
            batch = exports.create_export_batch(fiscal_year=self.year, by=self.finance)
        self.out(f"export {batch.batch_id}: {batch.row_count} payments, {batch.control_total}")
        return batch

    def confirm(self, payments, paid_on, imported_on, filename):
        """The finance system's confirmation file (CSV, semicolons), imported by finance."""
        rows = io.StringIO()
        writer = csv.writer(rows, delimiter=";", lineterminator="\r\n")
        writer.writerow(CONFIRMATION_HEADER)
        for payment in payments:
            payment = _fresh(payment)
            writer.writerow(
                [
                    payment.document_number,
                    paid_on.strftime("%d.%m.%Y"),
                    f"{payment.amount:.2f}".replace(".", ","),
                    RELEASED_BY,
                ]
            )
        content = rows.getvalue().encode("utf-8-sig")
        with _on(imported_on, 8):
            result = confirmations.import_confirmations(
                content=content, filename=filename, by=self.finance
            )
        self.out(f"confirmation file {filename} imported ({len(payments)} payments)")
        return result

    # --- usage reports -----------------------------------------------------------------------
    def report(self, reference, saved_on, submitted_on, narrative, participants, actual=None):
        """The recipient files the report: actual costs per line of the cost plan (``actual``:
        the amounts in the plan's order; default as planned), one receipt per line, the
        participants per target group, each payment spent three weeks after its payout."""
        application = self.app(reference)
        items = list(application.cost_items.order_by("position", "pk"))
        amounts = [Decimal(a) for a in actual] if actual else [item.amount for item in items]
        receipt_day = min(application.end_date, saved_on)
        cost_lines = [
            {
                "cost_item": item.pk,
                "receipts": [
                    {
                        "date": receipt_day,
                        "payee": _payee(item),
                        "reason": item.description,
                        "amount": amount,
                    }
                ]
                if amount
                else [],
            }
            for item, amount in zip(items, amounts, strict=True)
        ]
        groups = application.target_groups.order_by("position")
        payment_uses = [
            {"payment": payment.pk, "spent_on": payment.paid_on + datetime.timedelta(days=21)}
            for payment in application.payment_requests.filter(state="paid")
        ]
        with _on(saved_on):
            report = settlement_use_cases.save_report(
                application=application,
                by=application.created_by,
                narrative=narrative,
                cost_lines=cost_lines,
                participants=[
                    {"target_group": group.pk, "count": count}
                    for group, count in zip(groups, participants, strict=False)
                ],
                payment_uses=payment_uses,
            )
        with _on(submitted_on, 15):
            return settlement_use_cases.submit_report(report=report, by=application.created_by)

    def review(self, report, on, eligible, note="", response_due=None):
        with _on(on, 11):
            return settlement_use_cases.review_report(
                report=report,
                by=self.office,
                outcome="accepted",
                eligible_costs=Decimal(eligible),
                note=note,
                response_due=response_due,
            )

    def refund_decision(self, reference, decided_on, reasons):
        """The office decides the refund after the hearing: the claim follows the decision."""
        application = self.app(reference)
        revocation = Revocation.objects.filter(application=application).order_by("-pk").first()
        with _on(decided_on, 11):
            grant_use_cases.decide_revocation(
                revocation=revocation, by=self.office, reasons=reasons
            )
        return RefundClaim.objects.get(application=application)

    # --- the year ----------------------------------------------------------------------------
    def run(self):
        year = 2017
        d = _day
        # Round 1 (session 15.02., notices received 19.02.): final from 19.03.
        sport_1 = self.paid_path("VF-2017-0002", "2500.00", d(year, 3, 20), d(year, 4, 3))
        kurs = self.paid_path("VF-2017-0004", "5240.30", d(year, 3, 20), d(year, 4, 10))
        wohnraum_1 = self.paid_path("VF-2017-0005", "1500.00", d(year, 3, 21), d(year, 4, 3))
        fachtag = self.paid_path("VF-2017-0006", "1890.00", d(year, 3, 20), d(year, 4, 5))
        self.export(d(year, 3, 29))
        self.confirm(
            [sport_1, kurs, wohnraum_1, fachtag],
            paid_on=d(year, 4, 3),
            imported_on=d(year, 4, 4),
            filename="Zahlungsbestaetigung_2017-04-03.csv",
        )

        # The Fachtag (05.04.) reports early; all costs eligible: closed.
        report = self.report(
            "VF-2017-0006",
            d(year, 5, 2),
            d(year, 5, 8),
            "Der Fachtag fand am 5. April mit 84 Fachkräften aus Jugendhilfe und Schulen statt.",
            [52, 32],
        )
        self.review(report, d(year, 5, 22), "1890.00", note="Sachlich und rechnerisch geprüft.")

        # Round 2 (session 29.03., notices received 02.04.): final from 02.05.
        sprachpaten = self.paid_path("VF-2017-0007", "1600.00", d(year, 5, 3), d(year, 6, 30))
        schwimmen = self.paid_path("VF-2017-0008", "1425.00", d(year, 5, 3), d(year, 6, 30))
        beruf = self.paid_path("VF-2017-0009", "2000.00", d(year, 5, 4), d(year, 6, 30))
        moebel = self.paid_path("VF-2017-0010", "1000.00", d(year, 5, 8), d(year, 6, 30))
        elterncafe = self.paid_path("VF-2017-0011", "2400.00", d(year, 5, 8), d(year, 6, 30))
        sport_2 = self.paid_path("VF-2017-0002", "2480.00", d(year, 6, 12), d(year, 7, 1))
        # Round 3 (session 07.06., notices received 11.06.): the Fachbereich waives its legal
        # remedy the next day, so that the Ferienspiele (from 01.07.) can be paid in June.
        ferien = self.app("VF-2017-0013")
        with _on(d(year, 6, 12), 9):
            rounds.record_remedy_waiver(
                item=ferien.agenda_items.get(state="approved"),
                waived_on=d(year, 6, 12),
                by=self.office,
            )
        ferienspiele = self.paid_path("VF-2017-0013", "3650.00", d(year, 6, 12), d(year, 7, 1))
        self.export(d(year, 6, 23))
        # The finance system has not released the Schwimmkurse yet: that one stays exported.
        self.confirm(
            [sport_2, sprachpaten, beruf, moebel, elterncafe, ferienspiele],
            paid_on=d(year, 6, 27),
            imported_on=d(year, 6, 28),
            filename="Zahlungsbestaetigung_2017-06-27.csv",
        )
        del schwimmen

        # Round 3 is final from 11.07.: a request rejected, one cancelled, two left waiting.
        dolmetsch = self.request("VF-2017-0015", "2750.00", d(year, 7, 12), d(year, 9, 11))
        with _on(d(year, 7, 14), 11):
            payment_use_cases.reject_payment(
                payment=_fresh(dolmetsch),
                by=self.office,
                reason=(
                    "Abgerufen werden kann nur, was in den nächsten zwei Monaten gebraucht wird "
                    "(ANBest-P Nr. 1.4); bitte rufen Sie die Honorare bis September ab."
                ),
            )
        dolmetsch_2 = self.request("VF-2017-0015", "1400.00", d(year, 7, 17), d(year, 9, 1))
        self.certify(dolmetsch_2, d(year, 7, 19))  # certified, not yet ordered
        fussball = self.request("VF-2017-0016", "2400.00", d(year, 7, 12), d(year, 9, 1))
        with _on(d(year, 7, 13), 9):
            payment_use_cases.cancel_payment(
                payment=_fresh(fussball),
                by=fussball.requested_by,
                reason="Versehentlich den ganzen Betrag abgerufen; ein neuer Abruf folgt.",
            )
        self.request("VF-2017-0016", "1200.00", d(year, 7, 13), d(year, 9, 1))  # requested

        # A spending freeze on "Wohnen" holds the second tranche of the Wohnraum project back
        # until it is lifted; ordered afterwards, it waits for the next export.
        with _on(d(year, 8, 1), 9):
            freeze = freezes.freeze_spending(
                fiscal_year=self.year,
                action_field=self.seeder.fields["wohnen"],
                reason=(
                    "Haushaltssperre (§ 25 KomHVO NRW): Mehrkosten der Unterbringung im "
                    "Handlungsfeld Wohnen werden geprüft."
                ),
                by=self.finance,
            )
        wohnraum_2 = self.request("VF-2017-0005", "1250.00", d(year, 8, 7), d(year, 9, 30))
        self.certify(wohnraum_2, d(year, 8, 9))
        with _on(d(year, 8, 28), 9):
            freezes.lift_freeze(
                freeze=freeze,
                reason="Die Mehrkosten sind gedeckt; die Sperre wird aufgehoben.",
                by=self.finance,
            )
        self.order(wohnraum_2, d(year, 8, 30))
        self.out("payments in every state; spending freeze on Wohnen set and lifted")

        # The Deutschkurs ended on 27.10.: its report is due, filed and accepted in full.
        with _on(d(year, 10, 30), 6):
            settlement_use_cases.mark_reports_due()
        report = self.report(
            "VF-2017-0004",
            d(year, 11, 20),
            d(year, 11, 24),
            "Zwei Kurse mit 180 Unterrichtseinheiten; 31 Teilnehmende, 24 mit Zertifikat A1.",
            [31],
        )
        self.review(report, d(year, 12, 6), "5240.30")

        # 2018: the reports of the projects that ended in December.
        with _on(d(2018, 1, 2), 6):
            settlement_use_cases.mark_reports_due()
        self.reports_2018()

    def reports_2018(self):
        d = _day
        # Möbelbörse: less eligible than paid; the refund claim is still open.
        report = self.report(
            "VF-2017-0010",
            d(2018, 1, 15),
            d(2018, 1, 22),
            "Die Möbelbörse hat 46 Haushalte ausgestattet; der Lagerraum wurde ab Oktober "
            "kostenlos von einer Kirchengemeinde gestellt.",
            [46, 12],
            actual=["500.00", "300.00"],
        )
        self.review(
            report,
            d(2018, 2, 12),
            "800.00",
            note="Förderfähig sind 800,00 €; die Miete ab Oktober ist nicht angefallen.",
            response_due=d(2018, 3, 5),
        )
        self.refund_decision(
            "VF-2017-0010",
            d(2018, 3, 12),
            "Nach der Prüfung des Verwendungsnachweises sind 800,00 € förderfähig; 200,00 € "
            "der ausgezahlten Zuwendung sind zu erstatten (§ 49 Abs. 3, § 49a VwVfG NRW).",
        )
        self.out("Möbelbörse: refund claim open")

        # Sport für Mädchen: less eligible than paid; refunded with interest.
        report = self.report(
            "VF-2017-0002",
            d(2018, 2, 5),
            d(2018, 2, 9),
            "Drei Sportgruppen für Mädchen in zwei Vereinen; die Turnierfahrten fielen aus.",
            [38, 17],
            actual=["3600.00", "1000.00", "0.00"],
        )
        self.review(
            report,
            d(2018, 3, 1),
            "4600.00",
            note="Die Fahrten zu Turnieren fanden nicht statt und sind nicht förderfähig.",
            response_due=d(2018, 3, 16),
        )
        claim = self.refund_decision(
            "VF-2017-0002",
            d(2018, 3, 20),
            "Förderfähig sind 4.600,00 € abzüglich 300,00 € Eigenmittel; der Überschuss der "
            "Auszahlung ist mit Zinsen zu erstatten (§ 49a VwVfG NRW).",
        )
        received_on = d(2018, 6, 14)
        with _on(received_on, 12):
            owed = claim_selectors.outstanding(claim, on=received_on).total
            refund_use_cases.record_refund(
                claim=claim,
                by=self.finance,
                amount=owed,
                received_on=received_on,
                idempotency_key=f"demo:refund:{claim.reference}",
            )
        self.out(f"Sport für Mädchen: refund claim {claim.reference} paid with interest ({owed})")

        # Sprachpaten: a later due date granted; the report is accepted, nothing owed.
        application = self.app("VF-2017-0007")
        with _on(d(2018, 5, 28), 10):
            extension = settlement_use_cases.request_extension(
                report=application.usage_report,
                by=application.created_by,
                requested_due_on=d(2018, 8, 31),
                reason="Die Abrechnungen der Honorarkräfte liegen erst im Juli vollständig vor.",
            )
        with _on(d(2018, 6, 1), 11):
            settlement_use_cases.decide_extension(
                extension=extension, by=self.office, grant=True, note="Verlängert bis 31.08.2018."
            )
        report = self.report(
            "VF-2017-0007",
            d(2018, 8, 13),
            d(2018, 8, 20),
            "Zwölf Sprachpatinnen und Sprachpaten begleiteten 27 Familien.",
            [27, 9],
            actual=["1400.00", "200.00"],
        )
        self.review(report, d(2018, 9, 3), "1600.00")
        self.out("usage reports accepted (one after an extension of its due date)")


def _fresh(payment):
    return PaymentRequest.objects.get(pk=payment.pk)


def _payee(item):
    return {
        "personnel": "Honorarkräfte laut Vertrag",
        "rent": "Vermieter laut Mietvertrag",
        "travel": "Verkehrsbetriebe und Mietwagen",
        "public_relations": "Druckerei",
    }.get(item.category, "Fachhandel")
