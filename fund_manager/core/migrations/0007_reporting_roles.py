"""Issue 13: the roles get the permissions of statistics, the status report, the staff exports
and the ledger check."""

from django.db import migrations


def forwards(apps, schema_editor):
    from fund_manager.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_audit_states"),
        ("reporting", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
