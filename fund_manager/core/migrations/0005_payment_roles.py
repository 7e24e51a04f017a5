"""Issue 11: the roles get the permissions of payments, usage reports, refunds and freezes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from fund_manager.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_chair_session_permission"),
        ("ledger", "0003_spending_freeze_receipts"),
        ("payments", "0001_initial"),
        ("settlement", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
