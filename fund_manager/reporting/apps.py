from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from fund_manager.core.signals import audit_logged
from fund_manager.ledger.signals import transfers_posted


class ReportingConfig(AppConfig):
    name = "fund_manager.reporting"
    label = "reporting"
    verbose_name = _("Statistics and reports")

    def ready(self):
        from . import journal

        audit_logged.connect(journal.record_entry, dispatch_uid="reporting.journal.entry")
        # An installation older than the journal gets it written from its history once,
        # after every migration has run (so the models match the tables).
        post_migrate.connect(journal.fill_if_missing, sender=self, dispatch_uid="reporting.journal")
        transfers_posted.connect(
            journal.record_transfers, dispatch_uid="reporting.journal.transfers"
        )
