"""The usage report through the API (issue 11; docs/api.md, "Usage reports"):

- ``GET|POST|PATCH /applications/{id}/usage-report/`` (read: whoever sees the application;
  write: the recipient)
- ``POST .../usage-report/submit/`` (recipient), ``POST .../usage-report/review/`` (office)
- ``POST .../usage-report/attachments/`` (multipart ``file``, ``description``)
- ``GET|POST .../usage-report/extensions/`` and ``POST /report-extensions/{id}/decision/``

Every change is one use case of ``workflows.settlement``. Order of refusals: 404 (the caller
cannot see the application or there is no report), 403 (a role that may never do this, before
the body is looked at), 400 (field errors), 409 with the service's code (``not_reporting``,
``report_not_editable``, ``payment_open``, ``report_not_submitted``, ``extension_pending``,
``extension_decided``, ``revocation_open``).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.settlement.models import DueDateExtension
from fund_manager.settlement.selectors import reports as selectors
from workflows import settlement as use_cases

from ..serializers.reports import (
    ReportAttachmentInputSerializer,
    ReportAttachmentSerializer,
    ReportExtensionDecisionSerializer,
    ReportExtensionRequestSerializer,
    ReportExtensionSerializer,
    ReportInputSerializer,
    ReportReviewResultSerializer,
    ReportReviewSerializer,
    ReportSettlementSerializer,
    UsageReportSerializer,
)
from ._common import (
    NOT_FOUND,
    action_responses,
    application_or_404,
    require,
    validated,
    visible_or_404,
)

_TAGS = ["usage reports"]


def _report(application, user):
    report = selectors.report_of(application)
    if report is None:
        raise NotFound()
    return selectors.report_detail(user, report.pk)


def _application_report(request, pk, may=None):
    """(application, its report) as the caller sees them (404 for either), after
    ``may(user, application)`` (403) when given."""
    application = application_or_404(request, pk)
    if may is not None:
        require(may(request.user, application))
    return application, _report(application, request.user)


def _report_data(report):
    return UsageReportSerializer(report, context={"cost_check": selectors.cost_check(report)}).data


def _plain(value):
    """Serializer output (OrderedDicts, nested lists) as the services take it."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class UsageReportView(APIView):
    @extend_schema(tags=_TAGS, responses={200: UsageReportSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        _, report = _application_report(request, pk)
        return Response(_report_data(report))

    def _save(self, request, pk, *, partial):
        application = application_or_404(request, pk)
        require(selectors.may_file(request.user, application))
        existed = selectors.report_of(application) is not None
        data = _plain(dict(validated(ReportInputSerializer, request)))
        use_cases.save_report(
            application=application,
            by=request.user,
            narrative=data.get("narrative"),
            cost_lines=data.get("cost_lines"),
            participants=data.get("participants"),
            payment_uses=data.get("payment_uses"),
        )
        report = _report(application, request.user)
        created = not existed and not partial
        return Response(
            _report_data(report), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        tags=_TAGS,
        request=ReportInputSerializer,
        responses=action_responses(UsageReportSerializer, created=UsageReportSerializer),
        description=(
            "The recipient writes its usage report (201 when it is created, 200 after). Each "
            "part sent replaces the stored one: `cost_lines` (one entry per line of the cost "
            "plan by `cost_item`, plus lines outside it with `category` and `description`; "
            "each with its `receipts`; a line's actual costs are the sum of its receipts, an "
            "`actual` sent along must equal it), `participants` ({target_group, count}), "
            "`payment_uses` ({payment, spent_on} for each paid payment), `narrative`."
        ),
    )
    def post(self, request, pk):
        return self._save(request, pk, partial=False)

    @extend_schema(
        tags=_TAGS,
        request=ReportInputSerializer,
        responses=action_responses(UsageReportSerializer, conflict=None),
        description="Like POST; only the parts sent change.",
    )
    def patch(self, request, pk):
        return self._save(request, pk, partial=True)


class SubmitReportView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=None,
        responses=action_responses(UsageReportSerializer),
        description=(
            "The recipient submits the report (application → `report_submitted`). 409 "
            "`payment_open` while a payment request is still requested, certified, ordered or "
            "exported; 400 when the narrative, the participants or the use of a paid payment "
            "is missing."
        ),
    )
    def post(self, request, pk):
        application, report = _application_report(request, pk, selectors.may_file)
        use_cases.submit_report(report=report, by=request.user)
        return Response(_report_data(_report(application, request.user)))


class ReviewReportView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=ReportReviewSerializer,
        responses=action_responses(ReportReviewResultSerializer),
        description=(
            "The project office decides: `revision_requested` (with `note`) sends the report "
            "back; `accepted` states `eligible_costs` and settles the grant by the funding "
            "type. Paid above the settled grant: a revocation hearing starts (ground "
            "`purpose`, intended amount = the settled grant, `response_due` required) and its "
            "id is returned; otherwise the rest of the commitment is released and the "
            "application is closed. Eligible costs other than the 20 % rule's proposal need "
            "a `note`. A repeat answers 409 `report_not_submitted`: the release happens once."
        ),
    )
    def post(self, request, pk):
        application, report = _application_report(request, pk, selectors.may_review)
        data = validated(ReportReviewSerializer, request)
        _reviewed, settlement, revocation = use_cases.review_report(
            report=report,
            by=request.user,
            outcome=data["outcome"],
            eligible_costs=data.get("eligible_costs"),
            note=data.get("note") or "",
            response_due=data.get("response_due"),
        )
        return Response(
            {
                "report": _report_data(_report(application, request.user)),
                "settlement": ReportSettlementSerializer(settlement).data if settlement else None,
                "revocation": revocation.pk if revocation else None,
            }
        )


class ReportAttachmentsView(APIView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        tags=_TAGS,
        request={"multipart/form-data": ReportAttachmentInputSerializer},
        responses=action_responses(created=ReportAttachmentSerializer),
        description="A receipt or other document of the report (PDF, images, office files).",
    )
    def post(self, request, pk):
        _, report = _application_report(request, pk, selectors.may_file)
        data = validated(ReportAttachmentInputSerializer, request)
        attachment = use_cases.add_report_attachment(
            report=report, by=request.user, upload=data["file"], description=data["description"]
        )
        return Response(ReportAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class ReportExtensionsView(APIView):
    @extend_schema(
        tags=_TAGS, responses={200: ReportExtensionSerializer(many=True), 404: NOT_FOUND}
    )
    def get(self, request, pk):
        _, report = _application_report(request, pk)
        extensions = report.extensions.select_related("requested_by", "decided_by")
        return Response(ReportExtensionSerializer(extensions, many=True).data)

    @extend_schema(
        tags=_TAGS,
        request=ReportExtensionRequestSerializer,
        responses=action_responses(created=ReportExtensionSerializer),
        description=(
            "The recipient asks for a later due date (after the current one, at most six "
            "months later) with a reason; the project office decides. 409 "
            "`extension_pending` while one is undecided."
        ),
    )
    def post(self, request, pk):
        _, report = _application_report(request, pk, selectors.may_file)
        data = validated(ReportExtensionRequestSerializer, request)
        extension = use_cases.request_extension(
            report=report,
            by=request.user,
            requested_due_on=data["requested_due_on"],
            reason=data["reason"],
        )
        return Response(ReportExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)


class ExtensionDecisionView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=ReportExtensionDecisionSerializer,
        responses=action_responses(ReportExtensionSerializer),
        description=(
            "The project office grants (the due date moves, reminders start again) or refuses "
            "(`note` required) a request for a later due date."
        ),
    )
    def post(self, request, pk):
        extension = visible_or_404(
            selectors.extension_detail, request.user, pk, missing=DueDateExtension.DoesNotExist
        )
        require(selectors.may_review(request.user, extension.report.application))
        data = validated(ReportExtensionDecisionSerializer, request)
        decided = use_cases.decide_extension(
            extension=extension,
            by=request.user,
            grant=data["decision"] == "grant",
            note=data.get("note") or "",
        )
        return Response(ReportExtensionSerializer(decided).data)
