"""factory_boy factories for the domain. ``user_with_role`` builds a user in a role group."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from fund_manager.applications.models import Application, CostItem
from fund_manager.funds.models import ActionField, FiscalYear, Fund, TargetGroup
from fund_manager.organisations.models import Membership, Organisation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ("code",)

    code = "integration"
    name = "Verfügungsfonds Integration"
    guideline = "integration-herne"


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear
        django_get_or_create = ("fund", "year")

    fund = factory.SubFactory(FundFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    # The budget is booked through ledger.services.set_budget (see funded_year).


class ActionFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionField
        django_get_or_create = ("fund", "code")

    fund = factory.SubFactory(FundFactory)
    code = factory.Sequence(lambda n: f"field-{n}")
    name = factory.Sequence(lambda n: f"Handlungsfeld {n}")


class TargetGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetGroup
        django_get_or_create = ("fund", "code")

    fund = factory.SubFactory(FundFactory)
    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Zielgruppe {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Träger {n} e.V.")
    kind = Organisation.Kind.PROVIDER
    city = "Herne"
    creditor_number = factory.Sequence(lambda n: f"{100000 + n}")
    iban = "DE89370400440532013000"


def provider_user(organisation=None, **kwargs):
    """A user in the provider role who is a member of ``organisation`` (created if None)."""
    organisation = organisation or OrganisationFactory()
    user = UserFactory(roles=["provider"], **kwargs)
    Membership.objects.get_or_create(organisation=organisation, user=user)
    return user


def user_with_role(role, **kwargs):
    return UserFactory(roles=[role], **kwargs)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft that may be submitted as it is."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    fiscal_year = factory.SubFactory(FiscalYearFactory)
    fund = factory.SelfAttribute("fiscal_year.fund")
    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Projekt {n}")
    summary = "Ein Sprachcafé für neu zugewanderte Familien."
    project_kind = Application.ProjectKind.MODEL
    approach = "Peer-Lernen mit Ehrenamtlichen; danach trägt der Verein das Angebot selbst."
    action_field = factory.LazyAttribute(lambda a: ActionFieldFactory(fund=a.fund))
    location = "Herne-Mitte"
    start_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=120))
    own_funds = Decimal("100.00")
    third_party_funds = Decimal("0.00")
    declares_not_otherwise_financeable = True
    declares_not_started = True
    declares_new_approach = True
    declares_sustainable = True

    @factory.post_generation
    def cost_items(self, create, extracted, **kwargs):
        if not create:
            return
        amounts = extracted if extracted is not None else [Decimal("1000.00"), Decimal("234.56")]
        for index, amount in enumerate(amounts):
            CostItem.objects.create(
                application=self,
                position=index,
                category=CostItem.Category.MATERIAL,
                description=f"Posten {index + 1}",
                amount=amount,
            )
        from fund_manager.applications.content import recalculate_amounts

        recalculate_amounts(self)
        Application.objects.filter(pk=self.pk).update(
            total_costs=self.total_costs, requested_amount=self.requested_amount
        )

    @factory.post_generation
    def target_groups(self, create, extracted, **kwargs):
        if not create:
            return
        groups = extracted if extracted is not None else [TargetGroupFactory(fund=self.fund)]
        self.target_groups.set(groups)


def force_state(application, state):
    """Test setup only: put ``application`` into ``state`` without running a transition.

    The FSM field is protected, so this goes around it with ``QuerySet.update``; never do this
    outside tests. A state other than draft gets a ``submitted_at``, as a real submission would.
    """
    submitted_at = None if state == "draft" else timezone.now()
    Application.objects.filter(pk=application.pk).update(state=state, submitted_at=submitted_at)
    application.refresh_from_db()
    return application


def funded_year(*, budget="200000.00", allocations=None, finance=None, **kwargs):
    """A fiscal year whose budget (and optional allocations {ActionField: "amount"}) are booked
    through the ledger services, as finance would."""
    from fund_manager.ledger import services as ledger_services

    year = FiscalYearFactory(**kwargs)
    finance = finance or user_with_role("finance")
    ledger_services.set_budget(
        fiscal_year=year,
        amount=Decimal(budget),
        by=finance,
        idempotency_key=f"test-budget-{year.pk}",
    )
    for field, amount in (allocations or {}).items():
        ledger_services.allocate(
            fiscal_year=year,
            action_field=field,
            amount=Decimal(amount),
            by=finance,
            idempotency_key=f"test-allocate-{year.pk}-{field.pk}",
        )
    year.refresh_from_db()
    return year


def force_approval(application, amount, state="approved"):
    """Test setup only: ``application`` approved with ``amount`` (forced like ``force_state``).
    The test books the commitment itself (``ledger.services.commit``), as the round's decision
    would; the after-test cross-check (verify_applications) wants both to agree."""
    Application.objects.filter(pk=application.pk).update(approved_amount=Decimal(amount))
    return force_state(application, state)


def force_state_with_approval(application, state):
    """``force_state``; a state that holds an approval (approved … refund_due) gets one as the
    round's decision books it: the requested amount approved and committed in the ledger
    (budget raised and allocated by that much first). The after-test cross-check
    (``applications.ledger_check.verify_applications``) refuses an approval without a commitment."""
    from fund_manager.applications.ledger_check import HOLDING_STATES
    from fund_manager.ledger import services as ledger_services

    if state in HOLDING_STATES:
        amount = application.requested_amount or Decimal("100.00")
        year = FiscalYear.objects.get(pk=application.fiscal_year_id)
        finance = user_with_role("finance")
        key = f"test-approval-{application.pk}"
        ledger_services.set_budget(
            fiscal_year=year,
            amount=year.budget + amount,
            by=finance,
            idempotency_key=f"{key}-budget",
        )
        ledger_services.allocate(
            fiscal_year=year,
            action_field=application.action_field,
            amount=amount,
            by=finance,
            idempotency_key=f"{key}-allocate",
        )
        ledger_services.commit(
            application=application,
            amount=amount,
            by=finance,
            idempotency_key=f"{key}-commit",
            reason="Beschluss der Lenkungsgruppe",
        )
        Application.objects.filter(pk=application.pk).update(approved_amount=amount)
    return force_state(application, state)


def account_for(fiscal_year, kind, *, action_field=None, application=None):
    """Test setup: the ledger account of that kind as a row (created on first use; an account
    carries no money of its own). The services name accounts with ``bookings.account_ref``."""
    from fund_manager.ledger.models import Account

    account, _created = Account.objects.get_or_create(
        fiscal_year=fiscal_year, kind=kind, action_field=action_field, application=application
    )
    return account


def ordered_payment(application, amount, *, certified_by, ordered_by, **kwargs):
    """Test setup only: a payment request of ``application`` that was certified and ordered
    (the steps of workflows.payments), created as it is, ready for an export batch. ``kwargs``
    override the fields (number, needed_by, ordered_at, document_number, ...)."""
    from fund_manager.payments.models import PaymentRequest

    number = kwargs.pop("number", None) or application.payment_requests.count() + 1
    now = timezone.now()
    # A document number no other payment has: one more than there are payments.
    following = PaymentRequest.objects.count() + 1
    values = {
        "fiscal_year_id": application.fiscal_year_id,
        "number": number,
        "payment_key": f"{application.reference or application.pk}-{number}",
        "amount": Decimal(amount),
        "needed_by": timezone.localdate(),
        "declaration": True,
        "state": "ordered",
        "is_internal": application.organisation.is_municipal,
        "requested_by": application.created_by,
        "requested_at": now,
        "certified_by": certified_by,
        "certified_at": now,
        "ordered_by": ordered_by,
        "ordered_at": now,
        "document_number": f"{application.fiscal_year.year}-{following:06d}",
        **kwargs,
    }
    return PaymentRequest.objects.create(application=application, **values)
